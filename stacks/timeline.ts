// The observer's pure part: pod and event objects (JSON, as the API server sends them) -> timeline
// facts, a per-pod record of what was seen, and each scenario's verdict against the book. No I/O
// and no clock: the caller stamps each fact with the time it learned it.
import { describeHook, type HookFailure, parseHookFailure, type RawCondition, type RawContainerState, type RawEvent, type RawPod } from "../infra/pod-state";
import type { Scenario } from "./settings";

export type { HookFailure, RawCondition, RawContainerState, RawEvent, RawPod };

// ---------------------------------------------------------------- timeline facts

export interface Hold {
  seconds: number;
  from: string;
  /** what `from` is: the kubelet's `Started` event (the hook starts right after it), or a pod condition */
  since: string;
  to: string;
  until: string;
}

export type Fact =
  | { kind: "phase"; pod: string; phase: string; ready: boolean; reason?: string; message?: string }
  | {
      kind: "container";
      pod: string;
      container: string;
      state: "waiting" | "running" | "terminated";
      reason?: string;
      message?: string;
      exitCode?: number;
      ready: boolean;
      restartCount: number;
      hook?: HookFailure;
    }
  | { kind: "restart"; pod: string; container: string; restartCount: number; lastReason?: string; lastExitCode?: number }
  | { kind: "event"; pod: string; type: string; reason: string; message: string; count: number; at?: string; hook?: HookFailure }
  | ({ kind: "hook"; pod: string; container: string } & Hold)
  | { kind: "quote"; pod: string; quote?: string; error?: string }
  | { kind: "hook-output"; pod: string; file: string; output?: string; error?: string }
  | { kind: "receiver"; pod: string; receiver: string; request: string; client: string; line: string }
  | { kind: "verdict"; pod: string; scenario: string; ok: boolean; expected: string[]; observed: string[]; failed: string[] };

/** A fact with the time the observer learned it: `t` seconds since observation start, `time` the wall clock. */
export type Entry = { t: number; time: string } & Fact;

export function stamp(fact: Fact, now: Date, start: Date): Entry {
  return { t: Math.round((now.getTime() - start.getTime()) / 100) / 10, time: now.toISOString(), ...fact };
}

// ---------------------------------------------------------------- parsing

/** A receiver's request as nginx logs it (`combined`/`main` format; with `timestamps=true`, the kubelet's RFC 3339 prefix). */
export interface LoggedRequest {
  at?: string;
  client: string;
  request: string;
  line: string;
}

/** The requests for `path` in a receiver's log, oldest first; with `notBefore`, only those logged at or after it. */
export function parseReceiverLog(log: string, path: string, notBefore?: string): LoggedRequest[] {
  const found: LoggedRequest[] = [];
  for (const raw of log.split("\n")) {
    const m = /^(?:(\d{4}-\d\d-\d\dT\S+Z) )?(\S+) \S+ \S+ \[[^\]]*\] "(GET (\S+) HTTP\/[\d.]+)"/.exec(raw);
    if (!m || m[4]!.split("?")[0] !== path) continue;
    if (notBefore && m[1] && Date.parse(m[1]) < Date.parse(notBefore) - 1000) continue;
    found.push({ ...(m[1] ? { at: m[1] } : {}), client: m[2]!, request: m[3]!, line: (m[1] ? raw.slice(m[1].length + 1) : raw).trim() });
  }
  return found;
}

// ---------------------------------------------------------------- pods -> facts

function stateOf(s: RawContainerState | undefined): Pick<Extract<Fact, { kind: "container" }>, "state" | "reason" | "message" | "exitCode"> {
  if (s?.running) return { state: "running" };
  if (s?.terminated) {
    const t = s.terminated;
    return { state: "terminated", reason: t.reason ?? (t.exitCode === 0 ? "Completed" : "Error"), exitCode: t.exitCode, ...(t.message ? { message: t.message } : {}) };
  }
  const w = s?.waiting;
  return { state: "waiting", ...(w?.reason ? { reason: w.reason } : {}), ...(w?.message ? { message: w.message } : {}) };
}

function condition(pod: RawPod, type: string): RawCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

const trueSince = (pod: RawPod, type: string) => {
  const c = condition(pod, type);
  return c?.status === "True" ? c.lastTransitionTime : undefined;
};

