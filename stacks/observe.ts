// `npm run observe -- --stack <name> | --scenario <name> [--namespace <ns>] [--timeout <s>] [--json]`:
// watches the scenarios' pods and their events on the cluster of the current kubeconfig and prints
// one timeline, then each scenario's verdict against the book; exits 1 if one did not behave so
// (2: bad arguments or no cluster). Start it before or with `npm run up`: it can judge only what it
// sees (a pod that is already Ready shows no ContainerCreating wait). Which pods, where, and what
// they should show all come from the program (run offline, with mocks). `--json`: one JSON object
// per line, {t, time, kind, pod, ...} (see `Fact` in timeline.ts), a `verdict` last per scenario.
import * as http from "node:http";
import * as https from "node:https";
import { parseArgs } from "node:util";
import { Writable } from "node:stream";
import { Exec, KubeConfig, Watch } from "@kubernetes/client-node";
import { runOffline } from "./offline";
import { rawConfig } from "./render";
import type { Scenario } from "./settings";
import { CLUSTER_CONTEXTS, parseSettings } from "./settings";
import {
  type Entry,
  type Expectation,
  type Fact,
  formatEntry,
  newRecord,
  observeEvent,
  observePod,
  parseReceiverLog,
  type PodRecord,
  type RawEvent,
  type RawPod,
  stamp,
  verdict,
  waitingFor,
} from "./timeline";

const USAGE = "usage: npm run observe -- --stack <name> | --scenario <name> [--namespace <ns>] [--timeout <seconds>] [--json]";

/** One scenario's pod, and what the program says about it. */
export interface Target {
  scenario: Scenario;
  pod: string;
  namespace: string;
  expectation: Expectation;
  /** the quote pods: where nginx serves the quote */
  quote?: { port: number; path: string };
  /** the httpGet hook's receiver: the selector of the Service whose ClusterIP the hook targets */
  receiver?: { service: string; selector: Record<string, string> };
}

export interface Plan {
  targets: Target[];
  namespace: string;
  /** the kubeconfig context the stack deploys to; undefined: the current one */
  context?: string;
}

/** The pods of a stack or scenario, from the program run offline: no second list to keep in step. */
export async function plan(raw: Record<string, unknown>, namespaceOverride?: string): Promise<Plan> {
  const settings = parseSettings(raw);
  const { resources, outputs } = await runOffline(settings);
  const of = (type: string) => resources.filter((r) => r.type === type).map((r) => r.inputs);
  const pods = of("kubernetes:core/v1:Pod");
  const services = of("kubernetes:core/v1:Service");
  const namespace = namespaceOverride ?? settings.namespace;
  const targets = settings.scenarios.map((scenario): Target => {
    const out = (outputs as Record<string, Record<string, unknown>>)[scenario]!;
    const name = String(out.podName);
    const container = pods.find((p) => p.metadata?.name === name)?.spec?.containers?.[0];
    const httpGet = container?.lifecycle?.postStart?.httpGet;
    const service = httpGet?.host ? services.find((s) => s.spec?.clusterIP === httpGet.host) : undefined;
    return {
      scenario,
      pod: name,
      namespace,
      expectation: {
        slowHookDelaySeconds: settings.slowHookDelaySeconds,
        ...(httpGet ? { hookPath: httpGet.path ?? "/" } : {}),
        // The exec-hook quote pods keep their hook's output there when the stack asks for it.
        ...(typeof out.quoteUrl === "string" && settings.hookOutputFile ? { hookOutputFile: settings.hookOutputFile } : {}),
      },
      ...(typeof out.quoteUrl === "string" ? { quote: { port: container?.ports?.[0]?.containerPort ?? 80, path: new URL(out.quoteUrl).pathname } } : {}),
      ...(service ? { receiver: { service: service.metadata.name, selector: service.spec.selector } } : {}),
    };
  });
  return { targets, namespace, context: CLUSTER_CONTEXTS[settings.cluster] };
}

