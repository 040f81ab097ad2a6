// `npm run bench [-- --runs N] [-- --only 1,3]`: five benchmarks of the project, as a plain-text
// table on stdout and the same figures in .lab/bench/latest.json; progress on stderr. Each figure:
// median, min and max of N runs (default 5); A-vs-B figures are run in alternating pairs and
// reported as the median of the per-pair ratios. Timings are reported, never asserted.
//   1. program evaluation with mocks, 1..1000 scenario instances (bench/program-eval.ts, one process each)
//   2. `npm test` wall time: again (the type check up to date), and with the type check from scratch
//   3. `pulumi preview` of the dev stack vs. one raw Pod (bench/raw-pod) vs. `kubectl apply --dry-run=server`
//   4. time to quote on the lab: `pulumi up` vs. `kubectl apply`, then GET /quote (needs a Ready node)
//   5. program start under the real CLI (bench/start-probe.js, through NODE_OPTIONS)
//   6. (only with --only 6) 3 to 5 with the toolchain's CLI beside the one before it, in alternating pairs
// 3 to 5 use the toolchain in .lab/bin and the lab cluster (started if it is not running).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import YAML from "yaml";
import { render } from "../tools/manifests";
import { configKey, labValues, rawConfig } from "../tools/stack-file";
import { BASELINE_PULUMI, devConfig, ensureLab, envs, KUBECTL, OUT, PULUMI, preview, RAW_DIR } from "./cli";
import {
  alternate,
  check,
  exec,
  firstLine,
  fmt,
  KUBECONFIG,
  kubectl,
  log,
  measure,
  ROOT,
  type Stats,
  sleep,
  stats,
  table,
  tail,
} from "./lib";

const POD = "quote-poststart"; // the dev stack's one pod, in namespace default

interface Row {
  bench: string;
  what: string;
  unit?: "ms" | "B" | "x" | "s";
  stats?: Stats;
  note?: string;
}
const rows: Row[] = [];

// ---------------------------------------------------------------- 1. program evaluation

async function programEval(runs: number): Promise<void> {
  const sizes = [1, 10, 100, 1000];
  const samples = new Map(
    sizes.map((n) => [n, [] as { ms: number; maxRssBytes: number; heapUsedBytes: number; rssBeforeBytes: number }[]]),
  );
  for (let i = 0; i < runs; i++) {
    for (const n of sizes) {
      log(`1. program evaluation, ${n} pods, run ${i + 1}/${runs}`);
      const r = await check(process.execPath, ["--import", "tsx", "bench/program-eval.ts", String(n)]);
      samples.get(n)!.push(JSON.parse(r.stdout));
    }
  }
  const perPod = (n: number) => stats(samples.get(n)!.map((s) => s.ms / n));
  for (const n of sizes) {
    const s = samples.get(n)!;
    const heap = stats(s.map((x) => x.heapUsedBytes)).median;
    const before = stats(s.map((x) => x.rssBeforeBytes)).median;
    rows.push({
      bench: "1",
      what: `eval ${n} pod${n > 1 ? "s" : ""}: time`,
      unit: "ms",
      stats: stats(s.map((x) => x.ms)),
      note: `${fmt(perPod(n).median, "ms")}/pod`,
    });
    rows.push({
      bench: "1",
      what: `eval ${n} pod${n > 1 ? "s" : ""}: peak RSS`,
      unit: "B",
      stats: stats(s.map((x) => x.maxRssBytes)),
      note: `RSS after imports ${fmt(before, "B")}, heap used at end ${fmt(heap, "B")}`,
    });
  }
  const growth = perPod(1000).median / perPod(100).median;
  const marginal =
    (stats(samples.get(1000)!.map((x) => x.ms)).median - stats(samples.get(100)!.map((x) => x.ms)).median) / 900;
  rows.push({
    bench: "1",
    what: "per-pod time, 1000 vs 100",
    unit: "x",
    stats: stats([growth]),
    note:
      `${growth <= 1.25 ? "linear (fixed cost amortized below 1)" : "super-linear"}; ` +
      `each pod beyond 100 adds ${fmt(marginal, "ms")}; ` +
      `aim < 2 ms/pod at 1000: ${perPod(1000).median < 2 ? "met" : "not met"}`,
  });
  // The components' own cost: the same 1000 pods as plain k8s.core.v1.Pod resources, in alternating pairs.
  const evalMs = async (...args: string[]) =>
    JSON.parse((await check(process.execPath, ["--import", "tsx", "bench/program-eval.ts", ...args])).stdout)
      .ms as number;
  log(`1. program evaluation, 1000 pods: components vs raw Pods, ${runs} pairs`);
  const { b: raw, ratio } = await alternate(
    runs,
    () => evalMs("1000"),
    () => evalMs("1000", "raw"),
  );
  rows.push({
    bench: "1",
    what: "eval 1000 raw Pods: time",
    unit: "ms",
    stats: raw,
    note: "k8s.core.v1.Pod of the same spec, the same mocks",
  });
  rows.push({
    bench: "1",
    what: "ratio components / raw (per pair)",
    unit: "x",
    stats: ratio,
    note: `aim <= 1.3: ${ratio.median <= 1.3 ? "met" : "not met"}`,
  });
}

