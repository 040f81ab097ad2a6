// `npm run observe` (USAGE): the scenarios' pods and events as one timeline, then each verdict against the book;
// exit 1 if one did not behave so, 2 on bad arguments or no cluster. `--json`: an `Entry` a line; `--svg`: pictures.
import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { maskCredentials } from "../../cluster/kube.ts";
import { rawConfig } from "../stack-file.ts";
import { connect, message, observe, plan } from "./observer.ts";

const USAGE =
  "usage: npm run observe -- --stack <name> | --scenario <name> " +
  "[--namespace <ns>] [--timeout <seconds>] [--json] [--svg <dir>]";
const fail = (text: string) => (process.stderr.write(`${text}\n`), 2);
const TEXT = { type: "string" } as const;
const OPTIONS = { stack: TEXT, scenario: TEXT, namespace: TEXT, svg: TEXT, timeout: { ...TEXT, default: "180" } };
const parse = () => parseArgs({ options: { ...OPTIONS, json: { type: "boolean", default: false } } }).values;
async function main(): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse();
  } catch (e) {
    return fail(`observe: ${message(e)}\n${USAGE}`);
  }
  const { json, svg } = values;
  const timeoutSeconds = Number(values.timeout);
  if ((values.stack === undefined) === (values.scenario === undefined) || !(timeoutSeconds > 0)) return fail(USAGE);
  // No cluster, or a directory we cannot write to, fails now (exit 2), not after minutes of watching.
  const p = await plan(rawConfig(values), values.namespace);
  const kube = await connect(p);
  if (svg !== undefined) await mkdir(svg, { recursive: true });
  const header =
    `observe: ${p.targets.map((t) => t.pod).join(", ")} in namespace ${p.namespace}, ` +
    `context ${kube.context} (${maskCredentials(kube.server)}); ` +
    `until each reaches the end state the book describes, or for at most ${timeoutSeconds} s`;
  // The JSON lines on stdout are the timeline alone.
  (json ? process.stderr : process.stdout).write(`${header}\n`);
  const observer = observe(kube, p, { timeoutSeconds, json, live: !json && process.stdout.isTTY === true });
  process.once("SIGINT", observer.stop);
  const { code, seen } = await observer.done;
  if (svg === undefined) return code;
  const written = import("./picture.ts").then(({ writePictures }) => writePictures(svg, seen));
  const files = await written.catch((e) => Promise.reject(new Error(`--svg: ${message(e)}`)));
  for (const file of files) process.stderr.write(`observe: wrote ${file}\n`);
  return code;
}

main()
  .catch((e) => fail(`observe: ${message(e)}`))
  .then((code) => process.exit(code));
