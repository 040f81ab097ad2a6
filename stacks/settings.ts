// Stack config -> validated settings before anything is created, each checked as its component checks it.
import { checkPodArgs, type PodArgs } from "../infra/book-pod.ts";
import { ArgumentError, checkClusterIP, checkOneOf, checkOutputFile, HOOK_SCHEMES, showText } from "../infra/checks.ts";
import { checkDelaySeconds, quotesFileName } from "../infra/quote-pod.ts";
import { nearest } from "./nearest.ts";
import { PROJECT } from "./project.ts";
import { CLUSTER_CONTEXTS, DEFAULT_NAMESPACE, SCENARIO_NAMES, type Scenario, type Settings } from "./scenarios.ts";

const key = (name: string) => `${PROJECT}:${name}`;
const podArg = (args: PodArgs) => checkPodArgs(args, key(""));
/** Config values arrive as strings from the Pulumi CLI and as YAML values from a stack file: accept both. */
function parsed(value: unknown): unknown {
  try {
    return typeof value === "string" ? JSON.parse(value) : value;
  } catch {
    return value;
  }
}
function text(k: string, value: unknown): string {
  if (typeof value !== "string") throw new ArgumentError(k, value, "a string");
  return value;
}
function boolean(k: string, value: unknown): boolean {
  const b = parsed(value);
  if (typeof b !== "boolean") throw new ArgumentError(k, value, "true, false");
  return b;
}
/** Each setting: how its value is read and checked, given its key. Unset, the program's own (OWN) take a default. */
const SETTINGS = {
  scenarios: (k, v = ["quote-poststart"]) => {
    const list = parsed(v);
    if (!Array.isArray(list) || list.length === 0 || new Set(list).size !== list.length)
      throw new ArgumentError(k, list, `a non-empty list of ${SCENARIO_NAMES.join(", ")}, each at most once`);
    return list.map((s) => checkOneOf(k, s, SCENARIO_NAMES));
  },
  namespace: (k, v = DEFAULT_NAMESPACE) => (podArg({ namespace: text(k, v) }), v as string),
  cluster: (k, v = "current") => checkOneOf(k, v, Object.keys(CLUSTER_CONTEXTS) as Settings["cluster"][]),
  adoptExisting: (k, v = false) => boolean(k, v),
  forceDeleteStuckPods: (k, v = false) => boolean(k, v),
  image: (k, v) => podArg({ image: text(k, v) }).image,
  // Empty: unset (Kubernetes' default), so that a stack can clear another's value.
  imagePullPolicy: (k, v) => (v === "" ? undefined : podArg({ imagePullPolicy: text(k, v) }).imagePullPolicy),
  waitMarginSeconds: (_k, v) => (podArg({ waitMarginSeconds: parsed(v) as number }), parsed(v) as number),
  quotesUrl: (k, v) => (quotesFileName(k, text(k, v)), v as string),
  installFortune: (k, v) => boolean(k, v),
  slowHookDelaySeconds: (k, v) => checkDelaySeconds(k, parsed(v)),
  hookReceiverClusterIP: (k, v) => checkClusterIP(k, text(k, v)),
  hookScheme: (k, v) => checkOneOf(k, v, HOOK_SCHEMES),
  hookOutputFile: (k, v) => (v === "" ? undefined : checkOutputFile(k, text(k, v))), // empty: none, as in the book
} satisfies Record<string, (k: string, v?: unknown) => unknown>;
type Key = keyof typeof SETTINGS;
const KEYS = Object.keys(SETTINGS) as Key[];
const OTHER_NAMESPACES = ["pulumi", "kubernetes"]; // read by Pulumi and the Kubernetes provider
const OWN: Key[] = ["scenarios", "namespace", "cluster", "adoptExisting", "forceDeleteStuckPods"];
/** Validates raw config: keys `poststart-lab:<name>`, or `<name>` as Pulumi reads a stack file. */
export function parseSettings(raw: Record<string, unknown>): Settings {
  const values: Partial<Record<Key, unknown>> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [, namespace = PROJECT, name] = /^(?:([^:]*):)?(.*)$/s.exec(fullKey)!;
    if (OTHER_NAMESPACES.includes(namespace)) continue;
    if (namespace !== PROJECT || !(KEYS as string[]).includes(name)) {
      const others = OTHER_NAMESPACES.map((n) => `${n}:<key>`).join(" or ");
      const mean = nearest(`${namespace}:${name}`, KEYS.map(key));
      throw new Error(
        `${showText(fullKey)}: no such setting; allowed: ${KEYS.map(key).join(", ")}, or ${others} ` +
          `(read by Pulumi and the Kubernetes provider); did you mean ${mean}?`,
      );
    }
    if (typeof value === "object" && value !== null && "secure" in value)
      throw new ArgumentError(key(name), "[secret]", "a plain value: no setting of this project is secret");
    values[name as Key] = value;
  }
  const keys = KEYS.filter((k) => values[k] !== undefined || OWN.includes(k)); // the program's own always have a value
  return Object.fromEntries(keys.map((k) => [k, SETTINGS[k](key(k), values[k])])) as unknown as Settings;
}
export { CLUSTER_CONTEXTS, DEFAULT_NAMESPACE, PROJECT, SCENARIO_NAMES, type Scenario, type Settings };
