// The plugin's entry point (package.json "main"): the TypeScript through tsx as in stacks/main.js, unchecked on deploy.
require("@pulumi/pulumi");
require("@pulumi/kubernetes");
require("tsx/cjs");
module.exports = require("./index.ts");
