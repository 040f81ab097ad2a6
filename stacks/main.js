// The Pulumi entry point: the TypeScript as Node runs it, types stripped (`npm test` type-checks), imported once the
// compile cache is on (the SDKs' compiled code kept from run to run); its default export is the program's outputs.
(await import("node:module")).enableCompileCache();
export default (await import("./index.ts")).default;
