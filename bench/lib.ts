// Small helpers of the bench: statistics, alternation, child processes, the table.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");
export const LAB = path.join(ROOT, ".lab");
export const BIN = path.join(LAB, "bin");
export const KUBECONFIG = path.join(LAB, "kubeconfig");

/** Progress, on stderr. */
export const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
  values: number[];
}

export function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)!, n: s.length, values };
}

/** `fn` run `runs` times, one after the other; its results (usually milliseconds). */
export async function measure<T>(runs: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn(i));
  return out;
}

/**
 * A and B in pairs, A first in even pairs and B first in odd ones (ABBA), so that drift hits both;
 * the times of each side and the median of the per-pair ratios A/B.
 */
export async function alternate(runs: number, a: () => Promise<number>, b: () => Promise<number>) {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  return { a: stats(as), b: stats(bs), ratio: stats(as.map((x, i) => x / bs[i]!)) };
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command to its end (asynchronously, so that timers and polls keep running); its wall time.
 * After `timeoutMs` it is interrupted (SIGINT: pulumi cancels cleanly), killed 15 s later.
 */
export function exec(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timers: NodeJS.Timeout[] = [];
    if (options.timeoutMs) {
      timers.push(
        setTimeout(() => {
          stderr += `\n(timed out after ${options.timeoutMs! / 1000} s: interrupted)`;
          child.kill("SIGINT");
          timers.push(setTimeout(() => child.kill("SIGKILL"), 15_000));
        }, options.timeoutMs),
      );
    }
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      timers.forEach(clearTimeout);
      resolve({ status: code ?? -1, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Like `exec`, but throws with the command's output when it fails. */
export async function check(
  command: string,
  args: string[],
  options: Parameters<typeof exec>[2] = {},
): Promise<Result> {
  const r = await exec(command, args, options);
  if (r.status !== 0)
    throw new Error(
      `${path.basename(command)} ${args.join(" ")} exited with ${r.status}:\n${tail(r.stdout + r.stderr)}`,
    );
  return r;
}

export const tail = (text: string, lines = 15) => text.trim().split("\n").slice(-lines).join("\n");

export function kubectl(...args: string[]): Promise<Result> {
  return exec(path.join(BIN, "kubectl"), ["--kubeconfig", KUBECONFIG, ...args]);
}

export function firstLine(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return r.status === 0
    ? r.stdout.trim().split("\n")[0]!
    : `unknown (${command}: ${r.error?.message ?? r.stderr.trim()})`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A number for people: ms below 10 s, else s; bytes in MiB. */
export function fmt(value: number, unit: string): string {
  if (unit === "ms")
    return value >= 10_000
      ? `${(value / 1000).toFixed(1)} s`
      : value >= 100
        ? `${value.toFixed(0)} ms`
        : `${value.toFixed(2)} ms`;
  if (unit === "B") return `${(value / 2 ** 20).toFixed(1)} MiB`;
  if (unit === "x") return `${value.toFixed(2)}x`;
  if (unit === "s") return `${value.toFixed(1)} s`;
  return `${value} ${unit}`;
}

/** A plain-text table, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
