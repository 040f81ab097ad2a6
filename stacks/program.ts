// The program: validated settings -> the chosen scenarios on the chosen cluster -> stack outputs.
import * as k8s from "@pulumi/kubernetes";
import type { PodOutputs } from "../infra";
import { SCENARIOS } from "./scenarios";
import { CLUSTER_CONTEXTS, type Settings } from "./settings";

/** Deploys the stack's scenarios; returns each scenario's outputs under its name. */
export function deploy(settings: Settings): Record<string, PodOutputs> {
  const provider = new k8s.Provider("cluster", { context: CLUSTER_CONTEXTS[settings.cluster] });
  const namespace =
    settings.namespace === "default"
      ? []
      : [new k8s.core.v1.Namespace(settings.namespace, { metadata: { name: settings.namespace } }, { provider })];
  const outputs: Record<string, PodOutputs> = {};
  for (const scenario of settings.scenarios) {
    outputs[scenario] = SCENARIOS[scenario](settings, { providers: [provider], dependsOn: namespace }).outputs;
  }
  return outputs;
}
