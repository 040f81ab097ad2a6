// The observer's pictures (--svg): what a recorded timeline becomes (lanes, bars, marks), and the
// SVG itself, parsed: its lanes, states, events, restarts and legend are there as text and shapes.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Entry } from "../../tools/observe/facts.ts";
import {
  closeTogether,
  EVENT_LANE,
  fitLabel,
  groupLabel,
  HOOK_LANE,
  LEGEND,
  labelRows,
  POD_LANE,
  renderSvg,
  sceneOf,
  UNLABELLED,
} from "../../tools/observe/picture.ts";
import { findAll, parseXml, type XmlElement } from "../svg-xml.ts";
import {
  at,
  creating,
  EXEC_FAILURE,
  event,
  NS,
  pending,
  pod,
  replay,
  running,
  scheduled,
  up,
} from "./observe-fixtures.ts";

const FAIL = "quote-poststart-fail";
const hookError = { state: { waiting: { reason: "PostStartHookError", message: EXEC_FAILURE } } };
const crashLoop = {
  restartCount: 1,
  state: {
    waiting: {
      reason: "CrashLoopBackOff",
      message: `back-off 10s restarting failed container=nginx pod=${FAIL}_${NS}`,
    },
  },
  lastState: { terminated: { exitCode: 0, reason: "Completed" } },
};
/** The failing hook's pod as the watches deliver it, one object a second: a run, a failure, a restart, the back-off. */
const failing = replay(FAIL, [
  pod(FAIL, "Pending", pending(), [creating]),
  event(FAIL, "Started", "Started container nginx", 1),
  event(FAIL, "FailedPostStartHook", "PostStartHook failed", 2, { type: "Warning" }),
  pod(FAIL, "Running", pending(), [hookError]),
  pod(FAIL, "Running", pending(), [crashLoop]),
  event(FAIL, "BackOff", "Back-off restarting failed container", 4, { type: "Warning" }),
]).record;

const SLOW = "quote-poststart-slow";
const slow = replay(SLOW, [
  pod(SLOW, "Pending", scheduled()),
  pod(SLOW, "Pending", pending(), [creating]),
  event(SLOW, "Started", "Started container nginx", 2),
  pod(SLOW, "Running", running(18), [up(2)]),
]).record;

/** The texts and the shapes in the SVG's groups whose class names `role` (Vega names each mark's group). */
const groups = (svg: XmlElement, role: string) =>
  findAll(svg, (e) => e.name === "g" && (e.attributes.class ?? "").includes(role));
const texts = (svg: XmlElement, role: string) =>
  groups(svg, role).flatMap((g) => findAll(g, (e) => e.name === "text").map((t) => t.text));
const shapes = (svg: XmlElement, role: string) =>
  groups(svg, role).flatMap((g) => findAll(g, (e) => e.name === "path"));

const served = (t: number, fact: object) => ({ t, time: at(100 + t), ...fact }) as Entry;

describe("the scene of a timeline", () => {
  it("a lane for the pod, one per container, the hook and the events, top to bottom", () => {
    expect(sceneOf(FAIL, FAIL, failing.timeline).lanes).toEqual([POD_LANE, "container nginx", HOOK_LANE, EVENT_LANE]);
  });

  it("each container state lasts until the next, the last until the end; waiting shows its reason, back-off its own colour", () => {
    const bars = sceneOf(FAIL, FAIL, failing.timeline).bars.filter((b) => b.lane === "container nginx");
    expect(bars.map((b) => [b.from, b.to, b.key, b.label])).toEqual([
      [0, 3, "waiting", "ContainerCreating"],
      [3, 4, "hook failed", "PostStartHookError"],
      [4, 5, "back-off", "CrashLoopBackOff"],
    ]);
  });

  it("the hook's run spans from the Started event to its failure, labelled with the exit code", () => {
    expect(sceneOf(FAIL, FAIL, failing.timeline).bars.filter((b) => b.lane === HOOK_LANE)).toEqual([
      {
        lane: HOOK_LANE,
        from: 1,
        to: 2,
        key: "hook failed",
        label: "failed (exit 1): Emulating a post-start hook failure",
      },
    ]);
  });

  it("a successful hook spans its hold; without a Started event, from the pod's own timestamps", () => {
    expect(sceneOf(SLOW, SLOW, slow.timeline).bars.filter((b) => b.lane === HOOK_LANE)).toEqual([
      { lane: HOOK_LANE, from: 2, to: 3, key: "post-start hook", label: "held 16 s" },
    ]);
    const late = slow.timeline.filter((e) => e.kind !== "event");
    expect(sceneOf(SLOW, SLOW, late).bars.filter((b) => b.lane === HOOK_LANE)).toEqual([
      { lane: HOOK_LANE, from: -98, to: -82, key: "post-start hook", label: "held 16 s" },
    ]);
    expect(sceneOf(SLOW, SLOW, late).start).toBe(-98);
  });

  it("restarts mark the container's lane; events and what the observer read mark the events' lane", () => {
    const timeline = [...failing.timeline, served(6, { kind: "quote", pod: FAIL, quote: "a quote\n" })];
    const marks = sceneOf(FAIL, FAIL, timeline).marks;
    expect(marks.filter((m) => m.key === "restart")).toEqual([
      { lane: "container nginx", at: 4, key: "restart", label: "#1" },
    ]);
    expect(marks.filter((m) => m.lane === EVENT_LANE).map((m) => [m.at, m.key, m.label])).toEqual([
      [1, "Normal event", "Started"],
      [2, "Warning event", "FailedPostStartHook"],
      [5, "Warning event", "BackOff"],
      [6, "observer read", "quote served"],
    ]);
  });

  it("notes the verdict, the quote served and the request the receiver logged", () => {
    const timeline = [
      served(1, { kind: "quote", pod: "p", quote: "Lifecycle hooks\nrun once\n" }),
      served(2, {
        kind: "receiver",
        pod: "p",
        receiver: "myservice-1",
        request: "GET /container-started HTTP/1.1",
        client: "10.244.0.1",
        line: "",
      }),
      served(3, {
        kind: "verdict",
        pod: "p",
        scenario: "poststart-httpget",
        ok: false,
        expected: [],
        observed: [],
        failed: ["pod Ready"],
      }),
    ];
    expect(sceneOf("poststart-httpget", "p", timeline).notes).toEqual([
      "did NOT behave as the book says: pod Ready",
      'quote served: "Lifecycle hooks\\nrun once"',
      'receiver myservice-1 logged "GET /container-started HTTP/1.1" from 10.244.0.1',
    ]);
  });
});

