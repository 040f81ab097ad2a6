// The book's expected end state of each scenario, as checks on what was seen of its pod, and their verdict.
import type { Scenario } from "../../stacks/settings.ts";
import { describePhase, describeState, type Fact, oneLine, type PodRecord, truncate } from "./facts.ts";

/** What the program says of a scenario: the slow hook's `sleep`, the httpGet hook's path, the exec hook's output. */
export type Expectation = { slowHookDelaySeconds?: number; hookPath?: string; hookOutputFile?: string };
const check = (expect: string, ok: boolean, observed: string) => ({ expect, ok, observed });
const SEEN_IN = "(in the event, or in the PostStartHookError status on Kubernetes >= 1.26)";
const ANSWERED = {
  200: "the receiver answered 200: the hook reached its mark",
  404: "the receiver answered 404 Not Found: the hook missed its mark, and nothing in Kubernetes says so",
};
function scenarioChecks(scenario: Scenario, r: PodRecord, x: Expectation) {
  const { hold, request, quote, hookOutput, creatingWhilePendingAt: creating } = r;
  const reasons = `waiting reasons seen: ${r.waitingReasons.join(", ") || "none"}`;
  const hookError = r.hookFailures[0] ? `; hook error: ${oneLine(r.hookFailures[0].error)}` : "";
  const failedEvents = Object.values(r.failedHookEvents).reduce((n, e) => n + e.count, 0);
  const warning = Object.values(r.failedHookEvents).find((e) => e.type === "Warning");
  const waiting = r.waitingReasons.length ? `, waiting: ${r.waitingReasons.join(" -> ")}` : "";
  const notReady = `not Ready: ${r.phase ?? "no pod seen"}${waiting}`;
  const noQuote = r.quoteError ? `no quote: ${oneLine(r.quoteError)}` : "no quote fetched";
  const output = hookOutput !== undefined ? `${hookOutput.length} bytes` : "not read";
  const logged = request ? `from ${request.client}: ${truncate(request.line, 160)}` : "not logged";
  const path = x.hookPath ?? "(no httpGet hook path in the program)";

  const ready = check("pod Ready", r.ready, r.ready ? "Ready" : notReady);
  const quoted = check("a quote served on port 80 at /quote", !!quote, quote ? `"${oneLine(quote)}"` : noQuote);
  const outputs = x.hookOutputFile
    ? [check(`the hook's output kept in ${x.hookOutputFile}`, hookOutput !== undefined, output)]
    : [];
  const warned = warning ? `${failedEvents} x "${oneLine(warning.message)}"` : "none";
  const failedHookEvent = check("a FailedPostStartHook Warning event", warning !== undefined, warned);
  const restarts = (atLeast: number) =>
    check(`restart count >= ${atLeast}`, r.restartCount >= atLeast, `restart count ${r.restartCount}`);
  const requested = check(`the receiver logged GET ${path}`, x.hookPath !== undefined && request !== undefined, logged);
  const answered = (status: 200 | 404) =>
    check(ANSWERED[status], request?.status === status, request ? `answered ${request.status}` : "no request logged");
  switch (scenario) {
    case "quote-poststart":
      return [ready, quoted, ...outputs];
    case "quote-poststart-slow": {
      const delay = x.slowHookDelaySeconds ?? 0;
      const measured = hold && `held ${hold.seconds} s (${hold.since} ${hold.from} -> ${hold.until} ${hold.to})`;
      const creatingSeen = creating ? `seen at ${creating}` : `not seen; ${reasons}`;
      // whole-second timestamps: allow one second less
      const heldLong = hold !== undefined && hold.seconds >= delay - 1;
      const sleep = `about its ${delay} s sleep (>= ${Math.max(0, delay - 1)} s)`;
      return [
        check("container Waiting (ContainerCreating) while the pod is Pending", creating !== undefined, creatingSeen),
        ready,
        check(`the hook held the container ${sleep}`, heldLong, measured ?? "not measured"),
        quoted,
        ...outputs,
      ];
    }
    case "quote-poststart-fail": {
      const f = r.hookFailures.find((h) => h.exitCode !== undefined && h.exitCode !== 0);
      const exited = f && `exited with ${f.exitCode}, output "${oneLine(f.output ?? "")}" (from the ${f.source})`;
      return [
        failedHookEvent,
        check(`the hook's exit code and output ${SEEN_IN}`, f !== undefined, exited ?? "not seen"),
        restarts(1),
        check("waiting reason CrashLoopBackOff", r.waitingReasons.includes("CrashLoopBackOff"), reasons),
      ];
    }
    case "quote-poststart-fail-norestart": {
      // Killed after its hook failed, it runs no more: the pod ends, Failed or Succeeded as nginx exits on SIGQUIT.
      const ended = r.phase === "Failed" || r.phase === "Succeeded";
      const restartCount = r.last ? `restart count ${r.restartCount}` : "no pod seen";
      return [
        check("pod ended (phase Failed or Succeeded)", ended, `phase ${r.phase ?? "(no pod seen)"}`),
        check("restart count 0", r.last !== undefined && r.restartCount === 0, restartCount),
        failedHookEvent,
      ];
    }
    case "poststart-httpget":
      return [ready, requested, answered(200)];
    case "poststart-httpget-slow": {
      const f = r.hookFailures.find((h) => h.handler === "httpGet" && /connection refused/.test(h.error));
      const refused = f ? `${oneLine(f.error)} (from the ${f.source})` : `not seen${hookError}`;
      return [
        failedHookEvent,
        check(`the httpGet hook's connection refused ${SEEN_IN}`, f !== undefined, refused),
        restarts(2),
      ];
    }
    case "poststart-httpget-404": {
      // Where the book's warning and what Kubernetes reports part: the kubelet counts any answer as a success.
      const counted = `${r.ready ? "Ready" : "not Ready"}, ${failedEvents} FailedPostStartHook events${hookError}`;
      const succeeded = r.ready && failedEvents === 0 && r.hookFailures.length === 0;
      return [
        check("Kubernetes counted the hook as successful: pod Ready, no FailedPostStartHook event", succeeded, counted),
        requested,
        answered(404),
      ];
    }
  }
}

export function verdict(scenario: Scenario, r: PodRecord, x: Expectation): Extract<Fact, { kind: "verdict" }> {
  const all = scenarioChecks(scenario, r, x);
  const failed = all.filter((c) => !c.ok).map((c) => c.expect);
  const [expected, observed] = [all.map((c) => c.expect), all.map((c) => c.observed)];
  return { kind: "verdict", pod: r.pod, scenario, ok: failed.length === 0, expected, observed, failed };
}

/** What a scenario's pod is doing and still waits for, for the live status line. */
export function waitingFor(scenario: Scenario, r: PodRecord, x: Expectation, now: string): string {
  const missing = scenarioChecks(scenario, r, x).find((c) => !c.ok);
  const latest = (kind: string) => [...r.timeline].reverse().find((e) => e.kind === kind);
  const f = latest("container") ?? latest("phase");
  const doing =
    f?.kind === "container"
      ? `${f.container} ${describeState(f)}`
      : f?.kind === "phase"
        ? describePhase(f)
        : "not created yet";
  const since = f ? ` for ${Math.round((Date.parse(now) - Date.parse(f.time)) / 1000)} s` : "";
  return `${r.pod}: ${doing}${since}${missing ? `, waiting for ${missing.expect}` : ""}`;
}
