// The shared checks, value by value: what passes, what is refused, and the message that names the
// setting, the bad value and what is allowed. Boundaries on both sides.
import { describe, expect, it } from "vitest";
import {
  ArgumentError,
  checkClusterIP,
  checkImage,
  checkInteger,
  checkOneOf,
  checkOutputFile,
  quotesFileName,
  showValue,
} from "../../infra/checks.ts";

/** The error `check` throws, or a failure when it throws none. */
function refusal(check: () => unknown): ArgumentError {
  try {
    check();
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    return e as ArgumentError;
  }
  throw new Error("expected a refusal, got none");
}

describe("ArgumentError", () => {
  it("names the setting, the value and what is allowed", () => {
    const e = new ArgumentError("image", "X", "lower case");
    expect(e.message).toBe(`image: "X" is not allowed; allowed: lower case`);
    expect(e).toBeInstanceOf(Error);
  });
});

describe("checkInteger and checkOneOf: the one range check and the one list check", () => {
  it("takes integers from min to max, both included, and refuses anything else with the unit", () => {
    for (const n of [1, 2, 65535]) expect(checkInteger("port", n, 1, 65535, "a port number")).toBe(n);
    for (const n of [0, 65536, 1.5, Number.NaN, Infinity, "80", undefined, null]) {
      expect(refusal(() => checkInteger("port", n, 1, 65535, "a port number")).message).toBe(
        `port: ${showValue(n)} is not allowed; allowed: a port number from 1 to 65535`,
      );
    }
    expect(refusal(() => checkInteger("n", -1, 0, 3)).message).toBe(
      "n: -1 is not allowed; allowed: an integer from 0 to 3",
    );
  });

  it("takes one of a list, case and all, and names the list", () => {
    expect(checkOneOf("scheme", "HTTPS", ["HTTP", "HTTPS"])).toBe("HTTPS");
    for (const value of ["https", "", " HTTP", undefined, 1]) {
      expect(refusal(() => checkOneOf("scheme", value, ["HTTP", "HTTPS"])).message).toBe(
        `scheme: ${showValue(value)} is not allowed; allowed: one of HTTP, HTTPS`,
      );
    }
  });
});

describe("checkImage: the docker reference grammar the kubelet parses", () => {
  const good = [
    "nginx",
    "nginx:alpine",
    "nginx:1.27-alpine3.20",
    "library/nginx:latest",
    "lab.local/nginx-fortune:1",
    "localhost/nginx",
    "localhost:5000/a/b",
    "registry:5000/nginx",
    "REGISTRY.Example.COM/team/app:Tag_1",
    "[::1]:5000/nginx",
    "[fd00::1]/nginx",
    "a.b_c__d---e:v",
    `nginx@sha256:${"0".repeat(64)}`,
    `nginx:alpine@sha256:${"abcdef0123456789".repeat(4)}`,
    `x:${"t".repeat(128)}`,
    "a:x",
    "n:_tag",
    "a".repeat(255),
    `r.io/${"a".repeat(250)}`,
  ];
  for (const image of good) {
    it(`accepts ${JSON.stringify(image.length > 60 ? `${image.slice(0, 40)}…(${image.length})` : image)}`, () => {
      expect(checkImage("image", image)).toBe(image);
    });
  }

  const bad = [
    "",
    " ",
    "nginx ",
    "NGINX::Bad",
    "Nginx",
    "NGINX/nginx",
    "team/App",
    "nginx::alpine",
    "nginx:",
    ":alpine",
    "nginx:-tag",
    "nginx:.tag",
    `x:${"t".repeat(129)}`,
    `nginx@sha256:${"0".repeat(63)}`,
    `nginx@sha256:${"0".repeat(65)}`,
    `nginx@sha256:${"A".repeat(64)}`,
    `nginx@md5:${"0".repeat(64)}`,
    "-nginx",
    "nginx-",
    "nginx.",
    "a..b",
    "a___b",
    "a/",
    "/a",
    "a//b",
    "-r.io/a",
    "r-.io/a",
    "r.io:/a",
    "r.io:x/a",
    "[::1/a",
    "[g::1]/a",
    "xnginx:al pine",
    "a".repeat(256),
    `r.io/${"a".repeat(251)}`,
    "nginx:alpine\n",
    "\nnginx",
  ];
  for (const image of bad) {
    it(`refuses ${JSON.stringify(image.length > 60 ? `${image.slice(0, 40)}…(${image.length})` : image)}`, () => {
      const e = refusal(() => checkImage("receiver.image", image));
      expect(e.message).toBe(
        `receiver.image: ${showValue(image)} is not allowed; allowed: an image reference [registry[:port]/]name[:tag][@sha256:digest], ` +
          `such as nginx:alpine: name components of lower-case letters and digits separated by '.', '_', '__' or '-', at most 255 characters before the tag`,
      );
    });
  }
});

