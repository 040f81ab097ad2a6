// The component package's schema as the SDK's component provider host infers it from component-package/; run
// (`npm run package:schema`), it writes the committed copy component-package/schema.json, which a unit test compares.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/index.js";
import * as components from "../component-package/index.ts";

const ROOT = path.join(import.meta.dirname, "..");
export const PACKAGE_DIR = path.join(ROOT, "component-package");
export const SCHEMA_FILE = path.join(PACKAGE_DIR, "schema.json");
/** The folders the package's code comes from (a unit test holds component-package/ to imports from these). */
export const SOURCE_DIRS = ["component-package", "infra", "cluster"];
/** Where the last inference is kept with the digest of its inputs; under node_modules, so that `npm ci` clears it. */
const CACHE_FILE = path.join(ROOT, "node_modules", ".cache", "package-schema.json");
/** The plugin's name: its package.json name, as the host derives it (cmd/run-plugin). */
export const pluginName = (): string => JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")).name;
/** A digest of everything the analyzer reads: our sources, the package's settings, the installed packages (by lock). */
function inputsDigest(): string {
  const hash = createHash("sha256");
  const sources = SOURCE_DIRS.flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" }).map((f) => path.join(dir, f)),
  );
  for (const file of [...sources.sort(), "tsconfig.json", "package.json", "package-lock.json"]) {
    if (!/\.(ts|js|json)$/.test(file) || path.join(ROOT, file) === SCHEMA_FILE) continue;
    for (const part of [`${file}\0`, readFileSync(path.join(ROOT, file)), "\0"]) hash.update(part);
  }
  return hash.digest("hex");
}

// The schema as committed (pretty JSON, a final newline); kept while its inputs are unchanged (the analyzer takes 3 s).
export async function inferredSchema(): Promise<string> {
  const digest = inputsDigest();
  try {
    const cached = JSON.parse(readFileSync(CACHE_FILE, "utf8"));
    if (cached.digest === digest) return cached.schema;
  } catch {} // no record yet, or an unreadable one: infer it
  const host = { name: pluginName(), dirname: PACKAGE_DIR, components: getPulumiComponents(components) };
  const schema = `${JSON.stringify(JSON.parse(await new ComponentProvider(host).getSchema()), null, 2)}\n`;
  mkdirSync(path.dirname(CACHE_FILE), { recursive: true });
  writeFileSync(CACHE_FILE, JSON.stringify({ digest, schema }));
  return schema;
}

if (import.meta.main) {
  inferredSchema()
    .then((schema) => writeFileSync(SCHEMA_FILE, schema))
    .then(() => console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`))
    .catch((e: unknown) => (console.error(`package:schema: ${e instanceof Error ? e.message : e}`), process.exit(1)));
}