describe("labels that fit", () => {
  it("a bar's label is cut to its width, or left out when not four characters fit", () => {
    expect(fitLabel("ContainerCreating", 18 * 6)).toBe("ContainerCreating");
    expect(fitLabel("ContainerCreating", 17 * 6)).toBe("ContainerCreati…");
    expect(fitLabel("ContainerCreating", 5 * 6)).toBe("Con…");
    expect(fitLabel("ContainerCreating", 4 * 6)).toBe("");
  });

  it("close events share one label; labels that would overlap go to the next free row", () => {
    const mark = (t: number, label: string) => ({ lane: EVENT_LANE, at: t, key: "Normal event" as const, label });
    const x = (t: number) => t * 10;
    expect(
      closeTogether([mark(0, "Pulled"), mark(1.2, "Started"), mark(1, "Created"), mark(3, "Killing")], x).map((g) =>
        g.map((m) => m.label),
      ),
    ).toEqual([["Pulled", "Created"], ["Started"], ["Killing"]]);
    expect(
      labelRows(
        [mark(0, "Scheduled"), mark(3, "Pulled"), mark(6, "Started"), mark(9, "Killing"), mark(100, "BackOff")],
        (m) => x(m.at),
      ),
    ).toEqual([0, 1, 0, 1, 0]);
    const warning = (t: number, label: string) => ({ ...mark(t, label), key: "Warning event" as const });
    const burst = [
      mark(10, "Pulled"),
      warning(10, "MissingClusterDNS"),
      mark(10, "Started"),
      warning(10, "FailedPostStartHook"),
      mark(10, "Started"),
    ];
    const all = [
      ...burst,
      warning(0, "MissingClusterDNS"),
      warning(0, "FailedPostStartHook"),
      warning(5, "MissingClusterDNS"),
      mark(0, "Pulled"),
      mark(5, "Pulled"),
    ];
    expect(groupLabel(burst, all)).toBe("FailedPostStartHook, MissingClusterDNS, Started, Pulled");
    const crowded = [
      mark(0, "FailedPostStartHook"),
      mark(1, "FailedPostStartHook"),
      mark(2, "FailedPostStartHook"),
      mark(3, "FailedPostStartHook"),
      mark(4, "BackOff"),
    ];
    expect(labelRows(crowded, (m) => x(m.at))).toEqual([0, 1, 2, 3, UNLABELLED]);
  });
});

