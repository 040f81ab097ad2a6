// What every scenario pod shares: the book's nginx container, checked arguments, and what `pulumi up` waits for.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel, checkImage, checkInteger, checkOneOf, PULL_POLICIES } from "./checks.ts";
import { checkHook, type Hook } from "./hooks.ts";
import { describePodState, formatDuration, type Until } from "./pod-state.ts";
import { type PodWatch, podWatchFor, type WaitTarget } from "./pod-watch.ts";

export interface PodArgs {
  /** The pod's name. @default the book's name of the scenario's pod */
  name?: string;
  /** The namespace. @default the Kubernetes provider's namespace, usually `default` (the book sets none) */
  namespace?: string;
  /** The image; one that already has `sh`, `curl` and `fortune` runs without the internet. @default "nginx:alpine" */
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

/** What `up` waits for: readiness, or the state the book predicts for a pod never ready; `byDesign`: how long, why. */
export type Readiness = { until: Until; expected: string; byDesign?: { seconds: number; note: string } };
/** How long `pulumi up` waits at most for a pod: what it takes by design plus the margin, with both in words. */
export function waitBound(readiness: Readiness, args: PodArgs): { seconds: number; words: string } {
  const margin = args.waitMarginSeconds ?? 300;
  const design = readiness.byDesign;
  const seconds = (design?.seconds ?? 0) + margin;
  const marginWords = `a margin of ${formatDuration(margin * 1000)} (waitMarginSeconds)`;
  const why = design ? `${design.note}, plus ${marginWords}` : marginWords;
  return { seconds, words: `at most ${formatDuration(seconds * 1000)}: ${why}` };
}

/** The provider's own await, where no PodWatch waits: a JSONPath condition per state other than readiness. */
const PROVIDER_WAIT_FOR: Partial<Record<Until, string>> = {
  "hook-failed": "jsonpath={.status.containerStatuses[0].state.waiting.reason}=PostStartHookError",
  terminated: "jsonpath={.status.containerStatuses[0].state.terminated}",
};
/** The provider's await: with failFast the uid only, else `readiness` (not skipAwait: it skips a delete's wait too). */
export function providerAwait(readiness: Readiness, args: PodArgs): Record<string, string> | undefined {
  if (args.failFast) return { "pulumi.com/waitFor": "jsonpath={.metadata.uid}" };
  const waitFor = PROVIDER_WAIT_FOR[readiness.until];
  if (!waitFor) return undefined;
  return { "pulumi.com/waitFor": waitFor, "pulumi.com/timeoutSeconds": String(waitBound(readiness, args).seconds) };
}

/** Runs a component's checks of its arguments: a bad one fails as a ResourceError of the component, no stack trace. */
export function checkArgs<T>(component: pulumi.Resource, check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new pulumi.ResourceError((e as Error).message, component, true);
  }
}

/** The checked arguments every pod takes; `prefix` prefixes their names in messages (`receiver.`). */
export function checkPodArgs(args: PodArgs, prefix = "") {
  if (args.namespace !== undefined) checkDnsLabel(`${prefix}namespace`, args.namespace);
  if (args.waitMarginSeconds !== undefined)
    checkInteger(`${prefix}waitMarginSeconds`, args.waitMarginSeconds, 10, 86_400, "a whole number of seconds");
  const pullPolicy = args.imagePullPolicy;
  return {
    image: checkImage(`${prefix}image`, args.image ?? "nginx:alpine"),
    imagePullPolicy:
      pullPolicy === undefined ? undefined : checkOneOf(`${prefix}imagePullPolicy`, pullPolicy, PULL_POLICIES),
  };
}

interface HookPod {
  name: string;
  postStart: Hook;
  readiness: Readiness;
  /** Replaces the image's command (the slow httpGet scenario delays nginx's start). */
  command?: string[];
  restartPolicy?: string;
  dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/** The scenario's pod (`nginx`, port 80 `http`) and its outputs; with `watch`, `state` is waited for or rejects. */
export function createHookPod(parent: pulumi.Resource, args: PodArgs, spec: HookPod, watch = watchOf(parent, args)) {
  const { image, imagePullPolicy, name, lifecycle } = checkArgs(parent, () => ({
    ...checkPodArgs(args),
    name: checkDnsLabel("name", spec.name),
    lifecycle: { postStart: checkHook(spec.postStart, "postStart") },
  }));
  const ports = [{ name: "http", containerPort: 80 }];
  const container = { name: "nginx", image, imagePullPolicy, command: spec.command, ports, lifecycle };
  const { readiness } = spec;
  const metadata = { name, namespace: args.namespace, annotations: providerAwait(readiness, args) };
  const pod = new k8s.core.v1.Pod(
    name,
    { metadata, spec: { restartPolicy: spec.restartPolicy, containers: [container] } },
    // A pod's hook cannot change in place, and a fixed name cannot exist twice: delete, then create.
    { parent, dependsOn: spec.dependsOn, deleteBeforeReplace: true },
  );
  const bound = waitBound(readiness, args);
  const waits =
    readiness.until === "ready"
      ? "pulumi up waits until the pod is ready"
      : `pulumi up does not wait for the pod to be ready (it never is): it waits for ${readiness.expected}`;
  const namespace = namespaceOf(pod);
  const target = { until: readiness.until, timeoutSeconds: bound.seconds, note: readiness.byDesign?.note };
  const state = watch
    ? pulumi
        .all([namespace, pod.metadata.name, pod.metadata.uid])
        .apply(([namespace, name, uid]) => waitOrFail(watch, { namespace, name, uid, ...target }, parent))
    : pod.status.apply(describePodState);
  const waited = pulumi.output(`${waits}, ${bound.words}`);
  return { pod, outputs: { podName: pod.metadata.name, namespace, readiness: waited, state } };
}

/** Where the pod is; the API server fills in `default` for a pod created without a namespace. */
export const namespaceOf = (pod: k8s.core.v1.Pod) =>
  pod.metadata.namespace.apply((namespace) => namespace ?? "default");

/** The watch `pulumi up` waits with, where it waits at all: with failFast, in an update. */
export const watchOf = (component: pulumi.Resource, args: { failFast?: boolean }): PodWatch | undefined =>
  args.failFast && !pulumi.runtime.isDryRun() ? podWatchFor(component) : undefined;

/** `watch.wait`, its progress in the status column of Pulumi's display, its failure a ResourceError of `component`. */
export function waitOrFail(watch: PodWatch, target: WaitTarget, component: pulumi.Resource) {
  const progress = (message: string) => void pulumi.log.info(message, component, undefined, true);
  return watch.wait(target, progress).catch((e: Error) => {
    throw new pulumi.ResourceError(e.message, component, true);
  });
}

/** Options of a component of type `poststart:index:<kind>`, aliased to the type stacks before 0.2 recorded it by. */
export function componentOptions(kind: string, opts?: pulumi.ComponentResourceOptions) {
  return { ...opts, aliases: [...(opts?.aliases ?? []), { type: `poststart-lab:index:${kind}` }] };
}
