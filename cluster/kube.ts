// The Kubernetes API as the program itself talks to it, beside the provider: a kubeconfig context,
// JSON requests and watches with its credentials. Written here, not taken from
// @kubernetes/client-node: loading that library costs 0.5 to 0.7 s of every `pulumi up` and
// `preview` on our machines, for the few kubeconfig fields kubectl's own clusters (kind, minikube,
// the lab) and exec-plugin clusters use.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import YAML from "yaml";

export interface ApiAnswer {
  status: number;
  body: any;
}

/** The parts of a kubeconfig entry this client reads; any other field is ignored, as kubectl ignores unknown ones. */
interface Named<T> {
  name: string;
  /** the file it came from: relative paths in it are relative to that file's directory, as kubectl reads them */
  file: string;
  value: T;
}
interface Cluster {
  server?: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
  "proxy-url"?: string;
}
interface User {
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: { command: string; args?: string[]; env?: { name: string; value: string }[]; apiVersion?: string };
  "auth-provider"?: { name: string };
}
/** What a request carries to prove who the user is. */
interface Credentials {
  headers: Record<string, string>;
  tls: https.RequestOptions;
}
interface Context {
  cluster: string;
  user: string;
  namespace?: string;
}

/** The kubeconfig files kubectl reads: $KUBECONFIG's list (the first file to set a name wins), else ~/.kube/config. */
function kubeconfigFiles(): string[] {
  const list = (process.env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
  return list.length ? list : [path.join(os.homedir(), ".kube", "config")];
}

interface Kubeconfig {
  currentContext?: string;
  contexts: Named<Context>[];
  clusters: Named<Cluster>[];
  users: Named<User>[];
}

function loadKubeconfig(): Kubeconfig {
  const merged: Kubeconfig = { contexts: [], clusters: [], users: [] };
  for (const file of kubeconfigFiles()) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue; // kubectl skips a listed file that does not exist
    }
    const doc = (YAML.parse(text) ?? {}) as Record<string, any>;
    merged.currentContext ||= doc["current-context"] || undefined;
    const add = <T>(into: Named<T>[], entries: unknown, field: string) => {
      for (const e of (entries ?? []) as Record<string, any>[]) {
        if (e?.name && !into.some((n) => n.name === e.name)) into.push({ name: e.name, file, value: e[field] ?? {} });
      }
    };
    add(merged.contexts, doc.contexts, "context");
    add(merged.clusters, doc.clusters, "cluster");
    add(merged.users, doc.users, "user");
  }
  return merged;
}

/** The bytes of a `<field>-data` (base64) or `<field>` (a file, relative to the kubeconfig's directory). */
function material(entry: Named<object>, field: string): Buffer | undefined {
  const value = entry.value as Record<string, string | undefined>;
  if (value[`${field}-data`]) return Buffer.from(value[`${field}-data`]!, "base64");
  if (value[field]) return readFileSync(path.resolve(path.dirname(entry.file), value[field]!));
  return undefined;
}

/** A kubeconfig context and requests to its API server. */
export class KubeClient {
  private constructor(
    /** the context's name, for messages */
    readonly context: string,
    /** the namespace the context names, else `default`: where an object without a namespace goes */
    readonly defaultNamespace: string,
    /** the API server's URL */
    readonly server: string,
    private readonly tls: https.RequestOptions,
    private readonly credentials: () => Credentials,
  ) {}

