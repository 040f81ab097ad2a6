// A stack's file, Pulumi.<stack>.yaml, read the way our tools need it: the stack name checked (a
// name, never a path), and every top-level key one the Pulumi CLI reads. The CLI itself ignores an
// unknown top-level key (v3.248.0 reads the file into its ProjectStack without strict mode; seen:
// `pulumi config` of a stack file with `confg:` exits 0 with the defaults), so a mistyped `confg:`
// would deploy the defaults without a word.
// `node --import tsx stacks/stack-file.ts <stack>...` checks stacks for scripts/pulumi.sh.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { nearest } from "./nearest";

/** The top-level keys of a stack file (sdk/go/common/workspace/project.go, ProjectStack). */
export const STACK_FILE_KEYS = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];

/** Throws unless `name` is a plain stack name: letters, digits, '.', '_', '-', and no '..'. */
export function checkStackName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.includes("..")) {
    throw new Error(`--stack: ${JSON.stringify(name)} is not allowed: use a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path`);
  }
  return name;
}

/** The config of stack `name` from `Pulumi.<name>.yaml` in `dir`; throws on a bad name, a missing file or an unknown top-level key. */
export function stackConfig(name: string, dir: string): Record<string, unknown> {
  const file = `Pulumi.${checkStackName(name)}.yaml`;
  let text: string;
  try {
    text = readFileSync(path.join(dir, file), "utf8");
  } catch {
    throw new Error(`--stack: ${JSON.stringify(name)} has no stack file ${file}`);
  }
  const doc: unknown = YAML.parse(text) ?? {};
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error(`${file}: ${JSON.stringify(doc)} is not allowed: use a map of ${STACK_FILE_KEYS.join(", ")}`);
  for (const key of Object.keys(doc)) {
    if (!STACK_FILE_KEYS.includes(key)) {
      throw new Error(
        `${file}: the top-level key ${JSON.stringify(key)} is not allowed: use ${STACK_FILE_KEYS.join(", ")} (Pulumi would ignore it); did you mean ${nearest(key, STACK_FILE_KEYS)}?`,
      );
    }
  }
  return ((doc as { config?: Record<string, unknown> }).config ?? {});
}

if (require.main === module) {
  try {
    for (const name of process.argv.slice(2)) stackConfig(name, path.resolve(__dirname, ".."));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}
