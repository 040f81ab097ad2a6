// `pulumi preview|up|destroy` of one stack with the program run in this process, through
// @pulumi/pulumi's Automation API (an inline program): the CLI talks to the language server this
// process starts (the CLI's `--client` option) instead of starting its Node.js language host.
// Why: the only host the Go proxy serves is v3.68.0, which cannot forward stack transforms or
// resource hooks to the engine; this way the program runs on the project's own, current SDK.
// tools/pulumi.sh uses it with the toolchain's own CLI; a Pulumi CLI you installed runs the
// program through its own host, as usual.
// Beside an update or a destroy of this project, it watches the stack's pods that are being
// deleted: one whose post-start hook still runs cannot go away (cluster/stuck-pods.ts says why, or
// frees it). A SIGINT or SIGTERM cancels the update cleanly (see the end of this file).
//
//   node tools/run.js <preview|up|destroy> --stack <name> [--config-file <file>] [--dir <project>] [--refresh]
//
// --dir is the project's directory (default: this project's), its entry point Pulumi.yaml's `main`.
// --refresh reads the stack's objects from the cluster first, as `pulumi up --refresh` does.
// The environment is tools/pulumi.sh's (PATH with the CLI, PULUMI_HOME, backend, passphrase).

require("node:module").enableCompileCache?.(); // the SDK's compiled code kept from run to run
const path = require("node:path");
const { CommandError, LocalWorkspace, Stack } = require("@pulumi/pulumi/automation");

const USAGE =
  "usage: node tools/run.js <preview|up|destroy> --stack <name> [--config-file <file>] [--dir <project>] [--refresh]";
const FLAGS = ["--stack", "--config-file", "--dir"];

async function main(argv) {
  const [command, ...rest] = argv;
  const flags = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] === "--refresh") {
      flags.refresh = true;
      i -= 1;
      continue;
    }
    if (!FLAGS.includes(rest[i]) || rest[i + 1] === undefined) {
      process.stderr.write(`run.js: ${JSON.stringify(rest[i])} is not supported here\n${USAGE}\n`);
      return 2;
    }
    flags[rest[i]] = rest[i + 1];
  }
  if (!["preview", "up", "destroy"].includes(command) || !flags["--stack"]) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const dir = path.resolve(flags["--dir"] ?? path.join(__dirname, ".."));
  let entry; // the program, loaded when the CLI asks this process to run it
  const ws = await LocalWorkspace.create({ workDir: dir, program: async () => require(entry) });
  entry = path.resolve(dir, (await ws.projectSettings()).main ?? ".");
  const stack = await Stack.createOrSelect(flags["--stack"], ws);
  if (command !== "preview" && dir === ROOT) {
    stuckPods = stuckPodWatch(
      flags["--stack"],
      flags["--config-file"] ?? path.join(dir, `Pulumi.${flags["--stack"]}.yaml`),
      await providerId(stack),
    );
  }
  const options = {
    signal: cancel.signal,
    ...(flags.refresh ? { refresh: true } : {}),
    ...(flags["--config-file"] ? { configFile: path.resolve(flags["--config-file"]) } : {}),
    onOutput: (s) => process.stdout.write(s),
    onError: (s) => process.stderr.write(s),
    color: process.stdout.isTTY ? "always" : "never",
  };
  try {
    if (command === "preview") await stack.preview(options);
    else if (command === "up") await stack.up(options);
    else await stack.destroy(options);
    return 0;
  } catch (e) {
    // The CLI's own output, its error included, has been passed through already.
    if (e instanceof CommandError) return 1;
    throw e;
  } finally {
    stuckPods.stop();
  }
}

const ROOT = path.join(__dirname, "..");

/** The stuck-pod watch of this run, if any. */
let stuckPods = { stop: () => {}, sayAgain: () => {} };

/**
 * The id the engine gave the stack's Kubernetes provider (`cluster`), which the stack instance's
 * mark on its objects carries (stacks/cluster-check.ts); undefined before the stack's first deploy.
 */
async function providerId(stack) {
  const resources = (await stack.exportStack()).deployment?.resources ?? [];
  return resources.find((r) => r.type === "pulumi:providers:kubernetes" && r.urn.endsWith("::cluster"))?.id;
}

/** Starts the stuck-pod watch. Without a readable config or kubeconfig there is none (the CLI then says why). */
function stuckPodWatch(stackName, configFile, providerId) {
  // As stacks/main.js: the SDKs before tsx, whose hook would otherwise transform them.
  require("@pulumi/pulumi");
  require("@pulumi/kubernetes");
  require("tsx/cjs");
  try {
    return require("./stuck-watch.ts").startStuckPodWatch(stackName, configFile, providerId, (line) =>
      process.stdout.write(`${line}\n`),
    );
  } catch (e) {
    process.stderr.write(
      `run.js: pods that stay Terminating are not watched: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return { stop: () => {}, sayAgain: () => {} };
  }
}

// SIGINT or SIGTERM (a terminal's Ctrl-C, a CI job's timeout): the CLI gets one SIGINT, on which it
// cancels the update cleanly (it finishes the steps under way, saves the state, releases the
// stack's lock) and exits; this process, which runs the program for it, keeps serving until then.
// One only: a second SIGINT makes the CLI stop at once, leaving its lock. tools/pulumi.sh runs this
// process in a process group of its own, so that a terminal's Ctrl-C reaches the CLI through here only.
const cancel = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    process.stderr.write(
      cancel.signal.aborted
        ? `run.js: ${signal}: the update is being cancelled already; pulumi releases the stack's lock when it ends\n`
        : `run.js: ${signal}: cancelling the update ` +
            "(pulumi finishes the steps under way, then releases the stack's lock)\n",
    );
    cancel.abort();
    // A delete under way that waits on a pod held by its post-start hook ends only once the pod is freed: say so now.
    stuckPods.sayAgain();
  });
}

// Output nobody reads any more (the terminal or the pipe closed: EPIPE): the update is cancelled as
// on SIGINT, and the lost output is not reported, since each such report would fail in turn (seen:
// an uncaught EPIPE, logged by the SDK to the same closed stream, again and again, 2 GB in minutes).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code !== "EPIPE") throw e;
    cancel.abort();
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`run.js: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