/** The pod's phase; `Pending` pods say why when the scheduler gave a reason (e.g. `Unschedulable`). */
function phaseFact(pod: RawPod): Extract<Fact, { kind: "phase" }> {
  const phase = pod.status?.phase ?? "Pending";
  const unscheduled = condition(pod, "PodScheduled");
  const why = pod.status?.reason
    ? { reason: pod.status.reason, message: pod.status.message }
    : unscheduled?.status === "False"
      ? { reason: unscheduled.reason, message: unscheduled.message }
      : {};
  return {
    kind: "phase",
    pod: pod.metadata.name,
    phase,
    ready: trueSince(pod, "Ready") !== undefined,
    ...(why.reason ? { reason: why.reason } : {}),
    ...(why.message ? { message: why.message } : {}),
  };
}

const key = (f: object) => JSON.stringify(f);

/** The facts that tell `pod` apart from `previous` (the same pod as last seen; undefined the first time). */
export function podFacts(previous: RawPod | undefined, pod: RawPod): Fact[] {
  const facts: Fact[] = [];
  const phase = phaseFact(pod);
  if (!previous || key(phaseFact(previous)) !== key(phase)) facts.push(phase);
  for (const cs of pod.status?.containerStatuses ?? []) {
    const before = previous?.status?.containerStatuses?.find((c) => c.name === cs.name);
    if (before && cs.restartCount > before.restartCount) {
      const last = cs.lastState?.terminated;
      facts.push({
        kind: "restart",
        pod: pod.metadata.name,
        container: cs.name,
        restartCount: cs.restartCount,
        ...(last ? { lastReason: last.reason ?? (last.exitCode === 0 ? "Completed" : "Error"), lastExitCode: last.exitCode } : {}),
      });
    }
    const state = stateOf(cs.state);
    const changed = !before || key(stateOf(before.state)) !== key(state) || before.ready !== cs.ready;
    if (!changed) continue;
    const hook = state.reason === "PostStartHookError" ? parseHookFailure(state.message) : undefined;
    facts.push({ kind: "container", pod: pod.metadata.name, container: cs.name, ...state, ready: cs.ready, restartCount: cs.restartCount, ...(hook ? { hook } : {}) });
  }
  return facts;
}

/** When an event last happened, by the newest timestamp it carries. */
export function eventTime(e: RawEvent): string | undefined {
  return e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? undefined;
}

export function eventFact(e: RawEvent): Extract<Fact, { kind: "event" }> {
  const hook = e.reason === "FailedPostStartHook" ? parseHookFailure(e.message) : undefined;
  const at = eventTime(e);
  return {
    kind: "event",
    pod: e.involvedObject.name ?? "",
    type: e.type ?? "Normal",
    reason: e.reason ?? "",
    message: e.message ?? "",
    count: e.series?.count ?? e.count ?? 1,
    ...(at ? { at } : {}),
    ...(hook ? { hook } : {}),
  };
}

/**
 * How long the post-start hook held the container: from the kubelet's `Started` event (it runs the
 * hook right after starting the container), else the pod's `Initialized` or `PodScheduled` time, else
 * when we first saw the container `ContainerCreating`; to `ContainersReady` (the container counts as
 * started only once its hook returned), else when we saw it ready. Timestamps have whole seconds.
 */
export function hookHold(pod: RawPod, started?: { startedEventAt?: string; creatingSeenAt?: string; readySeenAt?: string }): Hold | undefined {
  const readyAt = trueSince(pod, "ContainersReady") ?? trueSince(pod, "Ready");
  const to = readyAt ? { to: readyAt, until: "ContainersReady" } : started?.readySeenAt ? { to: started.readySeenAt, until: "seen ready" } : undefined;
  if (!to) return undefined;
  const candidates: [string, string | undefined][] = [
    ["Started event", started?.startedEventAt],
    ["Initialized", trueSince(pod, "Initialized")],
    ["PodScheduled", trueSince(pod, "PodScheduled")],
    ["seen ContainerCreating", started?.creatingSeenAt],
  ];
  const from = candidates.find(([, at]) => at !== undefined && Date.parse(at) <= Date.parse(to.to));
  if (!from) return undefined;
  return { seconds: (Date.parse(to.to) - Date.parse(from[1]!)) / 1000, from: from[1]!, since: from[0], ...to };
}

// ---------------------------------------------------------------- what was seen of one pod

export interface PodRecord {
  pod: string;
  uid?: string;
  /** what the hook wrote to its output file, read once the pod was ready */
  hookOutput?: string;
  last?: RawPod;
  phase?: string;
  ready: boolean;
  terminalAt?: string;
  /** container waiting reasons seen, in order, without repeats */
  waitingReasons: string[];
  creatingWhilePendingAt?: string;
  readySeenAt?: string;
  restartCount: number;
  startedEventAt?: string;
  /** FailedPostStartHook events: the highest count seen per event object */
  failedHookEvents: Record<string, { count: number; message: string; type: string }>;
  hookFailures: (HookFailure & { source: "event" | "status" })[];
  hold?: Hold;
  quote?: string;
  quoteError?: string;
  request?: LoggedRequest;
  /** what the record's pod has been doing since when (for the live status line) */
  doing: { what: string; since: string };
  seenEvents: string[];
}

