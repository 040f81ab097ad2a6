// Pod and event objects (the API server's JSON) -> timeline facts, and the record of each pod, which the verdicts
// read; then each fact as a line for people. No I/O and no clock: the caller says when it learned each object.
import type { HookFailure, RawContainerState, RawEvent, RawPod } from "../../infra/pod-state.ts";
import { describeHook, parseHookFailure } from "../../infra/pod-state.ts";
import type { LoggedRequest } from "../../infra/pod-watch.ts";

/** How long the hook held the container: from `from` (what that is: `since`) to `to` (`until`). */
type Hold = { seconds: number; from: string; since: string; to: string; until: string };
type State = { state: "waiting" | "running" | "terminated"; reason?: string; message?: string; exitCode?: number };
export type Fact = { pod: string } & (
  | { kind: "phase"; phase: string; ready: boolean; reason?: string; message?: string }
  | ({ kind: "container"; container: string; ready: boolean; restartCount: number; hook?: HookFailure } & State)
  | { kind: "restart"; container: string; restartCount: number; lastReason?: string; lastExitCode?: number }
  | { kind: "event"; type: string; reason: string; message: string; count: number; at?: string; hook?: HookFailure }
  | ({ kind: "hook"; container: string } & Hold)
  | { kind: "quote"; quote?: string; error?: string }
  | { kind: "hook-output"; file: string; output?: string; error?: string }
  | { kind: "receiver"; receiver: string; request: string; status: number; client: string; line: string }
  | { kind: "verdict"; scenario: string; ok: boolean; expected: string[]; observed: string[]; failed: string[] }
);

/** A fact with the time the observer learned it: `t` seconds since observation start, `time` the wall clock. */
export type Entry = { t: number; time: string } & Fact;
export function stamp(fact: Fact, now: Date, start: Date): Entry {
  return { t: Math.round((now.getTime() - start.getTime()) / 100) / 10, time: now.toISOString(), ...fact };
}

const ended = (t: { reason?: string; exitCode: number }) => t.reason ?? (t.exitCode === 0 ? "Completed" : "Error");
function stateOf(s: RawContainerState | undefined): State {
  if (s?.running) return { state: "running" };
  const t = s?.terminated;
  if (t) return { state: "terminated", reason: ended(t), exitCode: t.exitCode, message: t.message };
  return { state: "waiting", reason: s?.waiting?.reason, message: s?.waiting?.message };
}

const condition = (pod: RawPod, type: string, status: string) =>
  pod.status?.conditions?.find((c) => c.type === type && c.status === status);
const trueSince = (pod: RawPod, type: string) => condition(pod, type, "True")?.lastTransitionTime;
/** The pod's phase; `Pending` pods say why when the scheduler gave a reason (e.g. `Unschedulable`). */
function phaseFact(pod: RawPod): Fact {
  const why = pod.status?.reason ? pod.status : condition(pod, "PodScheduled", "False");
  const ready = trueSince(pod, "Ready") !== undefined;
  const phase = pod.status?.phase ?? "Pending";
  return { kind: "phase", pod: pod.metadata.name, phase, ready, reason: why?.reason, message: why?.message };
}

const key = (f: object) => JSON.stringify(f);
/** The facts that tell `pod` apart from `previous` (the same pod as last seen; undefined the first time). */
export function podFacts(previous: RawPod | undefined, pod: RawPod): Fact[] {
  const facts: Fact[] = [];
  const phase = phaseFact(pod);
  if (!previous || key(phaseFact(previous)) !== key(phase)) facts.push(phase);
  for (const cs of pod.status?.containerStatuses ?? []) {
    const before = previous?.status?.containerStatuses?.find((c) => c.name === cs.name);
    const container = { pod: pod.metadata.name, container: cs.name };
    if (before && cs.restartCount > before.restartCount) {
      const last = cs.lastState?.terminated;
      const lastRun = { lastReason: last && ended(last), lastExitCode: last?.exitCode };
      facts.push({ kind: "restart", ...container, restartCount: cs.restartCount, ...lastRun });
    }
    const state = stateOf(cs.state);
    if (before && key(stateOf(before.state)) === key(state) && before.ready === cs.ready) continue;
    const hook = state.reason === "PostStartHookError" ? parseHookFailure(state.message) : undefined;
    facts.push({ kind: "container", ...container, ...state, ready: cs.ready, restartCount: cs.restartCount, hook });
  }
  return facts;
}

