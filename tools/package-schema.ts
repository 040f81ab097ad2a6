// The component package's schema as the SDK's component provider host infers it from component-package/:
// the same analyzer over the same entry point, tsconfig and package.json name. The committed copy
// is component-package/schema.json (`npm run package:schema` writes it; a unit test compares the two).
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import * as components from "../component-package/index";

const ROOT = path.join(__dirname, "..");
export const PACKAGE_DIR = path.join(ROOT, "component-package");
export const SCHEMA_FILE = path.join(PACKAGE_DIR, "schema.json");

/** The folders the package's code comes from (a unit test holds component-package/ to imports from these). */
export const SOURCE_DIRS = ["component-package", "infra", "cluster"];

/** Where the last inference is kept with the digest of its inputs; under node_modules, so that `npm ci` clears it. */
const CACHE_FILE = path.join(ROOT, "node_modules", ".cache", "package-schema.json");

/** The plugin's name: its package.json name, as the host derives it (cmd/run-plugin). */
export function pluginName(): string {
  return JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")).name;
}

/**
 * A digest of everything the analyzer reads: our sources, the package's settings, and the installed packages (by the
 * lock file).
 */
function inputsDigest(): string {
  const hash = createHash("sha256");
  const add = (file: string) =>
    hash
      .update(`${path.relative(ROOT, file)}\0`)
      .update(readFileSync(file))
      .update("\0");
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) walk(file);
      else if (/\.(ts|js|json)$/.test(e.name) && file !== SCHEMA_FILE) add(file);
    }
  };
  for (const dir of SOURCE_DIRS) walk(path.join(ROOT, dir));
  for (const file of ["tsconfig.json", "package.json", "package-lock.json"]) add(path.join(ROOT, file));
  return hash.digest("hex");
}

/**
 * The inferred schema, as pretty JSON with a final newline (the committed file's form). The analyzer
 * type-checks the package (about 3 s), so its answer is kept and given again while its inputs are unchanged.
 */
export async function inferredSchema(): Promise<string> {
  const digest = inputsDigest();
  try {
    const cached = JSON.parse(readFileSync(CACHE_FILE, "utf8"));
    if (cached.digest === digest) return cached.schema;
  } catch {
    // no record yet, or an unreadable one: infer it
  }
  const provider = new ComponentProvider({
    name: pluginName(),
    dirname: PACKAGE_DIR,
    components: getPulumiComponents(components),
  });
  const schema = `${JSON.stringify(JSON.parse(await provider.getSchema()), null, 2)}\n`;
  mkdirSync(path.dirname(CACHE_FILE), { recursive: true });
  writeFileSync(CACHE_FILE, JSON.stringify({ digest, schema }));
  return schema;
}