describe("quotesFileName: the name curl -O saves, which fortune is given", () => {
  const good: [string, string][] = [
    ["https://luksa.github.io/kiada/book-quotes.txt", "book-quotes.txt"],
    ["HTTP://x/q.txt", "q.txt"],
    ["hTTpS://x/q.txt", "q.txt"],
    ["http://x/book%2Dquotes.txt", "book%2Dquotes.txt"],
    ["http://x/a%2fb%7E", "a%2fb%7E"],
    ["http://x:8080/a/b/c/~q*+,;=:@!$&'()._-", "~q*+,;=:@!$&'()._-"],
    ["http://10.96.100.101/book-quotes.txt", "book-quotes.txt"],
    ["http://x/a-", "a-"],
    ["http://x/.q", ".q"],
    ["http://x/...", "..."],
    ["http://x/../q", "q"],
    ["http://x/%2e%2e", "%2e%2e"],
    ["http://x/a%25", "a%25"],
  ];
  for (const [url, name] of good) {
    it(`${url} -> ${name}`, () => {
      expect(quotesFileName("quotesUrl", url)).toBe(name);
    });
  }

  const shape =
    "an http:// or https:// URL of a quotes file, in printable ASCII, with no query (?), fragment (#), backslash or [ ] { } (curl globs them)";
  const fileName =
    "a URL whose last path segment names the file: letters, digits, -._~!$&'()*+,;=:@ and well-formed %XX escapes (curl -O saves the name escaped as written)";
  const bad: [string, string][] = [
    ["ftp://x/q.txt", shape],
    ["xhttp://x/q.txt", shape],
    ["http:x/q.txt", shape],
    ["http:/x/q.txt", shape],
    ["http:///q.txt", shape],
    ["http://x", shape],
    ["http://x/a.txt?x=1", shape],
    ["http://x/a.txt?", shape],
    ["http://x/a.txt#top", shape],
    ["http://x/a\\b.txt", shape],
    ["http://x/a{1,2}.txt", shape],
    ["http://x/[1-2].txt", shape],
    ["http://x/{a}/q.txt", shape],
    ["http://x/a b.txt", shape],
    ["http://x/é.txt", shape],
    ["http://x/q.txt\n", shape],
    ["http://x:99999/q.txt", shape],
    ["http://x y/q.txt", shape],
    ["http://u:p@x/q.txt", "a URL without user:password@: the URL stands in the pod spec in plain text"],
    ["http://u@x/q.txt", "a URL without user:password@: the URL stands in the pod spec in plain text"],
    ["http://x/", fileName],
    ["http://x/a/", fileName],
    ["http://x/a%ZZ", fileName],
    ["http://x/a%2", fileName],
    ["http://x/%", fileName],
    ["http://x/a%G0", fileName],
    ['http://x/a"b', fileName],
    ["http://x/a<b", fileName],
    ["http://x/a|b", fileName],
    ["http://x/a^b", fileName],
    ["http://x/a`b", fileName],
    ["http://x/.", fileName],
    ["http://x/..", fileName],
    ["http://x/-q.txt", "a file name that does not start with '-': fortune would read it as an option"],
    ["http://x/--help", "a file name that does not start with '-': fortune would read it as an option"],
  ];
  for (const [url, allowed] of bad) {
    it(`refuses ${JSON.stringify(url)}`, () => {
      expect(refusal(() => quotesFileName("quotesUrl", url)).message).toBe(
        `quotesUrl: ${showValue(url)} is not allowed; allowed: ${allowed}`,
      );
    });
  }
});

