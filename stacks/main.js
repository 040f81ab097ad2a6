// The Pulumi entry point: the TypeScript through tsx, which only strips types (`npm test` type-checks), loaded after
// the SDKs (its hook would transform every module loaded after it) and after the language host's ts-node, if any.
require("node:module").enableCompileCache?.(); // the SDKs' compiled code kept from run to run
require("@pulumi/pulumi");
require("@pulumi/kubernetes");
require("tsx/cjs");
process.setSourceMapsEnabled(false); // tsx keeps line numbers; the maps it turns on make the SDK's promise traces slow
module.exports = require("./index.ts");
