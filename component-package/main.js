// The plugin's entry point (package.json "main"): the TypeScript as Node runs it, types stripped, unchecked on deploy.
// An ES module, so that Node's own loader strips what it imports: run-plugin registers ts-node for required .ts files.
export * from "./index.ts";
