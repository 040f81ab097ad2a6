// `npm run bench [-- --runs N] [-- --only 1,3]`: benchmarks 1 to 5 and 8 (7 when asked), a table on stdout and in
// .lab/bench/latest.json, progress on stderr; N runs (default 5), A vs B in alternating pairs; never asserted. 3 to 8
// use .lab/bin's toolchain, the lab (started if down), tools/pulumi.sh's env, stack files changed as --set does.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import YAML from "yaml";
import { render } from "../tools/manifests.ts";
import { labValues, readStackFile, withValues } from "../tools/stack-file.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const LAB = path.join(ROOT, ".lab");
const OUT = path.join(LAB, "bench");
const PULUMI = path.join(LAB, "bin", "pulumi");
const KUBECTL = path.join(LAB, "bin", "kubectl");
const KUBECONFIG = path.join(LAB, "kubeconfig");
const RAW_DIR = path.join(import.meta.dirname, "raw-pod");
const POD = "quote-poststart"; // the dev stack's one pod, in namespace default

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);
const tail = (text: string, lines = 15) => text.trim().split("\n").slice(-lines).join("\n");
const met = (yes: boolean) => (yes ? "met" : "not met");
const isReady = (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True";
const kubectl = (...args: string[]) => exec(KUBECTL, ["--kubeconfig", KUBECONFIG, ...args]);
const kubectlOk = (...args: string[]) => check(KUBECTL, ["--kubeconfig", KUBECONFIG, ...args]);
const preview = (env: NodeJS.ProcessEnv, cwd: string, config: string[] = []) =>
  check(PULUMI, ["preview", "--non-interactive", "--stack", "dev", ...config], { env, cwd });

function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)!, n: s.length, values };
}
type Stats = ReturnType<typeof stats>;
async function measure<T>(runs: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn(i));
  return out;
}

/** A and B in pairs, A first in even pairs, B in odd ones (ABBA: drift hits both); each side's times, A/B per pair. */
async function alternate(runs: number, a: () => Promise<number>, b: () => Promise<number>) {
  const [as, bs]: number[][] = [[], []];
  for (let i = 0; i < runs; i++) {
    if (i % 2) bs.push(await b());
    as.push(await a());
    if (!(i % 2)) bs.push(await b());
  }
  return { a: stats(as), b: stats(bs), ratio: stats(as.map((x, i) => x / bs[i]!)) };
}

