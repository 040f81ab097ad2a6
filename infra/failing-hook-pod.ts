// The failing hook: the kubelet kills the container when its post-start hook exits non-zero,
// then restarts it (CrashLoopBackOff), or with `restartPolicy: Never` leaves the pod `Failed`.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type BookPodArgs, checkArgs, createHookPod, type PodOutputs, podOutputs, type Readiness } from "./book-pod";
import { checkRestartPolicy, type RestartPolicy } from "./checks";
import { hooks } from "./hooks";

export const BOOK_FAILURE_MESSAGE = "Emulating a post-start hook failure";

export interface FailingHookPodArgs extends BookPodArgs {
  /** @default "quote-poststart-fail" */
  readonly name?: string;
  /** What the hook prints before it fails. @default "Emulating a post-start hook failure" */
  readonly message?: string;
  /** @default 1 */
  readonly exitCode?: number;
  /**
   * `Never` shows the pod ending `Failed` instead of restarting. @default Kubernetes' default, `Always` (the book sets
   * none)
   */
  readonly restartPolicy?: RestartPolicy;
}

export class FailingHookPod extends pulumi.ComponentResource {
  public readonly pod: k8s.core.v1.Pod;
  public readonly outputs: PodOutputs;

  constructor(name: string, args: FailingHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart-lab:index:FailingHookPod", name, {}, opts);
    const { restartPolicy, postStart } = checkArgs(this, () => ({
      restartPolicy: checkRestartPolicy("restartPolicy", args.restartPolicy),
      postStart: hooks.failure(args.message ?? BOOK_FAILURE_MESSAGE, args.exitCode ?? 1),
    }));
    // The kubelet reports a failed hook as the container's short-lived waiting reason PostStartHookError,
    // with the hook's output; without restarts, the container is just terminated.
    const readiness: Readiness =
      restartPolicy === "Never"
        ? { until: "terminated", expected: "its container to be terminated, not restarted" }
        : { until: "hook-failed", expected: "PostStartHookError: its hook failed and the container is restarted" };
    this.pod = createHookPod(this, args, {
      name: args.name ?? "quote-poststart-fail",
      postStart,
      restartPolicy,
      readiness,
    });
    this.outputs = podOutputs(this.pod, readiness, args);
    this.registerOutputs(this.outputs);
  }
}
