// `npm start -- <scenario>` after tools/quickstart.sh chose the cluster: deploys that one scenario
// with the dev stack's settings (and the cluster's `--set`s), watched live by the observer, which
// opens its watches before `pulumi up` starts, so it sees the pods from their creation; then the
// verdict, `pulumi up`'s outputs and the commands to explore what is left running.
//   node --import tsx tools/start.ts check <scenario>           exits 2 naming the scenarios unless it is one
//   node --import tsx tools/start.ts up <scenario> [--set k=v]...
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { KubeClient, maskCredentials } from "../cluster/kube";
import { SCENARIO_NAMES, SCENARIOS, type Scenario } from "../stacks/scenarios";
import { Observer, type Seen } from "./observe/observer";
import { plan } from "./observe/plan";
import { ROOT, readStackFile, withSets } from "./stack-file";

const STACK = "dev";
const UP_LOG = path.join(ROOT, ".lab", "start", "pulumi-up.log");
const PICTURES = path.join(ROOT, ".lab", "start"); // beside pulumi up's log: a picture per run, not committed
/** The slow hook sleeps 60 s with the dev stack's settings; the receiver and images take a few more. */
const OBSERVE_SECONDS = 300;

function checkScenario(name: string | undefined): Scenario {
  if (!SCENARIO_NAMES.includes(name as Scenario)) {
    throw new Error(
      `start: ${JSON.stringify(name ?? "")} is not a scenario; the scenarios: ${SCENARIO_NAMES.join(", ")}`,
    );
  }
  return name as Scenario;
}

/** The `--set k=v` arguments after the scenario, as the settings they change. */
function setsOf(args: string[]): string[] {
  const sets: string[] = [];
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] !== "--set" || args[i + 1] === undefined)
      throw new Error(`start: expected --set <key>=<value>, got ${JSON.stringify(args.slice(i).join(" "))}`);
    sets.push(args[i + 1]!);
  }
  return sets;
}

/**
 * `pulumi up` of the dev stack with `sets`, its output to UP_LOG (the observer has the terminal); resolves with its
 * exit status.
 */
function pulumiUp(sets: string[]): Promise<number> {
  mkdirSync(path.dirname(UP_LOG), { recursive: true });
  const log = openSync(UP_LOG, "w");
  const child = spawn("bash", ["tools/pulumi.sh", "up", "--stack", STACK, ...sets.flatMap((s) => ["--set", s])], {
    cwd: ROOT,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  return new Promise((resolve) => child.on("close", (status) => resolve(status ?? 1)));
}

/** The `Outputs:` section of `pulumi up`'s output. */
function upOutputs(): string {
  const text = readFileSync(UP_LOG, "utf8");
  const m = /^Outputs:\n([\s\S]*?)\n(?=Resources:|Duration:|$)/m.exec(text);
  return m ? m[1]!.trimEnd() : "";
}

async function up(scenario: Scenario, sets: string[]): Promise<number> {
  const all = [`scenarios=${JSON.stringify([scenario])}`, ...sets];
  const p = await plan(withSets(readStackFile(STACK), all).config ?? {});
  const kube = KubeClient.connect(p.context);
  await kube.get(`/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods?limit=1`); // the cluster answers
  const live = process.stdout.isTTY === true;
  console.log(
    `start: ${scenario} on context ${kube.context} (${maskCredentials(kube.server)}), namespace ${p.namespace}; ` +
      `pulumi up's output: ${path.relative(process.cwd(), UP_LOG)}`,
  );
  let observed!: (result: { code: number; seen: Seen[] }) => void;
  const verdict = new Promise<{ code: number; seen: Seen[] }>((resolve) => (observed = resolve));
  const observer = new Observer(kube, p, { timeoutSeconds: OBSERVE_SECONDS, json: false, live }, (code, seen) =>
    observed({ code, seen }),
  );
  process.once("SIGINT", () => observer.stop());
  observer.run(); // its watches are open before pulumi up creates anything
  const upStatus = await pulumiUp(all);
  if (upStatus !== 0) {
    process.stdout.write(
      `${live ? "\r\x1b[K" : ""}start: pulumi up failed (exit ${upStatus}):\n${readFileSync(UP_LOG, "utf8")}`,
    );
    observer.stop();
    await verdict;
    return upStatus;
  }
  const { code: observerStatus, seen } = await verdict;
  const outputs = upOutputs();
  if (outputs) console.log(`\npulumi up's outputs:\n${outputs}`);
  const { writePictures } = await import("./observe/picture.js"); // vega, loaded only to draw
  for (const file of await writePictures(PICTURES, seen))
    console.log(`\nThe picture of what the observer saw: ${path.relative(process.cwd(), file)}`);
  console.log(`\nExplore it in context ${kube.context}; the pods stay until \`npm start -- --down\`:`);
  // The lab's kubectl and kubeconfig are the project's own, in .lab/.
  if (kube.context === "lab")
    console.log(
      `  export KUBECONFIG=${path.join(ROOT, ".lab", "kubeconfig")} PATH=${path.join(ROOT, ".lab", "bin")}:$PATH`,
    );
  for (const command of SCENARIOS[scenario].seeItWith) console.log(`  ${command}`);
  return observerStatus;
}

async function main([command, name, ...rest]: string[]): Promise<number> {
  const scenario = checkScenario(name);
  if (command === "check") return 0;
  if (command === "up") return up(scenario, setsOf(rest));
  throw new Error("usage: start.ts check <scenario> | up <scenario> [--set <key>=<value>]...");
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
