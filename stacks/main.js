// The Pulumi entry point: run the TypeScript program through tsx, which only strips types (no
// type-checking at deploy time; that is `npm test`'s job). Registered last, tsx handles `.ts`
// even where a Pulumi language host has registered its own ts-node.
require("tsx/cjs");
module.exports = require("./index.ts");
