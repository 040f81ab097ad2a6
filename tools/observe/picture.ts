// `npm run observe -- --svg <dir>`: a pod's timeline -> its scene (lanes, bars, marks) -> a Vega-Lite SVG about 800 px
// wide, labels cut or moved to fit. Vega is loaded only to draw (the observer without `--svg` never pays for it).
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describeHook } from "../../infra/pod-state.ts";
import { type Entry, type Fact, oneLine, truncate } from "./facts.ts";
import type { Seen } from "./observer.ts";

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
export type Bar = { lane: string; from: number; to: number; key: Key; label: string };
/** A moment on a lane: an event (each occurrence its own mark), a restart, what the observer read. */
export type Mark = { lane: string; at: number; key: Key; label: string };
export type Scene = ReturnType<typeof sceneOf>;
type Of<K extends Fact["kind"]> = Entry & Extract<Fact, { kind: K }>;
const is =
  <K extends Fact["kind"]>(kind: K) =>
  (e: Entry): e is Of<K> =>
    e.kind === kind;

type State = { key: Key; label: string };
const WAITING: Record<string, Key> = { CrashLoopBackOff: "back-off", PostStartHookError: "hook failed" };
function containerState(e: Of<"container">): State {
  const exit = e.exitCode !== undefined ? ` (exit ${e.exitCode})` : "";
  if (e.state === "terminated") return { key: "ended", label: `${e.reason ?? "Terminated"}${exit}` };
  if (e.state === "running")
    return e.ready ? { key: "ready", label: "Running, ready" } : { key: "running", label: "Running" };
  return { key: WAITING[e.reason ?? ""] ?? "waiting", label: e.reason ?? "Waiting" };
}

function podState(e: Of<"phase">): State {
  const key = e.phase === "Pending" ? "waiting" : e.phase !== "Running" ? "ended" : e.ready ? "ready" : "running";
  return { key, label: `${e.phase}${e.ready ? ", Ready" : ""}` };
}

/** Consecutive states as bars: each lasts until the next one on its lane, the last until `end`. */
function stateBars<E extends Entry>(entries: E[], lane: (e: E) => string, state: (e: E) => State, end: number): Bar[] {
  return entries.map((e, i) => {
    const next = entries.slice(i + 1).find((n) => lane(n) === lane(e));
    return { lane: lane(e), from: e.t, to: next?.t ?? end, ...state(e) };
  });
}

const isStarted = (e: Entry) => e.kind === "event" && e.reason === "Started";
const isFailure = (e: Entry) =>
  (e.kind === "event" && e.reason === "FailedPostStartHook") ||
  (e.kind === "container" && e.reason === "PostStartHookError");
const held = (hook: Of<"hook">) => `held ${hook.seconds} s`;
// The hook's runs: `Started` event to a hold, failure or next start; with no `Started` seen, a hold's own timestamps.
function hookBars(timeline: Entry[], end: number): Bar[] {
  const toT = (ref: Entry, iso: string) => ref.t + (Date.parse(iso) - Date.parse(ref.time)) / 1000;
  return timeline.flatMap((e, i): Bar[] => {
    if (isStarted(e)) return [{ lane: HOOK_LANE, from: e.t, ...hookRunEnd(timeline.slice(i + 1), end) }];
    if (!is("hook")(e) || timeline.slice(0, i).some(isStarted)) return [];
    return [{ lane: HOOK_LANE, from: toT(e, e.from), to: toT(e, e.to), key: "post-start hook", label: held(e) }];
  });
}

/** How a hook run that started before `after` ended: a hold, a failure, the next start, or not yet. */
function hookRunEnd(after: Entry[], end: number): Omit<Bar, "lane" | "from"> {
  for (const n of after) {
    if (is("hook")(n)) return { to: n.t, key: "post-start hook", label: held(n) };
    if (isFailure(n)) {
      // Since Kubernetes 1.26 the event says only "PostStartHook failed": the details come with the status.
      const nextStart = after.findIndex(isStarted);
      const run = nextStart < 0 ? after : after.slice(0, nextStart);
      const hook = run.flatMap((x) => ("hook" in x && x.hook ? [x.hook] : []))[0];
      const label = truncate(hook ? describeHook(hook).replace(/^the post-start hook /, "") : "failed", 60);
      return { to: n.t, key: "hook failed", label };
    }
    if (isStarted(n)) return { to: n.t, key: "post-start hook", label: "" };
  }
  return { to: end, key: "post-start hook", label: "running" };
}

