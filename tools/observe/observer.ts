// The observer's loop: watches the plan's pods and their events, keeps each pod's record, reads
// what a ready pod serves or logged, and ends with the verdicts once every scenario has settled,
// at the time limit, or on Ctrl-C.
import type { KubeClient } from "../../cluster/kube";
import { type PodFeed, podFeed } from "../../cluster/pod-feed";
import { findLoggedRequest } from "../../cluster/receiver-log";
import type { Scenario } from "../../stacks/settings";
import { verdict } from "./book";
import type { Fact, RawEvent, RawPod } from "./facts";
import type { Plan, Target } from "./plan";
import { fetchQuote, readHookOutput } from "./probes";
import { newRecord, observeEvent, observePod, type PodRecord } from "./record";
import { Terminal, waitingFor } from "./terminal";

export interface ObserverOptions {
  timeoutSeconds: number;
  json: boolean;
  /** show the live status line (a terminal, not JSON) */
  live: boolean;
}

/** What the observer saw of one scenario's pod, handed over when it finishes. */
export interface Seen {
  scenario: Scenario;
  record: PodRecord;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class Observer {
  private readonly start = new Date();
  private readonly out: Terminal;
  private readonly records = new Map<string, PodRecord>();
  /** events about a pod uid we have not seen yet (an older pod of the same name, or one not yet watched), by event */
  private readonly pending = new Map<string, RawEvent>();
  private readonly busy = new Set<string>();
  private readonly lastTry = new Map<string, number>();
  private feed?: PodFeed;
  private timer?: NodeJS.Timeout;
  private finished = false;

  constructor(
    private readonly kube: KubeClient,
    private readonly p: Plan,
    private readonly options: ObserverOptions,
    private readonly done: (code: number, seen: Seen[]) => void,
  ) {
    this.out = new Terminal(options.json, this.start);
    for (const t of p.targets) this.records.set(t.pod, newRecord(t.pod));
  }

  run(): void {
    // The clock first: the feed may take until its first list to answer.
    this.timer = setInterval(() => this.tick(), 1000);
    this.feed = podFeed(this.kube, {
      namespace: this.p.namespace,
      onChange: (change) => {
        if (this.finished) return;
        if ("pod" in change) this.onPod(change.type, change.pod);
        else this.onEvent(change.event);
      },
      onError: (e) => this.out.note(`observe: ${e.message}; watching again`),
    });
  }

  private onPod(type: string, pod: RawPod): void {
    const record = this.records.get(pod.metadata.name);
    if (!record) return;
    const now = new Date();
    if (type === "DELETED") {
      if (pod.metadata.uid === record.uid)
        this.emit({ kind: "phase", pod: record.pod, phase: "Deleted", ready: false }, now);
      return;
    }
    if (record.uid && record.uid !== pod.metadata.uid) {
      // A new pod of the same name (replaced): start its record over.
      this.records.set(record.pod, newRecord(record.pod));
    }
    this.facts(observePod(this.records.get(record.pod)!, pod, now.toISOString()), now);
    // Events that arrived before their pod did.
    for (const [id, e] of this.pending) if (this.applyEvent(e)) this.pending.delete(id);
    this.update();
  }

  private onEvent(e: RawEvent): void {
    if (!this.records.has(e.involvedObject.name ?? "")) return;
    if (!this.applyEvent(e)) this.pending.set(`${e.metadata.uid ?? e.metadata.name}`, e);
    this.update();
  }

  /** Applies an event to its pod's record if that is the pod it is about; false if not (yet). */
  private applyEvent(e: RawEvent): boolean {
    const record = this.records.get(e.involvedObject.name ?? "")!;
    if (!record.uid || record.uid !== e.involvedObject.uid) return false;
    this.facts(observeEvent(record, e));
    return true;
  }

  private facts(facts: Fact[], now = new Date()): void {
    for (const f of facts) this.emit(f, now);
  }

  /** Prints a fact and keeps it in its pod's timeline. */
  private emit(fact: Fact, now = new Date()): void {
    this.records.get(fact.pod)?.timeline.push(this.out.fact(fact, now));
  }

