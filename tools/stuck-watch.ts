// cluster/stuck-pods.ts's watch of one stack's pods (by its instance's mark) for tools/run.js, set by its config file.
import { KubeClient } from "../cluster/kube.ts";
import { watchStuckPods } from "../cluster/stuck-pods.ts";
import { OWNER_ANNOTATION, stackMark } from "../stacks/cluster-check.ts";
import { CLUSTER_CONTEXTS, DEFAULT_NAMESPACE, PROJECT, parseSettings } from "../stacks/settings.ts";
import { stackConfig } from "./stack-file.ts";

/** Starts the watch (it says what it sees on stdout); throws on a stack file, kubeconfig or setting it cannot use. */
export function startStuckPodWatch(stack: string, dir: string, providerId: string | undefined) {
  const settings = parseSettings(stackConfig(stack, dir));
  const kube = KubeClient.connect(CLUSTER_CONTEXTS[settings.cluster]);
  // Pods that name no namespace land in the context's (the program leaves `default` out, as the book does).
  const namespace = settings.namespace === DEFAULT_NAMESPACE ? kube.defaultNamespace : settings.namespace;
  return watchStuckPods(kube, {
    namespace,
    annotation: OWNER_ANNOTATION,
    // The mark of this stack instance (its provider's id): a namesake stack's pods are not ours.
    owner: stackMark(`${PROJECT}/${stack}`, providerId),
    force: settings.forceDeleteStuckPods,
    settingHint: `set ${PROJECT}:forceDeleteStuckPods to true and npm run up/destroy frees it`,
    forced: `${PROJECT}:forceDeleteStuckPods is true`,
    say: (line) => process.stdout.write(`${line}\n`),
  });
}