/** What the observer read, by the kind of its fact; a failed read (an `error`) is no mark. */
const READ: Record<string, string> = {
  quote: "quote served",
  "hook-output": "hook output read",
  receiver: "request logged",
};

/** Under the title: the verdict, and what the pod served or caused. */
function notes(timeline: Entry[]): string[] {
  const verdict = timeline.filter(is("verdict")).at(-1);
  const quote = timeline.filter(is("quote")).find((q) => q.quote !== undefined)?.quote;
  const request = timeline.filter(is("receiver"))[0];
  const failed = `did NOT behave as the book says: ${verdict?.failed.join("; ")}`;
  const judged = verdict?.ok ? "behaved as the book says" : failed;
  return [
    verdict ? judged : "no verdict (the observer was stopped)",
    ...(quote ? [`quote served: ${oneLine(JSON.stringify(quote.trim()))}`] : []),
    ...(request ? [`receiver ${request.receiver} logged "${request.request}" from ${request.client}`] : []),
  ].map((line) => truncate(line, 120));
}

export function sceneOf(scenario: string, pod: string, timeline: Entry[]) {
  const end = Math.max(...timeline.map((e) => e.t), 1);
  const containers = timeline.filter(is("container"));
  const bars = [
    ...stateBars(timeline.filter(is("phase")), () => POD_LANE, podState, end),
    ...stateBars(containers, (e) => containerLane(e.container), containerState, end),
    ...hookBars(timeline, end),
  ];
  const mark = (lane: string, at: number, key: Key, label: string): Mark => ({ lane, at, key, label });
  const restarts = timeline.filter(is("restart"));
  const events = timeline.filter(is("event"));
  const reads = timeline.filter((e) => READ[e.kind] && !("error" in e && e.error !== undefined));
  const marks = [
    ...restarts.map((e) => mark(containerLane(e.container), e.t, "restart", `#${e.restartCount}`)),
    ...events.map((e) => mark(EVENT_LANE, e.t, e.type === "Warning" ? "Warning event" : "Normal event", e.reason)),
    ...reads.map((e) => mark(EVENT_LANE, e.t, "observer read", READ[e.kind]!)),
  ];
  // A hold that began before the observer started reaches back before 0.
  const start = Math.floor(Math.min(end, ...timeline.map((e) => e.t), ...bars.map((b) => b.from)));
  const lanes = [POD_LANE, ...new Set(containers.map((e) => containerLane(e.container))), HOOK_LANE, EVENT_LANE];
  const used = new Set([...bars.map((b) => b.lane), ...marks.map((m) => m.lane)]);
  return { scenario, pod, lanes: lanes.filter((l) => used.has(l)), start, end, bars, marks, notes: notes(timeline) };
}

/** The picture's width in pixels, for a README; the lane names take LANE_NAMES of it, the plot the rest. */
const PICTURE_WIDTH = 800;
const LANE_NAMES = 125;
const RIGHT_MARGIN = 15;
const PLOT_WIDTH = PICTURE_WIDTH - LANE_NAMES - RIGHT_MARGIN;
const LANE_HEIGHT = 34;
const CHAR_WIDTH = 6; // about what a character of the 10-px labels takes (the renderer has no fonts to measure)
const LABEL_ROWS = 4; // rows of mark labels under a lane, so that close events stay readable
const LABEL_HEIGHT = 11;
const MAX_LABEL = Math.floor(PLOT_WIDTH / CHAR_WIDTH / 4); // a group of events' longest label: a quarter of the plot
const MIN_BAR = 3;
/** the row of a mark without a label: another of its group carries it, or no row had room */
export const UNLABELLED = -2;
const DARK: Key[] = ["hook failed", "ready", "ended", "post-start hook", "back-off"];
/** A bar's label cut to the bar's width in pixels (empty when not even a few characters fit). */
export function fitLabel(label: string, pixels: number): string {
  const room = Math.floor(pixels / CHAR_WIDTH) - 1;
  if (label.length <= room) return label;
  return room >= 4 ? `${label.slice(0, room - 1)}…` : "";
}

