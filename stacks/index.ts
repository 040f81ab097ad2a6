// The Pulumi program's entry: read the stack's config, check what it would touch on the cluster,
// deploy, and export each scenario's outputs once its pods are where the book says.
import * as pulumi from "@pulumi/pulumi";
import { KubeClient } from "../cluster/kube";
import { type ClusterPodWatch, clusterPodWatch } from "../cluster/pod-watch";
import type { PodOutputs, PodWatch } from "../infra";
import { checkPlanned, namespaceOwner, ownAndRecord, type PlannedObject } from "./cluster-check";
import { clusterProvider, deploy } from "./program";
import { CLUSTER_CONTEXTS, parseSettings } from "./settings";
import { stackInstanceMark } from "./stack-instance";

type Outputs = Record<string, PodOutputs | pulumi.Output<unknown>>;

async function main(): Promise<Outputs> {
  const settings = parseSettings(pulumi.runtime.allConfig());
  const context = CLUSTER_CONTEXTS[settings.cluster];
  // The provider plugin starts (in its own process) while this one reads the cluster.
  const provider = clusterProvider(settings);
  const cluster = KubeClient.connect(context);
  const owner = await stackInstanceMark(provider);
  const namespace = await namespaceOwner(cluster, settings.namespace, owner);
  const planned: PlannedObject[] = [];
  let open!: (resources: pulumi.Resource[]) => void;
  let refuse!: (e: Error) => void;
  const checked = new Promise<pulumi.Resource[]>((resolve, reject) => ((open = resolve), (refuse = reject)));
  const podWatch = withFail(clusterPodWatch(cluster));
  const outputs = deploy(settings, {
    provider,
    namespaceExists: namespace === "theirs",
    podWatch,
    checked,
    transformations: [ownAndRecord(owner, planned)],
  });
  try {
    for (const note of await checkPlanned(cluster, planned, owner, settings.adoptExisting)) pulumi.log.info(note);
  } catch (e) {
    // The same error ends the waiting registrations: the runtime reports it once.
    const error = ownWords(userError(e));
    refuse(error);
    throw error;
  }
  open([]);
  if (pulumi.runtime.isDryRun()) return outputs;
  // An update: the outputs once each scenario's pods got where they should. After a failure the
  // update ends with that failure's error, already printed under its resource: the same error
  // object, which the runtime prints no second time (a program that ended normally would have it
  // printed again, as "One or more errors occurred: ..."), and no output for a pod that is not there.
  const settled = (o: PodOutputs) => new Promise<unknown>((resolve) => pulumi.output(o).apply(resolve));
  const all = Promise.all(Object.entries(outputs).map(async ([scenario, o]) => [scenario, await settled(o)] as const));
  const entries = await Promise.race([all, podWatch.failed.then(() => undefined)]);
  // `fail` resolves with the first failure's error, the one reported; the argument is not used then.
  if (!entries) throw await podWatch.fail(new pulumi.ResourceError("the update failed", undefined));
  return Object.fromEntries(entries.map(([scenario, o]) => [scenario, pulumi.output(o)]));
}

/**
 * The cluster's PodWatch with the `fail` that infra's PodWatch still asks for: the first failure is thrown uncaught,
 * as Pulumi's runtime expects one (it prints it under its resource, once, and fails the update); `failed` resolves
 * then, and the waits still running stop waiting (and saying so) for it.
 */
function withFail(watch: ClusterPodWatch): PodWatch & { failed: Promise<void> } {
  let onFailure!: () => void;
  let reported: Promise<Error> | undefined;
  const failed = new Promise<void>((resolve) => (onFailure = resolve));
  return {
    ...watch,
    failed,
    wait: (target, progress) => {
      const stopped = () => Promise.reject(new Error(`${target.name}: not waited for: the update failed`));
      if (reported) return stopped();
      return Promise.race([watch.wait(target, (m) => reported || progress?.(m)), failed.then(stopped)]);
    },
    fail: (error) =>
      (reported ??= new Promise<Error>((resolve) =>
        setImmediate(() => {
          resolve(error);
          onFailure();
          throw error;
        }),
      )),
  };
}

/**
 * Keeps the error's message as it is: the runtime prefixes `error serializing property "spec": `
 * to the error of a registration that waited for a failed one's outputs, and it is this same error
 * object that it prints (once).
 */
function ownWords<E extends Error>(error: E): E {
  const message = error.message;
  Object.defineProperty(error, "message", { get: () => message, set: () => {}, configurable: true });
  return error;
}

/**
 * A bad setting or what the cluster holds is the user's to fix: the message, without a stack trace (a component's own
 * error stays under the component).
 */
function userError(e: unknown): pulumi.RunError | pulumi.ResourceError {
  return pulumi.RunError.isInstance(e) || pulumi.ResourceError.isInstance(e)
    ? e
    : new pulumi.RunError(e instanceof Error ? e.message : String(e));
}

export = main().catch((e: unknown) => {
  throw userError(e);
});
