// Checks of values that stack settings and component arguments share: one rule, one place.
// Each throws an ArgumentError that names the setting, the bad value and what is allowed.

/** A bad argument; the message is meant for the user as it is. `allowed` lets the stack settings say it their way. */
export class ArgumentError extends Error {
  constructor(
    readonly setting: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${setting}: ${JSON.stringify(value)} is not allowed: use ${allowed}`);
  }
}

// The docker reference grammar (distribution/reference), as the kubelet and containerd parse an image.
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
// A first component is a registry only with a '.' or a ':port', or as `localhost`; else it is part of the name.
const REGISTRY = `(?:${LABEL}(?:\\.${LABEL})+(?::[0-9]+)?|${LABEL}:[0-9]+|localhost|\\[[0-9A-Fa-f:]+\\](?::[0-9]+)?)`;
const NAME_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE_REFERENCE = new RegExp(
  `^((?:${REGISTRY}/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`,
);
const NAME_MAX = 255;

/** Throws unless `image` is a reference the kubelet can pull: `[registry[:port]/]name[:tag][@sha256:<64 hex>]`. */
export function checkImage(setting: string, image: string): string {
  const match = IMAGE_REFERENCE.exec(image); // [1]: the name, without tag and digest
  if (match === null || match[1].length > NAME_MAX) {
    throw new ArgumentError(
      setting,
      image,
      `an image reference [registry[:port]/]name[:tag][@sha256:digest], such as nginx:alpine: name components of lower-case letters and digits ` +
        `separated by '.', '_', '__' or '-', at most ${NAME_MAX} characters before the tag`,
    );
  }
  return image;
}

/** What `curl -O` saves and `fortune` reads: a URL's last path segment, as written (curl does not decode %XX). */
const URL_FILE_NAME = /^(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})+$/;

/**
 * The file name `curl -O <url>` saves the quotes under: the URL's last path segment exactly as
 * written, percent-escapes and all, so `fortune` is given that same name. Throws unless the URL
 * is plain http(s) with such a name: no user:password (it would stand in the pod spec), no query
 * or fragment, no characters curl would glob (`[]{}`) or re-encode, no name `fortune` could read as
 * an option.
 */
export function quotesFileName(setting: string, url: string): string {
  const parts = /^https?:\/\/([^/]+)\/(?:.*\/)?([^/]*)/i.exec(url); // the last group: all after the last '/'
  if (parts === null || /[^\x21-\x7e]|[?#\\[\]{}]/.test(url) || !URL.canParse(url)) {
    throw new ArgumentError(
      setting,
      url,
      "an http:// or https:// URL of a quotes file, in printable ASCII, with no query (?), fragment (#), backslash or [ ] { } (curl globs them)",
    );
  }
  const [, authority, fileName] = parts;
  if (authority.includes("@")) {
    throw new ArgumentError(setting, url, "a URL without user:password@: the URL stands in the pod spec in plain text");
  }
  if (!URL_FILE_NAME.test(fileName) || fileName === "." || fileName === "..") {
    throw new ArgumentError(
      setting,
      url,
      "a URL whose last path segment names the file: letters, digits, -._~!$&'()*+,;=:@ and well-formed %XX escapes (curl -O saves the name escaped as written)",
    );
  }
  if (fileName.startsWith("-")) {
    throw new ArgumentError(setting, url, "a file name that does not start with '-': fortune would read it as an option");
  }
  return fileName;
}

/** nginx serves this directory (the quote is written there): a hook's log in it would be served to anyone. */
export const SERVED_DIRECTORY = "/usr/share/nginx/html";

/** Throws unless `file` is an absolute path that names a file outside what nginx serves. */
export function checkOutputFile(setting: string, file: string): string {
  const segments = file.split("/").slice(1);
  if (!file.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..") || /[\s\p{Cc}]/u.test(file)) {
    throw new ArgumentError(setting, file, "an absolute path of a file: not '/' nor ending in '/', no '.' or '..' or empty segments, no whitespace or control characters");
  }
  if (file === SERVED_DIRECTORY || file.startsWith(`${SERVED_DIRECTORY}/`)) {
    throw new ArgumentError(setting, file, `a path outside ${SERVED_DIRECTORY}: nginx serves that directory to anyone who asks`);
  }
  return file;
}