/** Marks in time order, in groups of those less than a label's height apart: they share one label. */
export function closeTogether(marks: Mark[], x: (t: number) => number): Mark[][] {
  const groups: Mark[][] = [];
  for (const m of [...marks].sort((a, b) => a.at - b.at)) {
    const group = groups.at(-1);
    if (group && x(m.at) - x(group[0]!.at) < LABEL_HEIGHT) group.push(m);
    else groups.push([m]);
  }
  return groups;
}

const labelWidth = (label: string) => (label.length + 1) * CHAR_WIDTH;
const RANK: Partial<Record<Key, number>> = { "observer read": 0, "Warning event": 1 };
// A group's distinct labels: reads and warnings first, then the rarer, so that the cut label tells most (not restarts).
export function groupLabel(group: Mark[], all: Mark[]): string {
  const count = (label: string) => all.filter((m) => m.label === label).length;
  const rank = (m: Mark) => RANK[m.key] ?? 2;
  const distinct = group.filter((m, i) => group.findIndex((n) => n.label === m.label) === i);
  const labels = distinct.sort((a, b) => rank(a) - rank(b) || count(a.label) - count(b.label)).map((m) => m.label);
  return labels.join(", ");
}

/** Each mark's label row: the first where it does not run into the last (`left`: where it starts), or UNLABELLED. */
export function labelRows(marks: Mark[], left: (m: Mark) => number): number[] {
  const freeFrom = Array<number>(LABEL_ROWS).fill(-Infinity);
  return marks.map((m) => {
    const row = freeFrom.findIndex((f) => f <= left(m));
    if (row >= 0) freeFrom[row] = left(m) + labelWidth(m.label);
    return row >= 0 ? row : UNLABELLED;
  });
}

function rows(scene: Scene) {
  const span = scene.end - scene.start;
  const x = (t: number) => ((t - scene.start) / span) * PLOT_WIDTH;
  const bars = scene.bars.map((b) => ({
    ...b,
    // A hook that fails at once lasts a few milliseconds: drawn at least MIN_BAR px wide, it stays visible.
    to: Math.max(b.to, b.from + (MIN_BAR / PLOT_WIDTH) * span),
    layer: "bar",
    mid: (b.from + b.to) / 2,
    text: fitLabel(b.label, x(b.to) - x(b.from)),
    ink: DARK.includes(b.key) ? "white" : "black",
  }));
  // Restarts labelled above their tick, events in rows under theirs; a label at its mark, or left of it to fit.
  const labelLeft = (m: Mark) => Math.max(0, Math.min(x(m.at), PLOT_WIDTH - labelWidth(m.label)));
  const labelAt = (m: Mark) => scene.start + (labelLeft(m) / PLOT_WIDTH) * span;
  const placed = (m: Mark, row: number) => ({ ...m, layer: "mark", row, labelAt: labelAt(m) });
  const restarts = scene.marks.filter((m) => m.key === "restart").map((m) => placed(m, -1));
  const events = scene.marks.filter((m) => m.lane === EVENT_LANE);
  const clusters = closeTogether(events, x);
  const labelled = clusters.map((c) => ({ ...c[0]!, label: truncate(groupLabel(c, scene.marks), MAX_LABEL) }));
  const eventRows = labelRows(labelled, labelLeft);
  const placedEvents = clusters.flatMap((c, i) =>
    c.map((m, j) => (j === 0 ? placed(labelled[i]!, eventRows[i]!) : placed(m, UNLABELLED))),
  );
  return [...bars, ...placedEvents, ...restarts];
}

