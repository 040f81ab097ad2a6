// A scene (picture-data.ts) -> a Vega-Lite chart: one band per lane, time across, a legend below.
// Sized for a README (about 800 px wide); labels that would not fit are cut or moved to another row.
type TopLevelSpec = import("vega-lite", { with: { "resolution-mode": "import" }}).TopLevelSpec;

import { truncate } from "./format";
import { type Bar, EVENT_LANE, type Key, LEGEND, type Mark, type Scene } from "./picture-data";

/** The picture's width in pixels, for a README; the lane names take LANE_NAMES of it, the plot the rest. */
export const PICTURE_WIDTH = 800;
const LANE_NAMES = 125;
export const PLOT_WIDTH = PICTURE_WIDTH - LANE_NAMES - 15;
const LANE_HEIGHT = 34;
/** what one character of the 10-px labels takes, about (the SVG renderer has no fonts to measure with) */
const CHAR_WIDTH = 6;
/** rows of mark labels under a lane, so that close events stay readable */
const LABEL_ROWS = 4;
const LABEL_HEIGHT = 11;
/** the longest label of a group of events, in characters (a quarter of the plot) */
const MAX_LABEL = Math.floor(PLOT_WIDTH / CHAR_WIDTH / 4);
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

/**
 * A group's label: its distinct labels, what the observer read and warnings first, then the rarer in
 * the picture first, so that what a group's label is cut to tells most (not the reason that every
 * restart repeats).
 */
export function groupLabel(group: Mark[], all: Mark[]): string {
  const count = (label: string) => all.filter((m) => m.label === label).length;
  const rank = (m: Mark) => RANK[m.key] ?? 2;
  const distinct = group.filter((m, i) => group.findIndex((n) => n.label === m.label) === i);
  return distinct
    .sort((a, b) => rank(a) - rank(b) || count(a.label) - count(b.label))
    .map((m) => m.label)
    .join(", ");
}

/**
 * Each mark's label row: the first row where it does not run into the previous label, UNLABELLED when none is free;
 * `left`: where a label starts, in pixels.
 */
export function labelRows(marks: Mark[], left: (m: Mark) => number): number[] {
  const freeFrom = Array<number>(LABEL_ROWS).fill(-Infinity);
  return marks.map((m) => {
    const row = freeFrom.findIndex((f) => f <= left(m));
    if (row >= 0) freeFrom[row] = left(m) + labelWidth(m.label);
    return row >= 0 ? row : UNLABELLED;
  });
}

/** The rows the chart draws: bars and marks, with their label and where it goes. */
function rows(scene: Scene) {
  const x = (t: number) => ((t - scene.start) / (scene.end - scene.start)) * PLOT_WIDTH;
  const bars = scene.bars.map((b: Bar) => ({
    ...b,
    // A hook that fails at once lasts a few milliseconds: drawn at least MIN_BAR px wide, it stays visible.
    to: Math.max(b.to, b.from + (MIN_BAR / PLOT_WIDTH) * (scene.end - scene.start)),
    layer: "bar",
    mid: (b.from + b.to) / 2,
    text: fitLabel(b.label, x(b.to) - x(b.from)),
    ink: DARK.includes(b.key) ? "white" : "black",
  }));
  // Restarts are labelled above their tick; the events (the last lane) in rows under theirs.
  // A label starts at its mark, or further left where it would run past the plot's right edge.
  const labelLeft = (m: Mark) => Math.max(0, Math.min(x(m.at), PLOT_WIDTH - labelWidth(m.label)));
  const placed = (m: Mark, row: number) => ({
    ...m,
    layer: "mark",
    row,
    labelAt: scene.start + (labelLeft(m) / PLOT_WIDTH) * (scene.end - scene.start),
  });
  const restarts = scene.marks.filter((m) => m.key === "restart").map((m) => placed(m, -1));
  const clusters = closeTogether(
    scene.marks.filter((m) => m.lane === EVENT_LANE),
    x,
  );
  const labelled = clusters.map((c) => ({ ...c[0]!, label: truncate(groupLabel(c, scene.marks), MAX_LABEL) }));
  const eventRows = labelRows(labelled, labelLeft);
  const events = clusters.flatMap((c, i) =>
    c.map((m, j) => (j === 0 ? placed(labelled[i]!, eventRows[i]!) : placed(m, UNLABELLED))),
  );
  const marks = [...events, ...restarts];
  return [...bars, ...marks];
}

