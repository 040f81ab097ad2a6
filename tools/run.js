// `node tools/run.js` (USAGE), for tools/pulumi.sh: one stack's update, the program inline (Automation API): the only
// Node.js host here (v3.68.0) cannot run stack transforms. Beside it, a watch of the stack's pods being deleted.
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

(await import("node:module")).enableCompileCache(); // before the SDK's import: its compiled code kept from run to run
const { CommandError, LocalWorkspace, Stack } = await import("@pulumi/pulumi/automation/index.js");

const USAGE =
  "usage: node tools/run.js <preview|up|destroy> --stack <name> [--config-file <file>] [--dir <project>] [--refresh]";
const STRING = { type: "string" };
const OPTIONS = { stack: STRING, "config-file": STRING, dir: STRING, refresh: { type: "boolean" } };
const ROOT = path.join(import.meta.dirname, "..");
let stuckPods = { stop: () => {}, sayAgain: () => {} };
const fail = (text) => (process.stderr.write(`${text}\n`), 2);
async function main(argv) {
  let command, stackName, flags;
  try {
    const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
    [command, stackName, flags] = [positionals.length === 1 ? positionals[0] : undefined, values.stack, values];
  } catch (e) {
    return fail(`run.js: ${e.message}\n${USAGE}`);
  }
  if (!["preview", "up", "destroy"].includes(command) || !stackName) return fail(USAGE);
  const dir = path.resolve(flags.dir ?? ROOT);
  const configFile = flags["config-file"] && path.resolve(flags["config-file"]);
  const workDir = configFile ? path.dirname(configFile) : dir; // the CLI salts its cwd's stack file, not configFile
  let entry; // the program, imported when the CLI asks this process to run it; its default export is the outputs
  const ws = await LocalWorkspace.create({ workDir, program: async () => (await import(entry)).default });
  entry = pathToFileURL(path.resolve(workDir, (await ws.projectSettings()).main ?? "index.js")).href;
  const stack = await Stack.createOrSelect(stackName, ws);
  // Nothing here reads what up or destroy return: the SDK's reads after the CLI ends (3 CLI runs, 0.7 s) are skipped.
  Object.assign(stack, { outputs: async () => ({}), info: async () => undefined });
  if (command !== "preview" && dir === ROOT) {
    // The id of the stack's Kubernetes provider, which its objects' mark carries; undefined before the first deploy.
    const { stdout } = await ws.pulumiCommand.run(["stack", "export", "--stack", stackName], workDir, {}); // no secrets
    const isCluster = (r) => r.type === "pulumi:providers:kubernetes" && r.urn.endsWith("::cluster");
    const providerId = JSON.parse(stdout).deployment?.resources?.find(isCluster)?.id;
    try {
      stuckPods = (await import("./stuck-watch.ts")).startStuckPodWatch(stackName, workDir, providerId);
    } catch (e) {
      // Without a readable config or kubeconfig there is no watch (the CLI then says why).
      process.stderr.write(`run.js: pods that stay Terminating are not watched: ${e.message}\n`);
    }
  }
  try {
    await stack[command]({
      signal: cancel.signal,
      ...(flags.refresh ? { refresh: true } : {}),
      ...(configFile ? { configFile } : {}),
      onOutput: (s) => process.stdout.write(s),
      onError: (s) => process.stderr.write(s),
      color: process.stdout.isTTY ? "always" : "never",
    });
    return 0;
  } catch (e) {
    // The CLI's own output, its error included, has been passed through already.
    if (e instanceof CommandError) return 1;
    throw e;
  } finally {
    stuckPods.stop();
  }
}

// SIGINT or SIGTERM (Ctrl-C, a CI timeout): the CLI gets one SIGINT, cancels cleanly and releases the lock (a second
// would leave it); this process has its own process group (tools/pulumi.sh): a terminal's Ctrl-C reaches the CLI here.
const cancel = new AbortController();
const CANCELLING = "cancelling the update (pulumi finishes the steps under way, then releases the stack's lock)";
const CANCELLED = "the update is being cancelled already; pulumi releases the stack's lock when it ends";
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    process.stderr.write(`run.js: ${signal}: ${cancel.signal.aborted ? CANCELLED : CANCELLING}\n`);
    cancel.abort();
    // A delete under way that waits on a pod held by its post-start hook ends only once the pod is freed: say so now.
    stuckPods.sayAgain();
  });

// Output nobody reads any more (EPIPE) cancels the update as SIGINT does; lost output is not reported (that fails too).
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e) => {
    if (e.code !== "EPIPE") throw e;
    cancel.abort();
  });

main(process.argv.slice(2))
  .catch((e) => (process.stderr.write(`run.js: ${e instanceof Error ? e.stack : String(e)}\n`), 1))
  .then((code) => process.exit(code));
