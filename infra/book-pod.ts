// What every scenario pod shares: the book's single nginx container, validated names, and what
// `pulumi up` waits for: readiness, or the state the book predicts for pods that never get ready.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel, checkImage, checkInteger, checkOneOf, PULL_POLICIES } from "./checks";
import { checkHook, type Hook } from "./hooks";
import { describePodState, formatDuration, type Until } from "./pod-state";
import { type PodWatch, podWatchFor } from "./pod-watch";

/** Arguments every scenario pod takes. */
export interface PodArgs {
  /** The pod's name. @default the book's name of the scenario's pod */
  name?: string;
  /** The namespace. @default the Kubernetes provider's namespace, usually `default` (the book sets none) */
  namespace?: string;
  /**
   * The container image; one that already has `sh`, `curl` and `fortune` runs without the internet.
   * @default "nginx:alpine"
   */
  image?: string;
  /** `Always`, `IfNotPresent` or `Never`. @default Kubernetes' own (the book sets none) */
  imagePullPolicy?: string;
  /**
   * `true`: `pulumi up` watches the pod on the cluster of the component's Kubernetes provider and fails within seconds
   * of a failed hook or an image that cannot be pulled, with the kubelet's message. @default false: the Kubernetes
   * provider's own await, which waits until its timeout (10 minutes for a pod) when the hook or image fails
   */
  failFast?: boolean;
  /**
   * How long `pulumi up` waits for the pod beyond what its scenario takes by design (the slow hook's sleep), 10 to
   * 86400 s; past it, `up` fails naming the pod and what it still waited for. @default 300
   */
  waitMarginSeconds?: number;
}

export const BOOK_IMAGE = "nginx:alpine";

/**
 * What `pulumi up` waits for: the pod to be ready, or, for a pod that by design never is, the state the book
 * predicts, so that `up` succeeds only when the book's behaviour happened and the output `state` shows it.
 */
export interface Readiness {
  until: Until;
  /** what the scenario waits for, in words (the output `readiness`) */
  expected: string;
  /** how long the pod takes by design to get there (the slow hook's sleep), and why, in words */
  byDesign?: { seconds: number; note: string };
}

/** How long `pulumi up` waits at most for a pod: what it takes by design plus the margin, with both in words. */
export function waitBound(readiness: Readiness, args: PodArgs): { seconds: number; words: string } {
  const margin = args.waitMarginSeconds ?? 300;
  const design = readiness.byDesign;
  const seconds = (design?.seconds ?? 0) + margin;
  const marginWords = `a margin of ${formatDuration(margin * 1000)} (waitMarginSeconds)`;
  const why = design ? `${design.note}, plus ${marginWords}` : marginWords;
  return { seconds, words: `at most ${formatDuration(seconds * 1000)}: ${why}` };
}

/** The provider's own await, where no PodWatch waits: a JSONPath condition per state waited for. */
const PROVIDER_WAIT_FOR: Record<Until, string | undefined> = {
  ready: undefined,
  "hook-failed": "jsonpath={.status.containerStatuses[0].state.waiting.reason}=PostStartHookError",
  terminated: "jsonpath={.status.containerStatuses[0].state.terminated}",
};

/**
 * What the provider waits for: with failFast only for the object to exist (the watch stops at a final failure, the
 * provider would not); else `readiness`. Not `pulumi.com/skipAwait`: it also skips waiting for a delete, and a pod
 * with a fixed name would then be created again while the old one still terminates.
 */
export function awaitAnnotations(readiness: Readiness, args: PodArgs): Record<string, string> | undefined {
  if (args.failFast) return { "pulumi.com/waitFor": "jsonpath={.metadata.uid}" };
  const waitFor = PROVIDER_WAIT_FOR[readiness.until];
  if (!waitFor) return undefined;
  return { "pulumi.com/waitFor": waitFor, "pulumi.com/timeoutSeconds": String(waitBound(readiness, args).seconds) };
}

/**
 * Runs a component's checks of its arguments: a bad one fails as a ResourceError of the component, without a stack
 * trace.
 */
export function checkArgs<T>(component: pulumi.Resource, check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw e instanceof Error && !pulumi.ResourceError.isInstance(e)
      ? new pulumi.ResourceError(e.message, component, true)
      : e;
  }
}

/** The checked arguments every pod takes; `setting` prefixes their names in messages (`receiver.`). */
export function checkPodArgs(args: PodArgs, prefix = "") {
  if (args.namespace !== undefined) checkDnsLabel(`${prefix}namespace`, args.namespace);
  if (args.waitMarginSeconds !== undefined)
    checkInteger(`${prefix}waitMarginSeconds`, args.waitMarginSeconds, 10, 86_400, "a whole number of seconds");
  return {
    image: checkImage(`${prefix}image`, args.image ?? BOOK_IMAGE),
    imagePullPolicy:
      args.imagePullPolicy === undefined
        ? undefined
        : checkOneOf(`${prefix}imagePullPolicy`, args.imagePullPolicy, PULL_POLICIES),
  };
}