type ExecOptions = { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number };
/** Output and wall time (async: polls go on); after `timeoutMs` SIGINT (pulumi cancels cleanly), SIGKILL 15 s on. */
function exec(command: string, args: string[], { cwd = ROOT, env = process.env, timeoutMs }: ExecOptions = {}) {
  return new Promise<{ status: number; stdout: string; stderr: string; ms: number }>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let [stdout, stderr] = ["", ""];
    const interrupt = () => {
      stderr += `\n(timed out after ${timeoutMs! / 1000} s: interrupted)`;
      child.kill("SIGINT");
      timers.push(setTimeout(() => child.kill("SIGKILL"), 15_000));
    };
    const timers = timeoutMs ? [setTimeout(interrupt, timeoutMs)] : [];
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      timers.forEach(clearTimeout);
      resolve({ status: code ?? -1, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Like `exec`, but throws with the command's output when it fails. */
async function check(...[command, args, options]: Parameters<typeof exec>) {
  const r = await exec(command, args, options);
  if (r.status === 0) return r;
  throw new Error(`${path.basename(command)} ${args.join(" ")} exited with ${r.status}:\n${tail(r.stdout + r.stderr)}`);
}

type Unit = "ms" | "B" | "x" | "s";
function fmt(value: number, unit: Unit): string {
  if (unit === "ms" && value < 10_000) return `${value.toFixed(value >= 100 ? 0 : 2)} ms`;
  if (unit === "B") return `${(value / 2 ** 20).toFixed(1)} MiB`;
  if (unit === "x") return `${value.toFixed(2)}x`;
  return `${(unit === "ms" ? value / 1000 : value).toFixed(1)} s`;
}

const rows: { bench: string; what: string; unit?: Unit; stats?: Stats; note?: string }[] = [];
const row = (bench: string, what: string, unit: Unit, s: Stats, note?: string) =>
  rows.push({ bench, what, unit, stats: s, note });
const noteRow = (bench: string, what: string, note: string) => void rows.push({ bench, what, note });
/** A copy of Pulumi.dev.yaml with settings changed, as `pulumi.sh --set` makes it; the CLI's arguments to use it. */
function devConfig(file: string, sets: Record<string, unknown>): string[] {
  const to = path.join(OUT, file);
  writeFileSync(to, YAML.stringify(withValues(readStackFile("dev"), sets)));
  return ["--config-file", to];
}

/** The CLI's environment as tools/pulumi.sh gives it (`env`), over this process's. */
function pulumiEnv(): NodeJS.ProcessEnv {
  const r = spawnSync("bash", ["-c", 'eval "$(bash tools/pulumi.sh env)" && env -0'], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bash tools/pulumi.sh env exited with ${r.status}:\n${r.stderr}`);
  const entries = r.stdout.split("\0").filter(Boolean);
  return Object.fromEntries(entries.map((entry) => entry.split(/=(.*)/s)));
}

let lab: { dev: NodeJS.ProcessEnv; raw: NodeJS.ProcessEnv } | undefined;
/** Once: toolchain deployed, lab up, both stacks selected; the CLI's env for dev (pulumi.sh's), raw (state apart). */
async function ensureLab() {
  if (lab) return lab;
  log("toolchain and lab cluster (toolchain/toolchain.sh, lab/lab.sh)");
  await check("bash", ["toolchain/toolchain.sh", "--deploy"]);
  if ((await exec("bash", ["lab/lab.sh", "status"])).status !== 0) await check("bash", ["lab/lab.sh", "up"]);
  const dev: NodeJS.ProcessEnv = { ...pulumiEnv(), KUBECONFIG };
  const envs = { dev, raw: { ...dev, PULUMI_BACKEND_URL: `file://${path.join(OUT, "state")}` } };
  for (const [cwd, env] of Object.entries({ [ROOT]: envs.dev, [RAW_DIR]: envs.raw })) {
    mkdirSync(new URL(env.PULUMI_BACKEND_URL!).pathname, { recursive: true });
    await check(PULUMI, ["stack", "select", "--create", "--non-interactive", "dev"], { env, cwd });
  }
  return (lab = envs);
}

/** Previews of the dev stack (cluster=lab) with bench/start-probe.js in the program: time, marks, CLI start -> node. */
async function probedPreviews() {
  type Marks = { timeOrigin: number; probeLoaded: number; mainStart: number; indexDone: number };
  type Loader = { typescriptMode: string; loaders: string[]; tsNode: boolean; typescriptBy?: string };
  type Cache = { compileCacheFromStart: boolean };
  const { dev } = await ensureLab();
  const config = devConfig("Pulumi.dev.yaml", { cluster: "lab" });
  const out = path.join(OUT, "start-probe.json");
  const NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import ${import.meta.dirname}/start-probe.js`.trim();
  return async () => {
    rmSync(out, { force: true });
    const cliStart = performance.timeOrigin + performance.now();
    const { ms } = await preview({ ...dev, NODE_OPTIONS, BENCH_START_PROBE_OUT: out }, ROOT, config);
    const m = JSON.parse(readFileSync(out, "utf8")) as Marks & Loader & Cache;
    return { m, ms, cliToNode: m.timeOrigin - cliStart, total: m.timeOrigin + m.indexDone - cliStart };
  };
}

/** 1. Program evaluation with mocks, 1 to 1000 scenario instances (bench/program-eval.ts, one process each). */
async function programEval(runs: number): Promise<void> {
  type Sample = { ms: number; maxRssBytes: number; heapUsedBytes: number; rssBeforeBytes: number };
  const evaluate = async (...args: string[]): Promise<Sample> =>
    JSON.parse((await check(process.execPath, ["bench/program-eval.ts", ...args])).stdout);
  const sizes = [1, 10, 100, 1000];
  const samples = new Map(sizes.map((n) => [n, [] as Sample[]]));
  for (let i = 0; i < runs; i++)
    for (const n of sizes) {
      log(`1. program evaluation, ${n} pods, run ${i + 1}/${runs}`);
      samples.get(n)!.push(await evaluate(String(n)));
    }
  const of = (n: number, key: keyof Sample) => stats(samples.get(n)!.map((s) => s[key]));
  const perPod = (n: number) => stats(samples.get(n)!.map((s) => s.ms / n)).median;
  for (const n of sizes) {
    const pods = `eval ${n} pod${n > 1 ? "s" : ""}`;
    row("1", `${pods}: time`, "ms", of(n, "ms"), `${fmt(perPod(n), "ms")}/pod`);
    const memory = `RSS after imports ${fmt(of(n, "rssBeforeBytes").median, "B")}, heap used at end `;
    row("1", `${pods}: peak RSS`, "B", of(n, "maxRssBytes"), `${memory}${fmt(of(n, "heapUsedBytes").median, "B")}`);
  }
  const growth = perPod(1000) / perPod(100);
  const marginal = fmt((of(1000, "ms").median - of(100, "ms").median) / 900, "ms");
  const shape = growth <= 1.25 ? "linear (fixed cost amortized below 1)" : "super-linear";
  const note = `${shape}; each pod beyond 100 adds ${marginal}; aim < 2 ms/pod at 1000: ${met(perPod(1000) < 2)}`;
  row("1", "per-pod time, 1000 vs 100", "x", stats([growth]), note);
  log(`1. program evaluation, 1000 pods: components vs raw Pods, ${runs} pairs`);
  const ms = (args: string[]) => () => evaluate(...args).then((sample) => sample.ms);
  const { b: raw, ratio } = await alternate(runs, ms(["1000"]), ms(["1000", "raw"]));
  row("1", "eval 1000 raw Pods: time", "ms", raw, "k8s.core.v1.Pod of the same spec, the same mocks");
  row("1", "ratio components / raw (per pair)", "x", ratio, `aim <= 1.3: ${met(ratio.median <= 1.3)}`);
}

/** 2. `npm test` wall time: again (the type check up to date), and with the type check from scratch. */
async function unitSuite(runs: number): Promise<void> {
  const record = path.join(ROOT, "node_modules", ".cache", "tsc"); // the type check's (tsconfig.json's tsBuildInfoFile)
  const npmTest = (what: string, fresh: boolean) => {
    log(`2. npm test, ${what}`);
    if (fresh) rmSync(record, { recursive: true, force: true });
    return exec("npm", ["test"]);
  };
  await npmTest("warm-up (not counted)", false);
  const again = await measure(runs, (i) => npmTest(`run ${i + 1}/${runs}`, false));
  const fresh = await measure(runs, (i) => npmTest(`type check from scratch, run ${i + 1}/${runs}`, true));
  const scratch = "as on a fresh clone: no type-check record in node_modules/.cache";
  const report = (what: string, results: typeof again, note: string, aimMs: number) => {
    const failed = results.filter((r) => r.status !== 0).length;
    const s = stats(results.map((r) => r.ms));
    const passed = failed ? `failed in ${failed} of ${results.length} runs (timed anyway)` : "passed every run";
    row("2", what, "ms", s, `${note}; ${passed}; aim <= ${aimMs / 1000} s: ${met(s.median <= aimMs)}`);
  };
  report("npm test", again, "type check up to date (tsc --build), unit suite", 3000);
  report("npm test, type check from scratch", fresh, scratch, 5000);
}

/** 3. `pulumi preview` of the dev stack vs. one raw Pod (bench/raw-pod) vs. `kubectl apply --dry-run=server`. */
async function previewOverhead(runs: number): Promise<void> {
  const { dev, raw } = await ensureLab();
  const rendered = (await check("npm", ["run", "-s", "render", "--", "--stack", "dev"])).stdout;
  const docs = YAML.parseAllDocuments(rendered).map((d) => d.toJS());
  const pod = docs.find((d) => d?.kind === "Pod");
  if (!pod) throw new Error(`the dev stack's render has no Pod:\n${rendered}`);
  const [manifest, podFile] = [path.join(OUT, "dev.yaml"), path.join(OUT, "raw-pod.json")];
  writeFileSync(manifest, rendered);
  writeFileSync(podFile, JSON.stringify(pod));
  const config = devConfig("Pulumi.dev.yaml", { cluster: "lab" });
  const devPreview = async () => (await preview(dev, ROOT, config)).ms;
  const rawPreview = async () => (await preview({ ...raw, BENCH_POD_JSON: podFile }, RAW_DIR)).ms;
  log("3. warm-up previews (not counted)");
  await devPreview();
  await rawPreview();
  let pair = 0;
  const logged = (what: string, run: () => Promise<number>) => () => (
    log(`3. preview pair ${Math.floor(pair++ / 2) + 1}/${runs}: ${what}`), run()
  );
  const { a, b, ratio } = await alternate(runs, logged("dev stack", devPreview), logged("raw pod", rawPreview));
  const dry = stats(await measure(runs, async () => (await kubectlOk("apply", "--dry-run=server", "-f", manifest)).ms));
  row("3", "pulumi preview, dev stack", "ms", a, "cluster=lab; pulumi.sh's env, .lab/state");
  row("3", "pulumi preview, one raw Pod", "ms", b, "bench/raw-pod, same spec, .lab/bench/state");
  row("3", "ratio dev / raw (per pair)", "x", ratio, `aim <= 0.85: ${met(ratio.median <= 0.85)}`);
  const fixed = `the CLI's fixed cost: raw preview - kubectl = ${fmt(b.median - dry.median, "ms")}`;
  row("3", "kubectl apply --dry-run=server", "ms", dry, fixed);
}

async function podJson() {
  const r = await kubectl("get", "pod", POD, "-n", "default", "-o", "json", "--ignore-not-found");
  return r.status === 0 && r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/** Why time to quote cannot be measured now (no Ready node, the pod or the dev stack's resources there), or nothing. */
async function quoteBlocked(): Promise<string | undefined> {
  const { dev } = await ensureLab();
  const r = await kubectl("get", "nodes", "-o", "json");
  if (r.status !== 0) return `kubectl get nodes failed: ${tail(r.stderr, 1)}`;
  type Node = { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } };
  const nodes: Node[] = JSON.parse(r.stdout).items;
  if (nodes.length === 0) return "no node in the lab cluster (kubectl get nodes: no kubelet has joined it yet)";
  if (!nodes.some((n) => n.status?.conditions?.some(isReady)))
    return `no node in the lab cluster is Ready (${nodes.map((n) => n.metadata.name).join(", ")})`;
  if (await podJson()) return `pod ${POD} already exists in default (not removed: it may be someone's)`;
  const state = JSON.parse((await check(PULUMI, ["stack", "export", "--stack", "dev"], { env: dev })).stdout);
  if ((state.deployment?.resources ?? []).length > 0)
    return "the dev stack's state (.lab/state) holds resources (not destroyed: they may be someone's)";
  return undefined;
}

/** Polls GET /quote through the API server's pod proxy until it answers; ms from `t0`. */
async function pollQuote(t0: number): Promise<number> {
  while (performance.now() - t0 < 180_000) {
    const r = await kubectl("get", "--raw", `/api/v1/namespaces/default/pods/${POD}:80/proxy/quote`);
    if (r.status === 0 && r.stdout.trim() !== "") return performance.now() - t0;
    await sleep(200);
  }
  const pod = await podJson();
  const container = JSON.stringify(pod?.status?.containerStatuses?.[0]?.state ?? {});
  throw new Error(`no quote in 180 s; pod ${pod ? `${pod.status?.phase}, container ${container}` : "not found"}`);
}

/** A time-to-quote sample: `create`, ms to GET /quote, the hook's time into `hooks`; always `remove`, pod gone. */
function quoteSample(name: string, create: () => Promise<unknown>, remove: () => Promise<unknown>, hooks: number[]) {
  return async () => {
    log(name);
    const t0 = performance.now();
    try {
      await create();
      const ms = await pollQuote(t0);
      const status = (await podJson())?.status;
      const started = status?.containerStatuses?.[0]?.state?.running?.startedAt;
      const ready = status?.conditions?.find(isReady)?.lastTransitionTime;
      if (started && ready) hooks.push((Date.parse(ready) - Date.parse(started)) / 1000);
      return ms;
    } finally {
      await remove();
      await kubectlOk("wait", "--for=delete", `pod/${POD}`, "-n", "default", "--timeout=180s");
    }
  };
}

/** `pulumi up` (then `destroy`) of the dev stack with the lab's values as tools/pulumi.sh runs them, to a quote. */
function upSample(name: string, hooks: number[] = [], flags: string[] = [], upDone?: (r: UpResult) => void) {
  const config = devConfig("Pulumi.dev.lab.yaml", { cluster: "lab", ...labValues() });
  const args = ["--yes", "--non-interactive", "--skip-preview", "--stack", "dev", ...config];
  const run = async (command: string, more: string[] = []) =>
    check(PULUMI, [command, ...args, ...more], { env: (await ensureLab()).dev, timeoutMs: 240_000 });
  const up = () => run("up", flags).then((r) => upDone?.(r));
  return quoteSample(name, up, () => run("destroy"), hooks);
}
type UpResult = Awaited<ReturnType<typeof check>>;

/** 4. Time to quote on the lab: `pulumi up` vs. `kubectl apply`, then GET /quote (needs a Ready node). */
async function timeToQuote(runs: number): Promise<void> {
  const blocked = await quoteBlocked();
  if (blocked) return noteRow("4", "time to quote (pulumi up vs kubectl apply)", `skipped: ${blocked}`);
  const manifest = path.join(OUT, "dev-lab.yaml");
  // The same settings rendered for kubectl, by the program's own render (the CLI has no --set).
  writeFileSync(manifest, await render(withValues(readStackFile("dev"), { cluster: "lab", ...labValues() }).config!));
  const hooks: number[] = [];
  const remove = () => kubectl("delete", "-f", manifest, "--ignore-not-found", "--wait=true");
  const apply = quoteSample("4. time to quote: kubectl apply", () => kubectlOk("apply", "-f", manifest), remove, hooks);
  const { a, b, ratio } = await alternate(runs, upSample("4. time to quote: pulumi up", hooks), apply);
  row("4", "pulumi up -> first GET /quote", "ms", a, "lab values from Pulumi.lab.yaml; pod proxy polled every 200 ms");
  row("4", "kubectl apply -> first GET /quote", "ms", b, "same manifest (the program's render)");
  row("4", "ratio up / apply (per pair)", "x", ratio, `aim <= 2.0: ${met(ratio.median <= 2)}`);
  const floor = "the floor; pod status timestamps, whole seconds";
  if (hooks.length) row("4", "hook: container start -> Ready", "s", stats(hooks), floor);
}

/** 5. Program start under the real CLI (bench/start-probe.js, through NODE_OPTIONS). */
async function programStart(runs: number): Promise<void> {
  const probed = await probedPreviews();
  const samples = await measure(runs, (i) => (log(`5. program start, preview ${i + 1}/${runs}`), probed()));
  const of = (f: (s: (typeof samples)[number]) => number) => stats(samples.map(f));
  const time = (what: string, f: Parameters<typeof of>[0], note?: string) => row("5", what, "ms", of(f), note);
  const m = samples[0]!.m;
  const aim = `aim <= 900 ms: ${met(of((s) => s.total).median <= 900)}`;
  time(
    "CLI start -> program evaluated",
    (s) => s.total,
    `the whole preview: ${fmt(of((s) => s.ms).median, "ms")}; ${aim}`,
  );
  time("  CLI start -> node process start", (s) => s.cliToNode, "CLI, language host, provider plugin start");
  const node = `@pulumi/pulumi's run script; node itself ${fmt(of((s) => s.m.probeLoaded).median, "ms")}`;
  time("  node start -> stacks/index.ts", (s) => s.m.mainStart, node);
  const program = "loading (types stripped) + evaluating the SDKs and the program: all registrations issued";
  time("  index.ts loaded -> returned", (s) => s.m.indexDone - s.m.mainStart, program);
  const loaders = `${m.loaders.join(", ") || "no loader"} registered besides the probe's hook`;
  const tsNode = `ts-node ${m.tsNode ? "LOADED" : "not loaded"}`;
  const typescript = `typescript ${m.typescriptBy ? `loaded by ${m.typescriptBy}` : "not loaded"}`;
  const cache = `compile cache ${m.compileCacheFromStart ? "on" : "NOT on"} from the start`;
  const how = `Node's type stripping (${m.typescriptMode}), unchecked; ${loaders}; ${tsNode}; ${typescript}; ${cache}`;
  noteRow("5", "how the TypeScript runs", how);
  // What stripping costs: node start -> the package's modules (SDKs too) imported, as TypeScript and as JavaScript.
  const load = (file: string) => async () =>
    Number((await check(process.execPath, ["--import", `./${file}`, "-p", "performance.now()"])).stdout);
  const index = "component-package/index";
  const { a, b, ratio } = await alternate(runs, load(`${index}.ts`), load(`dist/${index}.js`));
  row("5", "import the package's TypeScript", "ms", a, "component-package/index.ts, types stripped by Node");
  row("5", "import its JavaScript (dist/)", "ms", b, "the same modules compiled by npm run build:package");
  row("5", "ratio TS / JS (per pair)", "x", ratio, "the part of the preview gap (3) due to stripping types");
}

/** 7. `pulumi up` of tests/e2e/fixtures/many-pods: the seven scenarios once (7 pods) vs ten times (70 pods). */
async function manyPods(runs: number): Promise<void> {
  const cwd = path.join(ROOT, "tests", "e2e", "fixtures", "many-pods");
  const report = path.join(OUT, "many-pods.json");
  const backend = path.join(OUT, "many-pods");
  mkdirSync(backend, { recursive: true });
  const env = { ...(await ensureLab()).dev, PULUMI_BACKEND_URL: `file://${backend}`, MANY_PODS_REPORT: report };
  await check(PULUMI, ["stack", "select", "--create", "--non-interactive", "many"], { env, cwd });
  const rss: Record<number, number[]> = { 1: [], 10: [] };
  let net = 200;
  const up = (copies: number) => async () => {
    log(`7. pulumi up of ${7 * copies} scenario pods`);
    const sample = { MANY_PODS_COPIES: String(copies), MANY_PODS_RECEIVER_NET: String(++net) };
    const options = { env: { ...env, ...sample }, cwd, timeoutMs: 1_200_000 };
    const { ms } = await check(PULUMI, ["up", "--yes", "--skip-preview", "--non-interactive"], options);
    rss[copies]!.push(JSON.parse(readFileSync(report, "utf8")).maxRssKiB * 1024);
    await check(PULUMI, ["destroy", "--yes", "--skip-preview", "--non-interactive"], options);
    return ms;
  };
  const { a, b, ratio } = await alternate(runs, up(10), up(1));
  row("7", "pulumi up, 7 scenario pods in 1 namespace", "ms", b, "lab values; every wait with failFast");
  row("7", "pulumi up, 70 scenario pods in 10 namespaces", "ms", a, "one pod watch and one event watch a namespace");
  row("7", "ratio 70 / 7 (per pair)", "x", ratio, "how the time of up grows with the pods (10 would be linear)");
  row("7", "program peak RSS, 7 pods", "B", stats(rss[1]!));
  row("7", "program peak RSS, 70 pods", "B", stats(rss[10]!));
}

/** 8's steps: a mark in the engine's log (-v=7) or the pod's watch, and what the step before it waits on. */
const STEPS: [string, RegExp, string][] = [
  ["language host started", /^langhost\[nodejs\]\.GetPluginInfo/, "the CLI: project, stack, state, backend"],
  ["program run asked", /^langhost\[nodejs\]\.Run\(/, "the stack's passphrase key (PBKDF2), git, a second host"],
  ["stack registered", /RegisterResource received: t=pulumi:pulumi:Stack/, "node starts, run script loads the SDK"],
  ["provider registered", /RegisterResource received: t=pulumi:providers:kubernetes/, "the program's modules load"],
  ["provider ready", /RegisterResource operation finished: t=pulumi:providers/, "plugin start, CheckConfig, Configure"],
  ["pod registered", /RegisterResource received: t=kubernetes:core\/v1:Pod/, "provider id, then the checks"],
  ["pod created", /^watch ADDED/, "provider Check and Create: the POST to the API server"],
  ["pod Ready", /^watch Ready/, "scheduling, sandbox, container start, the post-start hook"],
  ["component outputs", /RegisterResourceOutputs received: urn=[^ ]*QuotePostStartPod/, "the program's pod watch"],
  ["up exited", /^exited/, "the engine ends the update, the CLI writes the state"],
];

/** 8. Where one `pulumi up` to the first quote spends its time: engine log marks and pod watch events, as medians. */
async function upTimeline(runs: number): Promise<void> {
  const blocked = await quoteBlocked();
  if (blocked) return noteRow("8", "timeline of pulumi up", `skipped: ${blocked}`);
  const runsOf: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    const events: [number, string][] = [];
    const selector = ["-n", "default", "--field-selector", `metadata.name=${POD}`, "--output-watch-events"];
    const watch = spawn(KUBECTL, ["--kubeconfig", KUBECONFIG, "get", "pods", ...selector, "-w", "-o", "json"]);
    createInterface({ input: watch.stdout }).on("line", (line) => {
      const { type, object } = JSON.parse(line);
      events.push([Date.now(), `watch ${type}`]);
      if (object.status?.conditions?.some(isReady)) events.push([Date.now(), "watch Ready"]);
    });
    await sleep(1000); // the watch established before the update starts
    const t0 = Date.now();
    let up: UpResult | undefined;
    const sample = upSample(`8. timeline of pulumi up, run ${i + 1}/${runs}`, [], ["-v=7", "--logtostderr"], (r) => {
      up = r;
    });
    const quote = await sample().finally(() => watch.kill());
    events.push([t0 + up!.ms, "exited"]);
    for (const { time, msg } of up!.stderr.split("\n").flatMap((l) => (l.startsWith("{") ? [JSON.parse(l)] : [])))
      events.push([Date.parse(time), msg]);
    const at = (pattern: RegExp) => events.find(([t, what]) => t >= t0 && pattern.test(what))?.[0];
    const marks = STEPS.map(([step, pattern]) => [step, (at(pattern) ?? Number.NaN) - t0] as const);
    runsOf.push(Object.fromEntries([...marks, ["first quote", quote]]));
  }
  const names = [...STEPS.map(([step]) => step), "first quote"];
  names.forEach((step, i) => {
    const since = stats(runsOf.map((r) => r[step]!));
    const before = STEPS[i] ? (i ? names[i - 1]! : "") : "up exited";
    const took = stats(runsOf.map((r) => r[step]! - (before ? r[before]! : 0)));
    const waits = STEPS[i]?.[2] ?? "the pod proxy polled every 200 ms once up exited, as in row 4";
    row("8", `${step}, ms since CLI start`, "ms", since, `step ${fmt(took.median, "ms")}: ${waits}`);
  });
  noteRow("8", "how", "pulumi up -v=7 --logtostderr (the engine's log times), a kubectl pod watch; row 4 plain");
}

const BENCHES: Record<string, [string, (runs: number) => Promise<void>]> = {
  "1": ["program evaluation (mocked)", programEval],
  "2": ["unit suite", unitSuite],
  "3": ["preview overhead", previewOverhead],
  "4": ["time to quote", timeToQuote],
  "5": ["program start", programStart],
  "7": ["7 vs 70 pods", manyPods],
  "8": ["timeline of pulumi up", upTimeline],
};

async function main() {
  const options = { runs: { type: "string", default: "5" }, only: { type: "string", default: "1,2,3,4,5,8" } } as const;
  const { values } = parseArgs({ options });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs: a whole number >= 1");
  const only = values.only.split(",").map((s) => s.trim());
  for (const id of only)
    if (!BENCHES[id]) throw new Error(`--only: no benchmark ${JSON.stringify(id)}; they are ${Object.keys(BENCHES)}`);
  mkdirSync(OUT, { recursive: true });
  const machine = {
    cpu: readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown",
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    node: process.version,
    pulumi: spawnSync(PULUMI, ["version"], { encoding: "utf8" }).stdout.trim(),
    date: new Date().toISOString(),
    loadAverage: os.loadavg()[0]!,
  };
  const started = performance.now();
  for (const id of only) {
    const [name, run] = BENCHES[id]!;
    try {
      await run(runs);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log(`${id}. ${name} failed:\n${message}`);
      const parts = message.split("\n").filter((l) => l.trim());
      const last = parts.length > 1 ? ` ... ${parts.at(-1)!.trim()}` : "";
      noteRow(id, name, `failed: ${parts[0]}${last} (details on stderr)`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const { cpu, cores, memoryBytes, node, pulumi, date, loadAverage } = machine;
  const header =
    `${cpu}, ${cores} cores, ${(memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, node ${node}, pulumi ${pulumi}, ${date} ` +
    `(load average ${loadAverage.toFixed(1)} at start)`;
  const columns = ["#", "benchmark", "median", "min", "max", "n", "note"];
  const cells = rows.map(({ bench, what, unit, stats: s, note = "" }) => {
    const v = (x?: number) => (unit && x !== undefined ? fmt(x, unit) : "");
    return [bench, what, v(s?.median), v(s?.min), v(s?.max), s ? String(s.n) : "", note];
  });
  const widths = columns.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const dashes = widths.map((w) => "-".repeat(w));
  const lines = [columns, dashes, ...cells].map((r) => r.map((c, i) => (i < 6 ? c.padEnd(widths[i]!) : c)).join("  "));
  const table = lines.join("\n").replace(/ +$/gm, "");
  process.stdout.write(`${header}\n\n${table}\n\nbench took ${seconds.toFixed(0)} s\n`);
  const latest = path.join(OUT, "latest.json");
  writeFileSync(latest, `${JSON.stringify({ machine, runs, seconds, rows }, null, 2)}\n`);
  log(`figures written to ${path.relative(ROOT, latest)}`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
