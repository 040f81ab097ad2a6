// The fail-fast watch of a package component: a PodWatch on the cluster of the component's own
// Kubernetes provider, so that a consumer in any language chooses it with `failFast: true` and
// passes no object. A failure is kept, not thrown: the component's `state` output rejects with it,
// which fails `pulumi up` under the component, whether it runs in the consumer's process
// (TypeScript) or in the component provider's (YAML, Python).
import * as pulumi from "@pulumi/pulumi";
import { KubeClient } from "../cluster/kube";
import { type ClusterPodWatch, clusterPodWatch } from "../cluster/pod-watch";
import type { PodWatch } from "../infra";

/** The engine's built-in invoke that returns a resource's state by URN. */
const GET_RESOURCE = "pulumi:pulumi:getResource";

/**
 * The kubeconfig context of the Kubernetes provider that `component` creates its pods with: the
 * `context` argument of an explicit provider (read from its state in the engine), else the default
 * provider's stack setting `kubernetes:context`; undefined means the kubeconfig's current context.
 * The kubeconfig is the one the provider reads unless given one of its own: $KUBECONFIG, else
 * ~/.kube/config.
 */
export async function providerContext(component: pulumi.Resource): Promise<string | undefined> {
  const provider = component.getProvider("kubernetes::Provider");
  // an empty context is the current one, as for the provider
  if (!provider) return new pulumi.Config("kubernetes").get("context") || undefined;
  const urn = await new Promise<string>((resolve) => provider.urn.apply(resolve));
  const { state } = await pulumi.runtime.invoke(GET_RESOURCE, { urn });
  return state?.context || undefined;
}

/**
 * A PodWatch on the cluster of `component`'s Kubernetes provider, connected at the first wait; `failure` is the first
 * error it stopped at.
 */
export function failFastWatch(
  component: pulumi.Resource,
): PodWatch & { readonly failure: pulumi.ResourceError | undefined } {
  let watch: Promise<ClusterPodWatch> | undefined;
  const connected = () =>
    (watch ??= providerContext(component).then((context) => clusterPodWatch(KubeClient.connect(context))));
  let failure: pulumi.ResourceError | undefined;
  return {
    get failure() {
      return failure;
    },
    wait: async (target) => (await connected()).wait(target),
    loggedRequest: async (target) => (await connected()).loggedRequest(target),
    fail: async (error) => (failure ??= error),
  };
}

/**
 * `value` once the component's pods got where they should; rejected with the watch's failure, if it
 * stopped at one. Outputs of a pod that is not there are not worth reporting.
 */
export function unlessFailed<T>(
  watch: ReturnType<typeof failFastWatch> | undefined,
  value: pulumi.Output<T>,
): pulumi.Output<T> {
  return value.apply((v) => {
    if (watch?.failure) throw watch.failure;
    return v;
  });
}
