// `npm run observe -- --stack <name> | --scenario <name> [--namespace <ns>] [--timeout <s>] [--json]`:
// watches the scenarios' pods and their events on the cluster of the current kubeconfig and prints
// one timeline, then each scenario's verdict against the book; exits 1 if one did not behave so
// (2: bad arguments or no cluster). Start it before or with `npm run up`: it can judge only what it
// sees (a pod that is already Ready shows no ContainerCreating wait). Which pods, where, and what
// they should show all come from the program (plan.ts). `--json`: one JSON object per line,
// {t, time, kind, pod, ...} (see `Fact` in facts.ts), a `verdict` last per scenario. `--svg <dir>`:
// also a picture of each scenario's timeline, `<dir>/<scenario>.svg` (picture.ts).
import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { KubeClient, maskCredentials } from "../../cluster/kube";
import { rawConfig } from "../stack-file";
import { Observer, type Seen } from "./observer";
import { plan } from "./plan";

const USAGE =
  "usage: npm run observe -- --stack <name> | --scenario <name> " +
  "[--namespace <ns>] [--timeout <seconds>] [--json] [--svg <dir>]";

function parseOptions() {
  return parseArgs({
    options: {
      stack: { type: "string" },
      scenario: { type: "string" },
      namespace: { type: "string" },
      timeout: { type: "string", default: "180" },
      json: { type: "boolean", default: false },
      svg: { type: "string" },
    },
  }).values;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function main(): Promise<number> {
  let values: ReturnType<typeof parseOptions>;
  try {
    values = parseOptions();
  } catch (e) {
    process.stderr.write(`observe: ${message(e)}\n${USAGE}\n`);
    return 2;
  }
  const timeoutSeconds = Number(values.timeout);
  if ((values.stack === undefined) === (values.scenario === undefined) || !(timeoutSeconds > 0)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let p: Awaited<ReturnType<typeof plan>>;
  let kube: KubeClient;
  try {
    p = await plan(rawConfig({ stack: values.stack, scenario: values.scenario }), values.namespace);
    kube = await KubeClient.connect(p.context);
    // The cluster answers, and lets us read the pods there.
    await kube.get(`/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods?limit=1`);
    // A directory we cannot write to fails now, not after minutes of watching.
    if (values.svg !== undefined) await mkdir(values.svg, { recursive: true });
  } catch (e) {
    process.stderr.write(`observe: ${message(e)}\n`);
    return 2;
  }
  const json = values.json;
  const header =
    `observe: ${p.targets.map((t) => t.pod).join(", ")} in namespace ${p.namespace}, ` +
    `context ${kube.context} (${maskCredentials(kube.server)}); ` +
    `until each reaches the end state the book describes, or for at most ${timeoutSeconds} s`;
  // The JSON lines on stdout are the timeline alone.
  (json ? process.stderr : process.stdout).write(`${header}\n`);
  const { code, seen } = await new Promise<{ code: number; seen: Seen[] }>((resolve) => {
    const observer = new Observer(
      kube,
      p,
      { timeoutSeconds, json, live: !json && process.stdout.isTTY === true },
      (code, seen) => resolve({ code, seen }),
    );
    process.once("SIGINT", () => observer.stop());
    observer.run();
  });
  if (values.svg === undefined) return code;
  try {
    const { writePictures } = await import("./picture.js");
    for (const file of await writePictures(values.svg, seen)) process.stderr.write(`observe: wrote ${file}\n`);
  } catch (e) {
    process.stderr.write(`observe: --svg: ${message(e)}\n`);
    return 2;
  }
  return code;
}

void main().then((code) => process.exit(code));
