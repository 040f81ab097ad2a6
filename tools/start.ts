// `npm start -- <scenario>` (`up`, after tools/quickstart.sh chose the cluster): that one scenario with the dev stack's
// settings, watched by the observer from before `pulumi up`; then the verdict, the outputs and how to explore it.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { maskCredentials } from "../cluster/kube.ts";
import { SCENARIO_NAMES, SCENARIOS, type Scenario } from "../stacks/scenarios.ts";
import { connect, observe, plan } from "./observe/observer.ts";
import { ROOT, readStackFile, withSets } from "./stack-file.ts";

const STACK = "dev";
/** pulumi up's output (the observer has the terminal), and beside it a picture per run; not committed */
const LAB = path.join(ROOT, ".lab");
const OUT = path.join(LAB, "start");
const UP_LOG = path.join(OUT, "pulumi-up.log");
const OBSERVE_SECONDS = 300; // the slow hook sleeps 60 s with the dev stack's settings; the receiver, images more

function pulumiUp(sets: string[]): Promise<number> {
  mkdirSync(OUT, { recursive: true });
  const log = openSync(UP_LOG, "w");
  const args = ["tools/pulumi.sh", "up", "--stack", STACK, ...sets.flatMap((s) => ["--set", s])];
  const child = spawn("bash", args, { cwd: ROOT, stdio: ["ignore", log, log] });
  closeSync(log);
  return new Promise((resolve) => child.on("close", (status) => resolve(status ?? 1)));
}

async function up(scenario: Scenario, sets: string[]): Promise<number> {
  const all = [`scenarios=${JSON.stringify([scenario])}`, ...sets];
  const p = await plan(withSets(readStackFile(STACK), all).config ?? {});
  const kube = await connect(p);
  const live = process.stdout.isTTY === true;
  const where = `context ${kube.context} (${maskCredentials(kube.server)}), namespace ${p.namespace}`;
  console.log(`start: ${scenario} on ${where}; pulumi up's output: ${path.relative(process.cwd(), UP_LOG)}`);
  const observer = observe(kube, p, { timeoutSeconds: OBSERVE_SECONDS, json: false, live });
  process.once("SIGINT", observer.stop);
  const upStatus = await pulumiUp(all);
  if (upStatus !== 0) {
    const log = readFileSync(UP_LOG, "utf8");
    process.stdout.write(`${live ? "\r\x1b[K" : ""}start: pulumi up failed (exit ${upStatus}):\n${log}`);
    observer.stop();
    return observer.done.then(() => upStatus);
  }
  const { code, seen } = await observer.done;
  const outputs = /^Outputs:\n([\s\S]*?)\n(?=Resources:|Duration:|$)/m.exec(readFileSync(UP_LOG, "utf8"))?.[1];
  if (outputs?.trimEnd()) console.log(`\npulumi up's outputs:\n${outputs.trimEnd()}`);
  const { writePictures } = await import("./observe/picture.ts"); // vega, loaded only to draw
  for (const file of await writePictures(OUT, seen))
    console.log(`\nThe picture of what the observer saw: ${path.relative(process.cwd(), file)}`);
  console.log(`\nExplore it in context ${kube.context}; the pods stay until \`npm start -- --down\`:`);
  if (kube.context === "lab") console.log(`  export KUBECONFIG=${LAB}/kubeconfig PATH=${LAB}/bin:$PATH`);
  for (const command of SCENARIOS[scenario].seeItWith) console.log(`  ${command}`);
  return code;
}

async function main([command, name, ...rest]: string[]): Promise<number> {
  const notOne = `start: ${JSON.stringify(name ?? "")} is not a scenario; the scenarios: ${SCENARIO_NAMES.join(", ")}`;
  if (!SCENARIO_NAMES.includes(name as Scenario)) throw new Error(notOne);
  if (command === "check") return 0;
  const { set } = parseArgs({ args: rest, options: { set: { type: "string", multiple: true, default: [] } } }).values;
  if (command === "up") return up(name as Scenario, set);
  throw new Error("usage: start.ts check <scenario> | up <scenario> [--set <key>=<value>]...");
}

main(process.argv.slice(2))
  .catch((e: unknown) => (process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`), 2))
  .then((code) => process.exit(code));
