// Pulumi.<stack>.yaml as our tools read it: a stack name, never a path; only the top-level keys the CLI reads (it
// ignores others); `--set`; the lab values. Run: the shell scripts' `check`, `set`, `lab-sets`; exits 2 on a refusal.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import YAML, { type CST } from "yaml";
import { ArgumentError, showText, showValue } from "../infra/checks.ts";
import { nearest } from "../stacks/nearest.ts";
import { PROJECT } from "../stacks/project.ts"; // not settings.ts: it loads both SDKs

export const ROOT = path.resolve(import.meta.dirname, "..");
/** The top-level keys of a stack file (sdk/go/common/workspace/project.go, ProjectStack). */
const STACK_FILE_KEYS = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];
export function checkStackName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.includes(".."))
    throw new ArgumentError("--stack", name, "a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path");
  return name;
}

export type StackFile = { config?: Record<string, unknown>; [key: string]: unknown };
const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The whole stack file of stack `name` in `dir`; throws on a bad name, a missing file or an unknown top-level key. */
export function readStackFile(name: string, dir = ROOT): StackFile {
  const file = `Pulumi.${checkStackName(name)}.yaml`;
  if (!existsSync(path.join(dir, file))) throw new Error(`--stack: ${showValue(name)} has no stack file ${file}`);
  const doc: unknown = parseStackYaml(file, readFileSync(path.join(dir, file), "utf8")) ?? {};
  if (!isMap(doc)) throw new ArgumentError(file, doc, `a map of ${STACK_FILE_KEYS.join(", ")}`);
  const unknown = Object.keys(doc).find((key) => !STACK_FILE_KEYS.includes(key));
  if (unknown !== undefined)
    throw new Error(
      `${file}: the top-level key ${showValue(unknown)} is not allowed; allowed: ${STACK_FILE_KEYS.join(", ")} ` +
        `(Pulumi would ignore it); did you mean ${nearest(unknown, STACK_FILE_KEYS)}?`,
    );
  // An empty `config:` is no config; anything else but a map would deploy the defaults without a word.
  if (doc.config != null && !isMap(doc.config))
    throw new ArgumentError(`${file}: config`, doc.config, "a map of settings, <key>: <value>");
  return doc as StackFile;
}

/** How deep a stack file's maps and lists may nest: config needs a few levels; more is a mistake or an attack. */
export const STACK_FILE_DEPTH = 64;
const STACK_FILE_ALIASES = 100; // yaml's bound on what aliases expand to: an alias bomb is refused, not expanded
// The data of `file`; refuses, naming the file and key, YAML errors, duplicate keys, too deep nesting and alias bombs.
function parseStackYaml(file: string, text: string): unknown {
  const lines = new YAML.LineCounter();
  // Depth is measured on the parser's tokens, built without recursion: yaml's composer overflows the stack on it.
  const pending: { token: CST.Token; depth: number; key?: string }[] = [];
  for (const token of new YAML.Parser(lines.addNewLine).parse(text)) pending.push({ token, depth: 0 });
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { token, depth, key } = next;
    if (token.type === "document" && token.value) pending.push({ token: token.value, depth, key });
    if (token.type !== "block-map" && token.type !== "block-seq" && token.type !== "flow-collection") continue;
    if (depth >= STACK_FILE_DEPTH) {
      const under = key === undefined ? "" : `, under the key ${showText(key)}`;
      const line = lines.linePos(token.offset).line;
      throw new Error(`${file}: nesting deeper than ${STACK_FILE_DEPTH} levels at line ${line}${under}`);
    }
    for (const item of token.items) {
      const name = item.key && YAML.CST.isScalar(item.key) ? YAML.CST.resolveAsScalar(item.key)?.value : undefined;
      if (item.key) pending.push({ token: item.key, depth: depth + 1, key });
      if (item.value) pending.push({ token: item.value, depth: depth + 1, key: name ?? key });
    }
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error?.code === "DUPLICATE_KEY") {
    let key: unknown;
    YAML.visit(doc, {
      Pair: (_, pair) => {
        if (YAML.isScalar(pair.key) && pair.key.range?.[0] === error.pos[0]) key = pair.key.value;
      },
    });
    const which = key === undefined ? "a duplicate key" : `duplicate key ${showText(String(key))}`;
    throw new Error(`${file}: ${which} at line ${error.linePos?.[0].line}`);
  }
  if (error) throw new Error(`${file}: ${error.message}`);
  try {
    return doc.toJS({ maxAliasCount: STACK_FILE_ALIASES });
  } catch (e) {
    const why = (e as Error).message;
    throw new Error(`${file}: its aliases expand to too much (yaml's maxAliasCount ${STACK_FILE_ALIASES}): ${why}`);
  }
}

export const stackConfig = (name: string, dir = ROOT) => readStackFile(name, dir).config ?? {};

/** A stack file's config, or a single scenario with every other setting at its default. */
export function rawConfig(options: { scenario?: string; stack?: string }): Record<string, unknown> {
  if ((options.scenario === undefined) === (options.stack === undefined))
    throw new Error("usage: npm run render -- --scenario <name> | --stack <name>");
  return options.stack === undefined ? { [`${PROJECT}:scenarios`]: [options.scenario] } : stackConfig(options.stack);
}

/** A config key as the stack file has it: a setting without a namespace is the project's. */
export const configKey = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);
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

/** The lab stack's values another stack needs on the lab: local image, pull policy, no `apk add`, quote mirror. */
export function labValues(dir = ROOT): Record<string, unknown> {
  const config = stackConfig("lab", dir);
  const keys = ["image", "imagePullPolicy", "installFortune", "quotesUrl"];
  return Object.fromEntries(keys.map((k) => [k, config[configKey(k)]]));
}

/** `values` as `--set <key>=<value>` arguments (the values as JSON, which YAML reads back as they were). */
export const setArgs = (values: Record<string, unknown>): string[] =>
  Object.entries(values).flatMap(([key, value]) => ["--set", `${key}=${JSON.stringify(value)}`]);

if (import.meta.main) {
  try {
    const [command, ...args] = process.argv.slice(2);
    if (command === "check") for (const name of args) readStackFile(name);
    else if (command === "set")
      writeFileSync(args[1]!, YAML.stringify(withSets(readStackFile(args[0]!), args.slice(2))));
    else if (command === "lab-sets") process.stdout.write(`${setArgs(labValues()).join("\n")}\n`);
    // check: stack files Pulumi reads fully; set: writes <to> with settings changed; lab-sets: the lab values as --set.
    else throw new Error("usage: stack-file.ts check <stack>... | set <stack> <to> <key>=<value>... | lab-sets");
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}
