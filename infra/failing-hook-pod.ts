import * as pulumi from "@pulumi/pulumi";
import { checkArgs, componentOptions, createHookPod, type PodArgs, type Readiness } from "./book-pod.ts";
import { checkOneOf } from "./checks.ts";
import { hooks } from "./hooks.ts";

export interface FailingHookPodArgs extends PodArgs {
  /** What the hook prints before it fails. @default "Emulating a post-start hook failure" */
  message?: string;
  /** The hook's exit code, 1 to 255. @default 1 */
  exitCode?: number;
  /** `Always`, `OnFailure` or `Never`; `Never` shows the pod ending `Failed`. @default Kubernetes' own, `Always` */
  restartPolicy?: string;
}

/** The failing hook: the kubelet kills the container when its hook exits non-zero, then restarts it. */
export class FailingHookPod extends pulumi.ComponentResource {
  /** The pod's name. */
  public readonly podName!: pulumi.Output<string>;
  /** The pod's namespace. */
  public readonly namespace!: pulumi.Output<string>;
  /** What `pulumi up` waits for (the hook's failure, as the book predicts), and how long at most. */
  public readonly readiness!: pulumi.Output<string>;
  /** The pod's state when `pulumi up` went on, e.g. the hook's PostStartHookError message. */
  public readonly state!: pulumi.Output<string>;

  constructor(name: string, args: FailingHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:FailingHookPod", name, {}, componentOptions("FailingHookPod", opts));
    const restartPolicy = args.restartPolicy;
    const postStart = checkArgs(this, () => {
      if (restartPolicy !== undefined) checkOneOf("restartPolicy", restartPolicy, ["Always", "OnFailure", "Never"]);
      return hooks.failure(args.message ?? "Emulating a post-start hook failure", args.exitCode ?? 1);
    });
    const readiness: Readiness =
      restartPolicy === "Never"
        ? { until: "terminated", expected: "its container to be terminated, not restarted" }
        : { until: "hook-failed", expected: "PostStartHookError: its hook failed and the container is restarted" };
    const spec = { name: args.name ?? "quote-poststart-fail", postStart, restartPolicy, readiness };
    const o = createHookPod(this, args, spec).outputs;
    Object.assign(this, o);
    this.registerOutputs(o);
  }
}
