// The scenario registry: each of the book's pods is one entry, name -> component and its arguments.
import type * as pulumi from "@pulumi/pulumi";
import { FailingHookPod, HttpGetHookPod, type PodOutputs, type PodWatch, QuotePostStartPod, type QuotePostStartPodArgs, SlowHookPod } from "../infra";
import { podNamespace, type Scenario, type Settings } from "./settings";

type Deploy = (settings: Settings, opts: pulumi.ComponentResourceOptions, podWatch?: PodWatch) => { outputs: PodOutputs };

/** The arguments every scenario pod takes from the stack's settings. */
function podArgs(settings: Settings, podWatch: PodWatch | undefined) {
  return {
    podWatch,
    namespace: podNamespace(settings),
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy,
  };
}

function quoteArgs(settings: Settings, podWatch: PodWatch | undefined): QuotePostStartPodArgs {
  return {
    ...podArgs(settings, podWatch),
    quotesUrl: settings.quotesUrl,
    installCommand: settings.installFortune ? undefined : [],
    hookOutputFile: settings.hookOutputFile,
  };
}

export const SCENARIOS = {
  "quote-poststart": (s, opts, w) => new QuotePostStartPod("quote-poststart", quoteArgs(s, w), opts),
  "quote-poststart-slow": (s, opts, w) =>
    new SlowHookPod("quote-poststart-slow", { ...quoteArgs(s, w), delaySeconds: s.slowHookDelaySeconds }, opts),
  "quote-poststart-fail": (s, opts, w) => new FailingHookPod("quote-poststart-fail", podArgs(s, w), opts),
  "quote-poststart-fail-norestart": (s, opts, w) =>
    new FailingHookPod(
      "quote-poststart-fail-norestart",
      { ...podArgs(s, w), name: "quote-poststart-fail-norestart", restartPolicy: "Never" },
      opts,
    ),
  "poststart-httpget": (s, opts, w) =>
    new HttpGetHookPod(
      "poststart-httpget",
      {
        ...podArgs(s, w),
        hook: { scheme: s.hookScheme },
        receiver: { clusterIP: s.hookReceiverClusterIP, image: s.image, imagePullPolicy: s.imagePullPolicy },
      },
      opts,
    ),
  "poststart-httpget-slow": (s, opts, w) =>
    new HttpGetHookPod(
      "poststart-httpget-slow",
      { ...podArgs(s, w), name: "poststart-httpget-slow", hook: { path: "/" }, targetOwnPod: true, serverStartDelaySeconds: 1 },
      opts,
    ),
} satisfies Record<Scenario, Deploy>;