export interface HookPodSpec {
  name: string;
  postStart: Hook;
  readiness: Readiness;
  /** Replaces the image's command (the slow httpGet scenario delays nginx's start). */
  command?: string[];
  restartPolicy?: string;
  dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/** The scenario's pod, a child of `parent`: one container `nginx` serving port 80 (named `http`). */
export function createHookPod(parent: pulumi.ComponentResource, args: PodArgs, spec: HookPodSpec): k8s.core.v1.Pod {
  const { image, imagePullPolicy, name, lifecycle } = checkArgs(parent, () => ({
    ...checkPodArgs(args),
    name: checkDnsLabel("name", spec.name),
    lifecycle: { postStart: checkHook(spec.postStart, "postStart") },
  }));
  const ports = [{ name: "http", containerPort: 80 }];
  const container = { name: "nginx", image, imagePullPolicy, command: spec.command, ports, lifecycle };
  return new k8s.core.v1.Pod(
    name,
    {
      metadata: { name, namespace: args.namespace, annotations: awaitAnnotations(spec.readiness, args) },
      spec: { restartPolicy: spec.restartPolicy, containers: [container] },
    },
    // A pod's hook cannot change in place, and a fixed name cannot exist twice: delete, then create.
    { parent, dependsOn: spec.dependsOn, deleteBeforeReplace: true },
  );
}

/** Where the pod is; the API server fills in `default` for a pod created without a namespace. */
export function namespaceOf(pod: k8s.core.v1.Pod): pulumi.Output<string> {
  return pod.metadata.namespace.apply((namespace) => namespace ?? "default");
}

/** The outputs every scenario component has: its pod, where it is, what `up` waited for, and the state it reached. */
export function podOutputs(
  component: pulumi.ComponentResource,
  pod: k8s.core.v1.Pod,
  readiness: Readiness,
  args: PodArgs,
) {
  const bound = waitBound(readiness, args);
  const waits =
    readiness.until === "ready"
      ? "pulumi up waits until the pod is ready"
      : `pulumi up does not wait for the pod to be ready (it never is): it waits for ${readiness.expected}`;
  return {
    podName: pod.metadata.name,
    namespace: namespaceOf(pod),
    readiness: pulumi.output(`${waits}, ${bound.words}`),
    state: podState(component, pod, readiness, bound.seconds, args),
  };
}

/** The watch `pulumi up` waits with, where it waits at all: with failFast, in an update. */
export function watchOf(component: pulumi.Resource, args: { failFast?: boolean }): PodWatch | undefined {
  return args.failFast && !pulumi.runtime.isDryRun() ? podWatchFor(component) : undefined;
}

/**
 * The state the pod reached. With failFast, `pulumi up` waits here and the output rejects with the pod's failure
 * (the update then fails under the component); else, and in a preview, what the provider last read.
 */
function podState(
  component: pulumi.ComponentResource,
  pod: k8s.core.v1.Pod,
  readiness: Readiness,
  timeoutSeconds: number,
  args: PodArgs,
): pulumi.Output<string> {
  const watch = watchOf(component, args);
  if (!watch) return pod.status.apply(describePodState);
  const note = readiness.byDesign?.note;
  return pulumi
    .all([namespaceOf(pod), pod.metadata.name, pod.metadata.uid])
    .apply(([namespace, name, uid]) =>
      waitOrFail(watch, { namespace, name, uid, until: readiness.until, timeoutSeconds, note }, component),
    );
}

/** `watch.wait`, its progress in the status column of Pulumi's display, its failure a ResourceError of `component`. */
export function waitOrFail(watch: PodWatch, target: Parameters<PodWatch["wait"]>[0], component: pulumi.Resource) {
  // An ephemeral message: the status column of Pulumi's progress display, not a diagnostic kept at the end.
  const progress = (message: string) => void pulumi.log.info(message, component, undefined, true);
  return watch.wait(target, progress).catch((e: Error) => {
    throw new pulumi.ResourceError(e.message, component, true);
  });
}

/** Options of a component of type `poststart:index:<kind>`, aliased to the type stacks before 0.2 recorded it by. */
export function componentOptions(
  kind: string,
  opts?: pulumi.ComponentResourceOptions,
): pulumi.ComponentResourceOptions {
  return { ...opts, aliases: [...(opts?.aliases ?? []), { type: `poststart-lab:index:${kind}` }] };
}
