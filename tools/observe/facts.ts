// Pod and event objects (JSON, as the API server sends them) -> timeline facts: what changed, as
// data. No I/O and no clock: the caller stamps each fact with the time it learned it.
import {
  type HookFailure,
  parseHookFailure,
  type RawCondition,
  type RawContainerState,
  type RawEvent,
  type RawPod,
} from "../../infra/pod-state";

export type { HookFailure, RawCondition, RawContainerState, RawEvent, RawPod };

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
  | {
      kind: "restart";
      pod: string;
      container: string;
      restartCount: number;
      lastReason?: string;
      lastExitCode?: number;
    }
  | {
      kind: "event";
      pod: string;
      type: string;
      reason: string;
      message: string;
      count: number;
      at?: string;
      hook?: HookFailure;
    }
  | ({ kind: "hook"; pod: string; container: string } & Hold)
  | { kind: "quote"; pod: string; quote?: string; error?: string }
  | { kind: "hook-output"; pod: string; file: string; output?: string; error?: string }
  | { kind: "receiver"; pod: string; receiver: string; request: string; status: number; client: string; line: string }
  | {
      kind: "verdict";
      pod: string;
      scenario: string;
      ok: boolean;
      expected: string[];
      observed: string[];
      failed: string[];
    };

/** A fact with the time the observer learned it: `t` seconds since observation start, `time` the wall clock. */
export type Entry = { t: number; time: string } & Fact;

export function stamp(fact: Fact, now: Date, start: Date): Entry {
  return { t: Math.round((now.getTime() - start.getTime()) / 100) / 10, time: now.toISOString(), ...fact };
}

function stateOf(
  s: RawContainerState | undefined,
): Pick<Extract<Fact, { kind: "container" }>, "state" | "reason" | "message" | "exitCode"> {
  if (s?.running) return { state: "running" };
  if (s?.terminated) {
    const t = s.terminated;
    return {
      state: "terminated",
      reason: t.reason ?? (t.exitCode === 0 ? "Completed" : "Error"),
      exitCode: t.exitCode,
      ...(t.message ? { message: t.message } : {}),
    };
  }
  const w = s?.waiting;
  return {
    state: "waiting",
    ...(w?.reason ? { reason: w.reason } : {}),
    ...(w?.message ? { message: w.message } : {}),
  };
}

function condition(pod: RawPod, type: string): RawCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

export const trueSince = (pod: RawPod, type: string) => {
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
        ...(last
          ? { lastReason: last.reason ?? (last.exitCode === 0 ? "Completed" : "Error"), lastExitCode: last.exitCode }
          : {}),
      });
    }
    const state = stateOf(cs.state);
    const changed = !before || key(stateOf(before.state)) !== key(state) || before.ready !== cs.ready;
    if (!changed) continue;
    const hook = state.reason === "PostStartHookError" ? parseHookFailure(state.message) : undefined;
    facts.push({
      kind: "container",
      pod: pod.metadata.name,
      container: cs.name,
      ...state,
      ready: cs.ready,
      restartCount: cs.restartCount,
      ...(hook ? { hook } : {}),
    });
  }
  return facts;
}

/** When an event last happened, by the newest timestamp it carries. */
function eventTime(e: RawEvent): string | undefined {
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
export function hookHold(
  pod: RawPod,
  started?: { startedEventAt?: string; creatingSeenAt?: string; readySeenAt?: string },
): Hold | undefined {
  const readyAt = trueSince(pod, "ContainersReady") ?? trueSince(pod, "Ready");
  const to = readyAt
    ? { to: readyAt, until: "ContainersReady" }
    : started?.readySeenAt
      ? { to: started.readySeenAt, until: "seen ready" }
      : undefined;
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
