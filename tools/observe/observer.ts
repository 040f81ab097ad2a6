// The observer: the plan from the program built offline; the pod feed into each pod's record, what a ready pod serves
// or logged, the verdicts once all settled (or at the limit, or `stop`); the timeline to stdout, notes to stderr.
import { KubeClient, statusMessage } from "../../cluster/kube.ts";
import { podFeed } from "../../cluster/pod-feed.ts";
import { findLoggedRequest } from "../../cluster/receiver-log.ts";
import type { RawPod } from "../../infra/pod-state.ts";
import { QUOTE_SERVED } from "../../infra/quote-pod.ts";
import { scenarioDeployer } from "../../stacks/scenarios.ts";
import { CLUSTER_CONTEXTS, parseSettings } from "../../stacks/settings.ts";
import { record } from "../offline.ts";
import { verdict, waitingFor } from "./book.ts";
import { type Fact, formatEntry, observeEvent, observePod, PodRecord, stamp } from "./facts.ts";

/** The pods of a stack or scenario, and what the program says about each; `context`: the kubeconfig context. */
export async function plan(raw: Record<string, unknown>, namespaceOverride?: string) {
  const settings = parseSettings(raw);
  const namespace = namespaceOverride ?? settings.namespace;
  const { outputs: targets } = await record(() => {
    const deployScenario = scenarioDeployer(settings, {});
    return settings.scenarios.map((scenario) => {
      const c = deployScenario(scenario);
      const hookPath = "hookUrl" in c ? c.hookUrl.apply((url) => /^\w+:\/\/[^/]+(\/.*)$/.exec(url)?.[1]) : undefined;
      const receiver = "receiverService" in c ? c.receiverService : undefined;
      const slowHookDelaySeconds = "delaySeconds" in c ? c.delaySeconds : undefined;
      const hookOutputFile = "hookOutputFile" in c ? c.hookOutputFile : undefined;
      return {
        scenario,
        pod: c.podName,
        namespace,
        expectation: { slowHookDelaySeconds, hookPath, hookOutputFile },
        // where nginx serves the quote; the httpGet hook's receiver: its Service, and its pods' selector (their log)
        quote: "quoteUrl" in c ? { ...QUOTE_SERVED } : undefined,
        receiver: receiver?.apply((service) => ({ service, selector: `app=${service}` })),
      };
    });
  });
  return { targets, namespace, context: CLUSTER_CONTEXTS[settings.cluster] };
}

export type Plan = Awaited<ReturnType<typeof plan>>;
type Target = Plan["targets"][number];
/** What the observer saw of one scenario's pod, handed over when it finishes. */
export type Seen = { scenario: Target["scenario"]; record: PodRecord };
/** The plan's cluster, once it answers and lets us read the pods there. */
export async function connect(p: Plan): Promise<KubeClient> {
  const kube = KubeClient.connect(p.context);
  await kube.get(`/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods?limit=1`);
  return kube;
}

