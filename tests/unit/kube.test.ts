// The program's own Kubernetes client: kubeconfig files read as kubectl reads them (and refused by
// name where kubectl refuses them), credentials only where kubectl sends them, and requests and
// watches with bounds, against real HTTP and TLS servers on loopback standing in for the API server.
// Exec plugins (scripts this client runs) are tested in tests/tools/cluster-client.test.ts.
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  cutEscaped,
  DEFAULT_LIMITS,
  KubeClient,
  type Limits,
  maskCredentials,
  statusMessage,
} from "../../cluster/kube.ts";
import {
  kubeconfig,
  type Loopback,
  loopback,
  oneContext,
  pem,
  restoreKubeconfig,
  tempDir,
  tlsFile,
  useKubeconfig,
} from "../kube-server.ts";

const dir = tempDir();
let plain: Loopback;
let tls: Loopback;
let mtls: Loopback;

beforeAll(async () => {
  plain = await loopback("http");
  tls = await loopback("https");
  mtls = await loopback("https", { requestCert: true, rejectUnauthorized: true, ca: pem("ca.crt") });
});
afterAll(async () => {
  await Promise.all([plain.close(), tls.close(), mtls.close()]);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  restoreKubeconfig();
  for (const s of [plain, tls, mtls]) {
    s.seen.length = 0;
    s.handle = (_req, res) => res.end("{}");
  }
});

