// What every scenario pod shares: the book's single nginx container, validated names, and what
// `pulumi up` waits for: readiness, or the state the book predicts for pods that never get ready.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel, checkImage, checkPullPolicy, checkSeconds, type PullPolicy } from "./checks";
import { checkHook, type Hook } from "./hooks";
import { describePodState, formatDuration, type Until } from "./pod-state";
import { type PodWatch, reach } from "./pod-watch";

export const BOOK_IMAGE = "nginx:alpine";

/** Arguments every scenario component takes. */
export interface BookPodArgs {
  /** The pod's name. @default the book's name of the scenario's pod */
  readonly name?: string;
  /** The namespace. @default the provider's namespace, usually `default` (the book sets none) */
  readonly namespace?: string;
  /**
   * The container image; an image that already has `sh`, `curl` and `fortune` can run without internet. @default
   * "nginx:alpine"
   */
  readonly image?: string;
  /** @default Kubernetes' own default (the book sets none) */
  readonly imagePullPolicy?: PullPolicy;
  /**
   * Who `pulumi up` waits with: a PodWatch stops it within seconds of a failed hook or an image
   * that cannot be pulled, naming the cause. @default none: the Kubernetes provider's own await,
   * which waits until its timeout (10 minutes for a pod) when the hook or image fails
   */
  readonly podWatch?: PodWatch;
  /**
   * How long `pulumi up` waits for the pod beyond what its scenario takes by design (the slow
   * hook's sleep); past it, `up` fails naming the pod and what it still waited for. @default 300
   */
  readonly waitMarginSeconds?: number;
}

/** A pod that gets where it should takes seconds, an image pull on a slow network minutes: 5 minutes' margin. */
export const DEFAULT_WAIT_MARGIN_SECONDS = 300;

/** The margin's one rule (the component's argument and the stack setting alike). */
export function checkWaitMargin(setting: string, seconds: number): number {
  return checkSeconds(setting, seconds, 10, 86_400);
}

/**
 * What `pulumi up` waits for: the pod to be ready, or, for a pod that by design never is, the
 * state the book predicts, so that `up` succeeds only when the book's behaviour happened and the
 * output `state` shows it.
 */
export interface Readiness {
  until: Until;
  /** what the scenario waits for, in words (the output `readiness`) */
  expected: string;
  /** how long the pod takes by design to get there (the slow hook's sleep), and why, in words */
  byDesign?: { seconds: number; note: string };
}

/** How long `pulumi up` waits at most for a pod: what it takes by design plus the margin; with both in words. */
export interface WaitBound {
  seconds: number;
  /** e.g. `at most 5m15s: the slow hook sleeps 15 s, plus a margin of 5m00s (waitMarginSeconds)` */
  words: string;
}

export function waitBound(readiness: Readiness, marginSeconds = DEFAULT_WAIT_MARGIN_SECONDS): WaitBound {
  const design = readiness.byDesign;
  const seconds = (design?.seconds ?? 0) + marginSeconds;
  const margin = `${formatDuration(marginSeconds * 1000)} (waitMarginSeconds)`;
  return {
    seconds,
    words: `at most ${formatDuration(seconds * 1000)}: ${design ? `${design.note}, plus a margin of ${margin}` : `a margin of ${margin}`}`,
  };
}

/** The provider's own await, where no PodWatch waits: a JSONPath condition per state waited for. */
const PROVIDER_WAIT_FOR: Record<Until, string | undefined> = {
  ready: undefined,
  "hook-failed": "jsonpath={.status.containerStatuses[0].state.waiting.reason}=PostStartHookError",
  terminated: "jsonpath={.status.containerStatuses[0].state.terminated}",
};

/**
 * What the provider waits for: where a PodWatch waits (it stops at a final failure, the provider
 * would not), only for the object to exist; else `readiness`. Not `pulumi.com/skipAwait`: for
 * pods and Deployments it also skips waiting for a delete, and a replacement of a pod with a fixed
 * name would then be created while the old one still terminates.
 */
export function awaitAnnotations(
  readiness: Readiness,
  args: Pick<BookPodArgs, "podWatch" | "waitMarginSeconds">,
): Record<string, string> | undefined {
  if (args.podWatch) return { "pulumi.com/waitFor": "jsonpath={.metadata.uid}" };
  const waitFor = PROVIDER_WAIT_FOR[readiness.until];
  return waitFor
    ? {
        "pulumi.com/waitFor": waitFor,
        "pulumi.com/timeoutSeconds": String(waitBound(readiness, args.waitMarginSeconds).seconds),
      }
    : undefined;
}