describe("checkOutputFile: a file, outside what nginx serves", () => {
  for (const file of [
    "/tmp/hook.log",
    "/x",
    "/var/log/post-start",
    "/usr/share/nginx/htmlx",
    "/usr/share/nginx/log",
    "/a/...",
    "/a/.b",
    "/a/b..",
    "/ä",
  ]) {
    it(`accepts ${file}`, () => {
      expect(checkOutputFile("hookOutputFile", file)).toBe(file);
    });
  }
  const shape =
    "an absolute path of a file: not '/' nor ending in '/', no '.' or '..' or empty segments, no whitespace or control characters";
  const served = "a path outside /usr/share/nginx/html: nginx serves that directory to anyone who asks";
  const bad: [string, string][] = [
    ["", shape],
    ["log.txt", shape],
    ["tmp/hook.log", shape],
    ["/", shape],
    ["/tmp/", shape],
    ["//tmp/x", shape],
    ["/tmp//x", shape],
    ["/tmp/.", shape],
    ["/tmp/..", shape],
    ["/tmp/../etc/x", shape],
    ["/./x", shape],
    ["/tmp/a b", shape],
    ["/tmp/a\tb", shape],
    ["/tmp/a\nb", shape],
    ["/tmp/a\u0000b", shape],
    ["/tmp/a\u007fb", shape],
    ["/tmp/a\u0085b", shape],
    ["/tmp/a\u00a0b", shape],
    ["/usr/share/nginx/html", served],
    ["/usr/share/nginx/html/quote", served],
    ["/usr/share/nginx/html/logs/hook.log", served],
  ];
  for (const [file, allowed] of bad) {
    it(`refuses ${JSON.stringify(file)}`, () => {
      expect(refusal(() => checkOutputFile("hookOutputFile", file)).message).toBe(
        `hookOutputFile: ${showValue(file)} is not allowed; allowed: ${allowed}`,
      );
    });
  }
});

describe("checkClusterIP: never a Service's ClusterIP, whatever the cluster", () => {
  const ok = [
    "10.96.100.100",
    "10.96.0.10",
    "1.0.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "223.255.255.255",
    "240.0.0.0",
    "255.255.255.254",
    "192.168.0.1",
  ];
  for (const ip of ok) {
    it(`accepts ${ip}`, () => {
      expect(checkClusterIP("receiver.clusterIP", ip)).toBe(ip);
    });
  }
  const never: [string, string][] = [
    ["0.0.0.0", "0.0.0.0/8 ('this network')"],
    ["0.255.255.255", "0.0.0.0/8 ('this network')"],
    ["127.0.0.0", "127.0.0.0/8 (loopback)"],
    ["127.0.0.1", "127.0.0.0/8 (loopback)"],
    ["127.255.255.255", "127.0.0.0/8 (loopback)"],
    ["169.254.0.0", "169.254.0.0/16 (link-local)"],
    ["169.254.169.254", "169.254.0.0/16 (link-local)"],
    ["169.254.255.255", "169.254.0.0/16 (link-local)"],
    ["224.0.0.0", "224.0.0.0/4 (multicast)"],
    ["239.255.255.255", "224.0.0.0/4 (multicast)"],
    ["255.255.255.255", "255.255.255.255/32 (broadcast)"],
  ];
  for (const [ip, range] of never) {
    it(`refuses ${ip}: ${range}`, () => {
      expect(refusal(() => checkClusterIP("receiver.clusterIP", ip)).message).toBe(
        `receiver.clusterIP: "${ip}" is not allowed; allowed: an IPv4 address from the cluster's service range: ${range} is never a Service's ClusterIP`,
      );
    });
  }
  for (const ip of [
    "10.96.300.1",
    "10.96.0",
    "10.96.0.1.2",
    "010.96.0.1",
    "10.96.0.1 ",
    " 10.96.0.1",
    "x10.96.0.1",
    "10.96.0.1x",
    "my-ip",
    "",
    "::1",
    "256.0.0.1",
    "10.96.0.-1",
  ]) {
    it(`refuses ${JSON.stringify(ip)}: not an IPv4 address`, () => {
      expect(refusal(() => checkClusterIP("receiver.clusterIP", ip)).message).toBe(
        `receiver.clusterIP: ${JSON.stringify(ip)} is not allowed; allowed: an IPv4 address from the cluster's service range, e.g. 10.96.100.100`,
      );
    });
  }
  it("accepts every octet value 0 to 255 in the last place, refuses 256", () => {
    for (let n = 0; n <= 255; n++) expect(checkClusterIP("ip", `10.0.0.${n}`)).toBe(`10.0.0.${n}`);
    expect(() => checkClusterIP("ip", "10.0.0.256")).toThrow(ArgumentError);
  });
});
