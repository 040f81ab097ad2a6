// The Kubernetes API as the program itself talks to it, beside the provider: a kubeconfig context,
// JSON requests and watches with its credentials. @kubernetes/client-node reads the kubeconfig
// (certificates, tokens, exec plugins) and keeps the watch; it is loaded only when a cluster is used.
import * as http from "node:http";
import * as https from "node:https";
import { Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";

export interface ApiAnswer {
  status: number;
  body: any;
}

/** A kubeconfig context and requests to its API server. */
export class KubeClient {
  private constructor(
    private readonly kc: KubeConfig,
    /** the context's name, for messages */
    readonly context: string,
    private readonly k8s: typeof import("@kubernetes/client-node"),
  ) {}

  /**
   * The kubeconfig's context `context` (undefined: its current context), from $KUBECONFIG or
   * ~/.kube/config as kubectl reads it. Throws naming the context and the contexts there are.
   */
  static async connect(context: string | undefined): Promise<KubeClient> {
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    const names = kc.getContexts().map((c) => c.name);
    const name = context ?? kc.getCurrentContext();
    if (!name || !names.includes(name)) {
      const where = process.env.KUBECONFIG ? `$KUBECONFIG (${process.env.KUBECONFIG})` : "~/.kube/config";
      throw new Error(
        `the kubeconfig context ${JSON.stringify(name ?? "")} is not in ${where}; ` +
          (names.length ? `its contexts: ${names.join(", ")}` : "it has no contexts (is the cluster created? e.g. kind create cluster)"),
      );
    }
    kc.setCurrentContext(name);
    return new KubeClient(kc, name, k8s);
  }

  /** The namespace the context names, else `default`: where an object without a namespace goes. */
  get defaultNamespace(): string {
    return this.kc.getContextObject(this.context)?.namespace ?? "default";
  }

  /** The API server's URL. */
  get server(): string {
    return this.kc.getCurrentCluster()?.server.replace(/\/$/, "") ?? "";
  }

  /** One request; the answer's status and JSON body (text when not JSON). Rejects only when the server does not answer. */
  async request(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<ApiAnswer> {
    const url = new URL(this.server + path);
    const options: https.RequestOptions = { method, headers: { Accept: "application/json", "Content-Type": "application/json" }, timeout: timeoutMs };
    await this.kc.applyToHTTPSOptions(options);
    return new Promise((resolve, reject) => {
      const req = (url.protocol === "http:" ? http : https).request(url, options, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: kept as text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
      req.on("error", (e) => reject(new Error(`cannot reach the cluster of context ${JSON.stringify(this.context)} at ${this.server}: ${e.message}`)));
      req.end(body === undefined ? undefined : JSON.stringify(body));
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
   * and as it changes, until the returned function is called. A watch the server ends is opened again.
   */
  watch(path: string, query: Record<string, string>, onObject: (type: string, object: any) => void, onError: (e: Error) => void): () => void {
    let stopped = false;
    let abort: AbortController | undefined;
    const open = async () => {
      if (stopped) return;
      try {
        abort = await new this.k8s.Watch(this.kc).watch(path, query, (type, object) => !stopped && onObject(type, object), again);
      } catch (e) {
        again(e);
      }
    };
    const again = (e: unknown) => {
      if (stopped) return;
      // Routine, not an error: our own abort, and client-node's 30 s inactivity timeout of a quiet
      // watch (TimeoutError, since client-node 2).
      const name = (e as Error | undefined)?.name;
      if (e && name !== "AbortError" && name !== "TimeoutError") onError(e instanceof Error ? e : new Error(String(e)));
      setTimeout(() => void open(), 1000);
    };
    void open();
    return () => {
      stopped = true;
      abort?.abort();
    };
  }

  /** Runs `command` in a container (`kubectl exec`); its stdout, or throws with its stderr. */
  async exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    let output = "";
    let errors = "";
    const sink = (add: (s: string) => void) => new Writable({ write: (chunk, _enc, done) => (add(String(chunk)), done()) });
    await new Promise<void>((resolve, reject) => {
      new this.k8s.Exec(this.kc)
        .exec(namespace, pod, container, command, sink((s) => (output += s)), sink((s) => (errors += s)), null, false, (status) =>
          status.status === "Success" ? resolve() : reject(new Error(errors.trim() || status.message || `${command[0]} failed`)),
        )
        .catch(reject);
    });
    return output;
  }
}

/** The message of the API server's Status object, or the start of whatever else answered. */
export function statusMessage(answer: ApiAnswer): string {
  const body = answer.body as { kind?: string; message?: string } | string;
  if (typeof body === "object" && body?.message) return body.message;
  return `HTTP ${answer.status}: ${String(typeof body === "string" ? body : JSON.stringify(body)).trim().slice(0, 300)}`;
}