// ---------------------------------------------------------------- 2. unit suite

/**
 * Where `npm test` keeps its records: the type check's (tsconfig.json's tsBuildInfoFile) and the package schema's
 * inference (tools/package-schema.ts).
 */
const TEST_RECORDS = ["tsc", "package-schema.json"].map((f) => path.join(ROOT, "node_modules", ".cache", f));

async function unitSuite(runs: number): Promise<void> {
  const npmTest = async (what: string, fresh: boolean) => {
    log(`2. npm test, ${what}`);
    if (fresh) for (const record of TEST_RECORDS) rmSync(record, { recursive: true, force: true });
    return exec("npm", ["test"]);
  };
  const row = (what: string, results: { status: number; ms: number }[], note: string) => {
    const failed = results.filter((r) => r.status !== 0).length;
    const s = stats(results.map((r) => r.ms));
    rows.push({
      bench: "2",
      what,
      unit: "ms",
      stats: s,
      note:
        `${note}; ${failed ? `failed in ${failed} of ${results.length} runs (timed anyway)` : "passed every run"}; ` +
        `aim <= 5 s: ${s.median <= 5000 ? "met" : "not met"}`,
    });
  };
  await npmTest("warm-up (not counted)", false);
  const again = await measure(runs, (i) => npmTest(`run ${i + 1}/${runs}`, false));
  const fresh = await measure(runs, (i) => npmTest(`type check from scratch, run ${i + 1}/${runs}`, true));
  row("npm test", again, "type check up to date (tsc --build), unit suite");
  row(
    "npm test, type check from scratch",
    fresh,
    "as on a fresh clone: no records in node_modules/.cache (type check, package schema)",
  );
}

// ---------------------------------------------------------------- 3. preview overhead

async function previewOverhead(runs: number): Promise<void> {
  await ensureLab();
  const rendered = (await check("npm", ["run", "-s", "render", "--", "--stack", "dev"])).stdout;
  const pod = YAML.parseAllDocuments(rendered)
    .map((d) => d.toJS())
    .find((d) => d?.kind === "Pod");
  if (!pod) throw new Error(`the dev stack's render has no Pod:\n${rendered}`);
  const manifest = path.join(OUT, "dev.yaml");
  writeFileSync(manifest, rendered);
  const podJson = path.join(OUT, "raw-pod.json");
  writeFileSync(podJson, JSON.stringify(pod));
  const rawEnv = { ...envs().raw, BENCH_POD_JSON: podJson };
  const config = devConfig("Pulumi.dev.yaml", { cluster: "lab" });

  const dev = async () => (await preview(envs().dev, ROOT, config)).ms;
  const raw = async () => (await preview(rawEnv, RAW_DIR)).ms;
  const dry = async () =>
    (await check(KUBECTL, ["--kubeconfig", KUBECONFIG, "apply", "--dry-run=server", "-f", manifest])).ms;
  log("3. warm-up previews (not counted)");
  await dev();
  await raw();
  let pair = 0;
  const { a, b, ratio } = await alternate(
    runs,
    async () => (log(`3. preview pair ${Math.floor(pair++ / 2) + 1}/${runs}: dev stack`), dev()),
    async () => (log(`3. preview pair ${Math.floor(pair++ / 2) + 1}/${runs}: raw pod`), raw()),
  );
  const kubectlMs = stats(await measure(runs, () => dry()));
  rows.push({
    bench: "3",
    what: "pulumi preview, dev stack",
    unit: "ms",
    stats: a,
    note: "cluster=lab; pulumi.sh's env, .lab/state",
  });
  rows.push({
    bench: "3",
    what: "pulumi preview, one raw Pod",
    unit: "ms",
    stats: b,
    note: "bench/raw-pod, same spec, .lab/bench/state",
  });
  rows.push({
    bench: "3",
    what: "ratio dev / raw (per pair)",
    unit: "x",
    stats: ratio,
    note: `aim <= 1.1: ${ratio.median <= 1.1 ? "met" : "not met"}`,
  });
  rows.push({
    bench: "3",
    what: "kubectl apply --dry-run=server",
    unit: "ms",
    stats: kubectlMs,
    note: `the CLI's fixed cost: raw preview - kubectl = ${fmt(b.median - kubectlMs.median, "ms")}`,
  });
}

