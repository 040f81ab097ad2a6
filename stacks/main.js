// The Pulumi entry point: run the TypeScript program through tsx, which only strips types (no
// type-checking at deploy time; that is `npm test`'s job). Registered last, tsx handles `.ts`
// even where a Pulumi language host has registered its own ts-node.
// The SDKs are loaded first: tsx's hook would otherwise transform every module loaded after it.
// Node's compile cache (in the OS temp directory) keeps their compiled code from run to run.
require("node:module").enableCompileCache?.();
require("@pulumi/pulumi");
require("@pulumi/kubernetes");
require("tsx/cjs");
// tsx turns source maps on; the SDK records a stack trace for each of its promises, which source
// maps make costly. tsx keeps our line numbers, so traces stay readable without them.
process.setSourceMapsEnabled(false);
module.exports = require("./index.ts");
