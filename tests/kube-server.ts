// What the cluster-client tests stand on: an API server on loopback (plain http, or TLS with the
// certificates of tests/unit/fixtures/tls, made by its make.sh), and kubeconfig files in a temporary directory.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const TLS = path.join(import.meta.dirname, "unit", "fixtures", "tls");
/** A fixture's path: ca.crt, other-ca.crt, server.crt/.key, client.crt/.key. */
export const tlsFile = (name: string) => path.join(TLS, name);
export const pem = (name: string) => readFileSync(tlsFile(name));

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface Loopback {
  url: string;
  /** What the server does with the next requests. */
  handle: Handler;
  /** The requests it saw, oldest first. */
  seen: http.IncomingMessage[];
  server: http.Server;
  close(): Promise<void>;
}

/**
 * An API server on 127.0.0.1: plain http, or https with the fixture server certificate (and `options`, e.g.
 * requestCert).
 */
export async function loopback(kind: "http" | "https", options: https.ServerOptions = {}): Promise<Loopback> {
  const self: Loopback = {
    url: "",
    handle: (_req, res) => res.end("{}"),
    seen: [],
    server: undefined!,
    close: () =>
      new Promise<void>((resolve) => (self.server.closeAllConnections(), self.server.close(() => resolve()))),
  };
  const listener: Handler = (req, res) => (self.seen.push(req), self.handle(req, res));
  self.server =
    kind === "http"
      ? http.createServer(listener)
      : https.createServer({ cert: pem("server.crt"), key: pem("server.key"), ...options }, listener);
  await new Promise<void>((resolve) => self.server.listen(0, "127.0.0.1", resolve));
  self.url = `${kind}://127.0.0.1:${(self.server.address() as AddressInfo).port}`;
  return self;
}

/** A fresh temporary directory. */
export const tempDir = (prefix = "kube-test-") => mkdtempSync(path.join(os.tmpdir(), prefix));

/** Writes `doc` (or text) as a kubeconfig file at `dir/name`; its path. */
export function kubeconfig(dir: string, name: string, doc: Record<string, unknown> | string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof doc === "string" ? doc : JSON.stringify(doc)); // JSON is YAML
  return file;
}

/** A kubeconfig with one context "here" of cluster "c" (`cluster` fields added to the server) and user "u". */
export function oneContext(
  server: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
  context: Record<string, unknown> = {},
) {
  return {
    "current-context": "here",
    contexts: [{ name: "here", context: { cluster: "c", user: "u", ...context } }],
    clusters: [{ name: "c", cluster: { server, ...cluster } }],
    users: [{ name: "u", user }],
  };
}

/** Sets $KUBECONFIG for the test; `restore` puts the old value back. */
export function useKubeconfig(file: string): void {
  process.env.KUBECONFIG = file;
}
const saved = process.env.KUBECONFIG;
export function restoreKubeconfig(): void {
  if (saved === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = saved;
}
