// What to watch, read forward from the program: the stack's settings, the scenario registry, and
// what each scenario's component says of itself (its pod, where it serves a quote, its hook's
// receiver). The components are built offline, with mocks, exactly as the program builds them.
import { QUOTE_SERVED } from "../../infra/quote-pod";
import { type ScenarioComponent, scenarioDeployer } from "../../stacks/scenarios";
import type { Scenario } from "../../stacks/settings";
import { CLUSTER_CONTEXTS, parseSettings } from "../../stacks/settings";
import { record } from "../offline";
import type { Expectation } from "./book";

/** One scenario's pod, and what the program says about it. */
export interface Target {
  scenario: Scenario;
  pod: string;
  namespace: string;
  expectation: Expectation;
  /** the quote pods: where nginx serves the quote */
  quote?: { port: number; path: string };
  /** the httpGet hook's receiver: its Service, and the selector of its pods (whose log shows the hook's request) */
  receiver?: { service: string; selector: Record<string, string> };
}

export interface Plan {
  targets: Target[];
  namespace: string;
  /** the kubeconfig context the stack deploys to; undefined: the current one */
  context?: string;
}

/** What the observer needs of a scenario's component: its outputs. */
function described(c: ScenarioComponent) {
  return {
    pod: c.podName,
    quote: "quoteUrl" in c ? { ...QUOTE_SERVED } : undefined,
    hookOutputFile: "hookOutputFile" in c ? c.hookOutputFile : undefined,
    delaySeconds: "delaySeconds" in c ? c.delaySeconds : undefined,
    hookPath: "hookUrl" in c ? c.hookUrl.apply((url) => /^\w+:\/\/[^/]+(\/.*)$/.exec(url)?.[1]) : undefined,
    receiver: "receiverService" in c ? c.receiverService : undefined,
  };
}

/** The pods of a stack or scenario, from the program's own registry: no second list to keep in step. */
export async function plan(raw: Record<string, unknown>, namespaceOverride?: string): Promise<Plan> {
  const settings = parseSettings(raw);
  const { outputs } = await record(() => {
    const deployScenario = scenarioDeployer(settings, {});
    return settings.scenarios.map((scenario) => described(deployScenario(scenario)));
  });
  const namespace = namespaceOverride ?? settings.namespace;
  const targets = settings.scenarios.map((scenario, i): Target => {
    const c = outputs[i]!;
    return {
      scenario,
      pod: c.pod,
      namespace,
      expectation: {
        ...(c.delaySeconds !== undefined ? { slowHookDelaySeconds: c.delaySeconds } : {}),
        ...(c.hookPath !== undefined ? { hookPath: c.hookPath } : {}),
        ...(c.hookOutputFile !== undefined ? { hookOutputFile: c.hookOutputFile } : {}),
      },
      ...(c.quote ? { quote: c.quote } : {}),
      ...(c.receiver ? { receiver: { service: c.receiver, selector: { app: c.receiver } } } : {}),
    };
  });
  return { targets, namespace, context: CLUSTER_CONTEXTS[settings.cluster] };
}
