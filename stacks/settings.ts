// Stack config -> validated, typed settings. Every error names the key, the bad value and what is allowed.
import { BOOK_IMAGE, checkWaitMargin, DEFAULT_WAIT_MARGIN_SECONDS } from "../infra/book-pod";
import {
  ArgumentError,
  checkClusterIP,
  checkDelaySeconds,
  checkDnsLabel,
  checkImage,
  checkOutputFile,
  HOOK_SCHEMES,
  type HookScheme,
  PULL_POLICIES,
  type PullPolicy,
  quotesFileName,
  showText,
  showValue,
} from "../infra/checks";
import { DEFAULT_RECEIVER_CLUSTER_IP } from "../infra/hook-receiver";
import { BOOK_QUOTES_URL } from "../infra/quote-pod";
import { BOOK_SLOW_HOOK_DELAY_SECONDS } from "../infra/slow-hook-pod";
import { nearest } from "./nearest";

export const PROJECT = "poststart-lab";

/**
 * The book's pods, by the names the stacks choose them with (stacks/scenarios.ts deploys each), and
 * one of ours: `poststart-httpget-404` shows the book's closing warning on httpGet hooks.
 */
export const SCENARIO_NAMES = [
  "quote-poststart",
  "quote-poststart-slow",
  "quote-poststart-fail",
  "quote-poststart-fail-norestart",
  "poststart-httpget",
  "poststart-httpget-slow",
  "poststart-httpget-404",
] as const;
export type Scenario = (typeof SCENARIO_NAMES)[number];

/** The namespace a pod lands in when it names none; the stack then creates no namespace. */
export const DEFAULT_NAMESPACE = "default";

/** The namespace the scenario pods name: none for the default one, as in the book. */
export function podNamespace(settings: Settings): string | undefined {
  return settings.namespace === DEFAULT_NAMESPACE ? undefined : settings.namespace;
}

/** Which kubeconfig context the stack deploys to. */
export const CLUSTER_CONTEXTS = { current: undefined, kind: "kind-kind", minikube: "minikube", lab: "lab" } as const;
export type Cluster = keyof typeof CLUSTER_CONTEXTS;

export interface Settings {
  scenarios: Scenario[];
  namespace: string;
  cluster: Cluster;
  image: string;
  imagePullPolicy?: PullPolicy;
  quotesUrl: string;
  installFortune: boolean;
  slowHookDelaySeconds: number;
  hookReceiverClusterIP: string;
  hookScheme: HookScheme;
  hookOutputFile?: string;
  adoptExisting: boolean;
  waitMarginSeconds: number;
  forceDeleteStuckPods: boolean;
}

/**
 * The defaults: the book's values, the components' own. `Pulumi.yaml` declares the same (a unit test keeps them equal).
 */
export const DEFAULTS = {
  scenarios: ["quote-poststart"],
  namespace: DEFAULT_NAMESPACE,
  cluster: "current",
  image: BOOK_IMAGE,
  imagePullPolicy: "",
  quotesUrl: BOOK_QUOTES_URL,
  installFortune: true,
  slowHookDelaySeconds: BOOK_SLOW_HOOK_DELAY_SECONDS,
  hookReceiverClusterIP: DEFAULT_RECEIVER_CLUSTER_IP,
  hookScheme: "HTTP",
  hookOutputFile: "",
  adoptExisting: false,
  waitMarginSeconds: DEFAULT_WAIT_MARGIN_SECONDS,
  forceDeleteStuckPods: false,
};
type Key = keyof typeof DEFAULTS;
const KEYS = Object.keys(DEFAULTS) as Key[];
/** Config namespaces the program leaves to Pulumi and the Kubernetes provider. */
const OTHER_NAMESPACES = ["pulumi", "kubernetes"];

/** A bad stack setting: the message is meant for the user as it is (the program reports it without a stack trace). */
function fail(key: string, value: unknown, allowed: string): never {
  throw new Error(`${PROJECT}:${showText(key)}: ${showValue(value)} is not allowed; allowed: ${allowed}`);
}

/** A stack file's `<key>: {secure: ...}`: an encrypted value (pulumi config set --secret). */
function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
}

function oneOf<T extends string>(key: Key, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) fail(key, value, allowed.join(", "));
  return value as T;
}