export function newRecord(pod: string): PodRecord {
  return { pod, ready: false, waitingReasons: [], restartCount: 0, failedHookEvents: {}, hookFailures: [], doing: { what: "not created yet", since: "" }, seenEvents: [] };
}

/** Updates `record` with a pod object seen at `now`; returns the new facts (a hook hold once the pod gets ready). */
export function observePod(record: PodRecord, pod: RawPod, now: string): Fact[] {
  const facts = podFacts(record.last, pod);
  record.last = pod;
  record.uid = pod.metadata.uid;
  record.phase = pod.status?.phase ?? "Pending";
  if ((record.phase === "Failed" || record.phase === "Succeeded") && !record.terminalAt) record.terminalAt = now;
  for (const cs of pod.status?.containerStatuses ?? []) {
    record.restartCount = Math.max(record.restartCount, cs.restartCount);
    const waiting = cs.state?.waiting?.reason;
    if (waiting && record.waitingReasons.at(-1) !== waiting) record.waitingReasons.push(waiting);
    if (waiting === "ContainerCreating" && record.phase === "Pending") record.creatingWhilePendingAt ??= now;
    if (cs.ready) record.readySeenAt ??= now;
  }
  for (const f of facts) {
    if (f.kind === "container" && f.hook) record.hookFailures.push({ ...f.hook, source: "status" });
    if (f.kind === "container") record.doing = { what: `${f.container} ${describeState(f)}`, since: now };
    else if (f.kind === "phase" && !(pod.status?.containerStatuses ?? []).length) record.doing = { what: describePhase(f), since: now };
  }
  const ready = trueSince(pod, "Ready") !== undefined;
  if (ready && !record.ready) {
    record.hold = hookHold(pod, { startedEventAt: record.startedEventAt, creatingSeenAt: record.creatingWhilePendingAt, readySeenAt: record.readySeenAt });
    const container = pod.status?.containerStatuses?.[0]?.name ?? "";
    if (record.hold) facts.push({ kind: "hook", pod: pod.metadata.name, container, ...record.hold });
  }
  record.ready = ready;
  return facts;
}

/** Updates `record` with an event about its pod; returns the fact, or nothing for an event already seen. */
export function observeEvent(record: PodRecord, e: RawEvent): Fact[] {
  const fact = eventFact(e);
  const id = `${e.metadata.uid ?? e.metadata.name}/${fact.count}`;
  if (record.seenEvents.includes(id)) return [];
  record.seenEvents.push(id);
  if (fact.reason === "Started" && fact.at) record.startedEventAt = fact.at;
  if (fact.reason === "FailedPostStartHook") {
    record.failedHookEvents[e.metadata.uid ?? e.metadata.name ?? id] = { count: fact.count, message: fact.message, type: fact.type };
    if (fact.hook) record.hookFailures.push({ ...fact.hook, source: "event" });
  }
  return [fact];
}

// ---------------------------------------------------------------- verdicts

/** What the program says the scenario should show, beyond its name. */
export interface Expectation {
  /** the slow hook's `sleep` */
  slowHookDelaySeconds: number;
  /** the path the httpGet hook requests from its receiver */
  hookPath?: string;
  /** the file in the container where an exec hook keeps its output */
  hookOutputFile?: string;
}

interface Check {
  expect: string;
  ok: boolean;
  observed: string;
}

const truncate = (s: string, n = 100) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const oneLine = (s: string) => truncate(s.trim().replace(/\s*\n\s*/g, " / "));

function failedHookEventCount(r: PodRecord): number {
  return Object.values(r.failedHookEvents).reduce((n, e) => n + e.count, 0);
}

