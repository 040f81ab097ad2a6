import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { podNamespace, type ScenarioComponent, scenarioDeployer } from "./scenarios.ts";
import { CLUSTER_CONTEXTS, type Settings } from "./settings.ts";

/** What the program learned of the cluster before deploying; offline, without it, all is created as on an empty one. */
export interface ClusterFacts {
  provider: k8s.Provider; // registered before the cluster is read, so that it starts meanwhile
  namespaceExists: boolean; // and the stack did not create it: used, never owned
  checked: pulumi.Input<pulumi.Resource[]>; // the scenarios' resources wait for the checks of what they would touch
  transformations: pulumi.ResourceTransformation[];
}
export const clusterProvider = (s: Settings) => new k8s.Provider("cluster", { context: CLUSTER_CONTEXTS[s.cluster] });
function outputsOf(c: ScenarioComponent) {
  const { podName, namespace, readiness, state } = c;
  const quote = "quoteUrl" in c && { portForward: c.portForward, quoteUrl: c.quoteUrl };
  const hook = "hookUrl" in c && { hookUrl: c.hookUrl, ...(c.receiverAnswer && { receiverAnswer: c.receiverAnswer }) };
  return { podName, namespace, readiness, state, ...quote, ...hook };
}
/** Deploys the stack's scenarios; returns each scenario's outputs under its name. */
export function deploy(settings: Settings, cluster?: ClusterFacts) {
  const provider = cluster?.provider ?? clusterProvider(settings);
  const transformations = cluster?.transformations;
  const name = cluster?.namespaceExists ? undefined : podNamespace(settings); // the namespace to create, if any
  const opts = { provider, transformations, dependsOn: cluster?.checked };
  const dependsOn = name ? [new k8s.core.v1.Namespace(name, { metadata: { name } }, opts)] : (cluster?.checked ?? []);
  const deployScenario = scenarioDeployer(settings, { providers: [provider], transformations, dependsOn }, !!cluster);
  return Object.fromEntries(settings.scenarios.map((scenario) => [scenario, outputsOf(deployScenario(scenario))]));
}
