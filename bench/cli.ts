// The real Pulumi CLI and the lab cluster, for benchmarks 3 to 5: the CLI in the environment
// tools/pulumi.sh gives it, stack files changed as its --set changes them.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { pulumiEnv } from "../tools/pulumi-env";
import { readStackFile, withValues } from "../tools/stack-file";
import { BIN, check, exec, KUBECONFIG, LAB, log, ROOT } from "./lib";

export const OUT = path.join(LAB, "bench");
export const PULUMI = path.join(BIN, "pulumi");
export const KUBECTL = path.join(BIN, "kubectl");
export const RAW_DIR = path.join(ROOT, "bench", "raw-pod");

/**
 * The environment tools/pulumi.sh gives the CLI, with the lab's kubeconfig; asked once, when the CLI is first needed.
 */
let cliEnv: { dev: NodeJS.ProcessEnv; raw: NodeJS.ProcessEnv } | undefined;
export function envs() {
  if (!cliEnv) {
    const dev = { ...pulumiEnv(), KUBECONFIG }; // the dev stack's own state, as pulumi.sh has it
    // the raw program's, apart
    cliEnv = { dev, raw: { ...dev, PULUMI_BACKEND_URL: `file://${path.join(OUT, "state")}` } };
  }
  return cliEnv;
}

/** A copy of Pulumi.dev.yaml with settings changed, as `pulumi.sh --set` makes it; its path. */
export function devConfig(file: string, sets: Record<string, unknown>): string {
  const to = path.join(OUT, file);
  writeFileSync(to, YAML.stringify(withValues(readStackFile("dev"), sets)));
  return to;
}

/** The CLI before the toolchain's, kept aside by the toolchain's upgrade (bench 6 runs beside it, if it is there). */
export const BASELINE_PULUMI = path.join(LAB, "build", "pulumi-3.274.1");

export const preview = (env: NodeJS.ProcessEnv, cwd: string, configFile?: string, cli = PULUMI) =>
  check(cli, ["preview", "--non-interactive", "--stack", "dev", ...(configFile ? ["--config-file", configFile] : [])], {
    env,
    cwd,
  });

let labReady = false;
export async function ensureLab(): Promise<void> {
  if (labReady) return;
  log("toolchain and lab cluster (toolchain/toolchain.sh, lab/lab.sh)");
  await check("bash", ["toolchain/toolchain.sh", "--deploy"]);
  if ((await exec("bash", ["lab/lab.sh", "status"])).status !== 0) await check("bash", ["lab/lab.sh", "up"]);
  for (const [env, cwd] of [
    [envs().dev, ROOT],
    [envs().raw, RAW_DIR],
  ] as const) {
    mkdirSync(new URL(env.PULUMI_BACKEND_URL!).pathname, { recursive: true });
    await check(PULUMI, ["stack", "select", "--create", "--non-interactive", "dev"], { env, cwd });
  }
  labReady = true;
}
