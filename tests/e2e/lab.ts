// The real parts the e2e tests drive: the toolchain, the lab cluster, and tools/pulumi.sh.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.join(__dirname, "..", "..");

export interface Run {
  status: number;
  output: string;
}

/** Runs a command in the project, stdout and stderr together, as a user would see them; `input` on its stdin. */
export function run(command: string, args: string[], env: Record<string, string> = {}, input?: string): Run {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
    input,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** `run`, without blocking: other checks go on while it runs. */
export function runAsync(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (status) => resolve({ status: status ?? -1, output }));
  });
}

/** Builds the toolchain if needed and starts the lab cluster if it is not running. */
export function ensureLab(): void {
  for (const script of [["toolchain/toolchain.sh"], ["lab/lab.sh", "up"]]) {
    const { status, output } = run("bash", script);
    if (status !== 0) throw new Error(`bash ${script.join(" ")} failed:\n${output}`);
  }
}

/** `npm run <command> -- --stack <stack> [--set key=value ...]` against the lab cluster. */
export function pulumi(command: "preview" | "up" | "destroy", stack: string, sets: Record<string, unknown> = {}): Run {
  return run("bash", pulumiArgs(command, stack, sets), { KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig") });
}

export function pulumiAsync(command: "preview" | "up" | "destroy", stack: string, sets: Record<string, unknown> = {}): Promise<Run> {
  return runAsync("bash", pulumiArgs(command, stack, sets), { KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig") });
}

function pulumiArgs(command: string, stack: string, sets: Record<string, unknown>): string[] {
  const args = ["tools/pulumi.sh", command, "--stack", stack];
  for (const [key, value] of Object.entries(sets)) args.push("--set", `${key}=${JSON.stringify(value)}`);
  return args;
}

/** kubectl of the lab cluster. */
export function kubectl(...args: string[]): Run {
  return kubectlWithInput(undefined, ...args);
}

/** kubectl of the lab cluster, with `input` on its stdin (`apply -f -`). */
export function kubectlWithInput(input: string | undefined, ...args: string[]): Run {
  return run(path.join(ROOT, ".lab", "bin", "kubectl"), ["--kubeconfig", path.join(ROOT, ".lab", "kubeconfig"), ...args], {}, input);
}

/** A command started in a process group of its own (to be signalled as a terminal would), its output as it comes. */
export interface Started {
  pid: number;
  output(): string;
  /** resolves with the output once it matches `pattern`; rejects after `seconds`, showing the output */
  seen(pattern: RegExp, seconds: number): Promise<RegExpMatchArray>;
  exited: Promise<Run>;
}

/** `npm run <command> -- --stack <stack> [--set ...]` against the lab, in the background; npm leads its process group. */
export function startPulumi(command: "up" | "destroy", stack: string, sets: Record<string, unknown> = {}): Started {
  const child = spawn("npm", ["run", "--silent", command, "--", ...pulumiArgs(command, stack, sets).slice(2)], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let ended = false;
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<Run>((resolve) =>
    child.on("close", (status, signal) => {
      ended = true;
      resolve({ status: status ?? (signal ? 128 : -1), output });
    }),
  );
  const seen = async (pattern: RegExp, seconds: number) => {
    const until = Date.now() + seconds * 1000;
    for (;;) {
      const match = output.match(pattern);
      if (match) return match;
      if (ended || Date.now() > until) throw new Error(`${ended ? "ended before it said" : `not said within ${seconds} s`}: ${pattern}\n--- output:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return { pid: child.pid!, output: () => output, seen, exited };
}