const checks = {
  ready: (r: PodRecord): Check => ({
    expect: "pod Ready",
    ok: r.ready,
    observed: r.ready ? "Ready" : `not Ready: ${r.phase ?? "no pod seen"}${r.waitingReasons.length ? `, waiting: ${r.waitingReasons.join(" -> ")}` : ""}`,
  }),
  hookOutput: (r: PodRecord, file: string): Check => ({
    expect: `the hook's output kept in ${file}`,
    ok: r.hookOutput !== undefined,
    observed: r.hookOutput !== undefined ? `${r.hookOutput.length} bytes` : "not read",
  }),
  quote: (r: PodRecord): Check => ({
    expect: "a quote served on port 80 at /quote",
    ok: !!r.quote,
    observed: r.quote ? `"${oneLine(r.quote)}"` : r.quoteError ? `no quote: ${oneLine(r.quoteError)}` : "no quote fetched",
  }),
  creatingWhilePending: (r: PodRecord): Check => ({
    expect: "container Waiting (ContainerCreating) while the pod is Pending",
    ok: r.creatingWhilePendingAt !== undefined,
    observed: r.creatingWhilePendingAt ? `seen at ${r.creatingWhilePendingAt}` : `not seen; waiting reasons seen: ${r.waitingReasons.join(", ") || "none"}`,
  }),
  held: (r: PodRecord, delay: number): Check => ({
    // whole-second timestamps: allow one second less
    expect: `the hook held the container about its ${delay} s sleep (>= ${Math.max(0, delay - 1)} s)`,
    ok: r.hold !== undefined && r.hold.seconds >= delay - 1,
    observed: r.hold ? `held ${r.hold.seconds} s (${r.hold.since} ${r.hold.from} -> ${r.hold.until} ${r.hold.to})` : "not measured",
  }),
  failedHookEvent: (r: PodRecord): Check => {
    const warnings = Object.values(r.failedHookEvents).filter((e) => e.type === "Warning");
    return {
      expect: "a FailedPostStartHook Warning event",
      ok: warnings.length > 0,
      observed: warnings.length ? `${failedHookEventCount(r)} x "${oneLine(warnings[0]!.message)}"` : "none",
    };
  },
  exitCode: (r: PodRecord): Check => {
    const f = r.hookFailures.find((h) => h.exitCode !== undefined && h.exitCode !== 0);
    return {
      expect: "the hook's exit code and output (in the event, or in the PostStartHookError status on Kubernetes >= 1.26)",
      ok: f !== undefined,
      observed: f ? `exited with ${f.exitCode}, output "${oneLine(f.output ?? "")}" (from the ${f.source})` : "not seen",
    };
  },
  connectionRefused: (r: PodRecord): Check => {
    const f = r.hookFailures.find((h) => h.handler === "httpGet" && /connection refused/.test(h.error));
    return {
      expect: "the httpGet hook's connection refused (in the event, or in the PostStartHookError status on Kubernetes >= 1.26)",
      ok: f !== undefined,
      observed: f ? `${oneLine(f.error)} (from the ${f.source})` : `not seen${r.hookFailures[0] ? `; hook error: ${oneLine(r.hookFailures[0].error)}` : ""}`,
    };
  },
  restarts: (r: PodRecord, atLeast: number): Check => ({ expect: `restart count >= ${atLeast}`, ok: r.restartCount >= atLeast, observed: `restart count ${r.restartCount}` }),
  noRestart: (r: PodRecord): Check => ({ expect: "restart count 0", ok: r.last !== undefined && r.restartCount === 0, observed: r.last ? `restart count ${r.restartCount}` : "no pod seen" }),
  crashLoop: (r: PodRecord): Check => ({
    expect: "waiting reason CrashLoopBackOff",
    ok: r.waitingReasons.includes("CrashLoopBackOff"),
    observed: `waiting reasons seen: ${r.waitingReasons.join(", ") || "none"}`,
  }),
  // Killed after its hook failed, the container does not run again: the pod ends. Failed or
  // Succeeded depends on how the image's process exits on its stop signal (nginx exits 0 on SIGQUIT).
  ended: (r: PodRecord): Check => ({
    expect: "pod ended (phase Failed or Succeeded)",
    ok: r.phase === "Failed" || r.phase === "Succeeded",
    observed: `phase ${r.phase ?? "(no pod seen)"}`,
  }),
  request: (r: PodRecord, path: string | undefined): Check => ({
    expect: `the receiver logged GET ${path ?? "(no httpGet hook path in the program)"}`,
    ok: path !== undefined && r.request !== undefined,
    observed: r.request ? `from ${r.request.client}: ${truncate(r.request.line, 160)}` : "not logged",
  }),
};

/** The book's expected end state of each scenario, as checks on what was seen of its pod. */
const hookOutputChecks = (r: PodRecord, x: Expectation) => (x.hookOutputFile ? [checks.hookOutput(r, x.hookOutputFile)] : []);

