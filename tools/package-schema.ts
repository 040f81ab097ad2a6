// The component package's schema as the SDK's component provider host infers it from component-package/:
// the same analyzer over the same entry point, tsconfig and package.json name. The committed copy
// is component-package/schema.json (`npm run package:schema` writes it; a unit test compares the two).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import * as components from "../component-package/index";

export const PACKAGE_DIR = path.join(__dirname, "..", "component-package");
export const SCHEMA_FILE = path.join(PACKAGE_DIR, "schema.json");

/** The plugin's name: its package.json name, as the host derives it (cmd/run-plugin). */
export function pluginName(): string {
  return JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")).name;
}

/** The inferred schema, as pretty JSON with a final newline (the committed file's form). */
export async function inferredSchema(): Promise<string> {
  const provider = new ComponentProvider({ name: pluginName(), dirname: PACKAGE_DIR, components: getPulumiComponents(components) });
  return `${JSON.stringify(JSON.parse(await provider.getSchema()), null, 2)}\n`;
}