// ---------------------------------------------------------------- 4. time to quote

/** Why the lab cannot run the pod now, or undefined if it can. */
async function noNodeReason(): Promise<string | undefined> {
  const r = await kubectl("get", "nodes", "-o", "json");
  if (r.status !== 0) return `kubectl get nodes failed: ${tail(r.stderr, 1)}`;
  const nodes = JSON.parse(r.stdout).items as {
    metadata: { name: string };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
  if (nodes.length === 0)
    return "no node in the lab cluster (kubectl get nodes: none registered; no kubelet has joined yet)";
  const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
  if (ready.length === 0)
    return `no node in the lab cluster is Ready (${nodes.map((n) => n.metadata.name).join(", ")})`;
  return undefined;
}

async function podJson(): Promise<any | undefined> {
  const r = await kubectl("get", "pod", POD, "-n", "default", "-o", "json", "--ignore-not-found");
  return r.status === 0 && r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/** Polls GET /quote through the API server's pod proxy until it answers; ms from `t0`. */
async function pollQuote(t0: number, timeoutMs = 180_000): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    const r = await kubectl("get", "--raw", `/api/v1/namespaces/default/pods/${POD}:80/proxy/quote`);
    if (r.status === 0 && r.stdout.trim() !== "") return performance.now() - t0;
    await sleep(200);
  }
  const pod = await podJson();
  const cs = pod?.status?.containerStatuses?.[0];
  const seen = pod ? `${pod.status?.phase}, container ${JSON.stringify(cs?.state ?? {})}` : "not found";
  throw new Error(`no quote in ${timeoutMs / 1000} s; pod ${seen}`);
}

/** The hook's own time: the container's start to the pod's Ready (whole seconds, from the pod's status). */
async function hookSeconds(): Promise<number | undefined> {
  const pod = await podJson();
  const started = pod?.status?.containerStatuses?.[0]?.state?.running?.startedAt;
  const ready = pod?.status?.conditions?.find(
    (c: any) => c.type === "Ready" && c.status === "True",
  )?.lastTransitionTime;
  return started && ready ? (Date.parse(ready) - Date.parse(started)) / 1000 : undefined;
}

async function waitGone(): Promise<void> {
  await check(KUBECTL, [
    "--kubeconfig",
    KUBECONFIG,
    "wait",
    "--for=delete",
    `pod/${POD}`,
    "-n",
    "default",
    "--timeout=180s",
  ]);
}

/**
 * Why time to quote cannot be measured now (no Ready node, the pod or the dev stack's resources already there), or
 * undefined.
 */
async function quoteBlocked(): Promise<string | undefined> {
  await ensureLab();
  const why = await noNodeReason();
  if (why) return why;
  if (await podJson()) return `pod ${POD} already exists in default (not removed: it may be someone's)`;
  const state = JSON.parse((await check(PULUMI, ["stack", "export", "--stack", "dev"], { env: envs().dev })).stdout);
  if ((state.deployment?.resources ?? []).length > 0)
    return "the dev stack's state (.lab/state) holds resources (not destroyed: they may be someone's)";
  return undefined;
}

/**
 * One time-to-quote sample: `create`, then ms until GET /quote answers; `remove` and wait for the pod to go, whatever
 * happened.
 */
