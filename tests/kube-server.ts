// A real HTTP server on loopback standing in for the API server, and kubeconfig files pointing at
// it, for the tests of the program's own Kubernetes client (tests/unit/kube.test.ts, and
// tests/tools/kube-exec.test.ts for the exec plugin, which runs a process). Call it at a test
// file's top level: it registers its own beforeAll/afterAll/afterEach.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { KubeClient } from "../cluster/kube";

export function kubeServer() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kube-test-"));
  let server: http.Server;
  const api = {
    dir,
    url: "",
    /** What the server does with the next requests. */
    handle: (_req: http.IncomingMessage, res: http.ServerResponse) => void res.end("{}"),

    /** Writes a kubeconfig file under the test's directory; its path. */
    kubeconfig(name: string, doc: Record<string, unknown>): string {
      const file = path.join(dir, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(doc)); // JSON is YAML
      return file;
    },

    /** A kubeconfig of one context, "here", whose cluster is this server. */
    oneContext(user: Record<string, unknown>, extra: Record<string, unknown> = {}) {
      return {
        "current-context": "here",
        contexts: [{ name: "here", context: { cluster: "c", user: "u", ...extra } }],
        clusters: [{ name: "c", cluster: { server: api.url } }],
        users: [{ name: "u", user }],
      };
    },

    /** What the server saw of one GET through a client of `doc`. */
    async seenAuthorization(doc: Record<string, unknown>): Promise<string | undefined> {
      process.env.KUBECONFIG = api.kubeconfig(`auth-${Math.random()}.yaml`, doc);
      let seen: string | undefined;
      api.handle = (req, res) => {
        seen = req.headers.authorization;
        res.end("{}");
      };
      await KubeClient.connect(undefined).get("/api/v1/namespaces/default");
      return seen;
    },
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => api.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const savedKubeconfig = process.env.KUBECONFIG;
  afterEach(() => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
  });
  return api;
}
