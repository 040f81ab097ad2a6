// One scenario's timeline (the facts its pod's record kept, tools/observe/record.ts) -> what its
// picture shows, as data: lanes, bars over time (states, the hook's spans) and marks (events,
// restarts, what the observer read). No drawing here: picture-spec.ts turns this into a chart.
import { describeHook } from "../../infra/pod-state";
import type { Entry, Fact, HookFailure } from "./facts";
import { oneLine, truncate } from "./format";

/** What each colour of the picture means, in the legend's order. */
export const LEGEND = {
  waiting: "#f2b447",
  "back-off": "#e4572e",
  "hook failed": "#9e1f3d",
  running: "#a6d9b0",
  ready: "#2e8b57",
  ended: "#8c8c8c",
  "post-start hook": "#6a4c93",
  "Normal event": "#4c78a8",
  "Warning event": "#d62728",
  restart: "#111111",
  "observer read": "#17a2b8",
} as const;
export type Key = keyof typeof LEGEND;

export const POD_LANE = "pod phase";
export const HOOK_LANE = "post-start hook";
/** the cluster's events, and what the observer read from the pod (the quote, the receiver's log) */
export const EVENT_LANE = "events";
export const containerLane = (container: string) => `container ${container}`;

/** A span of time on a lane: a state, or one run of the hook. */
export interface Bar {
  lane: string;
  from: number;
  to: number;
  key: Key;
  label: string;
}

/**
 * A moment on a lane: an event (each occurrence of a repeated one is a mark of its own), a restart, what the observer
 * read.
 */
export interface Mark {
  lane: string;
  at: number;
  key: Key;
  label: string;
}

export interface Scene {
  scenario: string;
  pod: string;
  /** top to bottom */
  lanes: string[];
  /** the time axis, in seconds since the observer started */
  start: number;
  end: number;
  bars: Bar[];
  marks: Mark[];
  /** the verdict and what the pod served or caused, as lines of text under the title */
  notes: string[];
}

type Of<K extends Fact["kind"]> = Entry & Extract<Fact, { kind: K }>;
const is =
  <K extends Fact["kind"]>(kind: K) =>
  (e: Entry): e is Of<K> =>
    e.kind === kind;

function containerState(e: Of<"container">): { key: Key; label: string } {
  if (e.state === "running")
    return e.ready ? { key: "ready", label: "Running, ready" } : { key: "running", label: "Running" };
  if (e.state === "terminated")
    return {
      key: "ended",
      label: `${e.reason ?? "Terminated"}${e.exitCode !== undefined ? ` (exit ${e.exitCode})` : ""}`,
    };
  const key: Key =
    e.reason === "CrashLoopBackOff" ? "back-off" : e.reason === "PostStartHookError" ? "hook failed" : "waiting";
  return { key, label: e.reason ?? "Waiting" };
}

function podState(e: Of<"phase">): { key: Key; label: string } {
  const label = `${e.phase}${e.ready ? ", Ready" : ""}`;
  if (e.phase === "Pending") return { key: "waiting", label };
  if (e.phase === "Running") return { key: e.ready ? "ready" : "running", label };
  return { key: "ended", label };
}

/** Consecutive states as bars: each lasts until the next one on its lane, the last until `end`. */
function stateBars<E extends Entry>(
  entries: E[],
  lane: (e: E) => string,
  state: (e: E) => { key: Key; label: string },
  end: number,
): Bar[] {
  return entries.map((e, i) => {
    const next = entries.slice(i + 1).find((n) => lane(n) === lane(e));
    return { lane: lane(e), from: e.t, to: next?.t ?? end, ...state(e) };
  });
}

const failureLabel = (hook: HookFailure | undefined) =>
  truncate(hook ? describeHook(hook).replace(/^the post-start hook /, "") : "failed", 60);

/**
 * The hook's runs: each from the kubelet's `Started` event (it runs the hook right after starting the
 * container) to what ended it: the hold the observer measured, a failure, or the next start. A hold
 * with no `Started` seen (the observer came late) is drawn from the pod's own timestamps.
 */
function hookBars(timeline: Entry[], end: number): Bar[] {
  const bars: Bar[] = [];
  const toT = (ref: Entry, iso: string) => ref.t + (Date.parse(iso) - Date.parse(ref.time)) / 1000;
  timeline.forEach((e, i) => {
    if (is("hook")(e) && !timeline.slice(0, i).some(isStarted)) {
      bars.push({
        lane: HOOK_LANE,
        from: toT(e, e.from),
        to: toT(e, e.to),
        key: "post-start hook",
        label: `held ${e.seconds} s`,
      });
    }
    if (isStarted(e)) bars.push({ lane: HOOK_LANE, from: e.t, ...hookRunEnd(timeline.slice(i + 1), end) });
  });
  return bars;
}