function quoteSample(
  name: string,
  create: () => Promise<unknown>,
  remove: () => Promise<unknown>,
  hooks: number[] = [],
) {
  return async () => {
    log(name);
    const t0 = performance.now();
    try {
      await create();
      const ms = await pollQuote(t0);
      const hook = await hookSeconds();
      if (hook !== undefined) hooks.push(hook);
      return ms;
    } finally {
      await remove();
      await waitGone();
    }
  };
}

/**
 * `pulumi up` or `destroy` of the dev stack with the lab's values, as tools/pulumi.sh runs them (a pod that never gets
 * ready ends the row).
 */
function labDev(env: NodeJS.ProcessEnv, cli = PULUMI) {
  const config = devConfig("Pulumi.dev.lab.yaml", { cluster: "lab", ...labValues() });
  return (command: string) =>
    check(cli, [command, "--yes", "--non-interactive", "--skip-preview", "--stack", "dev", "--config-file", config], {
      env,
      timeoutMs: 240_000,
    });
}

async function timeToQuote(runs: number): Promise<void> {
  const blocked = await quoteBlocked();
  if (blocked) {
    rows.push({ bench: "4", what: "time to quote (pulumi up vs kubectl apply)", note: `skipped: ${blocked}` });
    return;
  }
  // The same settings rendered for kubectl, by the program's own render (the CLI has no --set).
  const lab = Object.fromEntries(Object.entries({ cluster: "lab", ...labValues() }).map(([k, v]) => [configKey(k), v]));
  const manifest = path.join(OUT, "dev-lab.yaml");
  writeFileSync(manifest, await render({ ...rawConfig({ stack: "dev" }), ...lab }));

  const pulumi = labDev(envs().dev);
  const hooks: number[] = [];
  const { a, b, ratio } = await alternate(
    runs,
    quoteSample(
      "4. time to quote: pulumi up",
      () => pulumi("up"),
      () => pulumi("destroy"),
      hooks,
    ),
    quoteSample(
      "4. time to quote: kubectl apply",
      () => check(KUBECTL, ["--kubeconfig", KUBECONFIG, "apply", "-f", manifest]),
      () => kubectl("delete", "-f", manifest, "--ignore-not-found", "--wait=true"),
      hooks,
    ),
  );
  rows.push({
    bench: "4",
    what: "pulumi up -> first GET /quote",
    unit: "ms",
    stats: a,
    note: `lab values from Pulumi.lab.yaml; pod proxy polled every 200 ms`,
  });
  rows.push({
    bench: "4",
    what: "kubectl apply -> first GET /quote",
    unit: "ms",
    stats: b,
    note: "same manifest (the program's render)",
  });
  rows.push({
    bench: "4",
    what: "ratio up / apply (per pair)",
    unit: "x",
    stats: ratio,
    note: `aim <= 1.2: ${ratio.median <= 1.2 ? "met" : "not met"}`,
  });
  if (hooks.length)
    rows.push({
      bench: "4",
      what: "hook: container start -> Ready",
      unit: "s",
      stats: stats(hooks),
      note: "the floor; pod status timestamps, whole seconds",
    });
}

// ---------------------------------------------------------------- 5. program start

