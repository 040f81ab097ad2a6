// The pod watch of a component's own Kubernetes provider's cluster (a consumer in any language says `failFast: true`).
import * as pulumi from "@pulumi/pulumi";
import type { PodWatch } from "../infra/pod-watch.ts";
import { KubeClient } from "./kube.ts";
import { clusterPodWatch } from "./pod-watch.ts";

/** The kubeconfig context of `component`'s provider: an explicit one's `context`, else `kubernetes:context`. */
export async function providerContext(component: pulumi.Resource): Promise<string | undefined> {
  const provider = component.getProvider("kubernetes::Provider");
  if (!provider) return new pulumi.Config("kubernetes").get("context") || undefined;
  const urn = await new Promise<string>((resolve) => provider.urn.apply(resolve));
  const { state } = await pulumi.runtime.invoke("pulumi:pulumi:getResource", { urn });
  return state?.context || undefined;
}

const watches = new Map<string | undefined, PodWatch>();
/** The watch of `component`'s provider's cluster, connected at its first wait (one per context). */
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