const isStarted = (e: Entry) => e.kind === "event" && e.reason === "Started";

/** How a hook run that started before `after` ended: a hold, a failure, the next start, or not yet. */
function hookRunEnd(after: Entry[], end: number): Pick<Bar, "to" | "key" | "label"> {
  for (const n of after) {
    if (is("hook")(n)) return { to: n.t, key: "post-start hook", label: `held ${n.seconds} s` };
    if (
      (is("event")(n) && n.reason === "FailedPostStartHook") ||
      (is("container")(n) && n.reason === "PostStartHookError")
    ) {
      // Since Kubernetes 1.26 the event says only "PostStartHook failed": the details come with the status.
      const nextStart = after.findIndex(isStarted);
      const run = nextStart < 0 ? after : after.slice(0, nextStart);
      const detailed = run.find(
        (x): x is Of<"event" | "container"> => (x.kind === "event" || x.kind === "container") && x.hook !== undefined,
      );
      return { to: n.t, key: "hook failed", label: failureLabel(detailed?.hook) };
    }
    if (isStarted(n)) return { to: n.t, key: "post-start hook", label: "" };
  }
  return { to: end, key: "post-start hook", label: "running" };
}

function observerMark(e: Of<"quote" | "hook-output" | "receiver">): Mark | undefined {
  // which request: in the notes
  if (e.kind === "receiver") return { lane: EVENT_LANE, at: e.t, key: "observer read", label: "request logged" };
  if (e.kind === "quote" && e.quote !== undefined)
    return { lane: EVENT_LANE, at: e.t, key: "observer read", label: "quote served" };
  if (e.kind === "hook-output" && e.output !== undefined)
    return { lane: EVENT_LANE, at: e.t, key: "observer read", label: "hook output read" };
  return undefined;
}

function notes(timeline: Entry[]): string[] {
  const verdict = timeline.filter(is("verdict")).at(-1);
  const quote = timeline.filter(is("quote")).find((q) => q.quote !== undefined);
  const request = timeline.filter(is("receiver"))[0];
  return [
    verdict
      ? verdict.ok
        ? "behaved as the book says"
        : `did NOT behave as the book says: ${verdict.failed.join("; ")}`
      : "no verdict (the observer was stopped)",
    ...(quote ? [`quote served: ${oneLine(JSON.stringify(quote.quote!.trim()))}`] : []),
    ...(request ? [`receiver ${request.receiver} logged "${request.request}" from ${request.client}`] : []),
  ].map((line) => truncate(line, 120));
}

/** What the picture of one scenario shows, from its pod's timeline. */
export function sceneOf(scenario: string, pod: string, timeline: Entry[]): Scene {
  const end = Math.max(...timeline.map((e) => e.t), 1);
  const containers = timeline.filter(is("container"));
  const events = timeline.filter(is("event"));
  const bars = [
    ...stateBars(timeline.filter(is("phase")), () => POD_LANE, podState, end),
    ...stateBars(containers, (e) => containerLane(e.container), containerState, end),
    ...hookBars(timeline, end),
  ];
  const marks: Mark[] = [
    ...timeline
      .filter(is("restart"))
      .map((e): Mark => ({ lane: containerLane(e.container), at: e.t, key: "restart", label: `#${e.restartCount}` })),
    ...events.map(
      (e): Mark => ({
        lane: EVENT_LANE,
        at: e.t,
        key: e.type === "Warning" ? "Warning event" : "Normal event",
        label: e.reason,
      }),
    ),
    ...timeline
      .filter((e): e is Of<"quote" | "hook-output" | "receiver"> =>
        ["quote", "hook-output", "receiver"].includes(e.kind),
      )
      .flatMap((e) => observerMark(e) ?? []),
  ];
  // A hold that began before the observer started reaches back before 0.
  const start = Math.floor(Math.min(end, ...timeline.map((e) => e.t), ...bars.map((b) => b.from)));
  const lanes = [POD_LANE, ...new Set(containers.map((e) => containerLane(e.container))), HOOK_LANE, EVENT_LANE];
  const used = new Set([...bars.map((b) => b.lane), ...marks.map((m) => m.lane)]);
  return { scenario, pod, lanes: lanes.filter((l) => used.has(l)), start, end, bars, marks, notes: notes(timeline) };
}