/** Config values arrive as strings from the Pulumi CLI and as YAML values from a stack file: accept both. */
function parsed(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function text(key: Key, value: unknown): string {
  if (typeof value !== "string") fail(key, value, "a string");
  return value;
}

function boolean(key: Key, value: unknown): boolean {
  const b = parsed(value);
  if (typeof b !== "boolean") fail(key, value, "true, false");
  return b;
}

/** Runs a component's own check of the value (one rule, one place), its error said the settings' way. */
function checked<T>(key: Key, check: (setting: string) => T, orElse?: string): T {
  try {
    return check(key);
  } catch (e) {
    if (e instanceof ArgumentError) fail(key, e.value, orElse === undefined ? e.allowed : `${e.allowed}; or ${orElse}`);
    throw e;
  }
}

/**
 * Validates raw config (keys `poststart-lab:<name>` or `<name>`, missing keys take their defaults)
 * before anything is created.
 */
export function parseSettings(raw: Record<string, unknown>): Settings {
  const values: Record<string, unknown> = { ...DEFAULTS };
  for (const [fullKey, value] of Object.entries(raw)) {
    // A key without a namespace is the project's, as Pulumi reads a stack file.
    const colon = fullKey.indexOf(":");
    const [namespace, key] = colon < 0 ? [PROJECT, fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
    if (OTHER_NAMESPACES.includes(namespace)) continue; // read by Pulumi or the Kubernetes provider
    if (namespace !== PROJECT || !(KEYS as string[]).includes(key)) {
      const hint = `did you mean ${nearest(
        `${namespace}:${key}`,
        KEYS.map((k) => `${PROJECT}:${k}`),
      )}?`;
      if (namespace !== PROJECT) {
        const others = OTHER_NAMESPACES.map((n) => `${n}:<key>`).join(" or ");
        throw new Error(
          `${showText(fullKey)}: no such setting; allowed: ${PROJECT}:<setting>, or ${others} (read by Pulumi and the Kubernetes provider); ${hint}`,
        );
      }
      fail(key, value, `no such setting; the settings are ${KEYS.join(", ")}; ${hint}`);
    }
    if (isSecret(value)) {
      throw new Error(
        `${PROJECT}:${key}: a secret value is not allowed: no setting of this project is secret; set it in plain text (pulumi config set ${key} <value>, without --secret)`,
      );
    }
    values[key] = value;
  }

  const scenarios = parsed(values.scenarios);
  if (!Array.isArray(scenarios) || scenarios.length === 0)
    fail("scenarios", scenarios, `a non-empty list of ${SCENARIO_NAMES.join(", ")}`);
  for (const s of scenarios) oneOf("scenarios", s, SCENARIO_NAMES);
  if (new Set(scenarios).size !== scenarios.length) fail("scenarios", scenarios, "each scenario at most once");

  const namespace = text("namespace", values.namespace);
  checked("namespace", (k) => checkDnsLabel(k, namespace));

  const image = text("image", values.image);
  checked("image", (k) => checkImage(k, image));

  const pullPolicy = text("imagePullPolicy", values.imagePullPolicy);
  if (pullPolicy !== "") oneOf("imagePullPolicy", pullPolicy, PULL_POLICIES);

  const quotesUrl = text("quotesUrl", values.quotesUrl);
  checked("quotesUrl", (k) => quotesFileName(k, quotesUrl));

  const delay = checked("slowHookDelaySeconds", (k) =>
    checkDelaySeconds(k, parsed(values.slowHookDelaySeconds) as number),
  );

  const waitMargin = checked("waitMarginSeconds", (k) =>
    checkWaitMargin(k, parsed(values.waitMarginSeconds) as number),
  );

  const clusterIP = text("hookReceiverClusterIP", values.hookReceiverClusterIP);
  checked("hookReceiverClusterIP", (k) => checkClusterIP(k, clusterIP));

  const hookOutputFile = text("hookOutputFile", values.hookOutputFile);
  if (hookOutputFile !== "") checked("hookOutputFile", (k) => checkOutputFile(k, hookOutputFile), "empty for none");

  return {
    scenarios: scenarios as Scenario[],
    namespace,
    cluster: oneOf("cluster", values.cluster, Object.keys(CLUSTER_CONTEXTS) as Cluster[]),
    image,
    imagePullPolicy: pullPolicy === "" ? undefined : (pullPolicy as PullPolicy),
    quotesUrl,
    installFortune: boolean("installFortune", values.installFortune),
    slowHookDelaySeconds: delay,
    hookReceiverClusterIP: clusterIP,
    hookScheme: oneOf("hookScheme", values.hookScheme, HOOK_SCHEMES),
    hookOutputFile: hookOutputFile === "" ? undefined : hookOutputFile,
    adoptExisting: boolean("adoptExisting", values.adoptExisting),
    waitMarginSeconds: waitMargin,
    forceDeleteStuckPods: boolean("forceDeleteStuckPods", values.forceDeleteStuckPods),
  };
}
