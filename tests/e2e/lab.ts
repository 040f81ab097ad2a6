// The real parts the e2e tests drive: the toolchain, the lab cluster, and tools/pulumi.sh.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import YAML from "yaml";

export const ROOT = path.join(import.meta.dirname, "..", "..");

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
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
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
export function pulumi(
  command: "preview" | "up" | "destroy",
  stack: string,
  sets: Record<string, unknown> = {},
  flags: string[] = [],
): Run {
  return run("bash", pulumiArgs(command, stack, sets, flags), { KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig") });
}

export function pulumiAsync(
  command: "preview" | "up" | "destroy",
  stack: string,
  sets: Record<string, unknown> = {},
): Promise<Run> {
  return runAsync("bash", pulumiArgs(command, stack, sets), { KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig") });
}

function pulumiArgs(command: string, stack: string, sets: Record<string, unknown>, flags: string[] = []): string[] {
  const args = ["tools/pulumi.sh", command, "--stack", stack, ...flags];
  for (const [key, value] of Object.entries(sets)) args.push("--set", `${key}=${JSON.stringify(value)}`);
  return args;
}

/** kubectl of the lab cluster. */
export function kubectl(...args: string[]): Run {
  return kubectlWithInput(undefined, ...args);
}

/** kubectl of the lab cluster, with `input` on its stdin (`apply -f -`). */
export function kubectlWithInput(input: string | undefined, ...args: string[]): Run {
  return run(
    path.join(ROOT, ".lab", "bin", "kubectl"),
    ["--kubeconfig", path.join(ROOT, ".lab", "kubeconfig"), ...args],
    {},
    input,
  );
}

/** `pulumi()` as the user of `kubeconfig` instead of the lab's admin. */
export function pulumiAs(
  kubeconfig: string,
  command: "preview" | "up" | "destroy",
  stack: string,
  sets: Record<string, unknown> = {},
): Run {
  return run("bash", pulumiArgs(command, stack, sets), { KUBECONFIG: kubeconfig });
}

/**
 * A user who may use `namespaces` only, as teams and courses hand them out: the ServiceAccount
 * `name` in the first namespace, bound to the `admin` ClusterRole in each by a RoleBinding (the
 * namespaces are created, labelled with `labels[namespace]`), and a kubeconfig file in `dir` with
 * its token (an hour), its context `lab` current, in the first namespace. Returns the file's path.
 */
export function namespaceUser(
  dir: string,
  name: string,
  namespaces: string[],
  labels: Record<string, Record<string, string>> = {},
): string {
  const home = namespaces[0];
  const objects = [
    ...namespaces.map((ns) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns, labels: labels[ns] ?? {} },
    })),
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: home } },
    ...namespaces.map((ns) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${name}-admin`, namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
      subjects: [{ kind: "ServiceAccount", name, namespace: home }],
    })),
  ];
  const applied = kubectlWithInput(
    JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    "apply",
    "-f",
    "-",
  );
  if (applied.status !== 0)
    throw new Error(`kubectl apply of the user ${name}'s namespaces and bindings failed:\n${applied.output}`);
  const token = kubectl("-n", home, "create", "token", name, "--duration", "1h");
  if (token.status !== 0) throw new Error(`kubectl create token ${name} failed:\n${token.output}`);
  const admin = YAML.parse(readFileSync(path.join(ROOT, ".lab", "kubeconfig"), "utf8"));
  const file = path.join(dir, `${name}.kubeconfig`);
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "lab", cluster: admin.clusters[0].cluster }],
    users: [{ name, user: { token: token.output.trim() } }],
    contexts: [{ name: "lab", context: { cluster: "lab", user: name, namespace: home } }],
    "current-context": "lab",
  };
  writeFileSync(file, YAML.stringify(kubeconfig), { mode: 0o600 });
  return file;
}

/** A command started in a process group of its own (to be signalled as a terminal would), its output as it comes. */
export interface Started {
  pid: number;
  output(): string;
  /** resolves with the output once it matches `pattern`; rejects after `seconds`, showing the output */
  seen(pattern: RegExp, seconds: number): Promise<RegExpMatchArray>;
  exited: Promise<Run>;
}

/**
 * `npm run <command> -- --stack <stack> [--set ...]` against the lab, in the background; npm leads its process group.
 */
export function startPulumi(
  command: "up" | "destroy",
  stack: string,
  sets: Record<string, unknown> = {},
  flags: string[] = [],
): Started {
  const child = spawn("npm", ["run", "--silent", command, "--", ...pulumiArgs(command, stack, sets, flags).slice(2)], {
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
      if (ended) throw new Error(`ended before it said: ${pattern}\n--- output:\n${output}`);
      if (Date.now() > until) {
        // Not left running for the next test to meet its lock: cancelled as Ctrl-C would, killed if that does not end
        // it.
        process.kill(-child.pid!, "SIGINT");
        const stopped = await Promise.race([
          exited.then(() => true),
          new Promise((r) => setTimeout(() => r(false), 90_000)),
        ]);
        if (!stopped) process.kill(-child.pid!, "SIGKILL");
        throw new Error(`not said within ${seconds} s: ${pattern}\n--- output:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return { pid: child.pid!, output: () => output, seen, exited };
}