// The hook's hold: from the first of these known (`Started`: it runs right after) to its return; whole seconds.
function hookHold(pod: RawPod, r: PodRecord): Hold | undefined {
  const readyAt = trueSince(pod, "ContainersReady") ?? trueSince(pod, "Ready");
  const to = readyAt ? { to: readyAt, until: "ContainersReady" } : { to: r.readySeenAt, until: "seen ready" };
  if (!to.to) return undefined;
  const candidates: [string, string | undefined][] = [
    ["Started event", r.startedEventAt],
    ["Initialized", trueSince(pod, "Initialized")],
    ["PodScheduled", trueSince(pod, "PodScheduled")],
    ["seen ContainerCreating", r.creatingWhilePendingAt],
  ];
  const [since, from] = candidates.find(([, at]) => at !== undefined && Date.parse(at) <= Date.parse(to.to!)) ?? [];
  if (!from) return undefined;
  return { seconds: (Date.parse(to.to) - Date.parse(from)) / 1000, from, since: since!, to: to.to, until: to.until };
}

export class PodRecord {
  uid?: string;
  last?: RawPod;
  phase?: string;
  ready = false;
  terminalAt?: string;
  waitingReasons: string[] = []; // container waiting reasons seen, in order, without repeats
  creatingWhilePendingAt?: string;
  readySeenAt?: string;
  restartCount = 0;
  startedEventAt?: string;
  /** FailedPostStartHook events: the highest count seen per event object */
  failedHookEvents: Record<string, { count: number; message: string; type: string }> = {};
  hookFailures: (HookFailure & { source: "event" | "status" })[] = [];
  hold?: Hold;
  quote?: string;
  quoteError?: string;
  hookOutput?: string; // what the hook wrote to its output file, read once the pod was ready
  request?: LoggedRequest;
  seenEvents: string[] = [];
  timeline: Entry[] = []; // every fact about the pod as the observer learned it, oldest first (the pictures' source)

  readonly pod: string;
  constructor(pod: string) {
    this.pod = pod;
  }
}

/** Updates `record` with a pod object seen at `now`; returns the new facts (a hook hold once the pod gets ready). */
export function observePod(record: PodRecord, pod: RawPod, now: string): Fact[] {
  const facts = podFacts(record.last, pod);
  record.last = pod;
  record.uid = pod.metadata.uid;
  record.phase = pod.status?.phase ?? "Pending";
  if (record.phase === "Failed" || record.phase === "Succeeded") record.terminalAt ??= now;
  const statuses = pod.status?.containerStatuses ?? [];
  for (const cs of statuses) {
    record.restartCount = Math.max(record.restartCount, cs.restartCount);
    const waiting = cs.state?.waiting?.reason;
    if (waiting && record.waitingReasons.at(-1) !== waiting) record.waitingReasons.push(waiting);
    if (waiting === "ContainerCreating" && record.phase === "Pending") record.creatingWhilePendingAt ??= now;
    if (cs.ready) record.readySeenAt ??= now;
  }
  for (const f of facts)
    if (f.kind === "container" && f.hook) record.hookFailures.push({ ...f.hook, source: "status" });
  const ready = trueSince(pod, "Ready") !== undefined;
  if (ready && !record.ready) {
    record.hold = hookHold(pod, record);
    if (record.hold)
      facts.push({ kind: "hook", pod: pod.metadata.name, container: statuses[0]?.name ?? "", ...record.hold });
  }
  record.ready = ready;
  return facts;
}

