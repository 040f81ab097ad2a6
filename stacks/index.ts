// The Pulumi program's entry; a pod that fails rejects its `state` output, which fails the update under its component.
import * as pulumi from "@pulumi/pulumi";
import { KubeClient } from "../cluster/kube.ts";
import { clusterPodWatch } from "../cluster/pod-watch.ts";
import { connectPodWatches } from "../infra/pod-watch.ts";
import { checkPlanned, namespaceOwner, ownAndRecord, type PlannedObject, stackInstanceMark } from "./cluster-check.ts";
import { clusterProvider, deploy } from "./program.ts";
import { CLUSTER_CONTEXTS, parseSettings } from "./settings.ts";

// The SDK's run script maps each trace (one per promise it tracks) through source maps; we have none: V8's own.
Reflect.deleteProperty(Error, "prepareStackTrace");
/** A bad setting or what the cluster holds is the user's to fix: rethrown as its message, without a stack trace. */
function fail(e: unknown): never {
  if (pulumi.RunError.isInstance(e) || pulumi.ResourceError.isInstance(e)) throw e;
  throw new pulumi.RunError(e instanceof Error ? e.message : String(e));
}
async function main() {
  const settings = parseSettings(pulumi.runtime.allConfig());
  const provider = clusterProvider(settings);
  const cluster = KubeClient.connect(CLUSTER_CONTEXTS[settings.cluster]);
  const watch = clusterPodWatch(cluster);
  connectPodWatches(() => watch);
  const mark = stackInstanceMark(provider); // the namespace is read while the provider starts
  const [owner, whose] = await Promise.all([mark, namespaceOwner(cluster, settings.namespace, mark)]);
  const planned: PlannedObject[] = [];
  const transformations = [ownAndRecord(owner, planned)];
  let release!: (checks: Promise<pulumi.Resource[]>) => void;
  const checked = new Promise<pulumi.Resource[]>((resolve) => (release = resolve));
  const outputs = deploy(settings, { provider, namespaceExists: whose === "theirs", checked, transformations });
  // The registrations waiting for the checks end with the program's own error object, which the runtime reports once.
  const notes = checkPlanned(cluster, planned, owner, settings.adoptExisting).catch(fail);
  release(notes.then(() => []));
  for (const note of await notes) pulumi.log.info(note);
  return outputs;
}
export default main().catch(fail);