let files = 0;
/** A client of `doc`, written as a fresh kubeconfig file. */
function clientOf(doc: Record<string, unknown> | string, limits: Partial<Limits> = {}, context?: string): KubeClient {
  useKubeconfig(kubeconfig(dir, `config-${++files}.yaml`, doc));
  return KubeClient.connect(context, limits);
}
/** The error connecting to `doc` throws. */
function refusal(doc: Record<string, unknown> | string): string {
  try {
    clientOf(doc);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("connected");
}
const CA = { "certificate-authority": tlsFile("ca.crt") };

/** The headers the server saw of one GET through `client`. */
async function headersSeen(client: KubeClient, server: Loopback): Promise<http.IncomingHttpHeaders> {
  await client.get("/api/v1/namespaces/default");
  return server.seen.at(-1)!.headers;
}

describe("kubeconfig files", () => {
  it("merges $KUBECONFIG's files as kubectl does: the first file to name a context, cluster or user wins; a missing file is skipped", () => {
    const first = kubeconfig(dir, "merge/first.yaml", {
      contexts: [{ name: "lab", context: { cluster: "one", user: "me", namespace: "book" } }],
      clusters: [{ name: "one", cluster: { server: tls.url, ...CA } }],
    });
    const second = kubeconfig(dir, "merge/second.yaml", {
      "current-context": "lab",
      contexts: [
        { name: "lab", context: { cluster: "two", user: "me" } },
        { name: "other", context: { cluster: "two", user: "me" } },
      ],
      clusters: [{ name: "two", cluster: { server: "https://192.0.2.1" } }],
      users: [{ name: "me", user: { token: "t" } }],
    });
    useKubeconfig([first, path.join(dir, "missing.yaml"), second].join(path.delimiter));
    const client = KubeClient.connect(undefined);
    expect(client.context).toBe("lab");
    expect(client.defaultNamespace).toBe("book");
    expect(client.server).toBe(tls.url);
  });

  it("takes the context asked for over the current one, and `default` when it names no namespace", () => {
    const doc = oneContext(tls.url, {}, CA);
    doc.contexts.push({ name: "there", context: { cluster: "c", user: "u", namespace: "ns" } as any });
    expect(clientOf(doc, {}, "there").defaultNamespace).toBe("ns");
    expect(clientOf(doc).defaultNamespace).toBe("default");
  });

  it("names the missing context and the contexts there are", () => {
    expect(() => clientOf(oneContext(tls.url, {}), {}, "kind-kind")).toThrow(
      /^the kubeconfig context "kind-kind" is not in \$KUBECONFIG \(.*config-\d+\.yaml\); its contexts: here$/,
    );
  });

  it("says when there are no contexts at all, or no current one", () => {
    useKubeconfig(path.join(dir, "nothing-here.yaml"));
    expect(() => KubeClient.connect(undefined)).toThrow(
      /^the kubeconfig context "" is not in .*; it has no contexts \(is the cluster created\? e\.g\. kind create cluster\)$/,
    );
    const { "current-context": _, ...noCurrent } = oneContext(tls.url, {});
    expect(() => clientOf(noCurrent)).toThrow(/^the kubeconfig context "" is not in .*; its contexts: here$/);
  });

  it("reads ~/.kube/config when $KUBECONFIG is unset", () => {
    delete process.env.KUBECONFIG;
    const home = process.env.HOME;
    process.env.HOME = path.join(dir, "home");
    try {
      kubeconfig(dir, "home/.kube/config", oneContext(tls.url, {}, CA));
      expect(KubeClient.connect(undefined).context).toBe("here");
      expect(() => KubeClient.connect("nope")).toThrow(
        'the kubeconfig context "nope" is not in ~/.kube/config; its contexts: here',
      );
    } finally {
      process.env.HOME = home;
    }
  });

  it("refuses a $KUBECONFIG entry that is a directory, naming it", () => {
    const folder = path.join(dir, "a-folder");
    mkdirSync(folder, { recursive: true });
    useKubeconfig(folder);
    expect(() => KubeClient.connect(undefined)).toThrow(
      `the kubeconfig file ${folder} cannot be read: it is a directory`,
    );
  });

  it("names an entry it cannot read for another reason, with the system's message", () => {
    const file = kubeconfig(dir, "a-file.yaml", oneContext(tls.url, {}));
    useKubeconfig(`${file}/inside`);
    expect(() => KubeClient.connect(undefined)).toThrow(
      `the kubeconfig file ${file}/inside cannot be read: ENOTDIR: not a directory, open '${file}/inside'`,
    );
  });

  it("reads a file of comments as empty, skips entries without a name, and takes the first of a name within one file too", () => {
    const empty = kubeconfig(dir, "comments.yaml", "# nothing yet\n");
    const doc = {
      "current-context": "here",
      contexts: [
        null,
        { context: { cluster: "c" } },
        { name: "here", context: { cluster: "c" } },
        { name: "there", context: { cluster: "c" } },
      ],
      clusters: [
        { name: "c", cluster: { server: tls.url, ...CA } },
        { name: "c", cluster: { server: "https://192.0.2.9" } },
      ],
      users: { not: "a list" },
    };
    useKubeconfig([empty, kubeconfig(dir, "names.yaml", doc)].join(path.delimiter));
    expect(KubeClient.connect(undefined).server).toBe(tls.url);
    expect(() => KubeClient.connect("nope")).toThrow(/; its contexts: here, there$/);
  });

  it("names the file of a YAML error, and of a document that is not a map", () => {
    expect(refusal("clusters: [\n  - name: a\n  bad")).toMatch(
      /^the kubeconfig file .*config-\d+\.yaml is not valid YAML: /,
    );
    expect(refusal("- a list")).toMatch(
      /^the kubeconfig file .*config-\d+\.yaml is not a map of clusters, contexts and users$/,
    );
    expect(refusal("42")).toMatch(/is not a map/);
    expect(refusal("")).toMatch(/it has no contexts/);
  });

  it("names the context's cluster or user when the files do not define it", () => {
    expect(refusal(oneContext(tls.url, {}, {}, { cluster: "gone" }))).toMatch(
      /config-\d+\.yaml: the context "here" names cluster "gone", which \$KUBECONFIG .* does not define with a server$/,
    );
    expect(refusal(oneContext(tls.url, {}, {}, { user: "nobody" }))).toMatch(
      /config-\d+\.yaml: the context "here" names user "nobody", which \$KUBECONFIG .* does not define$/,
    );
    const { users: _, ...noUsers } = oneContext(tls.url, {}, CA, { user: undefined });
    expect(clientOf(noUsers).context).toBe("here"); // a context with no user is anonymous
  });

  it("names a certificate file it cannot read, relative to the kubeconfig's directory", () => {
    expect(refusal(oneContext(tls.url, {}, { "certificate-authority": "no-such-ca.crt" }))).toMatch(
      new RegExp(`config-\\d+\\.yaml: the certificate-authority ${dir}/no-such-ca\\.crt of "c" cannot be read: ENOENT`),
    );
  });
});

describe("fields kubectl refuses, or this client does not support, refused by name", () => {
  const refused: [string, Record<string, unknown>, Record<string, unknown>, RegExp][] = [
    [
      "a CA file and CA data",
      {},
      { ...CA, "certificate-authority-data": "AAAA" },
      /the cluster "c" has both certificate-authority and certificate-authority-data: keep one/,
    ],
    [
      "insecure-skip-tls-verify with a CA",
      {},
      { ...CA, "insecure-skip-tls-verify": true },
      /the cluster "c" has insecure-skip-tls-verify together with a certificate authority: keep one/,
    ],
    [
      "insecure-skip-tls-verify with CA data",
      {},
      { "certificate-authority-data": "AAAA", "insecure-skip-tls-verify": true },
      /insecure-skip-tls-verify together with a certificate authority/,
    ],
    [
      "a proxy",
      {},
      { "proxy-url": "http://127.0.0.1:3128" },
      /the cluster "c" uses a proxy-url, which this program does not support/,
    ],
    [
      "a server that is no URL",
      {},
      { server: "not a url" },
      /the cluster "c" has server "not a url": use an https:\/\/ \(or http:\/\/\) URL/,
    ],
    ["a server of another scheme", {}, { server: "ftp://127.0.0.1" }, /has server "ftp:\/\/127\.0\.0\.1"/],
    [
      "a server of a scheme that starts like https",
      {},
      { server: "https-x://127.0.0.1" },
      /has server "https-x:\/\/127\.0\.0\.1"/,
    ],
    [
      "a server of a scheme that ends like http",
      {},
      { server: "xhttp://127.0.0.1" },
      /has server "xhttp:\/\/127\.0\.0\.1"/,
    ],
    [
      "a certificate file and data",
      { "client-certificate": "a", "client-certificate-data": "AAAA", "client-key-data": "AAAA" },
      {},
      /the user "u" has both client-certificate and client-certificate-data: keep one/,
    ],
    [
      "a key file and data",
      { "client-certificate-data": "AAAA", "client-key": "a", "client-key-data": "AAAA" },
      {},
      /the user "u" has both client-key and client-key-data: keep one/,
    ],
    [
      "a certificate without its key",
      { "client-certificate-data": "AAAA" },
      {},
      /the user "u" has a client certificate without its key: give both/,
    ],
    [
      "a key without its certificate",
      { "client-key": "k" },
      {},
      /the user "u" has a client key without its certificate: give both/,
    ],
    [
      "a token and a password",
      { token: "t", username: "a", password: "p" },
      {},
      /the user "u" has more than one way to authenticate \(a token, a username and password\): keep one/,
    ],
    [
      "a token file and an exec plugin",
      { tokenFile: "t", exec: { command: "x", apiVersion: "client.authentication.k8s.io/v1beta1" } },
      {},
      /\(a token, an exec plugin\)/,
    ],
    [
      "a password and an auth-provider",
      { password: "p", "auth-provider": { name: "oidc" } },
      {},
      /\(a username and password, an auth-provider\)/,
    ],
    [
      "an auth-provider",
      { "auth-provider": { name: "gcp" } },
      {},
      /the user "u" uses the auth-provider "gcp", which this program does not support: use certificates, a token or an exec plugin/,
    ],
    [
      "impersonated groups without a user",
      { "as-groups": ["g"] },
      {},
      /the user "u" impersonates a uid, groups or extra fields without a user: add as: <user>/,
    ],
    [
      "an impersonated uid without a user",
      { "as-uid": "1" },
      {},
      /impersonates a uid, groups or extra fields without a user/,
    ],
    [
      "impersonated extra fields without a user",
      { "as-user-extra": { scopes: ["a"] } },
      {},
      /impersonates a uid, groups or extra fields without a user/,
    ],
    [
      "an exec plugin without a command",
      { exec: { apiVersion: "client.authentication.k8s.io/v1beta1" } },
      {},
      /the user "u"'s exec plugin has no command/,
    ],
    [
      "an exec plugin without apiVersion",
      { exec: { command: "x" } },
      {},
      /the user "u"'s exec plugin has apiVersion undefined: use client\.authentication\.k8s\.io\/v1 or client\.authentication\.k8s\.io\/v1beta1/,
    ],
    [
      "an exec plugin of v1alpha1",
      { exec: { command: "x", apiVersion: "client.authentication.k8s.io/v1alpha1" } },
      {},
      /has apiVersion "client\.authentication\.k8s\.io\/v1alpha1"/,
    ],
    [
      "a v1 exec plugin without interactiveMode",
      { exec: { command: "x", apiVersion: "client.authentication.k8s.io/v1" } },
      {},
      /exec plugin has no interactiveMode, which apiVersion client\.authentication\.k8s\.io\/v1 requires: use IfAvailable or Never/,
    ],
    [
      "an exec plugin that needs a terminal",
      { exec: { command: "x", apiVersion: "client.authentication.k8s.io/v1", interactiveMode: "Always" } },
      {},
      /asks for interactiveMode Always: this program runs plugins without a terminal/,
    ],
  ];
  it.each(refused)("%s", (_what, user, cluster, message) => {
    const text = refusal(oneContext(tls.url, user, cluster));
    expect(text).toMatch(message);
    expect(text).toMatch(/^\S*config-\d+\.yaml: /); // the file it is in
  });

  it("accepts each of the fields above alone", () => {
    const ok: [Record<string, unknown>, Record<string, unknown>][] = [
      [{}, CA],
      [{}, { "certificate-authority-data": pem("ca.crt").toString("base64") }],
      [{}, { "insecure-skip-tls-verify": true }],
      [{ "client-certificate": tlsFile("client.crt"), "client-key": tlsFile("client.key") }, CA],
      [{ "client-certificate-data": "AAAA", "client-key-data": "AAAA" }, CA],
      [{ token: "t", as: "someone", "as-groups": ["g"], "as-uid": "1" }, CA],
      [{ exec: { command: "x", apiVersion: "client.authentication.k8s.io/v1", interactiveMode: "IfAvailable" } }, CA],
      [{ exec: { command: "x", apiVersion: "client.authentication.k8s.io/v1beta1" } }, CA],
    ];
    for (const [user, cluster] of ok) expect(clientOf(oneContext(tls.url, user, cluster)).context).toBe("here");
  });
});

describe("credentials over plain http", () => {
  const credentials: [string, Record<string, unknown>][] = [
    ["a token", { token: "secret" }],
    ["a token file", { tokenFile: (writeFileSync(path.join(dir, "http-token.txt"), "t\n"), "http-token.txt") }],
    ["a password", { username: "u", password: "p" }],
    ["a client certificate", { "client-certificate": tlsFile("client.crt"), "client-key": tlsFile("client.key") }],
    ["an exec plugin", { exec: { command: "x", apiVersion: "client.authentication.k8s.io/v1beta1" } }],
  ];
  it.each(credentials)("are refused for %s, unless the cluster is marked insecure", async (_what, user) => {
    expect(refusal(oneContext(plain.url, user))).toMatch(
      new RegExp(
        `the user "u" has credentials and the cluster "c" is served over plain http \\(${plain.url}\\): they would travel in clear; use https, or mark the cluster insecure-skip-tls-verify: true to send them anyway$`,
      ),
    );
    expect(clientOf(oneContext(plain.url, user, { "insecure-skip-tls-verify": true })).server).toBe(plain.url);
  });

  it("are sent when the cluster is marked insecure, and a user without credentials talks plain http", async () => {
    expect(
      (
        await headersSeen(
          clientOf(oneContext(plain.url, { token: "abc" }, { "insecure-skip-tls-verify": true })),
          plain,
        )
      ).authorization,
    ).toBe("Bearer abc");
    expect((await headersSeen(clientOf(oneContext(plain.url, {})), plain)).authorization).toBeUndefined();
  });
});

describe("credentials in the server's URL", () => {
  it("are refused over plain http, even for a cluster marked insecure, naming the field, the password masked", () => {
    const server = plain.url.replace("http://", "http://admin:s3cret@");
    for (const cluster of [{}, { "insecure-skip-tls-verify": true }]) {
      expect(refusal(oneContext(server, {}, cluster))).toMatch(
        new RegExp(
          String.raw`config-\d+\.yaml: the cluster "c" has a user and password in its server ` +
            String.raw`\(http://admin:\*\*\*@127\.0\.0\.1:\d+\), which is plain http: ` +
            "they would travel in clear; use https$",
        ),
      );
    }
    expect(refusal(oneContext(plain.url.replace("http://", "http://token@"), {}))).toMatch(
      /has a user and password in its server \(http:\/\/\*\*\*@127/,
    );
    expect(refusal(oneContext("ftp://admin:s3cret@127.0.0.1", {}))).toMatch(
      /the cluster "c" has server "ftp:\/\/admin:\*\*\*@127\.0\.0\.1": use an https/,
    );
  });

  it("are sent over TLS as kubectl sends them, and masked in every error", async () => {
    const server = tls.url.replace("https://", "https://admin:s3cret@");
    expect((await headersSeen(clientOf(oneContext(server, {}, CA)), tls)).authorization).toBe(
      `Basic ${Buffer.from("admin:s3cret").toString("base64")}`,
    );
    tls.handle = () => {};
    const slow = clientOf(oneContext(server, {}, CA), { requestMs: 100 });
    await expect(slow.get("/slow")).rejects.toThrow(
      `GET /slow: no whole answer from ${tls.url.replace("https://", "https://admin:***@")} in 0.1 s`,
    );
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(clientOf(oneContext(`https://admin:s3cret@127.0.0.1:${port}`, {}, CA)).get("/x")).rejects.toThrow(
      `cannot reach the cluster of context "here" at https://admin:***@127.0.0.1:${port}: connect ECONNREFUSED`,
    );
  });
});

describe("TLS", () => {
  it("verifies the server against the kubeconfig's CA (a file relative to the kubeconfig, or data)", async () => {
    writeFileSync(path.join(dir, "ca-here.crt"), pem("ca.crt"));
    await expect(
      clientOf(oneContext(tls.url, {}, { "certificate-authority": "ca-here.crt" })).get("/api"),
    ).resolves.toEqual({});
    await expect(
      clientOf(oneContext(tls.url, {}, { "certificate-authority-data": pem("ca.crt").toString("base64") })).get("/api"),
    ).resolves.toEqual({});
  });

  it("refuses a server its CA did not sign, unless the cluster is marked insecure", async () => {
    await expect(
      clientOf(oneContext(tls.url, {}, { "certificate-authority": tlsFile("other-ca.crt") })).get("/api"),
    ).rejects.toThrow(
      `cannot reach the cluster of context "here" at ${tls.url}: unable to verify the first certificate`,
    );
    await expect(clientOf(oneContext(tls.url, {}, { "insecure-skip-tls-verify": true })).get("/api")).resolves.toEqual(
      {},
    );
  });

  it("checks the server's name as tls-server-name says", async () => {
    const wrong = oneContext(tls.url.replace("127.0.0.1", "localhost"), {}, CA);
    await expect(clientOf(wrong).get("/api")).rejects.toThrow(/Hostname\/IP does not match certificate's altnames/);
    await expect(
      clientOf(
        oneContext(tls.url.replace("127.0.0.1", "localhost"), {}, { ...CA, "tls-server-name": "api.lab.test" }),
      ).get("/api"),
    ).resolves.toEqual({});
  });

  it("presents the user's client certificate (files or data)", async () => {
    let subject = "";
    mtls.handle = (req, res) => {
      subject = String((req.socket as TLSSocket).getPeerCertificate().subject.CN);
      res.end("{}");
    };
    await clientOf(
      oneContext(mtls.url, { "client-certificate": tlsFile("client.crt"), "client-key": tlsFile("client.key") }, CA),
    ).get("/api");
    expect(subject).toBe("client");
    subject = "";
    const data = {
      "client-certificate-data": pem("client.crt").toString("base64"),
      "client-key-data": pem("client.key").toString("base64"),
    };
    await clientOf(oneContext(mtls.url, data, CA)).get("/api");
    expect(subject).toBe("client");
    await expect(clientOf(oneContext(mtls.url, {}, CA)).get("/api")).rejects.toThrow(
      /cannot reach the cluster of context "here"/,
    );
  });
});

describe("credentials", () => {
  it("sends a token, a password, or none", async () => {
    expect((await headersSeen(clientOf(oneContext(tls.url, { token: "abc" }, CA)), tls)).authorization).toBe(
      "Bearer abc",
    );
    expect(
      (await headersSeen(clientOf(oneContext(tls.url, { username: "u", password: "p" }, CA)), tls)).authorization,
    ).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
    expect((await headersSeen(clientOf(oneContext(tls.url, { username: "u" }, CA)), tls)).authorization).toBe(
      `Basic ${Buffer.from("u:").toString("base64")}`,
    );
    expect((await headersSeen(clientOf(oneContext(tls.url, { password: "p" }, CA)), tls)).authorization).toBe(
      `Basic ${Buffer.from(":p").toString("base64")}`,
    );
    expect((await headersSeen(clientOf(oneContext(tls.url, {}, CA)), tls)).authorization).toBeUndefined();
  });

  it("reads a token file relative to the kubeconfig, again once its token is older than a minute (client-go), keeping the old token while the file is unreadable", async () => {
    const file = path.join(dir, "token.txt");
    writeFileSync(file, " first\n");
    const client = clientOf(oneContext(tls.url, { tokenFile: "token.txt", token: "ignored" }, CA), { tokenFileMs: 0 });
    expect((await headersSeen(client, tls)).authorization).toBe("Bearer first");
    writeFileSync(file, "second\n");
    expect((await headersSeen(client, tls)).authorization).toBe("Bearer second");
    rmSync(file);
    expect((await headersSeen(client, tls)).authorization).toBe("Bearer second");

    writeFileSync(file, "kept\n");
    const slow = clientOf(oneContext(tls.url, { tokenFile: "token.txt" }, CA));
    writeFileSync(file, "new\n");
    expect((await headersSeen(slow, tls)).authorization).toBe("Bearer kept");
    expect(DEFAULT_LIMITS.tokenFileMs).toBe(60_000);
  });

  it("names a token file it cannot read, or an empty one, when connecting", () => {
    expect(refusal(oneContext(tls.url, { tokenFile: "absent.txt" }, CA))).toMatch(
      new RegExp(`config-\\d+\\.yaml: the tokenFile ${dir}/absent\\.txt of "u" cannot be read: ENOENT`),
    );
    writeFileSync(path.join(dir, "empty.txt"), "\n");
    expect(refusal(oneContext(tls.url, { tokenFile: "empty.txt" }, CA))).toMatch(
      new RegExp(`config-\\d+\\.yaml: the tokenFile ${dir}/empty\\.txt of "u" is empty$`),
    );
  });

  it("refuse a token or an impersonation a header cannot carry (a newline), naming where it came from", () => {
    expect(refusal(oneContext(tls.url, { token: "abc\ndef" }, CA))).toMatch(
      new RegExp(
        String.raw`config-\d+\.yaml: the user "u"'s token has a character an HTTP header cannot carry ` +
          String.raw`\(\\n at character 4\): remove it$`,
      ),
    );
    expect(refusal(oneContext(tls.url, { token: "t", as: "jane\r\nX-Evil: 1" }, CA))).toMatch(
      /the user "u"'s as has a character an HTTP header cannot carry \(\\r at character 5\)/,
    );
    expect(refusal(oneContext(tls.url, { as: "jane", "as-groups": ["ok", "b\x1bad"] }, CA))).toMatch(
      /the user "u"'s as-groups has a character an HTTP header cannot carry \(\\x1b at character 2\)/,
    );
    expect(refusal(oneContext(tls.url, { as: "jane", "as-user-extra": { scope: ["a\tb"] } }, CA))).toMatch(
      /the user "u"'s as-user-extra scope has a character an HTTP header cannot carry \(\\t at character 2\)/,
    );
    writeFileSync(path.join(dir, "token-newline.txt"), "first-line\nsecond-line\n");
    expect(refusal(oneContext(tls.url, { tokenFile: "token-newline.txt" }, CA))).toMatch(
      new RegExp(
        String.raw`config-\d+\.yaml: the tokenFile ${dir}/token-newline\.txt of "u" holds a token with ` +
          String.raw`a character an HTTP header cannot carry \(\\n at character 11\): remove it$`,
      ),
    );
  });

  it("impersonates as kubectl's --as, --as-uid, --as-group and as-user-extra do", async () => {
    const user = {
      token: "t",
      as: "jane",
      "as-uid": "42",
      "as-groups": ["devs", "ops"],
      "as-user-extra": { "reason/why": ["audit"] },
    };
    const headers = await headersSeen(clientOf(oneContext(tls.url, user, CA)), tls);
    expect(headers["impersonate-user"]).toBe("jane");
    expect(headers["impersonate-uid"]).toBe("42");
    expect(tls.seen.at(-1)!.headersDistinct["impersonate-group"]).toEqual(["devs", "ops"]);
    expect(headers["impersonate-extra-reason%2fwhy"]).toBe("audit");
    expect(headers.authorization).toBe("Bearer t");
    const plainUser = await headersSeen(clientOf(oneContext(tls.url, { as: "bob" }, CA)), tls);
    expect(plainUser["impersonate-user"]).toBe("bob");
    expect(Object.keys(plainUser).filter((h) => h.startsWith("impersonate-"))).toEqual(["impersonate-user"]);
    const file = path.join(dir, "token-as.txt");
    writeFileSync(file, "from-file");
    expect(
      (await headersSeen(clientOf(oneContext(tls.url, { tokenFile: file, as: "ann" }, CA)), tls))["impersonate-user"],
    ).toBe("ann");
  });
});

describe("requests", () => {
  it("sends the method, path, JSON body and headers; reads JSON, or text when the answer is not JSON", async () => {
    let body = "";
    tls.handle = (req, res) => {
      req.on("data", (c) => (body += c));
      req.on("end", () => res.end(req.method === "POST" ? '{"created":true}' : "plain text"));
    };
    const client = clientOf(oneContext(tls.url, {}, CA));
    expect(await client.request("POST", "/api/v1/namespaces", { metadata: { name: "x" } })).toEqual({
      status: 200,
      body: { created: true },
    });
    const post = tls.seen.at(-1)!;
    expect([post.method, post.url, post.headers.accept, post.headers["content-type"]]).toEqual([
      "POST",
      "/api/v1/namespaces",
      "application/json",
      "application/json",
    ]);
    expect(JSON.parse(body)).toEqual({ metadata: { name: "x" } });
    expect(await client.request("GET", "/healthz")).toEqual({ status: 200, body: "plain text" });
  });

  it("answers 404 as absent and any other failure with the server's message", async () => {
    tls.handle = (req, res) => {
      res.statusCode = req.url!.includes("missing") ? 404 : 403;
      res.end(JSON.stringify({ kind: "Status", message: "pods is forbidden: User cannot get" }));
    };
    const client = clientOf(oneContext(tls.url, {}, CA));
    expect(await client.get("/api/v1/namespaces/default/pods/missing")).toBeUndefined();
    await expect(client.get("/api/v1/namespaces/default/pods/secret")).rejects.toThrow(
      "GET /api/v1/namespaces/default/pods/secret: pods is forbidden: User cannot get",
    );
    tls.handle = (_req, res) => ((res.statusCode = 300), res.end());
    await expect(client.get("/x")).rejects.toThrow("GET /x: HTTP 300: ");
    tls.handle = (_req, res) => ((res.statusCode = 299), res.end("{}"));
    await expect(client.get("/y")).resolves.toEqual({});
  });

  it("asks once with a token the server refuses (nothing can renew it)", async () => {
    tls.handle = (_req, res) => ((res.statusCode = 401), res.end(JSON.stringify({ message: "Unauthorized" })));
    await expect(clientOf(oneContext(tls.url, { token: "old" }, CA)).request("GET", "/api")).resolves.toEqual({
      status: 401,
      body: { message: "Unauthorized" },
    });
    expect(tls.seen).toHaveLength(1);
  });

  it("sends a body with its length, a DELETE's too (Node would send it unframed, and the server would read none)", async () => {
    let received = "";
    tls.handle = (req, res) => {
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (received += chunk));
      req.on("end", () => res.end("{}"));
    };
    const answer = await clientOf(oneContext(tls.url, {}, CA)).request("DELETE", "/api/v1/namespaces/default/pods/p", {
      gracePeriodSeconds: 0,
    });
    expect(answer.status).toBe(200);
    expect(tls.seen[0]!.headers["content-length"]).toBe(String(received.length));
    expect(JSON.parse(received)).toEqual({ gracePeriodSeconds: 0 });
  });

  it("names the context and server when nothing answers", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(clientOf(oneContext(`http://127.0.0.1:${port}/`, {})).get("/api")).rejects.toThrow(
      `cannot reach the cluster of context "here" at http://127.0.0.1:${port}: connect ECONNREFUSED`,
    );
  });

  it("refuses an answer larger than the limit, with a clear error, and reads one at the limit", async () => {
    tls.handle = (req, res) => res.end(JSON.stringify({ data: "x".repeat(Number(req.url!.slice(1))) }));
    const client = clientOf(oneContext(tls.url, {}, CA), { answerBytes: 100_000 });
    await expect(client.get(`/${100_000 - 11}`)).resolves.toEqual({ data: "x".repeat(100_000 - 11) });
    await expect(client.get(`/${100_000 - 10}`)).rejects.toThrow(
      `GET /${100_000 - 10}: the answer is larger than ${100_000 / 1024 / 1024} MiB (the limit of one answer); stopped reading it`,
    );
    await expect(client.get("/5000000")).rejects.toThrow("the answer is larger than");
    expect(DEFAULT_LIMITS.answerBytes).toBe(64 * 1024 * 1024);
  });

  it("gives up on an answer that is not whole by the deadline, even while bytes keep coming", async () => {
    let trickle: NodeJS.Timeout | undefined;
    tls.handle = (_req, res) => {
      res.write("{");
      trickle = setInterval(() => res.write(" "), 20);
    };
    const client = clientOf(oneContext(tls.url, {}, CA), { requestMs: 150 });
    await expect(client.get("/slow")).rejects.toThrow(`GET /slow: no whole answer from ${tls.url} in 0.15 s`);
    clearInterval(trickle);
    expect(DEFAULT_LIMITS.requestMs).toBe(30_000);
  });

  it("reports a connection that closes before the whole answer", async () => {
    tls.handle = (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("{");
      setTimeout(() => res.socket!.destroy(), 20);
    };
    await expect(clientOf(oneContext(tls.url, {}, CA)).get("/cut")).rejects.toThrow(
      `cannot reach the cluster of context "here" at ${tls.url}: the connection closed before the whole answer`,
    );
  });
});

describe("watch: one stream", () => {
  /** Watches until the stream ends (or `count` events arrived: then stops it); what came, and how it ended. */
  function watchOnce(
    client: KubeClient,
    count = Infinity,
    query: Record<string, string> = {},
  ): Promise<{ opened: boolean; seen: unknown[]; end?: Error & { status?: number } }> {
    const result: { opened: boolean; seen: unknown[]; end?: Error & { status?: number } } = { opened: false, seen: [] };
    return new Promise((resolve) => {
      const stop = client.watch("/api/v1/pods", query, {
        open: () => (result.opened = true),
        event: (e) => {
          result.seen.push(e);
          if (result.seen.length === count) stop(), resolve(result);
        },
        end: (e) => ((result.end = e), resolve(result)),
      });
    });
  }
  const names = (seen: unknown[]) => seen.map((e: any) => (e?.type ? `${e.type} ${e.object?.metadata?.name}` : e));

  it("gives each line of the stream as JSON (text when not JSON), across chunks split mid-line, skipping blank lines", async () => {
    tls.handle = (_req, res) => {
      res.write(
        '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n\n{"type":"BOOKMARK","object":{"metadata":{"name":"bm"}}}\n{"type":"MODI',
      );
      setTimeout(
        () =>
          res.write(
            'FIED","object":{"metadata":{"name":"a"}}}\nnot json\nnull\n{"type":"DELETED","object":{"metadata":{"name":"é"}}}',
          ),
        20,
      );
      setTimeout(() => res.end("\n"), 40);
    };
    const { opened, seen, end } = await watchOnce(clientOf(oneContext(tls.url, { token: "w" }, CA)), Infinity, {
      labelSelector: "app=x",
    });
    expect([opened, names(seen), end]).toEqual([
      true,
      ["ADDED a", "BOOKMARK bm", "MODIFIED a", "not json", null, "DELETED é"],
      undefined, // the server ended it: no error
    ]);
    expect(tls.seen[0]!.method).toBe("GET");
    expect(tls.seen[0]!.url).toBe("/api/v1/pods?labelSelector=app%3Dx&watch=true");
    expect(tls.seen[0]!.headers.authorization).toBe("Bearer w");
  });

  it("ends a refused watch with the server's message and status", async () => {
    tls.handle = (_req, res) => {
      res.statusCode = 410;
      res.end(JSON.stringify({ message: "too old resource version" }));
    };
    const { opened, end } = await watchOnce(clientOf(oneContext(tls.url, {}, CA)));
    expect([opened, end?.message, end?.status]).toEqual([false, "watch /api/v1/pods: too old resource version", 410]);
  });

  it("ends at an event line longer than the limit, with a clear error", async () => {
    tls.handle = (_req, res) => {
      res.write(`{"type":"ADDED","object":{"metadata":{"name":"${"x".repeat(600)}"}}}\n`);
      res.write("y".repeat(500));
      setTimeout(() => res.write("y".repeat(600)), 10);
    };
    const { seen, end } = await watchOnce(clientOf(oneContext(tls.url, {}, CA), { watchLineBytes: 1000 }));
    expect(names(seen)).toEqual([`ADDED ${"x".repeat(600)}`]);
    expect(end?.message).toBe(
      `watch /api/v1/pods: an event is longer than ${1000 / 1024 / 1024} MiB (the limit of one watch line)`,
    );
  });

  it("takes a line of exactly the limit, after another line of its chunk or split across chunks", async () => {
    const event = (name: string, bytes: number) => {
      const text = JSON.stringify({ type: "ADDED", object: { metadata: { name: "" } } });
      return JSON.stringify({ type: "ADDED", object: { metadata: { name: name.padEnd(bytes - text.length, "n") } } });
    };
    const big = event("big", 1000);
    expect(Buffer.byteLength(big)).toBe(1000);
    tls.handle = (_req, res) => {
      res.write(`${event("small", 100)}\n${big}\n${event("small2", 100)}\n${big}`);
      setTimeout(() => res.write("\n"), 20);
    };
    const { seen, end } = await watchOnce(clientOf(oneContext(tls.url, {}, CA), { watchLineBytes: 1000 }), 4);
    expect(names(seen).map((s) => String(s).slice(0, 12))).toEqual([
      "ADDED smalln",
      "ADDED bignnn",
      "ADDED small2",
      "ADDED bignnn",
    ]);
    expect(end).toBeUndefined();
  });

  it("refuses a line over the limit that arrives whole in one chunk", async () => {
    tls.handle = (_req, res) =>
      res.write(`${"z".repeat(2000)}\n{"type":"ADDED","object":{"metadata":{"name":"lost"}}}\n`);
    const { seen, end } = await watchOnce(clientOf(oneContext(tls.url, {}, CA), { watchLineBytes: 1000 }));
    expect(seen).toEqual([]);
    expect(end?.message).toMatch(/an event is longer than/);
  });

  it("refuses a refusal larger than the answer limit", async () => {
    tls.handle = (_req, res) => {
      res.statusCode = 500;
      res.end("e".repeat(5000));
    };
    const { end } = await watchOnce(clientOf(oneContext(tls.url, {}, CA), { answerBytes: 1000 }));
    expect(end?.message).toBe(
      `watch /api/v1/pods: the answer is larger than ${1000 / 1024 / 1024} MiB (the limit of one answer); stopped reading it`,
    );
  });

  it("ends a watch that goes silent: no answer within connectMs, then no byte for idleMs", async () => {
    tls.handle = () => {};
    // The byte at 100 ms comes well inside the 400 ms idle bound, even on a loaded machine.
    const client = clientOf(oneContext(tls.url, {}, CA), { connectMs: 50, idleMs: 400 });
    let started = performance.now();
    const unanswered = await watchOnce(client);
    expect(performance.now() - started).toBeGreaterThanOrEqual(48);
    expect(unanswered.end?.message).toBe("watch /api/v1/pods: the cluster does not answer (no byte in 0.05 s)");
    tls.handle = (_req, res) => {
      res.write('{"type":"ADDED","object":{"metadata":{"name":"h"}}}\n');
      setTimeout(() => res.writable && res.write(" "), 100); // a byte keeps it open
    };
    started = performance.now();
    const silent = await watchOnce(client);
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
    expect([silent.opened, names(silent.seen), silent.end?.message]).toEqual([
      true,
      ["ADDED h"],
      "watch /api/v1/pods: the cluster does not answer (no byte in 0.4 s)",
    ]);
    expect([DEFAULT_LIMITS.connectMs, DEFAULT_LIMITS.idleMs]).toEqual([10_000, 60_000]);
  });

  it("reports an unreachable server", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { end } = await watchOnce(clientOf(oneContext(`http://127.0.0.1:${port}`, {})));
    expect(end?.message).toBe(
      `cannot reach the cluster of context "here" at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it("stops a watch still waiting for its answer, or whose stream is open, reporting nothing", async () => {
    for (const handle of [() => {}, (_req: unknown, res: http.ServerResponse) => res.write("{}\n")]) {
      tls.handle = handle;
      const told: unknown[] = [];
      const stop = clientOf(oneContext(tls.url, {}, CA), { connectMs: 100, idleMs: 100 }).watch(
        "/api/v1/pods",
        {},
        {
          open: () => {},
          event: (e) => told.push(e),
          end: (e) => told.push(e ?? "end"),
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      stop();
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(told.filter((t) => t === "end" || t instanceof Error)).toEqual([]);
    }
  });
});

describe("statusMessage", () => {
  it("is the Status's message, else the start of the answer", () => {
    expect(statusMessage({ status: 409, body: { kind: "Status", message: "already exists" } })).toBe("already exists");
    expect(statusMessage({ status: 500, body: `  ${"e".repeat(400)} ` })).toBe(
      `HTTP 500: ${"e".repeat(300)}... (100 more characters cut)`,
    );
    expect(statusMessage({ status: 500, body: { kind: "Status" } })).toBe('HTTP 500: {"kind":"Status"}');
    expect(statusMessage({ status: 502, body: "" })).toBe("HTTP 502: ");
  });

  it("cuts a huge message to 1 KiB and escapes what a terminal would act on", async () => {
    const message = `\x1b]0;pwned\x07\x1b[2J${"\x1b[31mred\x1b[0m ".repeat(20_000)}`;
    expect(message.length).toBeGreaterThan(200_000);
    const shown = statusMessage({ status: 500, body: { kind: "Status", message } });
    expect(shown).toMatch(/^\\x1b\]0;pwned\\x07\\x1b\[2J\\x1b\[31mred\\x1b\[0m /);
    expect(shown).toMatch(/\.\.\. \(\d+ more characters cut\)$/);
    expect(shown).not.toContain("\x1b");
    expect(Buffer.byteLength(shown)).toBeLessThanOrEqual(1024 + 40);
    tls.handle = (_req, res) => ((res.statusCode = 403), res.end(JSON.stringify({ kind: "Status", message })));
    const error = (await clientOf(oneContext(tls.url, {}, CA))
      .get("/x")
      .catch((e: Error) => e)) as Error;
    expect(error.message).toBe(`GET /x: ${shown}`);
  });
});

describe("messages from the server or a plugin", () => {
  it("escape control and format characters, and are cut to a number of bytes with a note", () => {
    expect(cutEscaped("a\x1b[1mb\nc\r\td\x00\x7f\x9b\u202eé\u2028😀", 100)).toBe(
      "a\\x1b[1mb\\nc\\r\\td\\x00\\x7f\\x9b\\u202eé\\u2028😀",
    );
    expect(cutEscaped("abcdef", 6)).toBe("abcdef");
    expect(cutEscaped("abcdefg", 6)).toBe("abcdef... (1 more characters cut)");
    expect(cutEscaped("ab\x1bc", 4)).toBe("ab... (2 more characters cut)"); // an escape is not split
    expect(cutEscaped("éé", 3)).toBe("é... (1 more characters cut)"); // bytes of UTF-8
  });

  it("mask credentials: a URL's password (as kubectl), a bearer token, an ExecCredential's token, secrets", () => {
    expect(maskCredentials("https://user:s3cret@host:6443/api")).toBe("https://user:***@host:6443/api");
    expect(maskCredentials("at http://a:b@h and https://c:d:e@i")).toBe("at http://a:***@h and https://c:***@i");
    expect(maskCredentials("https://host:6443 and user@example.com")).toBe("https://host:6443 and user@example.com");
    expect(maskCredentials("Authorization: Bearer abc.def-ghi, then")).toBe("Authorization: Bearer ***, then");
    expect(maskCredentials('{"status":{"token":"t\\"x","clientKeyData":"-----BEGIN"}}')).toBe(
      '{"status":{"token":"***","clientKeyData":"***"}}',
    );
    expect(maskCredentials("the token is tok-0123456789.", ["tok-0123456789", "short"])).toBe("the token is ***.");
    expect(maskCredentials("a short one stays", ["short"])).toBe("a short one stays");
  });
});

/**
 * Answers the next WebSocket upgrade as the API server's exec does (channel.k8s.io): `frames` as [channel, text] binary
 * messages, then closes.
 */
function execServer(frames: [number, string][], end = true): void {
  tls.server.once("upgrade", (req: http.IncomingMessage, socket: import("node:stream").Duplex) => {
    tls.seen.push(req);
    const accept = createHash("sha1")
      .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`,
    );
    for (const [channel, text] of frames) {
      // One unmasked binary frame; its length in 1 byte below 126, else in the 2 bytes after a 126.
      const payload = Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
      const length = payload.length < 126 ? [payload.length] : [126, payload.length >> 8, payload.length & 0xff];
      socket.write(Buffer.concat([Buffer.from([0x82, ...length]), payload]));
    }
    if (end) socket.end(Buffer.from([0x88, 0]), () => socket.destroy());
  });
}

describe("exec: a WebSocket of v4.channel.k8s.io", () => {
  it("gives the command's stdout when it succeeds, its stderr when it fails", async () => {
    const client = clientOf(oneContext(tls.url, { token: "t" }, CA));
    execServer([
      [1, "a quote\n"],
      [1, "second line\n"],
      [3, JSON.stringify({ status: "Success" })],
    ]);
    await expect(client.exec("ns", "pod", "box", ["cat", "/quote"])).resolves.toBe("a quote\nsecond line\n");
    execServer([
      [2, "cat: /quote: No such file\n"],
      [2, "or directory\n"],
      [3, JSON.stringify({ status: "Failure", message: "command terminated with non-zero exit code" })],
    ]);
    await expect(client.exec("ns", "pod", "box", ["cat", "/quote"])).rejects.toThrow(
      /^cat: \/quote: No such file\nor directory$/,
    );
    execServer([[3, JSON.stringify({ status: "Failure", message: "command terminated with non-zero exit code" })]]);
    await expect(client.exec("ns", "pod", "box", ["false"])).rejects.toThrow(
      /^command terminated with non-zero exit code$/,
    );
    execServer([[3, JSON.stringify({ status: "Failure" })]]);
    await expect(client.exec("ns", "pod", "box", ["false"])).rejects.toThrow(/^false failed$/);
  });

  it("uses what this client resolved: the server, its CA, the credentials and the impersonation", async () => {
    tls.handle = (_req, res) => {
      res.statusCode = 403;
      res.end(JSON.stringify({ kind: "Status", message: "exec is forbidden" }));
    };
    const client = clientOf(
      oneContext(
        tls.url,
        { token: "exec-token", as: "jane", "as-groups": ["g1", "g2"] },
        { "certificate-authority": `../${path.relative(path.dirname(dir), tlsFile("ca.crt"))}` },
      ),
    );
    await expect(client.exec("ns", "pod", "box", ["cat", "/etc/hostname"])).rejects.toThrow(
      "exec cat in pod: exec is forbidden",
    );
    const req = tls.seen.at(-1)!;
    expect(req.url).toBe(
      "/api/v1/namespaces/ns/pods/pod/exec?container=box&stdout=true&stderr=true&command=cat&command=%2Fetc%2Fhostname",
    );
    expect([req.headers.upgrade, req.headers["sec-websocket-protocol"]]).toEqual(["websocket", "v4.channel.k8s.io"]);
    // A JSON-only Accept gets 406 from a real API server: the answer is a WebSocket.
    expect(req.headers.accept).toBe("*/*");
    expect(req.headers.authorization).toBe("Bearer exec-token");
    expect(req.headers["impersonate-user"]).toBe("jane");
    expect(req.headersDistinct["impersonate-group"]).toEqual(["g1", "g2"]);
  });

  it("presents the client certificate and refuses a server its CA did not sign", async () => {
    let subject = "";
    mtls.handle = (req, res) => {
      subject = String((req.socket as TLSSocket).getPeerCertificate().subject.CN);
      res.statusCode = 403;
      res.end("{}");
    };
    const user = { "client-certificate": tlsFile("client.crt"), "client-key": tlsFile("client.key") };
    await expect(clientOf(oneContext(mtls.url, user, CA)).exec("ns", "p", "c", ["true"])).rejects.toThrow();
    expect(subject).toBe("client");
    const before = tls.seen.length;
    await expect(
      clientOf(oneContext(tls.url, {}, { "certificate-authority": tlsFile("other-ca.crt") })).exec("ns", "p", "c", [
        "true",
      ]),
    ).rejects.toThrow();
    expect(tls.seen.length).toBe(before);
  });

  it("keeps at most execOutputBytes of the output, cut with a note; fails a stream silent past idleMs", async () => {
    const client = clientOf(oneContext(tls.url, {}, CA), { execOutputBytes: 100, idleMs: 100 });
    execServer([
      [1, "a".repeat(60)],
      [1, "b".repeat(60)],
      [1, "c".repeat(60)],
      [3, JSON.stringify({ status: "Success" })],
    ]);
    await expect(client.exec("ns", "pod", "box", ["cat", "/big"])).resolves.toBe(
      `${"a".repeat(60)}${"b".repeat(40)}\n[cut: more than 100 bytes]`,
    );
    execServer([[1, "x".repeat(200)]]); // one frame over the cap (a 2-byte length)
    await expect(client.exec("ns", "pod", "box", ["cat", "/big"])).rejects.toThrow(
      "exec cat in pod: a frame larger than 100 bytes",
    );
    execServer([[1, "started"]], false);
    const started = performance.now();
    await expect(client.exec("ns", "pod", "box", ["sleep", "60"])).rejects.toThrow(
      "exec sleep in pod: no byte in 0.1 s",
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(98);
    execServer([[1, "no status"]]);
    await expect(client.exec("ns", "pod", "box", ["true"])).rejects.toThrow(
      "exec true in pod: the stream ended without a status",
    );
    expect([DEFAULT_LIMITS.execOutputBytes, DEFAULT_LIMITS.idleMs]).toEqual([1024 * 1024, 60_000]);
  });
});
