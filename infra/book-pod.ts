// What every scenario pod shares: the book's single nginx container, validated names, and what
// `pulumi up` waits for: readiness, or the state the book predicts for pods that never get ready.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel, checkImage, checkPullPolicy, type PullPolicy } from "./checks";
import { checkHook, type Hook } from "./hooks";
import { type PodWatch, reach } from "./pod-watch";
import { describePodState, type Until } from "./pod-state";

export const BOOK_IMAGE = "nginx:alpine";

/** Arguments every scenario component takes. */
export interface BookPodArgs {
  /** The pod's name. @default the book's name of the scenario's pod */
  readonly name?: string;
  /** The namespace. @default the provider's namespace, usually `default` (the book sets none) */
  readonly namespace?: string;
  /** The container image; an image that already has `sh`, `curl` and `fortune` can run without internet. @default "nginx:alpine" */
  readonly image?: string;
  /** @default Kubernetes' own default (the book sets none) */
  readonly imagePullPolicy?: PullPolicy;
  /**
   * Who `pulumi up` waits with: a PodWatch stops it within seconds of a failed hook or an image
   * that cannot be pulled, naming the cause. @default none: the Kubernetes provider's own await,
   * which waits until its timeout (10 minutes for a pod) when the hook or image fails
   */
  readonly podWatch?: PodWatch;
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
  /** @default 300 */
  timeoutSeconds?: number;
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
export function awaitAnnotations(readiness: Readiness, podWatch: PodWatch | undefined): Record<string, string> | undefined {
  if (podWatch) return { "pulumi.com/waitFor": "jsonpath={.metadata.uid}" };
  const waitFor = PROVIDER_WAIT_FOR[readiness.until];
  return waitFor ? { "pulumi.com/waitFor": waitFor, "pulumi.com/timeoutSeconds": String(readiness.timeoutSeconds ?? 300) } : undefined;
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
    throw pulumi.ResourceError.isInstance(e) || !(e instanceof Error) ? e : new pulumi.ResourceError(e.message, component, true);
  }
}

/** Creates the scenario's pod as a child of `parent`: one container `nginx` serving port 80 (named `http`). */
export function createHookPod(parent: pulumi.ComponentResource, args: BookPodArgs, spec: HookPodSpec): k8s.core.v1.Pod {
  const { name, image, imagePullPolicy, lifecycle } = checkArgs(parent, () => {
    if (args.namespace !== undefined) checkDnsLabel("namespace", args.namespace);
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
        annotations: awaitAnnotations(spec.readiness, args.podWatch),
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

export function podOutputs(pod: k8s.core.v1.Pod, readiness: Readiness, podWatch: PodWatch | undefined) {
  return {
    podName: pod.metadata.name,
    namespace: namespaceOf(pod),
    readiness:
      readiness.until === "ready"
        ? "pulumi up waited until the pod was ready"
        : `pulumi up did not wait for the pod to be ready (it never is): it waited for ${readiness.expected}`,
    /** The state of the pod this update created when `pulumi up` went on, e.g. the hook's PostStartHookError message. */
    state: podState(pod, readiness, podWatch),
  };
}

/**
 * With a PodWatch, `pulumi up` waits here and fails with the cause (the output is then absent: it
 * would describe no pod that exists); a preview only describes what the provider last read.
 */
function podState(pod: k8s.core.v1.Pod, readiness: Readiness, podWatch: PodWatch | undefined): pulumi.Output<string | undefined> {
  if (!podWatch || pulumi.runtime.isDryRun()) return pod.status.apply(describePodState);
  return pulumi.all([namespaceOf(pod), pod.metadata.name, pod.metadata.uid]).apply(([namespace, name, uid]) =>
    reach(podWatch, { namespace, name, uid, until: readiness.until, timeoutSeconds: readiness.timeoutSeconds ?? 300 }, pod).then((r) =>
      "state" in r ? r.state : undefined,
    ),
  );
}

/** Where the pod is; the API server fills in `default` for a pod created without a namespace. */
export function namespaceOf(pod: k8s.core.v1.Pod): pulumi.Output<string> {
  return pod.metadata.namespace.apply((namespace) => namespace ?? "default");
}