export function scenarioChecks(scenario: Scenario, r: PodRecord, x: Expectation): Check[] {
  switch (scenario) {
    case "quote-poststart":
      return [checks.ready(r), checks.quote(r), ...hookOutputChecks(r, x)];
    case "quote-poststart-slow":
      return [checks.creatingWhilePending(r), checks.ready(r), checks.held(r, x.slowHookDelaySeconds), checks.quote(r), ...hookOutputChecks(r, x)];
    case "quote-poststart-fail":
      return [checks.failedHookEvent(r), checks.exitCode(r), checks.restarts(r, 1), checks.crashLoop(r)];
    case "quote-poststart-fail-norestart":
      return [checks.ended(r), checks.noRestart(r), checks.failedHookEvent(r)];
    case "poststart-httpget":
      return [checks.ready(r), checks.request(r, x.hookPath)];
    case "poststart-httpget-slow":
      return [checks.failedHookEvent(r), checks.connectionRefused(r), checks.restarts(r, 2)];
  }
}

export function verdict(scenario: Scenario, r: PodRecord, x: Expectation): Extract<Fact, { kind: "verdict" }> {
  const all = scenarioChecks(scenario, r, x);
  return {
    kind: "verdict",
    pod: r.pod,
    scenario,
    ok: all.every((c) => c.ok),
    expected: all.map((c) => c.expect),
    observed: all.map((c) => c.observed),
    failed: all.filter((c) => !c.ok).map((c) => c.expect),
  };
}

// ---------------------------------------------------------------- text

function describeState(f: Extract<Fact, { kind: "container" }>): string {
  const state = f.state[0]!.toUpperCase() + f.state.slice(1);
  return `${state}${f.reason ? ` (${f.reason}${f.exitCode !== undefined ? `, exit ${f.exitCode}` : ""})` : ""}`;
}

function describePhase(f: Extract<Fact, { kind: "phase" }>): string {
  return `${f.phase}${f.ready ? ", Ready" : ""}${f.reason ? ` (${f.reason})` : ""}`;
}

const clock = (iso: string) => new Date(iso).toTimeString().slice(0, 8);

/** One timeline line for people. */
export function formatEntry(e: Entry): string {
  const head = `${(e.t < 0 ? "" : "+") + e.t.toFixed(1).padStart(5)}s ${clock(e.time)}  ${e.pod}  `;
  switch (e.kind) {
    case "phase":
      return `${head}phase ${describePhase(e)}${e.message ? `: ${oneLine(e.message)}` : ""}`;
    case "container":
      return `${head}container ${e.container} ${describeState(e)}${e.ready ? ", ready" : ""}, restarts ${e.restartCount}${e.hook ? `: ${describeHook(e.hook)}` : e.message ? `: ${oneLine(e.message)}` : ""}`;
    case "restart":
      return `${head}restart #${e.restartCount} of ${e.container}${e.lastReason ? ` (last run: ${e.lastReason}, exit ${e.lastExitCode})` : ""}`;
    case "event":
      return `${head}event ${e.type} ${e.reason}${e.count > 1 ? ` (x${e.count})` : ""}${e.at ? ` at ${clock(e.at)}` : ""}: ${oneLine(e.message)}${e.hook ? `\n${" ".repeat(17)}-> ${describeHook(e.hook)}` : ""}`;
    case "hook":
      return `${head}post-start hook held ${e.container} for ${e.seconds} s (${e.since} ${clock(e.from)} -> ${e.until} ${clock(e.to)})`;
    case "quote":
      return `${head}${e.quote !== undefined ? `quote: ${JSON.stringify(e.quote.trim())}` : `quote not served: ${oneLine(e.error ?? "")}`}`;
    case "hook-output":
      return `${head}${e.output !== undefined ? `hook output (${e.file}): ${JSON.stringify(e.output)}` : `hook output not read from ${e.file}: ${oneLine(e.error ?? "")}`}`;
    case "receiver":
      return `${head}receiver ${e.receiver} logged "${e.request}" from ${e.client}`;
    case "verdict": {
      const lines = e.expected.map((x, i) => `    ${e.failed.includes(x) ? "FAIL" : "ok  "} ${x}: ${e.observed[i]}`);
      return [`${e.scenario}: ${e.ok ? "behaved as the book says" : `did NOT behave as the book says (${e.failed.length} of ${e.expected.length} expectations failed)`}`, ...lines].join("\n");
    }
  }
}

/** What a scenario still waits for, for the live status line. */
export function waitingFor(scenario: Scenario, r: PodRecord, x: Expectation, now: string): string {
  const missing = scenarioChecks(scenario, r, x).find((c) => !c.ok);
  const since = r.doing.since ? ` for ${Math.round((Date.parse(now) - Date.parse(r.doing.since)) / 1000)} s` : "";
  return `${r.pod}: ${r.doing.what}${since}${missing ? `, waiting for ${missing.expect}` : ""}`;
}
