// The program's own Kubernetes client: kubeconfig files read as kubectl reads them, and requests
// and watches against a real HTTP server on loopback standing in for the API server.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "../../cluster/kube";

const dir = mkdtempSync(path.join(os.tmpdir(), "kube-test-"));
let server: http.Server;
let url: string;
let handle: (req: http.IncomingMessage, res: http.ServerResponse) => void;

beforeAll(async () => {
  server = http.createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const savedKubeconfig = process.env.KUBECONFIG;
afterEach(() => {
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
});

/** Writes a kubeconfig file; its path. */
function kubeconfig(name: string, doc: Record<string, unknown>): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(doc)); // JSON is YAML
  return file;
}

function oneContext(user: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    "current-context": "here",
    contexts: [{ name: "here", context: { cluster: "c", user: "u", ...extra } }],
    clusters: [{ name: "c", cluster: { server: url } }],
    users: [{ name: "u", user }],
  };
}

/** What the server saw of one GET through a client of `doc`. */
async function seenAuthorization(doc: Record<string, unknown>): Promise<string | undefined> {
  process.env.KUBECONFIG = kubeconfig(`auth-${Math.random()}.yaml`, doc);
  let seen: string | undefined;
  handle = (req, res) => {
    seen = req.headers.authorization;
    res.end("{}");
  };
  await KubeClient.connect(undefined).get("/api/v1/namespaces/default");
  return seen;
}

describe("kubeconfig", () => {
  it("merges $KUBECONFIG's files as kubectl does: the first file to name a context, cluster or user wins", () => {
    const first = kubeconfig("merge/first.yaml", {
      contexts: [{ name: "lab", context: { cluster: "one", user: "me", namespace: "book" } }],
      clusters: [{ name: "one", cluster: { server: url } }],
    });
    const second = kubeconfig("merge/second.yaml", {
      "current-context": "lab",
      contexts: [
        { name: "lab", context: { cluster: "two", user: "me" } },
        { name: "other", context: { cluster: "two", user: "me" } },
      ],
      clusters: [{ name: "two", cluster: { server: "https://192.0.2.1" } }],
      users: [{ name: "me", user: { token: "t" } }],
    });
    process.env.KUBECONFIG = [first, path.join(dir, "missing.yaml"), second].join(path.delimiter);
    const client = KubeClient.connect(undefined);
    expect(client.context).toBe("lab");
    expect(client.defaultNamespace).toBe("book");
  });

  it("names the missing context and the contexts there are", () => {
    process.env.KUBECONFIG = kubeconfig("contexts.yaml", oneContext({}));
    expect(() => KubeClient.connect("kind-kind")).toThrow(/the kubeconfig context "kind-kind" is not in \$KUBECONFIG \(.*contexts\.yaml\); its contexts: here$/);
  });

  it("says when there are no contexts at all", () => {
    process.env.KUBECONFIG = path.join(dir, "nothing-here.yaml");
    expect(() => KubeClient.connect(undefined)).toThrow(/it has no contexts/);
  });

  it("refuses a user it cannot authenticate as, naming what it uses", () => {
    process.env.KUBECONFIG = kubeconfig("gcp.yaml", oneContext({ "auth-provider": { name: "gcp" } }));
    expect(() => KubeClient.connect("here")).toThrow(/"here" uses its user's auth-provider gcp, which this program does not support/);
  });

  it("sends a token, a token file relative to the kubeconfig, a password, or what an exec plugin prints", async () => {
    expect(await seenAuthorization(oneContext({ token: "abc" }))).toBe("Bearer abc");
    writeFileSync(path.join(dir, "token.txt"), "from-file\n");
    expect(await seenAuthorization(oneContext({ tokenFile: "token.txt" }))).toBe("Bearer from-file");
    expect(await seenAuthorization(oneContext({ username: "u", password: "p" }))).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
    const plugin = path.join(dir, "plugin.sh");
    writeFileSync(plugin, '#!/bin/sh\necho "{\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"$TOKEN_FROM_ENV\\"}}"\n');
    chmodSync(plugin, 0o755);
    const exec = { command: plugin, env: [{ name: "TOKEN_FROM_ENV", value: "exec-token" }] };
    expect(await seenAuthorization(oneContext({ exec }))).toBe("Bearer exec-token");
    expect(await seenAuthorization(oneContext({}))).toBeUndefined();
  });
});

describe("requests", () => {
  it("answers 404 as absent and any other failure with the server's message", async () => {
    process.env.KUBECONFIG = kubeconfig("requests.yaml", oneContext({}));
    const client = KubeClient.connect(undefined);
    handle = (req, res) => {
      res.statusCode = req.url!.includes("missing") ? 404 : 403;
      res.end(JSON.stringify({ kind: "Status", message: "pods is forbidden: User cannot get" }));
    };
    expect(await client.get("/api/v1/namespaces/default/pods/missing")).toBeUndefined();
    await expect(client.get("/api/v1/namespaces/default/pods/secret")).rejects.toThrow("GET /api/v1/namespaces/default/pods/secret: pods is forbidden: User cannot get");
  });

  it("sends a body with its length, a DELETE's too (Node would send it unframed, and the server would read none)", async () => {
    process.env.KUBECONFIG = kubeconfig("delete.yaml", oneContext({}));
    let received = "";
    handle = (req, res) => {
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (received += chunk));
      req.on("end", () => res.end("{}"));
    };
    const answer = await KubeClient.connect(undefined).request("DELETE", "/api/v1/namespaces/default/pods/p", { gracePeriodSeconds: 0 });
    expect(answer.status).toBe(200);
    expect(JSON.parse(received)).toEqual({ gracePeriodSeconds: 0 });
  });

  it("names the context and server when nothing answers", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const doc = oneContext({});
    doc.clusters[0].cluster.server = `http://127.0.0.1:${port}`;
    process.env.KUBECONFIG = kubeconfig("closed.yaml", doc);
    await expect(KubeClient.connect(undefined).get("/api")).rejects.toThrow(`cannot reach the cluster of context "here" at http://127.0.0.1:${port}: connect ECONNREFUSED`);
  });
});