async function programStart(runs: number): Promise<void> {
  await ensureLab();
  const config = devConfig("Pulumi.dev.yaml", { cluster: "lab" });
  const probeOut = path.join(OUT, "start-probe.json");
  const probe = path.join(ROOT, "bench", "start-probe.js");
  const env = {
    ...envs().dev,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${probe}`.trim(),
    BENCH_START_PROBE_OUT: probeOut,
  };
  type Marks = {
    timeOrigin: number;
    probeLoaded: number;
    mainStart: number;
    tsxLoaded: number;
    indexDone: number;
    tsNode: boolean;
    typescriptBy?: string;
    tsLoader: string;
  };
  const samples = await measure(runs, async (i) => {
    log(`5. program start, preview ${i + 1}/${runs}`);
    rmSync(probeOut, { force: true });
    const cliStart = performance.timeOrigin + performance.now();
    const r = await preview(env, ROOT, config);
    const m = JSON.parse(readFileSync(probeOut, "utf8")) as Marks;
    return { m, cliToNode: m.timeOrigin - cliStart, total: m.timeOrigin + m.indexDone - cliStart, preview: r.ms };
  });
  const of = (f: (s: (typeof samples)[number]) => number) => stats(samples.map(f));
  const m = samples[0]!.m;
  rows.push({
    bench: "5",
    what: "CLI start -> program evaluated",
    unit: "ms",
    stats: of((s) => s.total),
    note: `the whole preview: ${fmt(of((s) => s.preview).median, "ms")}`,
  });
  rows.push({
    bench: "5",
    what: "  CLI start -> node process start",
    unit: "ms",
    stats: of((s) => s.cliToNode),
    note: "CLI, language host, provider plugin start",
  });
  rows.push({
    bench: "5",
    what: "  node start -> stacks/main.js",
    unit: "ms",
    stats: of((s) => s.m.mainStart),
    note: `@pulumi/pulumi's run script; node itself ${fmt(of((s) => s.m.probeLoaded).median, "ms")}`,
  });
  rows.push({
    bench: "5",
    what: "  main.js -> tsx/cjs loaded",
    unit: "ms",
    stats: of((s) => s.m.tsxLoaded - s.m.mainStart),
  });
  rows.push({
    bench: "5",
    what: "  tsx loaded -> index.ts returned",
    unit: "ms",
    stats: of((s) => s.m.indexDone - s.m.tsxLoaded),
    note: "loading + evaluating the program: all registrations issued",
  });
  rows.push({
    bench: "5",
    what: "how the TypeScript runs",
    note:
      `main.js requires tsx/cjs (${m.tsLoader}): types stripped, not checked; ` +
      `ts-node ${m.tsNode ? "LOADED" : "not loaded"}; ` +
      `typescript ${m.typescriptBy ? `loaded by ${m.typescriptBy}` : "not loaded"}`,
  });
  // tsx's hook handles every module loaded after it, the SDKs included: what that costs them.
  const load = (hook: string) => async () => {
    const code =
      `${hook}const t0 = performance.now(); require("@pulumi/pulumi"); require("@pulumi/kubernetes"); ` +
      "console.log(performance.now() - t0);";
    return Number((await check(process.execPath, ["-e", code])).stdout);
  };
  const { a, b, ratio } = await alternate(runs, load('require("tsx/cjs"); '), load(""));
  rows.push({
    bench: "5",
    what: "require SDKs after tsx/cjs",
    unit: "ms",
    stats: a,
    note: "@pulumi/pulumi + @pulumi/kubernetes, in a plain node",
  });
  rows.push({ bench: "5", what: "require SDKs, no hook", unit: "ms", stats: b });
  rows.push({
    bench: "5",
    what: "ratio tsx / plain (per pair)",
    unit: "x",
    stats: ratio,
    note: "the part of the preview gap (3) due to tsx's hook",
  });
}

// ---------------------------------------------------------------- main

// ---------------------------------------------------------------- 6. the CLI beside the one before

