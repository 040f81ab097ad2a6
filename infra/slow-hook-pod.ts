// The slow hook: the quote script with a `sleep` after the install step, so the container stays
// `Waiting` (`ContainerCreating`) and the pod `Pending` while nginx already runs.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkArgs, createHookPod, podOutputs, type Readiness } from "./book-pod";
import { checkDelaySeconds } from "./checks";
import { hooks } from "./hooks";
import {
  QUOTE_SERVED,
  type QuotePodOutputs,
  type QuotePostStartPodArgs,
  quoteAccess,
  quoteScriptSteps,
} from "./quote-pod";

export const BOOK_SLOW_HOOK_DELAY_SECONDS = 60;

export interface SlowHookPodArgs extends QuotePostStartPodArgs {
  /** @default "quote-poststart-slow" */
  readonly name?: string;
  /** How long the hook sleeps. @default 60 */
  readonly delaySeconds?: number;
}

export class SlowHookPod extends pulumi.ComponentResource {
  public readonly pod: k8s.core.v1.Pod;
  public readonly outputs: QuotePodOutputs;
  /** Where the pod serves its quote. */
  public readonly quote = QUOTE_SERVED;
  /** The file in the container that keeps the hook's output, if any. */
  public readonly hookOutputFile?: string;

  constructor(name: string, args: SlowHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart-lab:index:SlowHookPod", name, {}, opts);
    const delaySeconds = checkArgs(this, () =>
      checkDelaySeconds("delaySeconds", args.delaySeconds ?? BOOK_SLOW_HOOK_DELAY_SECONDS),
    );
    // The pod does get ready once the hook is done, so pulumi up waits: it returns when the quote is served.
    const readiness: Readiness = {
      until: "ready",
      expected: "the pod to be ready",
      byDesign: { seconds: delaySeconds, note: `the slow hook sleeps ${delaySeconds} s` },
    };
    this.pod = createHookPod(this, args, {
      name: args.name ?? "quote-poststart-slow",
      postStart: checkArgs(this, () =>
        hooks.script(quoteScriptSteps(args, delaySeconds), { outputFile: args.hookOutputFile }),
      ),
      readiness,
    });
    this.hookOutputFile = args.hookOutputFile;
    this.outputs = { ...podOutputs(this.pod, readiness, args), ...quoteAccess(this.pod) };
    this.registerOutputs(this.outputs);
  }
}