  /**
   * Starts what the scenarios need once their pods are ready (the quote, the receiver's log), and stops when all are
   * settled.
   */
  private update(): void {
    if (this.finished) return;
    for (const t of this.p.targets) {
      const r = this.records.get(t.pod)!;
      if (!r.ready || !r.uid) continue;
      if (t.quote && r.quote === undefined) this.attempt(`quote ${t.pod}`, () => this.readQuote(t, r));
      if (t.expectation.hookOutputFile && r.hookOutput === undefined)
        this.attempt(`hook output ${t.pod}`, () => this.readHookOutput(t, r));
      if (t.receiver && t.expectation.hookPath && r.request === undefined)
        this.attempt(`receiver ${t.pod}`, () => this.readReceiver(t, r));
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

  private async readQuote(t: Target, r: PodRecord): Promise<void> {
    try {
      r.quote = await fetchQuote(this.kube, t);
      this.emit({ kind: "quote", pod: t.pod, quote: r.quote });
    } catch (e) {
      if (r.quoteError === undefined) this.emit({ kind: "quote", pod: t.pod, error: `${message(e)} (trying again)` });
      r.quoteError = message(e);
    }
  }

  private async readHookOutput(t: Target, r: PodRecord): Promise<void> {
    const file = t.expectation.hookOutputFile!;
    try {
      r.hookOutput = await readHookOutput(this.kube, t);
      this.emit({ kind: "hook-output", pod: t.pod, file, output: r.hookOutput });
    } catch (e) {
      this.emit({ kind: "hook-output", pod: t.pod, file, error: `${message(e)} (trying again)` });
    }
  }

  private async readReceiver(t: Target, r: PodRecord): Promise<void> {
    const { service, selector: labels } = t.receiver!;
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    try {
      const found = await findLoggedRequest(
        this.kube,
        t.namespace,
        selector,
        t.expectation.hookPath!,
        r.last?.metadata.creationTimestamp,
      );
      if ("request" in found) {
        r.request = found.request;
        const { request, status, client, line } = found.request;
        this.emit({ kind: "receiver", pod: t.pod, receiver: found.receiver, request, status, client, line });
      } else if (found.receiverPods === 0) this.out.note(`observe: no pod of ${service} (${selector}) yet`);
    } catch (e) {
      this.out.note(`observe: reading the log of ${service} (${selector}): ${message(e)}; trying again`);
    }
  }

  /**
   * Done with a scenario: it behaved as the book says, or its pod ended (Failed/Succeeded) 5 s ago and cannot change.
   */
  private settled(t: Target): boolean {
    const r = this.records.get(t.pod)!;
    return (
      verdict(t.scenario, r, t.expectation).ok ||
      (r.terminalAt !== undefined && Date.now() - Date.parse(r.terminalAt) > 5000)
    );
  }

  private tick(): void {
    const now = new Date();
    if (now.getTime() - this.start.getTime() >= this.options.timeoutSeconds * 1000) {
      this.out.note(`observe: time limit of ${this.options.timeoutSeconds} s reached`);
      this.finish();
      return;
    }
    this.update();
    if (this.finished || !this.options.live) return;
    const waiting = this.p.targets
      .filter((t) => !this.settled(t))
      .map((t) => waitingFor(t.scenario, this.records.get(t.pod)!, t.expectation, now.toISOString()));
    this.out.status(`[${Math.round((now.getTime() - this.start.getTime()) / 1000)} s] ${waiting.join(" | ")}`);
  }

  /** Ctrl-C: the verdicts as things stand. */
  stop(): void {
    this.out.note("observe: interrupted");
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    this.feed?.close();
    let ok = true;
    for (const t of this.p.targets) {
      const v = verdict(t.scenario, this.records.get(t.pod)!, t.expectation);
      ok &&= v.ok;
      this.emit(v);
    }
    this.done(
      ok ? 0 : 1,
      this.p.targets.map((t) => ({ scenario: t.scenario, record: this.records.get(t.pod)! })),
    );
  }
}