/** Updates `record` with an event about its pod; returns the fact, or nothing for an event already seen. */
export function observeEvent(record: PodRecord, e: RawEvent): Fact[] {
  const count = e.series?.count ?? e.count ?? 1;
  const id = `${e.metadata.uid ?? e.metadata.name}/${count}`;
  if (record.seenEvents.includes(id)) return [];
  record.seenEvents.push(id);
  const at = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? undefined;
  const [type, reason, message] = [e.type ?? "Normal", e.reason ?? "", e.message ?? ""];
  const hook = reason === "FailedPostStartHook" ? parseHookFailure(e.message) : undefined;
  if (reason === "Started" && at) record.startedEventAt = at;
  if (reason === "FailedPostStartHook")
    record.failedHookEvents[e.metadata.uid ?? e.metadata.name ?? id] = { count, message, type };
  if (hook) record.hookFailures.push({ ...hook, source: "event" });
  return [{ kind: "event", pod: e.involvedObject.name ?? "", type, reason, message, count, at, hook }];
}

export const truncate = (s: string, n = 100) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
export const oneLine = (s: string) => truncate(s.trim().replace(/\s*\n\s*/g, " / "));
export function describeState(f: Extract<Fact, { kind: "container" }>): string {
  const state = f.state[0]!.toUpperCase() + f.state.slice(1);
  return `${state}${f.reason ? ` (${f.reason}${f.exitCode !== undefined ? `, exit ${f.exitCode}` : ""})` : ""}`;
}

export const describePhase = (f: Extract<Fact, { kind: "phase" }>) =>
  `${f.phase}${f.ready ? ", Ready" : ""}${f.reason ? ` (${f.reason})` : ""}`;

const clock = (iso: string) => new Date(iso).toTimeString().slice(0, 8);
const LINES: { [K in Fact["kind"]]: (e: Extract<Fact, { kind: K }>) => string } = {
  phase: (e) => `phase ${describePhase(e)}${e.message ? `: ${oneLine(e.message)}` : ""}`,
  container: (e) =>
    `container ${e.container} ${describeState(e)}${e.ready ? ", ready" : ""}, restarts ${e.restartCount}` +
    (e.hook ? `: ${describeHook(e.hook)}` : e.message ? `: ${oneLine(e.message)}` : ""),
  restart: (e) =>
    `restart #${e.restartCount} of ${e.container}` +
    (e.lastReason ? ` (last run: ${e.lastReason}, exit ${e.lastExitCode})` : ""),
  event: (e) =>
    `event ${e.type} ${e.reason}${e.count > 1 ? ` (x${e.count})` : ""}${e.at ? ` at ${clock(e.at)}` : ""}: ` +
    oneLine(e.message) +
    (e.hook ? `\n${" ".repeat(17)}-> ${describeHook(e.hook)}` : ""),
  hook: (e) =>
    `post-start hook held ${e.container} for ${e.seconds} s (${e.since} ${clock(e.from)} -> ${e.until} ${clock(e.to)})`,
  quote: (e) =>
    e.quote !== undefined ? `quote: ${JSON.stringify(e.quote.trim())}` : `quote not served: ${oneLine(e.error ?? "")}`,
  "hook-output": (e) =>
    e.output !== undefined
      ? `hook output (${e.file}): ${JSON.stringify(e.output)}`
      : `hook output not read from ${e.file}: ${oneLine(e.error ?? "")}`,
  receiver: (e) => `receiver ${e.receiver} logged "${e.request}" from ${e.client}, answered ${e.status}`,
  verdict: (e) => {
    const lines = e.expected.map((x, i) => `    ${e.failed.includes(x) ? "FAIL" : "ok  "} ${x}: ${e.observed[i]}`);
    const verdict = e.ok
      ? "behaved as the book says"
      : `did NOT behave as the book says (${e.failed.length} of ${e.expected.length} expectations failed)`;
    return [`${e.scenario}: ${verdict}`, ...lines].join("\n");
  },
};

export function formatEntry(e: Entry): string {
  const line = (LINES[e.kind] as (e: Entry) => string)(e);
  if (e.kind === "verdict") return line;
  return `${(e.t < 0 ? "" : "+") + e.t.toFixed(1).padStart(5)}s ${clock(e.time)}  ${e.pod}  ${line}`;
}
