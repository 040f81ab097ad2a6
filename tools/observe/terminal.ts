// Where the observer's output goes: timeline lines on stdout (text, or JSON lines), notes on
// stderr each once, and on a terminal a live status line kept below them.
import type { Scenario } from "../../stacks/settings";
import { type Expectation, scenarioChecks } from "./book";
import { type Entry, type Fact, stamp } from "./facts";
import { describePhase, describeState, formatEntry } from "./format";
import type { PodRecord } from "./record";

export class Terminal {
  private statusShown = false;
  private readonly notes = new Set<string>();

  constructor(
    private readonly json: boolean,
    private readonly start: Date,
  ) {}

  /** A timeline line: the fact stamped with the time it was learned; returns that entry. */
  fact(fact: Fact, now = new Date()): Entry {
    const entry = stamp(fact, now, this.start);
    this.write(this.json ? JSON.stringify(entry) : formatEntry(entry));
    return entry;
  }

  /** A note on stderr, each distinct one once (a failing watch retries every second). */
  note(text: string): void {
    if (this.notes.has(text)) return;
    this.notes.add(text);
    this.write(undefined, text);
  }

  /** Replaces the status line, cut to the terminal's width. */
  status(line: string): void {
    const width = process.stdout.columns || 120;
    process.stdout.write(`\r\x1b[K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
    this.statusShown = true;
  }

  /** Prints a timeline line (stdout) or a note (stderr), keeping the live status line below them. */
  private write(line: string | undefined, note?: string): void {
    if (this.statusShown) process.stdout.write("\r\x1b[K");
    this.statusShown = false;
    if (line !== undefined) process.stdout.write(`${line}\n`);
    if (note !== undefined) process.stderr.write(`${note}\n`);
  }
}

/** What a scenario's pod is doing and still waits for, for the live status line. */
export function waitingFor(scenario: Scenario, r: PodRecord, x: Expectation, now: string): string {
  const missing = scenarioChecks(scenario, r, x).find((c) => !c.ok);
  const doing = !r.doing
    ? "not created yet"
    : r.doing.fact.kind === "container"
      ? `${r.doing.fact.container} ${describeState(r.doing.fact)}`
      : describePhase(r.doing.fact);
  const since = r.doing ? ` for ${Math.round((Date.parse(now) - Date.parse(r.doing.since)) / 1000)} s` : "";
  return `${r.pod}: ${doing}${since}${missing ? `, waiting for ${missing.expect}` : ""}`;
}
