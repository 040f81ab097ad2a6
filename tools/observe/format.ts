// The timeline for people: one line per fact, and the verdicts with each check.
import { describeHook } from "../../infra/pod-state";
import type { Entry, Fact } from "./facts";

export const truncate = (s: string, n = 100) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
export const oneLine = (s: string) => truncate(s.trim().replace(/\s*\n\s*/g, " / "));

export function describeState(f: Extract<Fact, { kind: "container" }>): string {
  const state = f.state[0]!.toUpperCase() + f.state.slice(1);
  return `${state}${f.reason ? ` (${f.reason}${f.exitCode !== undefined ? `, exit ${f.exitCode}` : ""})` : ""}`;
}

export function describePhase(f: Extract<Fact, { kind: "phase" }>): string {
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
      return (
        `${head}container ${e.container} ${describeState(e)}${e.ready ? ", ready" : ""}, restarts ${e.restartCount}` +
        (e.hook ? `: ${describeHook(e.hook)}` : e.message ? `: ${oneLine(e.message)}` : "")
      );
    case "restart":
      return (
        `${head}restart #${e.restartCount} of ${e.container}` +
        (e.lastReason ? ` (last run: ${e.lastReason}, exit ${e.lastExitCode})` : "")
      );
    case "event":
      return (
        `${head}event ${e.type} ${e.reason}${e.count > 1 ? ` (x${e.count})` : ""}` +
        `${e.at ? ` at ${clock(e.at)}` : ""}: ${oneLine(e.message)}` +
        (e.hook ? `\n${" ".repeat(17)}-> ${describeHook(e.hook)}` : "")
      );
    case "hook":
      return (
        `${head}post-start hook held ${e.container} for ${e.seconds} s ` +
        `(${e.since} ${clock(e.from)} -> ${e.until} ${clock(e.to)})`
      );
    case "quote":
      return (
        head +
        (e.quote !== undefined
          ? `quote: ${JSON.stringify(e.quote.trim())}`
          : `quote not served: ${oneLine(e.error ?? "")}`)
      );
    case "hook-output":
      return (
        head +
        (e.output !== undefined
          ? `hook output (${e.file}): ${JSON.stringify(e.output)}`
          : `hook output not read from ${e.file}: ${oneLine(e.error ?? "")}`)
      );
    case "receiver":
      return `${head}receiver ${e.receiver} logged "${e.request}" from ${e.client}, answered ${e.status}`;
    case "verdict": {
      const lines = e.expected.map((x, i) => `    ${e.failed.includes(x) ? "FAIL" : "ok  "} ${x}: ${e.observed[i]}`);
      const verdict = e.ok
        ? "behaved as the book says"
        : `did NOT behave as the book says (${e.failed.length} of ${e.expected.length} expectations failed)`;
      return [`${e.scenario}: ${verdict}`, ...lines].join("\n");
    }
  }
}