/** A GET to the API server (the pod proxy, logs, lists), with the kubeconfig's credentials; the body as text. */
async function apiGet(kc: KubeConfig, path: string, timeoutMs = 10_000): Promise<string> {
  const url = new URL(kc.getCurrentCluster()!.server.replace(/\/$/, "") + path);
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === "http:" ? http : https).get(url, { ...options, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => (res.statusCode! >= 200 && res.statusCode! < 300 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${statusMessage(body)}`))));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on("error", reject);
  });
}

/** The message of the API server's Status object, or the start of whatever else answered. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { kind?: string; message?: string };
    if (status.kind === "Status" && status.message) return status.message;
  } catch {
    // not JSON: e.g. nginx's own error page through the proxy
  }
  return body.trim().slice(0, 300);
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

class Observer {
  private readonly start = new Date();
  private readonly records = new Map<string, PodRecord>();
  /** events about a pod uid we have not seen yet (an older pod of the same name, or one not yet watched) */
  private readonly pending: RawEvent[] = [];
  private readonly busy = new Set<string>();
  private readonly lastTry = new Map<string, number>();
  private readonly watches: AbortController[] = [];
  private readonly notes = new Set<string>();
  private timer?: NodeJS.Timeout;
  private finished = false;
  private statusShown = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly p: Plan,
    private readonly options: { timeoutSeconds: number; json: boolean; live: boolean },
    private readonly done: (code: number) => void,
  ) {
    for (const t of p.targets) this.records.set(t.pod, newRecord(t.pod));
  }

  run(): void {
    // The clock first: a watch may take until its first object to answer.
    this.timer = setInterval(() => this.tick(), 1000);
    const ns = encodeURIComponent(this.p.namespace);
    void this.watch(`/api/v1/namespaces/${ns}/pods`, {}, (type, obj) => this.onPod(type, obj as RawPod));
    void this.watch(`/api/v1/namespaces/${ns}/events`, { fieldSelector: "involvedObject.kind=Pod" }, (_type, obj) => this.onEvent(obj as RawEvent));
  }

  /**
   * Watches `path` until the observer finishes. When the server ends the watch, it resumes from the
   * last resourceVersion seen (nothing missed); when that is too old (410 Gone), from the current
   * state (its objects come again as ADDED; the records drop what they already saw).
   */
  private async watch(path: string, query: Record<string, string>, onObject: (type: string, obj: unknown) => void): Promise<void> {
    let resourceVersion: string | undefined;
    const onEvent = (type: string, obj: { code?: number; message?: string; metadata?: { resourceVersion?: string } }) => {
      if (type === "ERROR") {
        if (obj.code === 410) resourceVersion = undefined;
        else this.note(`observe: watch ${path}: ${obj.message ?? JSON.stringify(obj)}`);
        return;
      }
      resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
      if (!this.finished) onObject(type, obj);
    };
    const start = async (): Promise<void> => {
      try {
        const params = { ...query, ...(resourceVersion ? { resourceVersion } : {}) };
        this.watches.push(await new Watch(this.kc).watch(path, params, onEvent, again));
      } catch (e) {
        again(e);
      }
    };
    const again = (err: unknown) => {
      if (this.finished) return;
      // Routine, not worth a note: our own stop (AbortError), and client-node's 30 s inactivity
      // timeout of a quiet watch (TimeoutError, since client-node 2); the watch resumes from the last
      // resourceVersion, so nothing is missed.
      const name = (err as Error | undefined)?.name;
      if (err && name !== "AbortError" && name !== "TimeoutError") this.note(`observe: watch ${path}: ${message(err)}; watching again`);
      if ((err as { statusCode?: number } | undefined)?.statusCode === 410) resourceVersion = undefined;
      setTimeout(() => void start(), 1000);
    };
    await start();
  }

  private now(): Date {
    return new Date();
  }

  private onPod(type: string, pod: RawPod): void {
    const record = this.records.get(pod.metadata.name);
    if (!record) return;
    const now = this.now();
    if (type === "DELETED") {
      if (pod.metadata.uid === record.uid) this.emit({ kind: "phase", pod: record.pod, phase: "Deleted", ready: false }, now);
      return;
    }
    if (record.uid && record.uid !== pod.metadata.uid) {
      // A new pod of the same name (replaced): start its record over.
      this.records.set(record.pod, newRecord(record.pod));
    }
    for (const f of observePod(this.records.get(record.pod)!, pod, now.toISOString())) this.emit(f, now);
    // Events that arrived before their pod did.
    for (const e of this.pending.splice(0).filter((e) => !this.applyEvent(e))) this.pending.push(e);
    this.update();
  }

  private onEvent(e: RawEvent): void {
    if (!this.records.has(e.involvedObject.name ?? "")) return;
    if (!this.applyEvent(e)) this.pending.push(e);
    this.update();
  }

  /** Applies an event to its pod's record if that is the pod it is about; false if not (yet). */
  private applyEvent(e: RawEvent): boolean {
    const record = this.records.get(e.involvedObject.name ?? "")!;
    if (!record.uid || record.uid !== e.involvedObject.uid) return false;
    const now = this.now();
    for (const f of observeEvent(record, e)) this.emit(f, now);
    return true;
  }

  /** A note on stderr, each distinct one once (a failing watch retries every second). */
  private note(text: string): void {
    if (this.notes.has(text)) return;
    this.notes.add(text);
    this.print(undefined, text);
  }

  private emit(fact: Fact, now = this.now()): void {
    const entry: Entry = stamp(fact, now, this.start);
    this.print(this.options.json ? JSON.stringify(entry) : formatEntry(entry));
  }

  /** Prints a timeline line (stdout) or a note (stderr), keeping the live status line below them. */
  private print(line: string | undefined, note?: string): void {
    if (this.statusShown) process.stdout.write("\r\x1b[K");
    this.statusShown = false;
    if (line !== undefined) process.stdout.write(`${line}\n`);
    if (note !== undefined) process.stderr.write(`${note}\n`);
  }

  /** Starts what the scenarios need once their pods are ready (the quote, the receiver's log), and stops when all are settled. */
  private update(): void {
    if (this.finished) return;
    for (const t of this.p.targets) {
      const r = this.records.get(t.pod)!;
      if (!r.ready || !r.uid) continue;
      if (t.quote && r.quote === undefined) this.attempt(`quote ${t.pod}`, () => this.fetchQuote(t, r));
      if (t.expectation.hookOutputFile && r.hookOutput === undefined) this.attempt(`hook output ${t.pod}`, () => this.readHookOutput(t, r));
      if (t.receiver && t.expectation.hookPath && r.request === undefined) this.attempt(`receiver ${t.pod}`, () => this.readReceiver(t, r));
    }
    if (this.p.targets.every((t) => this.settled(t))) this.finish();
  }

  /** Runs `action` unless it is running or ran less than 2 s ago (a quote or a log line can take a moment). */
  private attempt(name: string, action: () => Promise<void>): void {
    if (this.busy.has(name) || Date.now() - (this.lastTry.get(name) ?? 0) < 2000) return;
    this.busy.add(name);
    this.lastTry.set(name, Date.now());
    action().finally(() => {
      this.busy.delete(name);
      this.update();
    });
  }

  private async fetchQuote(t: Target, r: PodRecord): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${t.pod}:${t.quote!.port}/proxy${t.quote!.path}`;
    try {
      const quote = await apiGet(this.kc, path);
      if (quote.trim() === "") throw new Error("empty answer");
      r.quote = quote;
      this.emit({ kind: "quote", pod: t.pod, quote });
    } catch (e) {
      if (r.quoteError === undefined) this.emit({ kind: "quote", pod: t.pod, error: `${message(e)} (trying again)` });
      r.quoteError = message(e);
    }
  }

  /** `cat` of the hook's output file in the container (`kubectl exec <pod> -- cat <file>`). */
  private async readHookOutput(t: Target, r: PodRecord): Promise<void> {
    const file = t.expectation.hookOutputFile!;
    let output = "";
    let errors = "";
    const sink = (add: (s: string) => void) => new Writable({ write: (chunk, _enc, done) => (add(String(chunk)), done()) });
    try {
      await new Promise<void>((resolve, reject) => {
        new Exec(this.kc)
          .exec(t.namespace, t.pod, "nginx", ["cat", file], sink((s) => (output += s)), sink((s) => (errors += s)), null, false, (status) =>
            status.status === "Success" ? resolve() : reject(new Error(errors.trim() || status.message || "cat failed")),
          )
          .catch(reject);
      });
      r.hookOutput = output;
      this.emit({ kind: "hook-output", pod: t.pod, file, output });
    } catch (e) {
      this.emit({ kind: "hook-output", pod: t.pod, file, error: `${message(e)} (trying again)` });
    }
  }

  private async readReceiver(t: Target, r: PodRecord): Promise<void> {
    const ns = encodeURIComponent(t.namespace);
    const selector = Object.entries(t.receiver!.selector).map(([k, v]) => `${k}=${v}`).join(",");
    try {
      const list = JSON.parse(await apiGet(this.kc, `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`)) as { items: RawPod[] };
      if (list.items.length === 0) this.note(`observe: no pod of ${t.receiver!.service} (${selector}) yet`);
      for (const receiver of list.items) {
        const log = await apiGet(this.kc, `/api/v1/namespaces/${ns}/pods/${receiver.metadata.name}/log?timestamps=true&tailLines=1000`);
        const request = parseReceiverLog(log, t.expectation.hookPath!, r.last?.metadata.creationTimestamp)[0];
        if (request) {
          r.request = request;
          this.emit({ kind: "receiver", pod: t.pod, receiver: receiver.metadata.name, request: request.request, client: request.client, line: request.line });
          return;
        }
      }
    } catch (e) {
      this.note(`observe: reading the log of ${t.receiver!.service} (${selector}): ${message(e)}; trying again`);
    }
  }

  /** Done with a scenario: it behaved as the book says, or its pod ended (Failed/Succeeded) 5 s ago and cannot change. */
  private settled(t: Target): boolean {
    const r = this.records.get(t.pod)!;
    return verdict(t.scenario, r, t.expectation).ok || (r.terminalAt !== undefined && Date.now() - Date.parse(r.terminalAt) > 5000);
  }

  private tick(): void {
    const now = this.now();
    if (now.getTime() - this.start.getTime() >= this.options.timeoutSeconds * 1000) {
      this.print(undefined, `observe: time limit of ${this.options.timeoutSeconds} s reached`);
      return this.finish();
    }
    this.update();
    if (this.finished || !this.options.live) return;
    const waiting = this.p.targets.filter((t) => !this.settled(t)).map((t) => waitingFor(t.scenario, this.records.get(t.pod)!, t.expectation, now.toISOString()));
    const line = `[${Math.round((now.getTime() - this.start.getTime()) / 1000)} s] ${waiting.join(" | ")}`;
    const width = process.stdout.columns || 120;
    process.stdout.write(`\r\x1b[K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
    this.statusShown = true;
  }

  /** Ctrl-C: the verdicts as things stand. */
  stop(): void {
    this.print(undefined, "observe: interrupted");
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    for (const w of this.watches) w.abort();
    let ok = true;
    for (const t of this.p.targets) {
      const v = verdict(t.scenario, this.records.get(t.pod)!, t.expectation);
      ok &&= v.ok;
      this.emit(v);
    }
    this.done(ok ? 0 : 1);
  }
}

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        stack: { type: "string" },
        scenario: { type: "string" },
        namespace: { type: "string" },
        timeout: { type: "string", default: "180" },
        json: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`observe: ${message(e)}\n${USAGE}\n`);
    return 2;
  }
  const timeoutSeconds = Number(values.timeout);
  if ((values.stack === undefined) === (values.scenario === undefined) || !(timeoutSeconds > 0)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let p: Plan;
  const kc = new KubeConfig();
  try {
    p = await plan(rawConfig({ stack: values.stack, scenario: values.scenario }), values.namespace);
    kc.loadFromDefault();
    if (p.context !== undefined) {
      if (!kc.getContextObject(p.context)) throw new Error(`the stack deploys to the kubeconfig context "${p.context}", which your kubeconfig does not have`);
      kc.setCurrentContext(p.context);
    }
    if (!kc.getCurrentCluster()) throw new Error("no current cluster in the kubeconfig (set KUBECONFIG, e.g. to .lab/kubeconfig)");
    await apiGet(kc, `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods?limit=1`);
  } catch (e) {
    process.stderr.write(`observe: ${message(e)}\n`);
    return 2;
  }
  const json = values.json;
  const header =
    `observe: ${p.targets.map((t) => t.pod).join(", ")} in namespace ${p.namespace}, context ${kc.getCurrentContext()} (${kc.getCurrentCluster()!.server}); ` +
    `until each reaches the end state the book describes, or for at most ${timeoutSeconds} s`;
  // The JSON lines on stdout are the timeline alone.
  (json ? process.stderr : process.stdout).write(`${header}\n`);
  return new Promise<number>((resolve) => {
    const observer = new Observer(kc, p, { timeoutSeconds, json, live: !json && process.stdout.isTTY === true }, resolve);
    process.once("SIGINT", () => observer.stop());
    observer.run();
  });
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
