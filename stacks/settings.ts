// Stack config -> validated, typed settings, before anything is created. The program's own settings have their
// defaults here; a component's setting left unset stays undefined, so the component's default applies. Each value is
// checked by the rule its component applies, its error naming the key `poststart-lab:<key>`.
import { checkPodArgs } from "../infra/book-pod";
import {
  ArgumentError,
  checkClusterIP,
  checkDnsLabel,
  checkOneOf,
  checkOutputFile,
  HOOK_SCHEMES,
  showText,
} from "../infra/checks";
import { checkDelaySeconds, quotesFileName } from "../infra/quote-pod";
import { nearest } from "./nearest";
import {
  CLUSTER_CONTEXTS,
  type Cluster,
  DEFAULT_NAMESPACE,
  SCENARIO_NAMES,
  type Scenario,
  type Settings,
} from "./scenarios";

export { CLUSTER_CONTEXTS, DEFAULT_NAMESPACE, SCENARIO_NAMES, type Scenario, type Settings };

export const PROJECT = "poststart-lab";
const key = (name: string) => `${PROJECT}:${name}`;

/** Config values arrive as strings from the Pulumi CLI and as YAML values from a stack file: accept both. */
function parsed(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function text(name: string, value: unknown): string {
  if (typeof value !== "string") throw new ArgumentError(key(name), value, "a string");
  return value;
}

function boolean(name: string, value: unknown): boolean {
  const b = parsed(value);
  if (typeof b !== "boolean") throw new ArgumentError(key(name), value, "true, false");
  return b;
}

/** Each setting: how its value is read and checked. Unset, the program's settings take their default. */
const SETTINGS = {
  scenarios: (v: unknown = ["quote-poststart"]) => {
    const list = parsed(v);
    const allowed = `a non-empty list of ${SCENARIO_NAMES.join(", ")}, each at most once`;
    if (!Array.isArray(list) || list.length === 0 || new Set(list).size !== list.length)
      throw new ArgumentError(key("scenarios"), list, allowed);
    return list.map((s) => checkOneOf(key("scenarios"), s, SCENARIO_NAMES));
  },
  namespace: (v: unknown = DEFAULT_NAMESPACE) => checkDnsLabel(key("namespace"), text("namespace", v)),
  cluster: (v: unknown = "current") => checkOneOf(key("cluster"), v, Object.keys(CLUSTER_CONTEXTS) as Cluster[]),
  adoptExisting: (v: unknown = false) => boolean("adoptExisting", v),
  forceDeleteStuckPods: (v: unknown = false) => boolean("forceDeleteStuckPods", v),
  image: (v: unknown) => checkPodArgs({ image: text("image", v) }, `${PROJECT}:`).image,
  // Empty: unset (Kubernetes' default), so that a stack can clear another's value.
  imagePullPolicy: (v: unknown) =>
    v === "" ? undefined : checkPodArgs({ imagePullPolicy: text("imagePullPolicy", v) }, `${PROJECT}:`).imagePullPolicy,
  waitMarginSeconds: (v: unknown) => {
    const seconds = parsed(v) as number;
    checkPodArgs({ waitMarginSeconds: seconds }, `${PROJECT}:`);
    return seconds;
  },
  quotesUrl: (v: unknown) => (quotesFileName(key("quotesUrl"), text("quotesUrl", v)), v as string),
  installFortune: (v: unknown) => boolean("installFortune", v),
  slowHookDelaySeconds: (v: unknown) => checkDelaySeconds(key("slowHookDelaySeconds"), parsed(v)),
  hookReceiverClusterIP: (v: unknown) => checkClusterIP(key("hookReceiverClusterIP"), text("hookReceiverClusterIP", v)),
  hookScheme: (v: unknown) => checkOneOf(key("hookScheme"), v, HOOK_SCHEMES),
  // Empty: none, as in the book.
  hookOutputFile: (v: unknown) =>
    v === "" ? undefined : checkOutputFile(key("hookOutputFile"), text("hookOutputFile", v)),
};
type Key = keyof typeof SETTINGS;
const KEYS = Object.keys(SETTINGS) as Key[];
/** Config namespaces the program leaves to Pulumi and the Kubernetes provider. */
const OTHER_NAMESPACES = ["pulumi", "kubernetes"];
/** The program's own settings: they always have a value. */
const OWN: Key[] = ["scenarios", "namespace", "cluster", "adoptExisting", "forceDeleteStuckPods"];

/** Validates raw config (keys `poststart-lab:<name>` or `<name>`) before anything is created. */
export function parseSettings(raw: Record<string, unknown>): Settings {
  const values: Partial<Record<Key, unknown>> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    // A key without a namespace is the project's, as Pulumi reads a stack file.
    const colon = fullKey.indexOf(":");
    const [namespace, name] = colon < 0 ? [PROJECT, fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
    if (OTHER_NAMESPACES.includes(namespace)) continue; // read by Pulumi or the Kubernetes provider
    if (namespace !== PROJECT || !(KEYS as string[]).includes(name)) {
      const mean = nearest(`${namespace}:${name}`, KEYS.map(key));
      const others = OTHER_NAMESPACES.map((n) => `${n}:<key>`).join(" or ");
      throw new Error(
        `${showText(fullKey)}: no such setting; allowed: ${KEYS.map(key).join(", ")}, or ${others} ` +
          `(read by Pulumi and the Kubernetes provider); did you mean ${mean}?`,
      );
    }
    if (typeof value === "object" && value !== null && "secure" in value) {
      throw new ArgumentError(key(name), "[secret]", "a plain value: no setting of this project is secret");
    }
    values[name as Key] = value;
  }
  const settings: Record<string, unknown> = {};
  for (const k of KEYS) {
    if (values[k] !== undefined || OWN.includes(k)) settings[k] = (SETTINGS[k] as (v: unknown) => unknown)(values[k]);
  }
  return settings as unknown as Settings;
}
