// A stack's file, Pulumi.<stack>.yaml, read the way our tools need it: the stack name checked (a
// name, never a path), and every top-level key one the Pulumi CLI reads. The CLI itself ignores an
// unknown top-level key (v3.248.0 reads the file into its ProjectStack without strict mode; seen:
// `pulumi config` of a stack file with `confg:` exits 0 with the defaults), so a mistyped `confg:`
// would deploy the defaults without a word. Also the one place that changes a stack's settings for
// a run (`--set`) and that knows which of the lab stack's values make another stack run on the lab.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { showValue } from "../infra/checks";
import { nearest } from "../stacks/nearest";
import { PROJECT } from "../stacks/settings";

/** The project's directory, where the stack files are. */
export const ROOT = path.resolve(__dirname, "..");

/** The top-level keys of a stack file (sdk/go/common/workspace/project.go, ProjectStack). */
export const STACK_FILE_KEYS = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];

/** Throws unless `name` is a plain stack name: letters, digits, '.', '_', '-', and no '..'. */
export function checkStackName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.includes("..")) {
    throw new Error(
      `--stack: ${showValue(name)} is not allowed: use a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path`,
    );
  }
  return name;
}

export interface StackFile {
  config?: Record<string, unknown>;
  [key: string]: unknown;
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The whole stack file of stack `name` in `dir`; throws on a bad name, a missing file or an unknown top-level key. */
export function readStackFile(name: string, dir = ROOT): StackFile {
  const file = `Pulumi.${checkStackName(name)}.yaml`;
  let text: string;
  try {
    text = readFileSync(path.join(dir, file), "utf8");
  } catch {
    throw new Error(`--stack: ${showValue(name)} has no stack file ${file}`);
  }
  const doc: unknown = YAML.parse(text) ?? {};
  if (!isMap(doc))
    throw new Error(`${file}: ${showValue(doc)} is not allowed: use a map of ${STACK_FILE_KEYS.join(", ")}`);
  for (const key of Object.keys(doc)) {
    if (!STACK_FILE_KEYS.includes(key)) {
      throw new Error(
        `${file}: the top-level key ${showValue(key)} is not allowed: use ${STACK_FILE_KEYS.join(", ")} (Pulumi would ignore it); did you mean ${nearest(key, STACK_FILE_KEYS)}?`,
      );
    }
  }
  // An empty `config:` is no config; anything else but a map would deploy the defaults without a word.
  if (doc.config !== null && doc.config !== undefined && !isMap(doc.config)) {
    throw new Error(`${file}: config: ${showValue(doc.config)} is not allowed: use a map of settings, <key>: <value>`);
  }
  return doc as StackFile;
}

/** The config of stack `name` from `Pulumi.<name>.yaml` in `dir`. */
export function stackConfig(name: string, dir = ROOT): Record<string, unknown> {
  return readStackFile(name, dir).config ?? {};
}

/** A stack file's config, or a single scenario with every other setting at its default. */
export function rawConfig(options: { scenario?: string; stack?: string }): Record<string, unknown> {
  if ((options.scenario === undefined) === (options.stack === undefined)) {
    throw new Error("usage: npm run render -- --scenario <name> | --stack <name>");
  }
  if (options.scenario !== undefined) return { [`${PROJECT}:scenarios`]: [options.scenario] };
  return stackConfig(options.stack!);
}

/** A config key as the stack file has it: a setting without a namespace is the project's. */
export const configKey = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);

/** `doc` with these settings changed. */
export function withValues(doc: StackFile, values: Record<string, unknown>): StackFile {
  const config = { ...doc.config };
  for (const [key, value] of Object.entries(values)) config[configKey(key)] = value;
  return { ...doc, config };
}

/** `doc` with the settings changed (`<key>=<value>`, the value read as YAML): what `--set` deploys. */
export function withSets(doc: StackFile, sets: string[]): StackFile {
  const values: Record<string, unknown> = {};
  for (const set of sets) {
    const at = set.indexOf("=");
    if (at < 1) throw new Error(`--set: ${showValue(set)} is not <key>=<value>`);
    values[set.slice(0, at)] = YAML.parse(set.slice(at + 1));
  }
  return withValues(doc, values);
}

/**
 * What the lab cluster needs of a stack, as the lab stack has it: its local image and pull policy, no `apk add`, its
 * quote mirror.
 */
export function labValues(dir = ROOT): Record<string, unknown> {
  const config = stackConfig("lab", dir);
  const keys = ["image", "imagePullPolicy", "installFortune", "quotesUrl"];
  return Object.fromEntries(keys.map((k) => [k, config[configKey(k)]]));
}

/** `values` as `--set <key>=<value>` arguments (the values as JSON, which YAML reads back as they were). */
export function setArgs(values: Record<string, unknown>): string[] {
  return Object.entries(values).flatMap(([key, value]) => ["--set", `${key}=${JSON.stringify(value)}`]);
}
