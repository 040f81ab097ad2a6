// The plugin's entry point (package.json "main"): the TypeScript through tsx, as stacks/main.js
// loads the program, so that no type-checking happens when a consumer deploys.
require("@pulumi/pulumi");
require("@pulumi/kubernetes");
require("tsx/cjs");
module.exports = require("./index.ts");
