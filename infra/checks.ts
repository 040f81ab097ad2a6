// Checks of values that stack settings and component arguments share: one rule, one place, one ArgumentError.

/** A bad argument or setting: `<setting>: <value> is not allowed; allowed: <what is>`, meant for the user as it is. */
export class ArgumentError extends Error {
  constructor(setting: string, value: unknown, allowed: string) {
    super(`${showText(setting)}: ${showValue(value)} is not allowed; allowed: ${allowed}`);
  }
}

/** How many characters of a bad value a message repeats. */
export const SHOWN_MAX = 200;
/** The credentials of a URL (`scheme://userinfo@`): a password after the user, or a token standing as the user. */
const URL_USERINFO = /(:\/\/)([^/?#@\s":]*:)?[^/?#@\s"]*@/g;
/** What JSON leaves as it is that a terminal would act on: DEL, C1 controls, line separators, bidi overrides. */
const UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const escaped = (json: string) => json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
/** `text` cut after SHOWN_MAX characters, saying how long it was. */
const cut = (text: string, shown: (t: string) => string) =>
  text.length > SHOWN_MAX ? `${shown(text.slice(0, SHOWN_MAX))}... (${text.length} characters)` : shown(text);

/** `text` with a URL's password (or a user that is a token) as ***: a message never repeats one. */
export const hidePasswords = (text: string) => text.replace(URL_USERINFO, "$1$2***@");

/** A value as a message shows it: as JSON (NaN and Infinity as such, not null), escaped, password hidden, cut. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return cut(hidePasswords(value), (t) => escaped(JSON.stringify(t)));
  if (typeof value === "number" || value === undefined) return String(value);
  const json = JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
  return cut(hidePasswords(json ?? String(value)), escaped);
}

/** A name (a setting, a key) as a message shows it: without quotes, control characters escaped, cut. */
export const showText = (text: string) => cut(hidePasswords(text), (t) => escaped(JSON.stringify(t).slice(1, -1)));

// The docker reference grammar (distribution/reference), as the kubelet and containerd parse an image.
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
// A first component is a registry only with a '.' or a ':port', or as `localhost`; else it is part of the name.
const REGISTRY = `(?:${LABEL}(?:\\.${LABEL})+(?::[0-9]+)?|${LABEL}:[0-9]+|localhost|\\[[0-9A-Fa-f:]+\\](?::[0-9]+)?)`;
const NAME_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE_REFERENCE = new RegExp(
  `^((?:${REGISTRY}/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*)` +
    "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$",
);
const NAME_MAX = 255;
/** Throws unless `image` is a reference the kubelet can pull: `[registry[:port]/]name[:tag][@sha256:<64 hex>]`. */
export function checkImage(setting: string, image: string): string {
  const name = IMAGE_REFERENCE.exec(image)?.[1]; // without tag and digest
  if (name !== undefined && name.length <= NAME_MAX) return image;
  const reference = "an image reference [registry[:port]/]name[:tag][@sha256:digest], such as nginx:alpine";
  const components = "name components of lower-case letters and digits separated by '.', '_', '__' or '-'";
  throw new ArgumentError(setting, image, `${reference}: ${components}, at most ${NAME_MAX} characters before the tag`);
}

/** Linux's limit on one argument of a process, such as the script of `sh -c` (MAX_ARG_STRLEN: 32 pages of 4 KiB). */
export const ARGUMENT_MAX_BYTES = 131_072;
/** The hook's script holds the quotes URL three times, up to 4 bytes a character once shell-quoted: under the limit. */
export const QUOTES_URL_MAX = 8192;
/** The longest path Linux opens (PATH_MAX, with its closing NUL). */
export const PATH_MAX = 4096;
/** What `curl -O` saves and `fortune` reads: a URL's last path segment, as written (curl does not decode %XX). */
const URL_FILE_NAME = /^(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})+$/;
/** The file `curl -O <url>` saves the quotes in, for `fortune`: the URL's last path segment; else an ArgumentError. */
export function quotesFileName(setting: string, url: string): string {
  const refuse = (allowed: string) => new ArgumentError(setting, url, allowed);
  if (url.length > QUOTES_URL_MAX)
    throw refuse(
      `a URL of at most ${QUOTES_URL_MAX} characters: the hook's sh -c argument holds it three times, shell-quoted, ` +
        `and Linux refuses a single argument over ${ARGUMENT_MAX_BYTES} bytes (MAX_ARG_STRLEN)`,
    );
  const parts = /^https?:\/\/([^/]+)\/(?:.*\/)?([^/]*)/i.exec(url); // the last group: all after the last '/'
  if (parts === null || /[^\x21-\x7e]|[?#\\[\]{}]/.test(url) || !URL.canParse(url))
    throw refuse(
      "an http:// or https:// URL of a quotes file, in printable ASCII, " +
        "with no query (?), fragment (#), backslash or [ ] { } (curl globs them)",
    );
  const [, authority, fileName] = parts;
  if (authority.includes("@"))
    throw refuse("a URL without user:password@: the URL stands in the pod spec in plain text");
  if (new URL(url).port === "0") throw refuse("a URL whose port, if it names one, is from 1 to 65535");
  if (!URL_FILE_NAME.test(fileName) || fileName === "." || fileName === "..")
    throw refuse(
      "a URL whose last path segment names the file: letters, digits, -._~!$&'()*+,;=:@ and well-formed %XX escapes " +
        "(curl -O saves the name escaped as written)",
    );
  if (fileName.startsWith("-"))
    throw refuse("a file name that does not start with '-': fortune would read it as an option");
  return fileName;
}

/** nginx serves this directory (the quote is written there): a hook's log in it would be served to anyone. */
const SERVED_DIRECTORY = "/usr/share/nginx/html";
/** Throws unless `file` is an absolute path that names a file outside what nginx serves. */
export function checkOutputFile(setting: string, file: string): string {
  const refuse = (allowed: string) => new ArgumentError(setting, file, allowed);
  const segments = file.split("/").slice(1);
  if (!file.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..") || /[\s\p{Cc}]/u.test(file))
    throw refuse(
      "an absolute path of a file: not '/' nor ending in '/', no '.' or '..' or empty segments, " +
        "no whitespace or control characters",
    );
  if (file.length >= PATH_MAX) throw refuse(`a path shorter than ${PATH_MAX} characters (Linux's PATH_MAX)`);
  if (file === SERVED_DIRECTORY || file.startsWith(`${SERVED_DIRECTORY}/`))
    throw refuse(`a path outside ${SERVED_DIRECTORY}: nginx serves that directory to anyone who asks`);
  return file;
}

function matching(pattern: RegExp, allowed: string) {
  return (setting: string, value: string): string => {
    if (!pattern.test(value)) throw new ArgumentError(setting, value, allowed);
    return value;
  };
}
/** Throws unless `value` is a DNS-1123 label, as pod and namespace names must be. */
export const checkDnsLabel = matching(
  /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  "1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit",
);
export const checkHttpPath = matching(/^\//, "a path that starts with '/'");
/** Throws unless `path` can stand in nginx's config as it is (nginx compares the decoded path: no %XX, `;`, quotes). */
export const checkPlainPath = matching(
  /^\/[A-Za-z0-9._~/-]*$/,
  "a path of '/' and letters, digits, '-', '.', '_', '~'",
);

/** Throws unless `value` is an integer from `min` to `max`; `what` names its unit ("a whole number of seconds"). */
export function checkInteger(setting: string, value: unknown, min: number, max: number, what = "an integer"): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
    throw new ArgumentError(setting, value, `${what} from ${min} to ${max}`);
  return value as number;
}

export function checkOneOf<T extends string>(setting: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new ArgumentError(setting, value, `one of ${allowed.join(", ")}`);
  return value as T;
}

export const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
export const HOOK_SCHEMES = ["HTTP", "HTTPS"] as const;
/** A dotted-quad IPv4 address, no leading zeros. */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** Ranges no Service can have its ClusterIP in, whatever the cluster's service range. */
const NEVER_CLUSTER_IPS: [base: string, bits: number, what: string][] = [
  ["0.0.0.0", 8, "'this network'"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["224.0.0.0", 4, "multicast"],
  ["255.255.255.255", 32, "broadcast"],
];
/** The first `bits` bits of an IPv4 address. */
const prefix = (ip: string, bits: number) =>
  Math.floor(ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0) / 2 ** (32 - bits));
/** Throws unless `ip` is an IPv4 address that can be a Service ClusterIP (the cluster checks its own range). */
export function checkClusterIP(setting: string, ip: string): string {
  const range = "an IPv4 address from the cluster's service range";
  if (!IPV4.test(ip)) throw new ArgumentError(setting, ip, `${range}, e.g. 10.96.100.100`);
  for (const [base, bits, what] of NEVER_CLUSTER_IPS) {
    if (prefix(ip, bits) === prefix(base, bits))
      throw new ArgumentError(setting, ip, `${range}: ${base}/${bits} (${what}) is never a Service's ClusterIP`);
  }
  return ip;
}
