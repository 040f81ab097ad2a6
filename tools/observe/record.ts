// The record of what was seen of one pod: structured state, updated from pod objects and events,
// that the verdicts read; text is made only when printing (format.ts).
import type { LoggedRequest } from "../../infra/pod-watch";
import {
  type Entry,
  eventFact,
  type Fact,
  type Hold,
  type HookFailure,
  hookHold,
  podFacts,
  type RawEvent,
  type RawPod,
  trueSince,
} from "./facts";

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
  /** the pod's latest container state or, before it has containers, its phase; since when (for the live status line) */
  doing?: { fact: Extract<Fact, { kind: "container" | "phase" }>; since: string };
  seenEvents: string[];
  /** every fact about the pod as the observer learned it, oldest first (what the pictures are drawn from) */
  timeline: Entry[];
}

export function newRecord(pod: string): PodRecord {
  return {
    pod,
    ready: false,
    waitingReasons: [],
    restartCount: 0,
    failedHookEvents: {},
    hookFailures: [],
    seenEvents: [],
    timeline: [],
  };
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
    if (f.kind === "container" || (f.kind === "phase" && !(pod.status?.containerStatuses ?? []).length))
      record.doing = { fact: f, since: now };
  }
  const ready = trueSince(pod, "Ready") !== undefined;
  if (ready && !record.ready) {
    record.hold = hookHold(pod, {
      startedEventAt: record.startedEventAt,
      creatingSeenAt: record.creatingWhilePendingAt,
      readySeenAt: record.readySeenAt,
    });
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
    record.failedHookEvents[e.metadata.uid ?? e.metadata.name ?? id] = {
      count: fact.count,
      message: fact.message,
      type: fact.type,
    };
    if (fact.hook) record.hookFailures.push({ ...fact.hook, source: "event" });
  }
  return [fact];
}
