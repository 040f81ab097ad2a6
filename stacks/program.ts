// The program: validated settings -> the chosen scenarios on the chosen cluster -> stack outputs.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { podNamespace, type ScenarioComponent, scenarioDeployer } from "./scenarios";
import { CLUSTER_CONTEXTS, type Settings } from "./settings";

/**
 * What the program learned of the cluster before deploying; without it (offline), everything is created as for an
 * empty cluster.
 */
export interface ClusterFacts {
  /** the provider, registered before the cluster was read, so that it starts meanwhile */
  provider: k8s.Provider;
  /** the namespace exists and the stack did not create it: use it, never own it */
  namespaceExists: boolean;
  /** the scenarios' resources wait for this (the checks of what they would touch) */
  checked: pulumi.Input<pulumi.Resource[]>;
  transformations: pulumi.ResourceTransformation[];
}

/** The Kubernetes provider of the stack's kubeconfig context. */
export function clusterProvider(settings: Settings): k8s.Provider {
  return new k8s.Provider("cluster", { context: CLUSTER_CONTEXTS[settings.cluster] });
}

/** A scenario's stack outputs: its component's outputs. */
function outputsOf(c: ScenarioComponent) {
  const { podName, namespace, readiness, state } = c;
  const quote = "quoteUrl" in c ? { portForward: c.portForward, quoteUrl: c.quoteUrl } : {};
  const hook =
    "hookUrl" in c ? { hookUrl: c.hookUrl, ...(c.receiverAnswer && { receiverAnswer: c.receiverAnswer }) } : {};
  return { podName, namespace, readiness, state, ...quote, ...hook };
}

/** Deploys the stack's scenarios; returns each scenario's outputs under its name. */
export function deploy(settings: Settings, cluster?: ClusterFacts) {
  const provider = cluster?.provider ?? clusterProvider(settings);
  const transformations = cluster?.transformations;
  const own = podNamespace(settings);
  const namespace =
    own === undefined || cluster?.namespaceExists
      ? []
      : [
          new k8s.core.v1.Namespace(
            own,
            { metadata: { name: own } },
            { provider, transformations, dependsOn: cluster?.checked },
          ),
        ];
  const dependsOn = namespace.length ? namespace : (cluster?.checked ?? []);
  // On a cluster `pulumi up` watches the pods; offline (the render, the unit tests) the provider's await stands.
  const deployScenario = scenarioDeployer(settings, { providers: [provider], transformations, dependsOn }, !!cluster);
  return Object.fromEntries(settings.scenarios.map((scenario) => [scenario, outputsOf(deployScenario(scenario))]));
}
