// The component package's schema as the SDK's component provider host infers it from component-package/; run
// (`npm run package:schema`), it writes the committed copy component-package/schema.json, which the tools suite
// compares (the analyzer type-checks the package: 3 s, too slow for the unit suite).
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/index.js";
import * as components from "../component-package/index.ts";

export const PACKAGE_DIR = path.join(import.meta.dirname, "..", "component-package");
export const SCHEMA_FILE = path.join(PACKAGE_DIR, "schema.json");
/** The folders the package's code comes from (package.json "files"; a unit test holds its imports to these). */
export const SOURCE_DIRS = ["component-package", "infra", "cluster"];
/** The plugin's name: its package.json name, as the host derives it (cmd/run-plugin). */
export const pluginName = (): string => JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")).name;

/** The schema as committed: pretty JSON, a final newline. */
export async function inferredSchema(): Promise<string> {
  const host = { name: pluginName(), dirname: PACKAGE_DIR, components: getPulumiComponents(components) };
  return `${JSON.stringify(JSON.parse(await new ComponentProvider(host).getSchema()), null, 2)}\n`;
}

if (import.meta.main) {
  inferredSchema()
    .then((schema) => writeFileSync(SCHEMA_FILE, schema))
    .then(() => console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`))
    .catch((e: unknown) => (console.error(`package:schema: ${e instanceof Error ? e.message : e}`), process.exit(1)));
}
