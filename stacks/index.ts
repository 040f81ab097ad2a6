// The Pulumi program's entry: read the stack's config, check what it would touch on the cluster, deploy, and export
// each scenario's outputs; a pod that fails rejects its `state` output, which fails the update under its component.
import * as pulumi from "@pulumi/pulumi";
import { KubeClient } from "../cluster/kube";
import { clusterPodWatch } from "../cluster/pod-watch";
import { connectPodWatches } from "../infra/pod-watch";
import { checkPlanned, namespaceOwner, ownAndRecord, type PlannedObject } from "./cluster-check";
import { clusterProvider, deploy } from "./program";
import { CLUSTER_CONTEXTS, parseSettings } from "./settings";
import { stackInstanceMark } from "./stack-instance";

async function main() {
  const settings = parseSettings(pulumi.runtime.allConfig());
  // The provider plugin starts (in its own process) while this one reads the cluster.
  const provider = clusterProvider(settings);
  const cluster = KubeClient.connect(CLUSTER_CONTEXTS[settings.cluster]);
  const watch = clusterPodWatch(cluster);
  connectPodWatches(() => watch);
  const owner = await stackInstanceMark(provider);
  const namespace = await namespaceOwner(cluster, settings.namespace, owner);
  const planned: PlannedObject[] = [];
  let open!: (resources: pulumi.Resource[]) => void;
  let refuse!: (e: Error) => void;
  const checked = new Promise<pulumi.Resource[]>((resolve, reject) => ((open = resolve), (refuse = reject)));
  const transformations = [ownAndRecord(owner, planned)];
  const outputs = deploy(settings, { provider, namespaceExists: namespace === "theirs", checked, transformations });
  try {
    for (const note of await checkPlanned(cluster, planned, owner, settings.adoptExisting)) pulumi.log.info(note);
  } catch (e) {
    // The registrations waiting for the checks end with the same error object, which the runtime reports once.
    const error = userError(e);
    refuse(error);
    throw error;
  }
  open([]);
  return outputs;
}

/** A bad setting or what the cluster holds is the user's to fix: the message, without a stack trace. */
function userError(e: unknown): Error {
  if (pulumi.RunError.isInstance(e) || pulumi.ResourceError.isInstance(e)) return e;
  return new pulumi.RunError(e instanceof Error ? e.message : String(e));
}

export = main().catch((e: unknown) => {
  throw userError(e);
});