/** A layer of the chart: the `mark`s, by their `encoding`, of the rows that pass `filter`. */
const layer = (name: string, filter: string, drawn: object) => ({ name, transform: [{ filter }], ...drawn });
const BARS = "datum.layer === 'bar'";
const quantitative = (field: string) => ({ field, type: "quantitative" });
const markLabel = (name: string, filter: string, dy: number, baseline: "top" | "bottom") =>
  layer(name, filter, {
    mark: { type: "text", align: "left", baseline, dx: 3, dy, fontSize: 10 },
    encoding: { x: quantitative("labelAt"), text: { field: "label" }, color: { value: "#222" } },
  });

// The chart's title over the lane names, the lanes' names, the time axis under the rows of mark labels, the legend.
const TITLE = { anchor: "start", frame: "group", dx: 10 - LANE_NAMES, fontSize: 14, subtitleFontSize: 11 };
const LANES = { title: null, labelFontSize: 11, labelLimit: 140 };
const TIME = { title: "seconds since the observer started", offset: LABEL_ROWS * LABEL_HEIGHT + 6 };
const INK = { field: "ink", type: "nominal", scale: null }; // a bar label's colour, as is: white on the dark keys
const KEYS = { title: null, orient: "bottom", columns: 4, symbolType: "square", labelFontSize: 10 };
export function chartSpec(scene: Scene) {
  const time = { domain: [scene.start, scene.end], nice: false, zero: false };
  const colours = { domain: Object.keys(LEGEND), range: Object.values(LEGEND) };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: `${scene.scenario} (pod ${scene.pod})`, subtitle: scene.notes, ...TITLE },
    width: PLOT_WIDTH,
    height: LANE_HEIGHT * scene.lanes.length,
    background: "white",
    // Fixed margins: Vega's autosize, with no canvas, guesses text widths (0.8 em) and makes it far wider than 800 px.
    autosize: { type: "none" },
    padding: { left: LANE_NAMES, right: RIGHT_MARGIN, top: 30 + 14 * scene.notes.length, bottom: 160 },
    data: { values: rows(scene) },
    encoding: { y: { field: "lane", type: "nominal", sort: scene.lanes, scale: { domain: scene.lanes }, axis: LANES } },
    layer: [
      layer("bars", BARS, {
        mark: { type: "bar", height: { band: 0.7 }, stroke: "white", strokeWidth: 0.5 },
        encoding: {
          x: { ...quantitative("from"), scale: time, axis: TIME },
          x2: { field: "to" },
          color: { field: "key", type: "nominal", scale: colours, legend: KEYS },
        },
      }),
      layer("bar_labels", BARS, {
        mark: { type: "text", fontSize: 10 },
        encoding: { x: quantitative("mid"), text: { field: "text" }, color: INK },
      }),
      layer("marks", "datum.layer === 'mark'", {
        mark: { type: "tick", thickness: 2, bandSize: LANE_HEIGHT * 0.8 },
        encoding: { x: quantitative("at"), color: { field: "key", type: "nominal" } },
      }),
      ...Array.from({ length: LABEL_ROWS }, (_, row) =>
        markLabel(`mark_labels_${row}`, `datum.row === ${row}`, LANE_HEIGHT * 0.4 + row * LABEL_HEIGHT, "top"),
      ),
      markLabel("restart_labels", "datum.row === -1", -LANE_HEIGHT * 0.4, "bottom"),
    ],
    config: { view: { stroke: null }, font: "sans-serif" },
  };
}

/** The picture of one scene as SVG text, rendered headless (no browser, no canvas). */
export async function renderSvg(scene: Scene): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(vegaLite.compile(chartSpec(scene) as never).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function writePictures(dir: string, seen: Seen[]): Promise<string[]> {
  const files: string[] = [];
  for (const { scenario, record } of seen) {
    const file = path.join(dir, `${scenario}.svg`);
    await writeFile(file, `${await renderSvg(sceneOf(scenario, record.pod, record.timeline))}\n`);
    files.push(file);
  }
  return files;
}