describe("watch", () => {
  it("reports each event of the stream, across chunks split mid-line, until stopped", async () => {
    process.env.KUBECONFIG = kubeconfig("watch.yaml", oneContext({}));
    const client = KubeClient.connect(undefined);
    let query = "";
    handle = (req, res) => {
      query = req.url!;
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODI');
      setTimeout(() => res.write('FIED","object":{"metadata":{"name":"a"}}}\n{"type":"ERROR","object":{"code":410}}\n'), 20);
    };
    const seen: string[] = [];
    const errors: Error[] = [];
    await new Promise<void>((resolve) => {
      const stop = client.watch("/api/v1/namespaces/default/pods", { labelSelector: "app=x" }, (type, object) => {
        seen.push(`${type} ${object.metadata.name}`);
        if (seen.length === 2) {
          stop();
          resolve();
        }
      }, (e) => errors.push(e));
    });
    expect(seen).toEqual(["ADDED a", "MODIFIED a"]);
    // resourceVersion 0: from the server's cache as it is, without waiting for it to confirm it caught up with etcd
    expect(query).toBe("/api/v1/namespaces/default/pods?resourceVersion=0&labelSelector=app%3Dx&watch=true");
    expect(errors).toEqual([]);
  });

  it("reports a refused watch and opens it again", async () => {
    process.env.KUBECONFIG = kubeconfig("watch-refused.yaml", oneContext({}));
    const client = KubeClient.connect(undefined);
    let calls = 0;
    handle = (_req, res) => {
      calls++;
      if (calls === 1) {
        res.statusCode = 403;
        res.end(JSON.stringify({ message: "watch is forbidden" }));
      } else res.end('{"type":"ADDED","object":{"metadata":{"name":"b"}}}\n');
    };
    const errors: string[] = [];
    const name = await new Promise<string>((resolve) => {
      const stop = client.watch("/api/v1/pods", {}, (_type, object) => {
        stop();
        resolve(object.metadata.name);
      }, (e) => errors.push(e.message));
    });
    expect(name).toBe("b");
    expect(errors).toEqual(["watch /api/v1/pods: watch is forbidden"]);
  });
});