/** Preview (with the program's start, by the probe of 5) and time to quote, this CLI and the one before alternated. */
async function cliBeside(runs: number): Promise<void> {
  if (!existsSync(BASELINE_PULUMI)) {
    rows.push({ bench: "6", what: "the CLI beside the one before", note: `skipped: no ${BASELINE_PULUMI}` });
    return;
  }
  const before = firstLine(BASELINE_PULUMI, ["version"]);
  await ensureLab();
  const config = devConfig("Pulumi.dev.yaml", { cluster: "lab" });
  const probeOut = path.join(OUT, "start-probe.json");
  const env = {
    ...envs().dev,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${path.join(ROOT, "bench", "start-probe.js")}`.trim(),
    BENCH_START_PROBE_OUT: probeOut,
  };
  const starts = new Map<string, number[]>([
    [PULUMI, []],
    [BASELINE_PULUMI, []],
  ]);
  const previewWith = (cli: string) => async () => {
    log(`6. preview with ${cli === PULUMI ? "the toolchain's CLI" : before}`);
    rmSync(probeOut, { force: true });
    const cliStart = performance.timeOrigin + performance.now();
    const r = await preview(env, ROOT, config, cli);
    const m = JSON.parse(readFileSync(probeOut, "utf8")) as { timeOrigin: number; indexDone: number };
    starts.get(cli)!.push(m.timeOrigin + m.indexDone - cliStart);
    return r.ms;
  };
  await previewWith(PULUMI)(); // warm-up, not counted
  starts.get(PULUMI)!.length = 0;
  const shown = await alternate(runs, previewWith(PULUMI), previewWith(BASELINE_PULUMI));
  const startNew = stats(starts.get(PULUMI)!);
  const startOld = stats(starts.get(BASELINE_PULUMI)!);
  const quote = (cli: string) => {
    const pulumi = labDev(envs().dev, cli);
    return quoteSample(
      `6. time to quote with ${cli === PULUMI ? "the toolchain's CLI" : before}`,
      () => pulumi("up"),
      () => pulumi("destroy"),
    );
  };
  const blocked = await quoteBlocked();
  const quoted = blocked ? undefined : await alternate(runs, quote(PULUMI), quote(BASELINE_PULUMI));
  const now = firstLine(PULUMI, ["version"]);
  const pair = (what: string, a: Stats, b: Stats, ratio?: Stats) => {
    rows.push({ bench: "6", what: `${what}, ${now}`, unit: "ms", stats: a });
    rows.push({ bench: "6", what: `${what}, ${before}`, unit: "ms", stats: b });
    if (ratio) rows.push({ bench: "6", what: `  ratio ${now} / ${before} (per pair)`, unit: "x", stats: ratio });
  };
  pair("preview, dev stack", shown.a, shown.b, shown.ratio);
  pair("CLI start -> program evaluated", startNew, startOld);
  if (quoted) pair("pulumi up -> first GET /quote", quoted.a, quoted.b, quoted.ratio);
  else rows.push({ bench: "6", what: "time to quote", note: `skipped: ${blocked}` });
}

const BENCHES: Record<string, [string, (runs: number) => Promise<void>]> = {
  "1": ["program evaluation (mocked)", programEval],
  "2": ["unit suite", unitSuite],
  "3": ["preview overhead", previewOverhead],
  "4": ["time to quote", timeToQuote],
  "5": ["program start", programStart],
  "6": ["the CLI beside the one before", cliBeside],
};

function machine() {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown";
  return {
    cpu,
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    node: process.version,
    pulumi: firstLine(PULUMI, ["version"]),
    date: new Date().toISOString(),
    loadAverage: os.loadavg()[0]!,
  };
}

async function main() {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "5" }, only: { type: "string", default: "1,2,3,4,5" } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs: a whole number >= 1");
  const only = values.only.split(",").map((s) => s.trim());
  for (const id of only)
    if (!BENCHES[id]) throw new Error(`--only: no benchmark ${JSON.stringify(id)}; they are 1 to 6`);
  mkdirSync(OUT, { recursive: true });
  const facts = machine();
  const started = performance.now();
  for (const id of only) {
    const [name, run] = BENCHES[id]!;
    try {
      await run(runs);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log(`${id}. ${name} failed:\n${message}`);
      const lines = message.split("\n").filter((l) => l.trim());
      rows.push({
        bench: id,
        what: name,
        note: `failed: ${lines[0]}${lines.length > 1 ? ` ... ${lines.at(-1)!.trim()}` : ""} (details on stderr)`,
      });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const header =
    `${facts.cpu}, ${facts.cores} cores, ${(facts.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, node ${facts.node}, ` +
    `pulumi ${facts.pulumi}, ${facts.date} (load average ${facts.loadAverage.toFixed(1)} at start)`;
  const cells = rows.map((r) => {
    const v = (x: number) => (r.unit ? fmt(x, r.unit) : "");
    return [
      r.bench,
      r.what,
      r.stats ? v(r.stats.median) : "",
      r.stats ? v(r.stats.min) : "",
      r.stats ? v(r.stats.max) : "",
      r.stats ? String(r.stats.n) : "",
      r.note ?? "",
    ];
  });
  const columns = ["#", "benchmark", "median", "min", "max", "n", "note"];
  process.stdout.write(`${header}\n\n${table(columns, cells)}\n\nbench took ${seconds.toFixed(0)} s\n`);
  writeFileSync(path.join(OUT, "latest.json"), `${JSON.stringify({ machine: facts, runs, seconds, rows }, null, 2)}\n`);
  log(`figures written to ${path.relative(ROOT, path.join(OUT, "latest.json"))}`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