const markLabel = (name: string, filter: string, dy: number, baseline: "top" | "bottom") => ({
  name,
  transform: [{ filter }],
  mark: { type: "text" as const, align: "left" as const, baseline, dx: 3, dy, fontSize: 10 },
  encoding: {
    x: { field: "labelAt", type: "quantitative" as const },
    text: { field: "label" },
    color: { value: "#222" },
  },
});

/** The Vega-Lite chart of one scenario. */
export function chartSpec(scene: Scene): TopLevelSpec {
  const keys = Object.keys(LEGEND) as Key[];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: `${scene.scenario} (pod ${scene.pod})`,
      subtitle: scene.notes,
      anchor: "start",
      frame: "group",
      dx: 10 - LANE_NAMES,
      fontSize: 14,
      subtitleFontSize: 11,
    },
    width: PLOT_WIDTH,
    height: LANE_HEIGHT * scene.lanes.length,
    background: "white",
    // Fixed margins, not Vega's autosize: without a canvas Vega guesses text widths (0.8 em a
    // character), wider than drawn, and would make the picture far wider than 800 px.
    autosize: { type: "none" },
    padding: {
      left: LANE_NAMES,
      right: PICTURE_WIDTH - LANE_NAMES - PLOT_WIDTH,
      top: 30 + 14 * scene.notes.length,
      bottom: 160,
    },
    data: { values: rows(scene) },
    encoding: {
      y: {
        field: "lane",
        type: "nominal",
        sort: scene.lanes,
        scale: { domain: scene.lanes },
        axis: { title: null, labelFontSize: 11, labelLimit: 140 },
      },
    },
    layer: [
      {
        name: "bars",
        transform: [{ filter: "datum.layer === 'bar'" }],
        mark: { type: "bar", height: { band: 0.7 }, stroke: "white", strokeWidth: 0.5 },
        encoding: {
          x: {
            field: "from",
            type: "quantitative",
            scale: { domain: [scene.start, scene.end], nice: false, zero: false },
            axis: { title: "seconds since the observer started", offset: LABEL_ROWS * LABEL_HEIGHT + 6 },
          },
          x2: { field: "to" },
          color: {
            field: "key",
            type: "nominal",
            scale: { domain: keys, range: keys.map((k) => LEGEND[k]) },
            legend: { title: null, orient: "bottom", columns: 4, symbolType: "square", labelFontSize: 10 },
          },
        },
      },
      {
        name: "bar_labels",
        transform: [{ filter: "datum.layer === 'bar'" }],
        mark: { type: "text", fontSize: 10 },
        encoding: {
          x: { field: "mid", type: "quantitative" },
          text: { field: "text" },
          color: { field: "ink", type: "nominal", scale: null },
        },
      },
      {
        name: "marks",
        transform: [{ filter: "datum.layer === 'mark'" }],
        mark: { type: "tick", thickness: 2, bandSize: LANE_HEIGHT * 0.8 },
        encoding: { x: { field: "at", type: "quantitative" }, color: { field: "key", type: "nominal" } },
      },
      ...Array.from({ length: LABEL_ROWS }, (_, row) =>
        markLabel(`mark_labels_${row}`, `datum.row === ${row}`, LANE_HEIGHT * 0.4 + row * LABEL_HEIGHT, "top"),
      ),
      markLabel("restart_labels", "datum.row === -1", -LANE_HEIGHT * 0.4, "bottom"),
    ],
    config: { view: { stroke: null }, font: "sans-serif" },
  } as TopLevelSpec;
}
