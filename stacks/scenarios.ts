// The scenario registry: each of the book's pods is one entry, name -> component and its arguments.
import * as pulumi from "@pulumi/pulumi";
import {
  FailingHookPod,
  HookReceiver,
  HttpGetHookPod,
  type PodOutputs,
  type PodWatch,
  QuotePostStartPod,
  type QuotePostStartPodArgs,
  SlowHookPod,
} from "../infra";
import { BOOK_RECEIVER_NAME } from "../infra/hook-receiver";
import { podNamespace, type Scenario, type Settings } from "./settings";

/**
 * What the scenarios of one program share: the receiver both httpGet scenarios notify (one Service at one fixed
 * ClusterIP).
 */
interface Shared {
  receiver(): HookReceiver;
}

type Deploy = (
  settings: Settings,
  opts: pulumi.ComponentResourceOptions,
  podWatch: PodWatch | undefined,
  shared: Shared,
) => { outputs: PodOutputs };

/** A path the receiver does not serve: the book's, mistyped. */
const WRONG_HOOK_PATH = "/container-start";

/** The arguments every scenario pod takes from the stack's settings. */
function podArgs(settings: Settings, podWatch: PodWatch | undefined) {
  return {
    podWatch,
    namespace: podNamespace(settings),
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy,
    waitMarginSeconds: settings.waitMarginSeconds,
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

const SCENARIOS = {
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
  "poststart-httpget": (s, opts, w, shared) =>
    new HttpGetHookPod("poststart-httpget", { ...podArgs(s, w), receiver: shared.receiver() }, opts),
  "poststart-httpget-slow": (s, opts, w) =>
    new HttpGetHookPod(
      "poststart-httpget-slow",
      {
        ...podArgs(s, w),
        name: "poststart-httpget-slow",
        hook: { path: "/" },
        targetOwnPod: true,
        serverStartDelaySeconds: 1,
      },
      opts,
    ),
  "poststart-httpget-404": (s, opts, w, shared) =>
    new HttpGetHookPod(
      "poststart-httpget-404",
      { ...podArgs(s, w), name: "poststart-httpget-404", hook: { path: WRONG_HOOK_PATH }, receiver: shared.receiver() },
      opts,
    ),
} satisfies Record<Scenario, Deploy>;

/**
 * Deploys scenarios by name, all with `opts`; what they share is created once, by the first that
 * needs it. The receiver is a component of its own (`myservice`), not a child of either httpGet pod.
 */
export function scenarioDeployer(settings: Settings, opts: pulumi.ComponentResourceOptions, podWatch?: PodWatch) {
  let receiver: HookReceiver | undefined;
  const shared: Shared = {
    receiver: () =>
      (receiver ??= new HookReceiver(
        BOOK_RECEIVER_NAME,
        {
          namespace: podNamespace(settings),
          clusterIP: settings.hookReceiverClusterIP,
          scheme: settings.hookScheme,
          image: settings.image,
          imagePullPolicy: settings.imagePullPolicy,
          podWatch,
          waitMarginSeconds: settings.waitMarginSeconds,
        },
        // Until this project shared it, the receiver was poststart-httpget's child: the same objects, not new ones.
        {
          ...opts,
          aliases: [
            {
              name: "poststart-httpget-receiver",
              parent: pulumi.createUrn("poststart-httpget", "poststart-lab:index:HttpGetHookPod"),
            },
          ],
        },
      )),
  };
  return (scenario: Scenario) => SCENARIOS[scenario](settings, opts, podWatch, shared);
}
