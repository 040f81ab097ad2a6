// The scenario registry, one row per pod of the book; the program, render, `npm start`, observer and README use it.
import type * as pulumi from "@pulumi/pulumi";
import { FailingHookPod, HookReceiver, HttpGetHookPod, QuotePostStartPod, SlowHookPod } from "../infra/index.ts";
import type { QuotePostStartPodArgs } from "../infra/quote-pod.ts";

export const CLUSTER_CONTEXTS = { current: undefined, kind: "kind-kind", minikube: "minikube", lab: "lab" } as const;
/** The namespace for which the pods name none, as in the book, and the stack creates none. */
export const DEFAULT_NAMESPACE = "default";
export const podNamespace = (s: Settings) => (s.namespace === DEFAULT_NAMESPACE ? undefined : s.namespace);
type AsInTheComponents = "image" | "imagePullPolicy" | "waitMarginSeconds" | "quotesUrl" | "hookOutputFile";
/** The stack's validated settings (settings.ts); a component setting left unset stays undefined: its default. */
export interface Settings extends Pick<QuotePostStartPodArgs, AsInTheComponents> {
  scenarios: Scenario[];
  namespace: string;
  cluster: keyof typeof CLUSTER_CONTEXTS;
  adoptExisting: boolean;
  forceDeleteStuckPods: boolean;
  installFortune?: boolean;
  slowHookDelaySeconds?: number;
  hookReceiverClusterIP?: string;
  hookScheme?: string;
}
export type ScenarioComponent = QuotePostStartPod | SlowHookPod | FailingHookPod | HttpGetHookPod;
/** What a row builds from: a pod has its scenario's name (the checks say it); the first in need makes the receiver. */
function scenarioParts(settings: Settings, opts: pulumi.ComponentResourceOptions, failFast: boolean) {
  const { image, imagePullPolicy, waitMarginSeconds, hookScheme: scheme, hookReceiverClusterIP: clusterIP } = settings;
  const common = { namespace: podNamespace(settings), image, imagePullPolicy, waitMarginSeconds, failFast };
  let receiver: HookReceiver | undefined;
  return (name: string) => {
    const pod = { ...common, name };
    const installCommand = settings.installFortune === false ? [] : undefined;
    const quote = { ...pod, quotesUrl: settings.quotesUrl, hookOutputFile: settings.hookOutputFile, installCommand };
    const toReceiver = (path?: string) => {
      const shared = (receiver ??= new HookReceiver("myservice", { ...common, clusterIP, scheme }, opts));
      const args = { ...pod, hook: { path, scheme }, receiver: { existing: true, clusterIP } };
      return new HttpGetHookPod(name, args, { ...opts, dependsOn: shared.clusterIP.apply(() => [shared]) });
    };
    return { name, settings, opts, pod, quote, toReceiver };
  };
}
type Row = { deploy(c: Parts): ScenarioComponent; book: string; seeItWith: string[] };
type Parts = ReturnType<ReturnType<typeof scenarioParts>>;
export const SCENARIOS = {
  "quote-poststart": {
    deploy: ({ name, quote, opts }) => new QuotePostStartPod(name, quote, opts),
    book: "nginx serves a quote that the hook (`apk add fortune`, `curl`, `fortune`) wrote",
    seeItWith: ["kubectl port-forward quote-poststart 1080:80", "curl localhost:1080/quote"],
  },
  "quote-poststart-slow": {
    deploy: ({ name, quote, settings, opts }) =>
      new SlowHookPod(name, { ...quote, delaySeconds: settings.slowHookDelaySeconds }, opts),
    book:
      "while the hook sleeps the container is `Waiting: ContainerCreating`, " +
      "`kubectl logs` is refused, yet nginx runs",
    seeItWith: [
      "kubectl get pod quote-poststart-slow",
      "kubectl logs quote-poststart-slow",
      "kubectl exec quote-poststart-slow -- ps x",
    ],
  },
  "quote-poststart-fail": {
    deploy: ({ name, pod, opts }) => new FailingHookPod(name, pod, opts),
    book: "`PostStartHookError: ... exited with 1`, a `FailedPostStartHook` event, restarts, `CrashLoopBackOff`",
    seeItWith: ["kubectl get pods -w", "kubectl get events --field-selector involvedObject.name=quote-poststart-fail"],
  },
  "quote-poststart-fail-norestart": {
    deploy: ({ name, pod, opts }) => new FailingHookPod(name, { ...pod, restartPolicy: "Never" }, opts),
    book: "the same event; with `restartPolicy: Never` the pod ends without a restart",
    seeItWith: ["kubectl get pod quote-poststart-fail-norestart"],
  },
  "poststart-httpget": {
    deploy: ({ toReceiver }) => toReceiver(),
    book: "the kubelet sends `GET /container-started` to another service, the book's `myservice`",
    seeItWith: ["kubectl logs deploy/myservice"],
  },
  "poststart-httpget-slow": {
    deploy: ({ name, pod, opts }) =>
      new HttpGetHookPod(name, { ...pod, hook: { path: "/" }, targetOwnPod: true, serverStartDelaySeconds: 1 }, opts),
    book: "the hook targets its own pod before nginx listens: it fails, and the container restarts forever",
    seeItWith: ["kubectl get pods -w", "kubectl describe pod poststart-httpget-slow"],
  },
  "poststart-httpget-404": {
    deploy: ({ toReceiver }) => toReceiver("/container-start"), // the book's path mistyped: the receiver's 404
    book: "the receiver answers `404`, yet Kubernetes counts the hook as successful",
    seeItWith: ["kubectl get pod poststart-httpget-404", "kubectl logs deploy/myservice"],
  },
} satisfies Record<string, Row>;
export type Scenario = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as Scenario[];
/** Deploys scenarios by name, all with `opts`, with `failFast` on a cluster (offline there is none to watch). */
export function scenarioDeployer(settings: Settings, opts: pulumi.ComponentResourceOptions, failFast = false) {
  const partsOf = scenarioParts(settings, opts, failFast);
  return (scenario: Scenario): ScenarioComponent => SCENARIOS[scenario].deploy(partsOf(scenario));
}