describe("the SVG", () => {
  it("is well-formed, 800 px wide, with the lanes, the states, the events, the restart and a legend of every colour", async () => {
    const svg = parseXml(await renderSvg(sceneOf(FAIL, FAIL, failing.timeline)));
    expect(svg.name).toBe("svg");
    expect(svg.attributes.width).toBe("800");
    expect(texts(svg, "role-title-text")).toEqual([`${FAIL} (pod ${FAIL})`]);
    expect(texts(svg, "role-axis-label")).toEqual(
      expect.arrayContaining([POD_LANE, "container nginx", HOOK_LANE, EVENT_LANE]),
    );
    expect(shapes(svg, "bars_marks")).toHaveLength(6); // the pod's phases 2, the container's states 3, the hook's run 1
    expect(texts(svg, "bar_labels_marks")).toEqual(
      expect.arrayContaining(["Pending", "ContainerCreating", "CrashLoopBackOff"]),
    );
    expect(shapes(svg, "role-mark marks_marks")).toHaveLength(4); // 3 events, 1 restart
    expect(texts(svg, "mark_labels_")).toEqual(expect.arrayContaining(["Started", "FailedPostStartHook", "BackOff"]));
    expect(texts(svg, "restart_labels_marks")).toEqual(["#1"]);
  });

  it("keeps a label near the end inside the picture", async () => {
    const timeline = [...slow.timeline, served(60, { kind: "quote", pod: SLOW, quote: "a quote" })];
    const svg = parseXml(await renderSvg(sceneOf(SLOW, SLOW, timeline)));
    expect(svg.attributes.width).toBe("800");
    expect(texts(svg, "mark_labels_")).toContain("quote served");
    expect(texts(svg, "role-legend-label")).toEqual(Object.keys(LEGEND));
  });
});

describe("the pictures of a recorded run of the lab stack (npm run pictures, Kubernetes 1.34)", () => {
  const entries = readFileSync(path.join(import.meta.dirname, "fixtures", "observe-lab-run.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Entry);
  const sceneOfRun = (scenario: string) =>
    sceneOf(
      scenario,
      scenario,
      entries.filter((e) => e.pod === scenario),
    );

  it("quote-poststart-fail: each failed hook run, each restart, the back-off between them, the FailedPostStartHook events", () => {
    const scene = sceneOfRun(FAIL);
    const hookRuns = scene.bars.filter((b) => b.lane === HOOK_LANE);
    expect(hookRuns.length).toBeGreaterThanOrEqual(4);
    expect(hookRuns.every((b) => b.key === "hook failed")).toBe(true);
    expect(scene.marks.filter((m) => m.key === "restart").map((m) => m.label)).toEqual(["#1", "#2", "#3", "#4"]);
    const states = scene.bars.filter((b) => b.lane === "container nginx").map((b) => b.label);
    expect(states).toContain("CrashLoopBackOff");
    expect(states).toContain("PostStartHookError");
    expect(scene.marks.filter((m) => m.label === "FailedPostStartHook").length).toBeGreaterThanOrEqual(4);
    expect(scene.notes).toEqual(["behaved as the book says"]);
  });

  it("quote-poststart-slow: the hook holds the container in ContainerCreating while the pod is Pending, then the quote", () => {
    const scene = sceneOfRun(SLOW);
    expect(scene.bars.find((b) => b.lane === HOOK_LANE)).toMatchObject({
      key: "post-start hook",
      label: expect.stringMatching(/^held 1[4-6] s$/),
    });
    expect(scene.bars.filter((b) => b.lane === "container nginx").map((b) => b.label)).toEqual([
      "ContainerCreating",
      "Running, ready",
    ]);
    expect(scene.notes[1]).toMatch(/^quote served: "/);
  });

  it("the others: the request the receiver logged, the pod that ended without a restart", () => {
    expect(sceneOfRun("poststart-httpget").notes[1]).toMatch(
      /^receiver myservice-\S+ logged "GET \/container-started HTTP\/1.1" from /,
    );
    const norestart = sceneOfRun("quote-poststart-fail-norestart");
    expect(norestart.bars.filter((b) => b.lane === "container nginx").at(-1)!.label).toBe("Completed (exit 0)");
    expect(norestart.marks.filter((m) => m.key === "restart")).toEqual([]);
  });

  it("every scenario's SVG is well-formed and shows its states' labels", async () => {
    for (const scenario of [
      "quote-poststart",
      SLOW,
      FAIL,
      "quote-poststart-fail-norestart",
      "poststart-httpget",
      "poststart-httpget-slow",
    ]) {
      const svg = parseXml(await renderSvg(sceneOfRun(scenario)));
      expect(svg.attributes.width).toBe("800");
      expect(texts(svg, "role-title-text")).toEqual([`${scenario} (pod ${scenario})`]);
      expect(shapes(svg, "bars_marks").length).toBeGreaterThanOrEqual(3);
      // What the observer read, or the hook's failure, leads its group's label, before the lab's MissingClusterDNS
      // warnings.
      const failing = [FAIL, "quote-poststart-fail-norestart", "poststart-httpget-slow"].includes(scenario);
      expect(texts(svg, "mark_labels_").join(" ")).toMatch(
        failing ? /FailedPostStartHook/ : /quote served|request logged/,
      );
    }
  });
});
