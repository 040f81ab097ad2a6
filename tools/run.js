// `pulumi preview|up|destroy` of one stack with the program run in this process, through
// @pulumi/pulumi's Automation API (an inline program): the CLI talks to the language server this
// process starts (the CLI's `--client` option) instead of starting its Node.js language host.
// Why: the only host the Go proxy serves is v3.68.0, which cannot forward stack transforms or
// resource hooks to the engine; this way the program runs on the project's own, current SDK.
// tools/pulumi.sh uses it with the toolchain's own CLI; a Pulumi CLI you installed runs the
// program through its own host, as usual.
//
//   node tools/run.js <preview|up|destroy> --stack <name> [--config-file <file>] [--dir <project>]
//
// --dir is the project's directory (default: this project's), its entry point Pulumi.yaml's `main`.
// The environment is tools/pulumi.sh's (PATH with the CLI, PULUMI_HOME, backend, passphrase).
"use strict";
require("node:module").enableCompileCache?.(); // the SDK's compiled code kept from run to run
const path = require("node:path");
const { CommandError, LocalWorkspace, Stack } = require("@pulumi/pulumi/automation");

const USAGE = "usage: node tools/run.js <preview|up|destroy> --stack <name> [--config-file <file>] [--dir <project>]";
const FLAGS = ["--stack", "--config-file", "--dir"];

/**
 * The SDK's language server for inline programs prints a program's error twice: once as its
 * unhandled rejection (logged), and again as the run's own error. When the program failed with an
 * error it logged already, this answers as the CLI's own Node.js host does then: `bail`, a failed
 * run whose error the engine does not print again. (A program that ends normally after a logged
 * error still gets the SDK's "One or more errors occurred: ..." copy: a bail there makes the engine
 * print "BAIL: run bailed" instead. stacks/index.ts ends with the error it reported.)
 */
function reportErrorsOnce() {
  const { LanguageServer } = require("@pulumi/pulumi/automation/server");
  const { RunResponse } = require("@pulumi/pulumi/proto/language_pb");
  const log = require("@pulumi/pulumi/log");
  const run = LanguageServer.prototype.run;
  LanguageServer.prototype.run = function (call, callback) {
    let answered = false;
    return run.call(this, call, (error, response) => {
      if (answered) return; // the SDK's server answers a failed run twice; gRPC takes the first
      answered = true;
      if (!error || !log.hasErrors() || error.message.startsWith("One or more errors occurred")) return callback(error, response);
      const bail = new RunResponse();
      bail.setBail(true);
      callback(undefined, bail);
    });
  };
}

async function main(argv) {
  const [command, ...rest] = argv;
  const flags = {};
  for (let i = 0; i < rest.length; i += 2) {
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
  reportErrorsOnce();
  const dir = path.resolve(flags["--dir"] ?? path.join(__dirname, ".."));
  let entry; // the program, loaded when the CLI asks this process to run it
  const ws = await LocalWorkspace.create({ workDir: dir, program: async () => require(entry) });
  entry = path.resolve(dir, (await ws.projectSettings()).main ?? ".");
  const stack = await Stack.createOrSelect(flags["--stack"], ws);
  const options = {
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
  }
}

// Ctrl-C (SIGINT to the process group) reaches the CLI too, which cancels the update cleanly and
// exits; this process, which runs the program for it, keeps serving until then.
process.on("SIGINT", () => {});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`run.js: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