export const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** Starts observing; `done` gives the exit code (0: every scenario behaved as the book says) and what was seen. */
export function observe(kube: KubeClient, p: Plan, options: { timeoutSeconds: number; json: boolean; live: boolean }) {
  const start = new Date();
  const records = new Map(p.targets.map((t) => [t.pod, new PodRecord(t.pod)]));
  const record = (t: Target) => records.get(t.pod)!;
  const lastTry = new Map<string, number>(); // when each read last started; Infinity while it runs
  const notes = new Set<string>();
  let finished = false;
  let resolve!: (result: { code: number; seen: Seen[] }) => void;
  const done = new Promise<{ code: number; seen: Seen[] }>((r) => (resolve = r));

  /** Prints a line, keeping the live status line below it. */
  const print = (line: string, stream: NodeJS.WriteStream = process.stdout) => {
    if (options.live) process.stdout.write("\r\x1b[K");
    stream.write(`${line}\n`);
  };
  /** A note on stderr, each distinct one once (a failing watch retries every second). */
  const note = (text: string) => {
    if (!notes.has(text)) print(text, process.stderr);
    notes.add(text);
  };
  const emit = (fact: Fact, now = new Date()) => {
    const entry = stamp(fact, now, start);
    print(options.json ? JSON.stringify(entry) : formatEntry(entry));
    records.get(fact.pod)?.timeline.push(entry);
  };

  const onPod = (type: string, pod: RawPod) => {
    let r = records.get(pod.metadata.name);
    const now = new Date();
    if (!r || (type === "DELETED" && pod.metadata.uid !== r.uid)) return;
    if (type === "DELETED") return emit({ kind: "phase", pod: r.pod, phase: "Deleted", ready: false }, now);
    // A new pod of the same name (replaced): its record starts over.
    if (r.uid && r.uid !== pod.metadata.uid) records.set(r.pod, (r = new PodRecord(r.pod)));
    for (const f of observePod(r, pod, now.toISOString())) emit(f, now);
    applyEvents(r);
  };
  /** The events of the record's pod, which the feed keeps: those before the pod's first sight too; each once. */
  const applyEvents = (r: PodRecord | undefined) => {
    for (const e of r?.uid ? feed.events(r.uid) : []) for (const f of observeEvent(r!, e)) emit(f);
  };
  /** Runs `read` unless it runs or ran less than 2 s ago (a quote or a log line can take a moment). */
  const attempt = (name: string, read: () => Promise<unknown>) => {
    const at = Date.now();
    if (at - (lastTry.get(name) ?? 0) < 2000) return;
    lastTry.set(name, Infinity);
    read().finally(() => {
      lastTry.set(name, at);
      update();
    });
  };
  const readQuote = async (t: Target, r: PodRecord, { port, path } = t.quote!) => {
    try {
      const proxy = `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${t.pod}:${port}/proxy${path}`;
      const answer = await kube.request("GET", proxy);
      const failure = statusMessage(answer);
      if (answer.status < 200 || answer.status >= 300)
        throw new Error(failure.startsWith("HTTP ") ? failure : `HTTP ${answer.status}: ${failure}`);
      const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
      if (text.trim() === "") throw new Error("empty answer");
      emit({ kind: "quote", pod: t.pod, quote: (r.quote = text) });
    } catch (e) {
      if (r.quoteError === undefined) emit({ kind: "quote", pod: t.pod, error: `${message(e)} (trying again)` });
      r.quoteError = message(e);
    }
  };
  const readHookOutput = async (t: Target, r: PodRecord, file = t.expectation.hookOutputFile!) => {
    try {
      r.hookOutput = await kube.exec(t.namespace, t.pod, "nginx", ["cat", file]);
      emit({ kind: "hook-output", pod: t.pod, file, output: r.hookOutput });
    } catch (e) {
      emit({ kind: "hook-output", pod: t.pod, file, error: `${message(e)} (trying again)` });
    }
  };
  const readReceiver = async (t: Target, r: PodRecord, { service, selector } = t.receiver!) => {
    try {
      const notBefore = r.last?.metadata.creationTimestamp;
      const found = await findLoggedRequest(kube, t.namespace, selector, t.expectation.hookPath!, notBefore);
      if ("request" in found) {
        const { request, status, client, line } = (r.request = found.request);
        emit({ kind: "receiver", pod: t.pod, receiver: found.receiver, request, status, client, line });
      } else if (found.receiverPods === 0) note(`observe: no pod of ${service} (${selector}) yet`);
    } catch (e) {
      note(`observe: reading the log of ${service} (${selector}): ${message(e)}; trying again`);
    }
  };
  /** Done with a scenario: it behaved as the book says, or its pod ended 5 s ago and cannot change. */
  const settled = (t: Target) => {
    const r = record(t);
    const ended = r.terminalAt !== undefined && Date.now() - Date.parse(r.terminalAt) > 5000;
    return ended || verdict(t.scenario, r, t.expectation).ok;
  };
  /** Starts the reads of the pods that got ready (the quote, the receiver's log); stops when all settled. */
  const update = () => {
    if (finished) return;
    for (const t of p.targets.filter((t) => record(t).ready && record(t).uid)) {
      const [r, x] = [record(t), t.expectation];
      if (t.quote && r.quote === undefined) attempt(`quote ${t.pod}`, () => readQuote(t, r));
      if (x.hookOutputFile && r.hookOutput === undefined) attempt(`hook output ${t.pod}`, () => readHookOutput(t, r));
      if (t.receiver && x.hookPath && r.request === undefined) attempt(`receiver ${t.pod}`, () => readReceiver(t, r));
    }
    if (p.targets.every(settled)) finish();
  };

  const finish = () => {
    if (finished) return;
    finished = true;
    clearInterval(timer);
    feed.close();
    const verdicts = p.targets.map((t) => verdict(t.scenario, record(t), t.expectation));
    for (const v of verdicts) emit(v);
    const seen = p.targets.map((t) => ({ scenario: t.scenario, record: record(t) }));
    resolve({ code: verdicts.every((v) => v.ok) ? 0 : 1, seen });
  };

  // The clock first: the feed may take until its first list to answer.
  const timer = setInterval(() => {
    const now = new Date();
    const seconds = (now.getTime() - start.getTime()) / 1000;
    if (seconds >= options.timeoutSeconds) {
      note(`observe: time limit of ${options.timeoutSeconds} s reached`);
      return finish();
    }
    update();
    if (finished || !options.live) return;
    const waitingOf = (t: Target) => waitingFor(t.scenario, record(t), t.expectation, now.toISOString());
    const waiting = p.targets.filter((t) => !settled(t)).map(waitingOf);
    const line = `[${Math.round(seconds)} s] ${waiting.join(" | ")}`;
    const width = process.stdout.columns || 120;
    process.stdout.write(`\r\x1b[K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
  }, 1000);
  const feed = podFeed(kube, {
    namespace: p.namespace,
    onChange: (change) => {
      if (finished) return;
      if ("pod" in change) onPod(change.type, change.pod);
      else applyEvents(records.get(change.event.involvedObject.name ?? ""));
      update();
    },
    onError: (e) => note(`observe: ${e.message}; watching again`),
  });
  return { done, stop: () => (note("observe: interrupted"), finish()) };
}
