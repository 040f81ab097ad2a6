// The book's expected end state of each scenario, as checks on the record of its pod, and the
// verdict they give.
import type { Scenario } from "../../stacks/settings";
import type { Fact } from "./facts";
import { oneLine, truncate } from "./format";
import type { PodRecord } from "./record";

/** What the program says the scenario should show, beyond its name. */
export interface Expectation {
  /** the slow hook's `sleep` */
  slowHookDelaySeconds?: number;
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

function failedHookEventCount(r: PodRecord): number {
  return Object.values(r.failedHookEvents).reduce((n, e) => n + e.count, 0);
}

const checks = {
  ready: (r: PodRecord): Check => ({
    expect: "pod Ready",
    ok: r.ready,
    observed: r.ready
      ? "Ready"
      : `not Ready: ${r.phase ?? "no pod seen"}` +
        (r.waitingReasons.length ? `, waiting: ${r.waitingReasons.join(" -> ")}` : ""),
  }),
  hookOutput: (r: PodRecord, file: string): Check => ({
    expect: `the hook's output kept in ${file}`,
    ok: r.hookOutput !== undefined,
    observed: r.hookOutput !== undefined ? `${r.hookOutput.length} bytes` : "not read",
  }),
  quote: (r: PodRecord): Check => ({
    expect: "a quote served on port 80 at /quote",
    ok: !!r.quote,
    observed: r.quote
      ? `"${oneLine(r.quote)}"`
      : r.quoteError
        ? `no quote: ${oneLine(r.quoteError)}`
        : "no quote fetched",
  }),
  creatingWhilePending: (r: PodRecord): Check => ({
    expect: "container Waiting (ContainerCreating) while the pod is Pending",
    ok: r.creatingWhilePendingAt !== undefined,
    observed: r.creatingWhilePendingAt
      ? `seen at ${r.creatingWhilePendingAt}`
      : `not seen; waiting reasons seen: ${r.waitingReasons.join(", ") || "none"}`,
  }),
  held: (r: PodRecord, delay: number): Check => ({
    // whole-second timestamps: allow one second less
    expect: `the hook held the container about its ${delay} s sleep (>= ${Math.max(0, delay - 1)} s)`,
    ok: r.hold !== undefined && r.hold.seconds >= delay - 1,
    observed: r.hold
      ? `held ${r.hold.seconds} s (${r.hold.since} ${r.hold.from} -> ${r.hold.until} ${r.hold.to})`
      : "not measured",
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
      expect:
        "the hook's exit code and output (in the event, or in the PostStartHookError status on Kubernetes >= 1.26)",
      ok: f !== undefined,
      observed: f
        ? `exited with ${f.exitCode}, output "${oneLine(f.output ?? "")}" (from the ${f.source})`
        : "not seen",
    };
  },
  connectionRefused: (r: PodRecord): Check => {
    const f = r.hookFailures.find((h) => h.handler === "httpGet" && /connection refused/.test(h.error));
    return {
      expect:
        "the httpGet hook's connection refused " +
        "(in the event, or in the PostStartHookError status on Kubernetes >= 1.26)",
      ok: f !== undefined,
      observed: f
        ? `${oneLine(f.error)} (from the ${f.source})`
        : `not seen${r.hookFailures[0] ? `; hook error: ${oneLine(r.hookFailures[0].error)}` : ""}`,
    };
  },
  restarts: (r: PodRecord, atLeast: number): Check => ({
    expect: `restart count >= ${atLeast}`,
    ok: r.restartCount >= atLeast,
    observed: `restart count ${r.restartCount}`,
  }),
  noRestart: (r: PodRecord): Check => ({
    expect: "restart count 0",
    ok: r.last !== undefined && r.restartCount === 0,
    observed: r.last ? `restart count ${r.restartCount}` : "no pod seen",
  }),
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
  // Where the book's warning and what Kubernetes reports part: the kubelet counts any answer as a success.
  hookCountedSuccessful: (r: PodRecord): Check => ({
    expect: "Kubernetes counted the hook as successful: pod Ready, no FailedPostStartHook event",
    ok: r.ready && failedHookEventCount(r) === 0 && r.hookFailures.length === 0,
    observed:
      `${r.ready ? "Ready" : "not Ready"}, ${failedHookEventCount(r)} FailedPostStartHook events` +
      (r.hookFailures[0] ? `; hook error: ${oneLine(r.hookFailures[0].error)}` : ""),
  }),
  answered: (r: PodRecord, status: 200 | 404): Check => ({
    expect:
      status === 200
        ? "the receiver answered 200: the hook reached its mark"
        : "the receiver answered 404 Not Found: the hook missed its mark, and nothing in Kubernetes says so",
    ok: r.request?.status === status,
    observed: r.request ? `answered ${r.request.status}` : "no request logged",
  }),
};

/** The book's expected end state of each scenario, as checks on what was seen of its pod. */
const hookOutputChecks = (r: PodRecord, x: Expectation) =>
  x.hookOutputFile ? [checks.hookOutput(r, x.hookOutputFile)] : [];

export function scenarioChecks(scenario: Scenario, r: PodRecord, x: Expectation): Check[] {
  switch (scenario) {
    case "quote-poststart":
      return [checks.ready(r), checks.quote(r), ...hookOutputChecks(r, x)];
    case "quote-poststart-slow":
      return [
        checks.creatingWhilePending(r),
        checks.ready(r),
        checks.held(r, x.slowHookDelaySeconds ?? 0),
        checks.quote(r),
        ...hookOutputChecks(r, x),
      ];
    case "quote-poststart-fail":
      return [checks.failedHookEvent(r), checks.exitCode(r), checks.restarts(r, 1), checks.crashLoop(r)];
    case "quote-poststart-fail-norestart":
      return [checks.ended(r), checks.noRestart(r), checks.failedHookEvent(r)];
    case "poststart-httpget":
      return [checks.ready(r), checks.request(r, x.hookPath), checks.answered(r, 200)];
    case "poststart-httpget-slow":
      return [checks.failedHookEvent(r), checks.connectionRefused(r), checks.restarts(r, 2)];
    case "poststart-httpget-404":
      return [checks.hookCountedSuccessful(r), checks.request(r, x.hookPath), checks.answered(r, 404)];
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