  /**
   * The kubeconfig's context `context` (undefined: its current context), from $KUBECONFIG or
   * ~/.kube/config as kubectl reads it. Throws naming the context and the contexts there are, or
   * the field of the context's cluster or user that this client cannot use.
   */
  static connect(context: string | undefined): KubeClient {
    const kc = loadKubeconfig();
    const names = kc.contexts.map((c) => c.name);
    const name = context ?? kc.currentContext;
    const where = process.env.KUBECONFIG ? `$KUBECONFIG (${process.env.KUBECONFIG})` : "~/.kube/config";
    const ctx = kc.contexts.find((c) => c.name === name);
    if (!name || !ctx) {
      throw new Error(
        `the kubeconfig context ${JSON.stringify(name ?? "")} is not in ${where}; ` +
          (names.length ? `its contexts: ${names.join(", ")}` : "it has no contexts (is the cluster created? e.g. kind create cluster)"),
      );
    }
    const cluster = kc.clusters.find((c) => c.name === ctx.value.cluster);
    const user = kc.users.find((u) => u.name === ctx.value.user) ?? { name: "", file: "", value: {} };
    if (!cluster?.value.server) throw new Error(`the kubeconfig context ${JSON.stringify(name)} names cluster ${JSON.stringify(ctx.value.cluster)}, which ${where} does not define with a server`);
    const unsupported = cluster.value["proxy-url"] ? "its cluster's proxy-url" : user.value["auth-provider"] ? `its user's auth-provider ${user.value["auth-provider"].name}` : undefined;
    if (unsupported) throw new Error(`the kubeconfig context ${JSON.stringify(name)} uses ${unsupported}, which this program does not support; use a context with certificates, a token or an exec plugin`);
    const tls: https.RequestOptions = {
      ca: material(cluster, "certificate-authority"),
      rejectUnauthorized: cluster.value["insecure-skip-tls-verify"] !== true,
      servername: cluster.value["tls-server-name"],
    };
    return new KubeClient(name, ctx.value.namespace ?? "default", cluster.value.server.replace(/\/$/, ""), tls, userCredentials(user));
  }

  /** One request; the answer's status and JSON body (text when not JSON). Rejects only when the server does not answer. */
  request(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<ApiAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // Its length said: Node sends the body of a DELETE without one unframed, and the server reads none.
    const headers = payload === undefined ? {} : { "Content-Length": Buffer.byteLength(payload) };
    return new Promise((resolve, reject) => {
      const req = this.open(method, path, { timeout: timeoutMs, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: parseJson(text) }));
      });
      req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
      req.on("error", (e) => reject(this.unreachable(e)));
      req.end(payload);
    });
  }

  /** GET `path`: the object, or undefined when it does not exist; throws with the server's message otherwise. */
  async get(path: string): Promise<any | undefined> {
    const answer = await this.request("GET", path);
    if (answer.status === 404) return undefined;
    if (answer.status >= 300) throw new Error(`GET ${path}: ${statusMessage(answer)}`);
    return answer.body;
  }

  /**
   * Watches `path` (a list, narrowed by `query`), calling `onObject` for each object as it is now
   * and as it changes, until the returned function is called. A watch the server ends is opened
   * again a second later (from a fresh list: each object is reported as it is then).
   */
  watch(path: string, query: Record<string, string>, onObject: (type: string, object: any) => void, onError: (e: Error) => void): () => void {
    let stopped = false;
    let req: http.ClientRequest | undefined;
    const again = (e?: Error) => {
      if (stopped) return;
      if (e) onError(e);
      req = undefined;
      setTimeout(open, 1000);
    };
    const open = () => {
      if (stopped) return;
      // resourceVersion 0: the server's cache as it is. Without it the server first waits until its
      // cache has caught up with etcd, which etcd 3.4 (the lab's) never confirms for a resource that
      // does not change: the watch then ends after 3 s with "Too large resource version", again and again.
      const search = new URLSearchParams({ resourceVersion: "0", ...query, watch: "true" });
      req = this.open("GET", `${path}?${search}`, {}, (res) => {
        if (res.statusCode !== 200) {
          let text = "";
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => again(new Error(`watch ${path}: ${statusMessage({ status: res.statusCode ?? 0, body: parseJson(text) })}`)));
          return;
        }
        // One JSON event per line: {"type": "ADDED"|"MODIFIED"|"DELETED"|"ERROR", "object": {...}}.
        let pending = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const lines = (pending + chunk).split("\n");
          pending = lines.pop()!;
          for (const line of lines) {
            const event = line.trim() ? parseJson(line) : undefined;
            if (!stopped && event?.type && event.type !== "ERROR" && event.type !== "BOOKMARK") onObject(event.type, event.object);
          }
        });
        res.on("end", () => again());
        res.on("error", () => again());
      });
      req.on("error", (e) => again(stopped ? undefined : this.unreachable(e)));
      req.end();
    };
    open();
    return () => {
      stopped = true;
      req?.destroy();
    };
  }

  /**
   * Runs `command` in a container, as `kubectl exec` does; its stdout, or throws with its stderr.
   * Through @kubernetes/client-node, loaded here only: exec speaks a WebSocket subprotocol, which
   * that library implements and the observer alone needs.
   */
  async exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    kc.setCurrentContext(this.context);
    let output = "";
    let errors = "";
    const sink = (add: (s: string) => void) => new Writable({ write: (chunk, _enc, done) => (add(String(chunk)), done()) });
    await new Promise<void>((resolve, reject) => {
      new k8s.Exec(kc)
        .exec(namespace, pod, container, command, sink((s) => (output += s)), sink((s) => (errors += s)), null, false, (status) =>
          status.status === "Success" ? resolve() : reject(new Error(errors.trim() || status.message || `${command[0]} failed`)),
        )
        .catch(reject);
    });
    return output;
  }

  private open(method: string, path: string, options: http.RequestOptions, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const url = new URL(this.server + path);
    const credentials = this.credentials();
    const headers = { Accept: "application/json", "Content-Type": "application/json", ...options.headers, ...credentials.headers };
    if (url.protocol === "http:") return http.request(url, { ...options, method, headers }, onResponse);
    return https.request(url, { ...options, ...this.tls, ...credentials.tls, method, headers }, onResponse);
  }

  private unreachable(e: Error): Error {
    return new Error(`cannot reach the cluster of context ${JSON.stringify(this.context)} at ${this.server}: ${e.message}`);
  }
}

