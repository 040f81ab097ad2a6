// The program: validated settings -> the chosen scenarios on the chosen cluster -> stack outputs.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PodOutputs, PodWatch } from "../infra";
import { scenarioDeployer } from "./scenarios";
import { CLUSTER_CONTEXTS, podNamespace, type Settings } from "./settings";

/**
 * What the program learned of the cluster before deploying; without it (offline), everything is created as for an empty
 * cluster.
 */
export interface ClusterFacts {
  /** the provider, registered before the cluster was read, so that it starts meanwhile */
  provider: k8s.Provider;
  /** the namespace exists and the stack did not create it: use it, never own it */
  namespaceExists: boolean;
  /** who `pulumi up` waits with for the pods */
  podWatch: PodWatch;
  /** the scenarios' resources wait for this (the checks of what they would touch) */
  checked: pulumi.Input<pulumi.Resource[]>;
  transformations: pulumi.ResourceTransformation[];
}

/** The Kubernetes provider of the stack's kubeconfig context. */
export function clusterProvider(settings: Settings): k8s.Provider {
  return new k8s.Provider("cluster", { context: CLUSTER_CONTEXTS[settings.cluster] });
}

/** Deploys the stack's scenarios; returns each scenario's outputs under its name. */
export function deploy(settings: Settings, cluster?: ClusterFacts): Record<string, PodOutputs> {
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
  const deployScenario = scenarioDeployer(
    settings,
    { providers: [provider], transformations, dependsOn },
    cluster?.podWatch,
  );
  const outputs: Record<string, PodOutputs> = {};
  for (const scenario of settings.scenarios) outputs[scenario] = deployScenario(scenario).outputs;
  return outputs;
}