export interface HookPodSpec {
  name: string;
  postStart: Hook;
  readiness: Readiness;
  /** Replaces the image's command (the slow httpGet scenario delays nginx's start). */
  command?: string[];
  restartPolicy?: "Always" | "OnFailure" | "Never";
  dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

/**
 * Runs a component's checks of its arguments: a bad one fails as a ResourceError of the component,
 * which the CLI prints under it, without a stack trace.
 */
export function checkArgs<T>(component: pulumi.Resource, check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw pulumi.ResourceError.isInstance(e) || !(e instanceof Error)
      ? e
      : new pulumi.ResourceError(e.message, component, true);
  }
}

/** Creates the scenario's pod as a child of `parent`: one container `nginx` serving port 80 (named `http`). */
export function createHookPod(parent: pulumi.ComponentResource, args: BookPodArgs, spec: HookPodSpec): k8s.core.v1.Pod {
  const { name, image, imagePullPolicy, lifecycle } = checkArgs(parent, () => {
    if (args.namespace !== undefined) checkDnsLabel("namespace", args.namespace);
    if (args.waitMarginSeconds !== undefined) checkWaitMargin("waitMarginSeconds", args.waitMarginSeconds);
    return {
      name: checkDnsLabel("name", spec.name),
      image: checkImage("image", args.image ?? BOOK_IMAGE),
      imagePullPolicy: checkPullPolicy("imagePullPolicy", args.imagePullPolicy),
      lifecycle: { postStart: checkHook(spec.postStart, "postStart") },
    };
  });
  return new k8s.core.v1.Pod(
    name,
    {
      metadata: {
        name,
        namespace: args.namespace,
        annotations: awaitAnnotations(spec.readiness, args),
      },
      spec: {
        restartPolicy: spec.restartPolicy,
        containers: [
          {
            name: "nginx",
            image,
            imagePullPolicy,
            command: spec.command,
            ports: [{ name: "http", containerPort: 80 }],
            lifecycle,
          },
        ],
      },
    },
    // A pod's hook cannot change in place, and a fixed name cannot exist twice: delete, then create.
    { parent, dependsOn: spec.dependsOn, deleteBeforeReplace: true },
  );
}

/** The outputs every scenario component registers. */
export type PodOutputs = ReturnType<typeof podOutputs>;

export function podOutputs(pod: k8s.core.v1.Pod, readiness: Readiness, args: BookPodArgs) {
  const bound = waitBound(readiness, args.waitMarginSeconds);
  return {
    podName: pod.metadata.name,
    namespace: namespaceOf(pod),
    readiness:
      readiness.until === "ready"
        ? `pulumi up waits until the pod is ready, ${bound.words}`
        : `pulumi up does not wait for the pod to be ready (it never is): it waits for ${readiness.expected}, ${bound.words}`,
    /**
     * The state of the pod this update created when `pulumi up` went on, e.g. the hook's PostStartHookError message.
     */
    state: podState(pod, readiness, bound, args.podWatch),
  };
}

/**
 * With a PodWatch, `pulumi up` waits here and fails with the cause (the output is then absent: it
 * would describe no pod that exists); a preview only describes what the provider last read.
 */
function podState(
  pod: k8s.core.v1.Pod,
  readiness: Readiness,
  bound: WaitBound,
  podWatch: PodWatch | undefined,
): pulumi.Output<string | undefined> {
  if (!podWatch || pulumi.runtime.isDryRun()) return pod.status.apply(describePodState);
  const { until, byDesign } = readiness;
  return pulumi
    .all([namespaceOf(pod), pod.metadata.name, pod.metadata.uid])
    .apply(([namespace, name, uid]) =>
      reach(
        podWatch,
        { namespace, name, uid, until, timeoutSeconds: bound.seconds, ...(byDesign ? { note: byDesign.note } : {}) },
        pod,
      ).then((r) => ("state" in r ? r.state : undefined)),
    );
}

/** Where the pod is; the API server fills in `default` for a pod created without a namespace. */
export function namespaceOf(pod: k8s.core.v1.Pod): pulumi.Output<string> {
  return pod.metadata.namespace.apply((namespace) => namespace ?? "default");
}