/** How a kubeconfig user proves who it is: a client certificate, a token, a password, or what its exec plugin prints (run once, on first use). */
function userCredentials(user: Named<User>): () => Credentials {
  const u = user.value;
  const tls = { cert: material(user, "client-certificate"), key: material(user, "client-key") };
  const token = u.token ?? (u.tokenFile ? readFileSync(path.resolve(path.dirname(user.file), u.tokenFile), "utf8").trim() : undefined);
  if (token) return () => ({ headers: { Authorization: `Bearer ${token}` }, tls });
  if (u.username !== undefined) return () => ({ headers: { Authorization: `Basic ${Buffer.from(`${u.username}:${u.password ?? ""}`).toString("base64")}` }, tls });
  if (!u.exec) return () => ({ headers: {}, tls });
  let fromPlugin: Credentials | undefined;
  return () => (fromPlugin ??= execCredential(user.name, u.exec!, tls));
}

/** Runs a kubeconfig exec plugin (client.authentication.k8s.io ExecCredential): its token or client certificate. */
function execCredential(userName: string, exec: NonNullable<User["exec"]>, tls: https.RequestOptions): Credentials {
  const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])) };
  let status: { token?: string; clientCertificateData?: string; clientKeyData?: string };
  try {
    status = JSON.parse(execFileSync(exec.command, exec.args ?? [], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 })).status ?? {};
  } catch (e) {
    throw new Error(`the kubeconfig user ${JSON.stringify(userName)}'s exec plugin ${exec.command} failed: ${(e as Error).message}`);
  }
  if (status.token) return { headers: { Authorization: `Bearer ${status.token}` }, tls };
  return { headers: {}, tls: { cert: status.clientCertificateData, key: status.clientKeyData } };
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: kept as text
  }
}

/** The message of the API server's Status object, or the start of whatever else answered. */
export function statusMessage(answer: ApiAnswer): string {
  const body = answer.body as { kind?: string; message?: string } | string;
  if (typeof body === "object" && body?.message) return body.message;
  return `HTTP ${answer.status}: ${String(typeof body === "string" ? body : JSON.stringify(body)).trim().slice(0, 300)}`;
}
