// Stack config -> validated, typed settings. Every error names the key, the bad value and what is allowed.
import { DNS_LABEL, HOOK_SCHEMES, type HookScheme, IPV4, PULL_POLICIES, type PullPolicy } from "../infra";
import { SCENARIO_NAMES, type Scenario } from "./scenarios";

export const PROJECT = "poststart-lab";

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
}

/** The defaults: the book's values. `Pulumi.yaml` declares the same (a unit test keeps them equal). */
export const DEFAULTS = {
  scenarios: ["quote-poststart"],
  namespace: "default",
  cluster: "current",
  image: "nginx:alpine",
  imagePullPolicy: "",
  quotesUrl: "https://luksa.github.io/kiada/book-quotes.txt",
  installFortune: true,
  slowHookDelaySeconds: 60,
  hookReceiverClusterIP: "10.96.100.100",
  hookScheme: "HTTP",
  hookOutputFile: "",
  adoptExisting: false,
};
type Key = keyof typeof DEFAULTS;
const KEYS = Object.keys(DEFAULTS) as Key[];

/** A bad stack setting; the message is meant for the user as it is. */
export class SettingError extends Error {}

function fail(key: string, value: unknown, allowed: string): never {
  throw new SettingError(`${PROJECT}:${key}: ${JSON.stringify(value)} is not allowed; allowed: ${allowed}`);
}

function oneOf<T extends string>(key: Key, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) fail(key, value, allowed.join(", "));
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

/**
 * Validates raw config (keys `poststart-lab:<name>` or `<name>`, missing keys take their defaults)
 * before anything is created.
 */
export function parseSettings(raw: Record<string, unknown>): Settings {
  const values: Record<string, unknown> = { ...DEFAULTS };
  for (const [fullKey, value] of Object.entries(raw)) {
    const key = fullKey.startsWith(`${PROJECT}:`) ? fullKey.slice(PROJECT.length + 1) : fullKey;
    if (fullKey.includes(":") && !fullKey.startsWith(`${PROJECT}:`)) continue; // another package's config, e.g. kubernetes:
    if (!(KEYS as string[]).includes(key)) fail(key, value, `no such setting; the settings are ${KEYS.join(", ")}`);
    values[key] = value;
  }

  const scenarios = parsed(values.scenarios);
  if (!Array.isArray(scenarios) || scenarios.length === 0) fail("scenarios", scenarios, `a non-empty list of ${SCENARIO_NAMES.join(", ")}`);
  for (const s of scenarios) oneOf("scenarios", s, SCENARIO_NAMES);
  if (new Set(scenarios).size !== scenarios.length) fail("scenarios", scenarios, "each scenario at most once");

  const namespace = text("namespace", values.namespace);
  if (!DNS_LABEL.test(namespace)) {
    fail("namespace", namespace, "1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit");
  }

  const image = text("image", values.image);
  if (image.trim() === "" || /\s/.test(image)) fail("image", image, "a container image reference such as nginx:alpine");

  const pullPolicy = text("imagePullPolicy", values.imagePullPolicy);
  if (pullPolicy !== "") oneOf("imagePullPolicy", pullPolicy, PULL_POLICIES);

  const quotesUrl = text("quotesUrl", values.quotesUrl);
  if (!/^https?:\/\/[^\s/]+\/\S*[^/]$/.test(quotesUrl)) fail("quotesUrl", quotesUrl, "an http:// or https:// URL of a quotes file");

  const installFortune = parsed(values.installFortune);
  if (typeof installFortune !== "boolean") fail("installFortune", values.installFortune, "true, false");

  const adoptExisting = parsed(values.adoptExisting);
  if (typeof adoptExisting !== "boolean") fail("adoptExisting", values.adoptExisting, "true, false");

  const delay = parsed(values.slowHookDelaySeconds);
  if (typeof delay !== "number" || !Number.isInteger(delay) || delay < 0 || delay > 3600) {
    fail("slowHookDelaySeconds", values.slowHookDelaySeconds, "a whole number of seconds from 0 to 3600");
  }

  const clusterIP = text("hookReceiverClusterIP", values.hookReceiverClusterIP);
  if (!IPV4.test(clusterIP)) {
    fail("hookReceiverClusterIP", clusterIP, "an IPv4 address from the cluster's service range, e.g. 10.96.100.100");
  }

  const hookOutputFile = text("hookOutputFile", values.hookOutputFile);
  if (hookOutputFile !== "" && !hookOutputFile.startsWith("/")) fail("hookOutputFile", hookOutputFile, "an absolute path in the container, or empty for none");

  return {
    scenarios: scenarios as Scenario[],
    namespace,
    cluster: oneOf("cluster", values.cluster, Object.keys(CLUSTER_CONTEXTS) as Cluster[]),
    image,
    imagePullPolicy: pullPolicy === "" ? undefined : (pullPolicy as PullPolicy),
    quotesUrl,
    installFortune,
    slowHookDelaySeconds: delay as number,
    hookReceiverClusterIP: clusterIP,
    hookScheme: oneOf("hookScheme", values.hookScheme, HOOK_SCHEMES),
    hookOutputFile: hookOutputFile === "" ? undefined : hookOutputFile,
    adoptExisting,
  };
}
