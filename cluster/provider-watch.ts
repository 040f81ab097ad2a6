// The pod watch of a component's cluster: the cluster of the component's own Kubernetes provider, so that a consumer
// in any language chooses it with `failFast: true` and passes no object. One client and watch per kubeconfig context.
import * as pulumi from "@pulumi/pulumi";
import type { PodWatch } from "../infra/pod-watch";
import { KubeClient } from "./kube";
import { clusterPodWatch } from "./pod-watch";

/**
 * The kubeconfig context of the Kubernetes provider that `component` creates its pods with: the `context` argument
 * of an explicit provider (its state, from the engine's built-in invoke), else the default provider's stack setting
 * `kubernetes:context`; undefined means the kubeconfig's current context. The kubeconfig is the one the provider
 * reads unless given one of its own: $KUBECONFIG, else ~/.kube/config.
 */
export async function providerContext(component: pulumi.Resource): Promise<string | undefined> {
  const provider = component.getProvider("kubernetes::Provider");
  // an empty context is the current one, as for the provider
  if (!provider) return new pulumi.Config("kubernetes").get("context") || undefined;
  const urn = await new Promise<string>((resolve) => provider.urn.apply(resolve));
  const { state } = await pulumi.runtime.invoke("pulumi:pulumi:getResource", { urn });
  return state?.context || undefined;
}

const watches = new Map<string | undefined, PodWatch>();

/** The watch of the cluster `component`'s provider talks to, connected at its first wait. */
export function providerPodWatch(component: pulumi.Resource): PodWatch {
  const connected = providerContext(component).then((context) => {
    let watch = watches.get(context);
    if (!watch) watches.set(context, (watch = clusterPodWatch(KubeClient.connect(context))));
    return watch;
  });
  return {
    wait: async (target, progress) => (await connected).wait(target, progress),
    loggedRequest: async (target) => (await connected).loggedRequest(target),
  };
}
