// The environment tools/pulumi.sh gives the Pulumi CLI, for a tool that runs the CLI itself: one route for all.
import { spawnSync } from "node:child_process";
import { ROOT } from "./stack-file";

/** `tools/pulumi.sh env` applied to this process's environment. */
export function pulumiEnv(): NodeJS.ProcessEnv {
  const script = 'eval "$(bash tools/pulumi.sh env)" && env -0';
  const r = spawnSync("bash", ["-c", script], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  // Its progress (the toolchain's summary) only when it failed.
  if (r.status !== 0) throw new Error(`bash tools/pulumi.sh env exited with ${r.status}:\n${r.stderr}`);
  const entries = r.stdout.split("\0").filter(Boolean);
  return Object.fromEntries(entries.map((entry) => entry.split(/=(.*)/s)));
}
