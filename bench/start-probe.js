// NODE_OPTIONS=--require <this file>: ms since process start when stacks/main.js starts, loads tsx/cjs and has
// `./index.ts` returned, whether ts-node was loaded, who loaded typescript: JSON to $BENCH_START_PROBE_OUT.
const fs = require("node:fs");
const Module = require("node:module");

const out = process.env.BENCH_START_PROBE_OUT;
const marks = { timeOrigin: performance.timeOrigin, probeLoaded: performance.now() };
const original = Module.prototype.require;

Module.prototype.require = function (id, ...rest) {
  if (out && id === "typescript" && !marks.typescriptBy && this.filename)
    marks.typescriptBy = this.filename.replace(/^.*\/node_modules\//, "");
  if (!out || !this.filename?.endsWith("/stacks/main.js")) return original.call(this, id, ...rest);
  marks.mainStart ??= performance.now();
  const result = original.call(this, id, ...rest);
  if (id === "tsx/cjs") marks.tsxLoaded = performance.now();
  if (id === "./index.ts") {
    marks.indexDone = performance.now();
    marks.tsNode = Object.keys(require.cache).some((f) => f.includes("/node_modules/ts-node/"));
    marks.tsLoader = require.extensions[".ts"] ? "require.extensions['.ts'] registered" : "none";
    fs.writeFileSync(out, JSON.stringify(marks));
  }
  return result;
};
