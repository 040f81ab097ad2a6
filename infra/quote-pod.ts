import * as pulumi from "@pulumi/pulumi";
import { checkArgs, componentOptions, createHookPod, type PodArgs } from "./book-pod.ts";
import { checkInteger, checkOutputFile, quotesFileName } from "./checks.ts";
import { hooks, type ScriptStep } from "./hooks.ts";

export { quotesFileName };
export const checkDelaySeconds = (setting: string, seconds: unknown) =>
  checkInteger(setting, seconds, 0, 3600, "a whole number of seconds");

export interface QuotePostStartPodArgs extends PodArgs {
  /** Installs `fortune`; `[]` skips the step, for an image that has it already. @default ["apk", "add", "fortune"] */
  installCommand?: string[];
  /**
   * The quotes file in fortune format; its strfile index is fetched from the same URL plus `.dat`.
   * @default "https://luksa.github.io/kiada/book-quotes.txt"
   */
  quotesUrl?: string;
  /** Where nginx finds the quote. @default "/usr/share/nginx/html/quote" */
  quotePath?: string;
  /** A file for the hook's output (`kubectl exec <pod> -- cat <file>`); a failed hook prints it. @default none */
  hookOutputFile?: string;
}
export interface SlowHookPodArgs extends QuotePostStartPodArgs {
  /** How long the hook sleeps after the install step, in whole seconds from 0 to 3600. @default 60 */
  delaySeconds?: number;
}

export const QUOTE_SERVED = { port: 80, path: "/quote" } as const;
/** The quote script's steps; `delaySeconds` adds the slow hook's `sleep` after the install step. */
export function quoteScriptSteps(args: QuotePostStartPodArgs, delaySeconds?: number): ScriptStep[] {
  const quotesUrl = args.quotesUrl ?? "https://luksa.github.io/kiada/book-quotes.txt";
  const quotesFile = quotesFileName("quotesUrl", quotesUrl);
  const install = args.installCommand ?? ["apk", "add", "fortune"];
  return [
    ...(install.length > 0 ? [{ run: install }] : []),
    ...(delaySeconds !== undefined ? [{ run: ["sleep", String(delaySeconds)] }] : []),
    // -f, not the book's -O alone: a 404 would save the error page for fortune to serve; -f fails the hook at curl.
    { run: ["curl", "-fO", quotesUrl] },
    { run: ["curl", "-fO", `${quotesUrl}.dat`] },
    { run: ["fortune", quotesFile], stdoutTo: args.quotePath ?? "/usr/share/nginx/html/quote" },
  ];
}

/** The quote pod of `component` and its outputs: how the book reaches the quote (a port-forward to port 1080). */
function quotePod(component: pulumi.ComponentResource, name: string, args: QuotePostStartPodArgs, delay?: number) {
  const postStart = checkArgs(component, () => {
    if (args.hookOutputFile !== undefined) checkOutputFile("hookOutputFile", args.hookOutputFile);
    return hooks.script(quoteScriptSteps(args, delay), { outputFile: args.hookOutputFile });
  });
  const byDesign = delay === undefined ? undefined : { seconds: delay, note: `the slow hook sleeps ${delay} s` };
  const readiness = { until: "ready" as const, expected: "the pod to be ready", byDesign };
  const { outputs } = createHookPod(component, args, { name, postStart, readiness });
  const ports = `1080:${QUOTE_SERVED.port}`;
  return {
    ...outputs,
    portForward: pulumi.interpolate`kubectl port-forward -n ${outputs.namespace} ${outputs.podName} ${ports}`,
    quoteUrl: pulumi.output(`http://localhost:1080${QUOTE_SERVED.path}`),
    ...(args.hookOutputFile !== undefined ? { hookOutputFile: pulumi.output(args.hookOutputFile) } : {}),
    ...(delay !== undefined ? { delaySeconds: pulumi.output(delay) } : {}),
  };
}

/** The book's quote service: nginx serves a quote that the post-start hook writes with `fortune`. */
export class QuotePostStartPod extends pulumi.ComponentResource {
  /** The pod's name. */
  public readonly podName!: pulumi.Output<string>;
  /** The pod's namespace. */
  public readonly namespace!: pulumi.Output<string>;
  /** What `pulumi up` waits for, and how long at most. */
  public readonly readiness!: pulumi.Output<string>;
  /** The pod's state when `pulumi up` went on; with failFast, rejected with the pod's failure. */
  public readonly state!: pulumi.Output<string>;
  /** The book's port-forward command to reach the quote. */
  public readonly portForward!: pulumi.Output<string>;
  /** The quote's URL once that port-forward runs. */
  public readonly quoteUrl!: pulumi.Output<string>;
  /** The file in the container that keeps the hook's output, if asked for. */
  public readonly hookOutputFile?: pulumi.Output<string>;

  constructor(name: string, args: QuotePostStartPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:QuotePostStartPod", name, {}, componentOptions("QuotePostStartPod", opts));
    const o = quotePod(this, args.name ?? "quote-poststart", args);
    Object.assign(this, o);
    this.registerOutputs(o);
  }
}

/** The slow hook: the quote pod with a `sleep` in its hook, so the container stays `ContainerCreating` meanwhile. */
export class SlowHookPod extends pulumi.ComponentResource {
  /** The pod's name. */
  public readonly podName!: pulumi.Output<string>;
  /** The pod's namespace. */
  public readonly namespace!: pulumi.Output<string>;
  /** What `pulumi up` waits for, and how long at most. */
  public readonly readiness!: pulumi.Output<string>;
  /** The pod's state when `pulumi up` went on; with failFast, rejected with the pod's failure. */
  public readonly state!: pulumi.Output<string>;
  /** The book's port-forward command to reach the quote. */
  public readonly portForward!: pulumi.Output<string>;
  /** The quote's URL once that port-forward runs. */
  public readonly quoteUrl!: pulumi.Output<string>;
  /** The file in the container that keeps the hook's output, if asked for. */
  public readonly hookOutputFile?: pulumi.Output<string>;
  /** How long the hook sleeps, in seconds. */
  public readonly delaySeconds!: pulumi.Output<number>;

  constructor(name: string, args: SlowHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:SlowHookPod", name, {}, componentOptions("SlowHookPod", opts));
    const delay = checkArgs(this, () => checkDelaySeconds("delaySeconds", args.delaySeconds ?? 60));
    const o = quotePod(this, args.name ?? "quote-poststart-slow", args, delay);
    Object.assign(this, o);
    this.registerOutputs(o);
  }
}
