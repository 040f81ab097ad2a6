// The book's quote service: nginx serves a quote that the post-start hook writes with `fortune`.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  type BookPodArgs,
  checkArgs,
  createHookPod,
  namespaceOf,
  type PodOutputs,
  podOutputs,
  type Readiness,
} from "./book-pod";
import { checkOutputFile, quotesFileName } from "./checks";
import { hooks, type ScriptStep } from "./hooks";

export const BOOK_QUOTES_URL = "https://luksa.github.io/kiada/book-quotes.txt";
export const BOOK_INSTALL_COMMAND = ["apk", "add", "fortune"];
export const BOOK_QUOTE_PATH = "/usr/share/nginx/html/quote";

export interface QuotePostStartPodArgs extends BookPodArgs {
  /** @default "quote-poststart" */
  readonly name?: string;
  /** Installs `fortune`; `[]` skips the step, for an image that already has it. @default ["apk", "add", "fortune"] */
  readonly installCommand?: readonly string[];
  /**
   * The quotes file in fortune format; its strfile index is fetched from the same URL plus `.dat`. @default
   * "https://luksa.github.io/kiada/book-quotes.txt"
   */
  readonly quotesUrl?: string;
  /** Where nginx finds the quote. @default "/usr/share/nginx/html/quote" */
  readonly quotePath?: string;
  /**
   * Keep the hook's output in this file in the container (read it with `kubectl exec <pod> -- cat <file>`). @default
   * none, as in the book
   */
  readonly hookOutputFile?: string;
}

/**
 * The quote script's steps; `delaySeconds` adds the slow hook's `sleep` after the install step. Checks the quotes URL
 * and output file.
 */
export function quoteScriptSteps(args: QuotePostStartPodArgs, delaySeconds?: number): ScriptStep[] {
  const quotesUrl = args.quotesUrl ?? BOOK_QUOTES_URL;
  const quotesFile = quotesFileName("quotesUrl", quotesUrl);
  if (args.hookOutputFile !== undefined) checkOutputFile("hookOutputFile", args.hookOutputFile);
  const install = args.installCommand ?? BOOK_INSTALL_COMMAND;
  return [
    ...(install.length > 0 ? [{ run: install }] : []),
    ...(delaySeconds !== undefined ? [{ run: ["sleep", String(delaySeconds)] }] : []),
    // -f, not the book's plain -O: a URL that answers 404 would save the error page, which fortune
    // then serves (garbled by the index it cannot read) from a ready pod; with -f the hook fails at curl.
    { run: ["curl", "-fO", quotesUrl] },
    { run: ["curl", "-fO", `${quotesUrl}.dat`] },
    { run: ["fortune", quotesFile], stdoutTo: args.quotePath ?? BOOK_QUOTE_PATH },
  ];
}

/** Where nginx serves the quote in the pod: its port and the URL path of BOOK_QUOTE_PATH. */
export const QUOTE_SERVED = { port: 80, path: "/quote" } as const;

/** How the book reaches the quote: a port-forward to local port 1080, then `/quote`. */
export function quoteAccess(pod: k8s.core.v1.Pod) {
  return {
    portForward: pulumi.interpolate`kubectl port-forward -n ${namespaceOf(pod)} ${pod.metadata.name} 1080:${QUOTE_SERVED.port}`,
    quoteUrl: `http://localhost:1080${QUOTE_SERVED.path}`,
  };
}

export type QuotePodOutputs = PodOutputs & ReturnType<typeof quoteAccess>;

/** The quote-poststart pod: nginx, and a post-start hook that installs fortune, downloads the quotes and writes one. */
export class QuotePostStartPod extends pulumi.ComponentResource {
  public readonly pod: k8s.core.v1.Pod;
  public readonly outputs: QuotePodOutputs;
  /** Where the pod serves its quote. */
  public readonly quote = QUOTE_SERVED;
  /** The file in the container that keeps the hook's output, if any. */
  public readonly hookOutputFile?: string;

  constructor(name: string, args: QuotePostStartPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart-lab:index:QuotePostStartPod", name, {}, opts);
    const readiness: Readiness = { until: "ready", expected: "the pod to be ready" };
    this.pod = createHookPod(this, args, {
      name: args.name ?? "quote-poststart",
      postStart: checkArgs(this, () => hooks.script(quoteScriptSteps(args), { outputFile: args.hookOutputFile })),
      readiness,
    });
    this.hookOutputFile = args.hookOutputFile;
    this.outputs = { ...podOutputs(this.pod, readiness, args), ...quoteAccess(this.pod) };
    this.registerOutputs(this.outputs);
  }
}
