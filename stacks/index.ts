// The Pulumi program's entry: read the stack's config, check what it would touch on the cluster,
// deploy, export each scenario's outputs.
import * as pulumi from "@pulumi/pulumi";
import { clusterPodWatch, type PodOutputs } from "../infra";
import { KubeClient } from "../infra/kube";
import { checkPlanned, namespaceOwner, ownAndRecord, type PlannedObject } from "./cluster-check";
import { deploy } from "./program";
import { CLUSTER_CONTEXTS, parseSettings } from "./settings";

async function main(): Promise<Record<string, PodOutputs>> {
  const settings = parseSettings(pulumi.runtime.allConfig());
  const context = CLUSTER_CONTEXTS[settings.cluster];
  const cluster = await KubeClient.connect(context);
  const owner = `${pulumi.getProject()}/${pulumi.getStack()}`;
  const namespace = await namespaceOwner(cluster, settings.namespace, owner);
  const planned: PlannedObject[] = [];
  let open!: (resources: pulumi.Resource[]) => void;
  let refuse!: (e: Error) => void;
  const checked = new Promise<pulumi.Resource[]>((resolve, reject) => ((open = resolve), (refuse = reject)));
  const outputs = deploy(settings, {
    namespaceExists: namespace === "theirs",
    podWatch: clusterPodWatch(context),
    checked,
    transformations: [ownAndRecord(owner, planned)],
  });
  try {
    await checkPlanned(cluster, planned, owner, settings.adoptExisting);
  } catch (e) {
    refuse(e as Error);
    throw e;
  }
  open([]);
  return outputs;
}

// A bad setting or what the cluster holds is the user's to fix: show the message, not a stack trace.
export = main().catch((e: unknown) => {
  throw new pulumi.RunError(e instanceof Error ? e.message : String(e));
});
