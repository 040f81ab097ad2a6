// NODE_OPTIONS=--import <this file>: stacks/index.ts's start and its evaluation's end (a load hook appends that
// mark) in ms since process start; Node's TypeScript mode, other loaders, ts-node, who loaded typescript:
// $BENCH_START_PROBE_OUT.
import { writeFileSync } from "node:fs";
import Module, { registerHooks } from "node:module";

const out = process.env.BENCH_START_PROBE_OUT;
const marks = { timeOrigin: performance.timeOrigin, probeLoaded: performance.now() };
const nodeTs = Module._extensions[".ts"]; // Node's own loading of a required .ts file
const preload = /(--import|--require|-r|--(experimental-)?loader)[= ](\S+)/g;
const isIn = (name) => (m) => m.filename.includes(`/node_modules/${name}/`);
globalThis[Symbol.for("start-probe")] = () => {
  marks.indexDone = performance.now();
  const loaded = Object.values(Module._cache);
  marks.tsNode = loaded.some(isIn("ts-node"));
  const by = loaded.find((m) => m.children.some(isIn("typescript"))); // the first module to require it
  marks.typescriptBy = by?.filename.replace(/^.*node_modules\//, "");
  marks.typescriptMode = process.features.typescript;
  const flags = [...`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS}`.matchAll(preload)];
  const isCache = (f) => f[3].includes("enableCompileCache"); // Pulumi.yaml's nodeargs: a switch, no loader
  marks.compileCacheFromStart = flags.some(isCache);
  marks.loaders = flags.filter((f) => f[3] !== import.meta.filename && !isCache(f)).map((f) => f[0]);
  if (Module._extensions[".ts"] !== nodeTs) marks.loaders.push("require.extensions['.ts']");
  writeFileSync(out, JSON.stringify(marks));
};
registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    if (!out || !url.endsWith("/stacks/index.ts")) return loaded;
    marks.mainStart = performance.now();
    return { ...loaded, source: `${loaded.source}\nglobalThis[Symbol.for("start-probe")]();\n` };
  },
});
