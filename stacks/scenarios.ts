// The scenario registry: each of the book's pods is one row: its component and arguments from the stack's settings,
// what the book says happens, and how a reader sees it. The program, the render, `npm start`, the observer and the
// README's scenario table (a unit test) are made from these rows.
import type * as pulumi from "@pulumi/pulumi";
import { FailingHookPod, HookReceiver, HttpGetHookPod, QuotePostStartPod, SlowHookPod } from "../infra";

/** Which kubeconfig context the stack deploys to. */
export const CLUSTER_CONTEXTS = { current: undefined, kind: "kind-kind", minikube: "minikube", lab: "lab" } as const;
export type Cluster = keyof typeof CLUSTER_CONTEXTS;

/**
 * The stack's validated settings (stacks/settings.ts); unset component settings stay undefined: the component's
 * default.
 */
export interface Settings {
  scenarios: Scenario[];
  namespace: string;
  cluster: Cluster;
  adoptExisting: boolean;
  forceDeleteStuckPods: boolean;
  image?: string | undefined;
  imagePullPolicy?: string | undefined;
  quotesUrl?: string | undefined;
  installFortune?: boolean | undefined;
  slowHookDelaySeconds?: number | undefined;
  hookReceiverClusterIP?: string | undefined;
  hookScheme?: string | undefined;
  hookOutputFile?: string | undefined;
  waitMarginSeconds?: number | undefined;
}

/** The namespace a pod lands in when it names none; the stack then creates no namespace. */
export const DEFAULT_NAMESPACE = "default";

/** The namespace the scenario pods name: none for the default one, as in the book. */
export function podNamespace(settings: Settings): string | undefined {
  return settings.namespace === DEFAULT_NAMESPACE ? undefined : settings.namespace;
}

export type ScenarioComponent = QuotePostStartPod | SlowHookPod | FailingHookPod | HttpGetHookPod;

/** What a row deploys from: the settings, and whether `pulumi up` watches the pods (on a cluster; not offline). */
type Deployment = Settings & { failFast: boolean };

interface Row {
  deploy(s: Deployment, opts: pulumi.ComponentResourceOptions, receiver: () => HookReceiver): ScenarioComponent;
  /** what the book says you will see */
  book: string;
  /** the commands a reader runs to see it */
  seeItWith: string[];
}

/** The arguments every scenario pod takes from the stack's settings. */
function podArgs(s: Deployment) {
  const { image, imagePullPolicy, waitMarginSeconds, failFast } = s;
  return { namespace: podNamespace(s), image, imagePullPolicy, waitMarginSeconds, failFast };
}

function quoteArgs(s: Deployment) {
  const { quotesUrl, hookOutputFile } = s;
  return { ...podArgs(s), quotesUrl, hookOutputFile, installCommand: s.installFortune === false ? [] : undefined };
}

/** The httpGet pods notify the program's one receiver, deployed beside them. */
function toReceiver(s: Deployment, receiver: () => HookReceiver, path?: string) {
  const shared = receiver();
  return {
    ...podArgs(s),
    hook: { path, scheme: s.hookScheme },
    receiver: { existing: true, clusterIP: s.hookReceiverClusterIP },
    opts: { dependsOn: shared.clusterIP.apply(() => [shared]) },
  };
}

export const SCENARIOS = {
  "quote-poststart": {
    deploy: (s, opts) => new QuotePostStartPod("quote-poststart", quoteArgs(s), opts),
    book: "nginx serves a quote that the hook (`apk add fortune`, `curl`, `fortune`) wrote",
    seeItWith: ["kubectl port-forward quote-poststart 1080:80", "curl localhost:1080/quote"],
  },
  "quote-poststart-slow": {
    deploy: (s, opts) =>
      new SlowHookPod("quote-poststart-slow", { ...quoteArgs(s), delaySeconds: s.slowHookDelaySeconds }, opts),
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
    deploy: (s, opts) => new FailingHookPod("quote-poststart-fail", podArgs(s), opts),
    book: "`PostStartHookError: ... exited with 1`, a `FailedPostStartHook` event, restarts, `CrashLoopBackOff`",
    seeItWith: ["kubectl get pods -w", "kubectl get events --field-selector involvedObject.name=quote-poststart-fail"],
  },
  "quote-poststart-fail-norestart": {
    deploy: (s, opts) =>
      new FailingHookPod(
        "quote-poststart-fail-norestart",
        { ...podArgs(s), name: "quote-poststart-fail-norestart", restartPolicy: "Never" },
        opts,
      ),
    book: "the same event; with `restartPolicy: Never` the pod ends without a restart",
    seeItWith: ["kubectl get pod quote-poststart-fail-norestart"],
  },
  "poststart-httpget": {
    deploy: (s, opts, receiver) => {
      const { opts: after, ...args } = toReceiver(s, receiver);
      return new HttpGetHookPod("poststart-httpget", args, { ...opts, ...after });
    },
    book: "the kubelet sends `GET /container-started` to another service, the book's `myservice`",
    seeItWith: ["kubectl logs deploy/myservice"],
  },
  "poststart-httpget-slow": {
    deploy: (s, opts) =>
      new HttpGetHookPod(
        "poststart-httpget-slow",
        {
          ...podArgs(s),
          name: "poststart-httpget-slow",
          hook: { path: "/" },
          targetOwnPod: true,
          serverStartDelaySeconds: 1,
        },
        opts,
      ),
    book: "the hook targets its own pod before nginx listens: it fails, and the container restarts forever",
    seeItWith: ["kubectl get pods -w", "kubectl describe pod poststart-httpget-slow"],
  },
  "poststart-httpget-404": {
    deploy: (s, opts, receiver) => {
      // A path the receiver does not serve: the book's, mistyped.
      const { opts: after, ...args } = toReceiver(s, receiver, "/container-start");
      return new HttpGetHookPod(
        "poststart-httpget-404",
        { ...args, name: "poststart-httpget-404" },
        { ...opts, ...after },
      );
    },
    book: "the receiver answers `404`, yet Kubernetes counts the hook as successful",
    seeItWith: ["kubectl get pod poststart-httpget-404", "kubectl logs deploy/myservice"],
  },
} satisfies Record<string, Row>;

export type Scenario = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as Scenario[];

/**
 * Deploys scenarios by name, all with `opts`, with `failFast` on a cluster (offline there is none to watch); the
 * receiver both httpGet scenarios notify (one Service at one fixed ClusterIP) is created once, by the first that needs
 * it, as a component of its own.
 */
export function scenarioDeployer(settings: Settings, opts: pulumi.ComponentResourceOptions, failFast = false) {
  let shared: HookReceiver | undefined;
  const receiver = () =>
    (shared ??= new HookReceiver(
      "myservice",
      {
        namespace: podNamespace(settings),
        clusterIP: settings.hookReceiverClusterIP,
        scheme: settings.hookScheme,
        image: settings.image,
        imagePullPolicy: settings.imagePullPolicy,
        failFast,
        waitMarginSeconds: settings.waitMarginSeconds,
      },
      opts,
    ));
  const deployment = { ...settings, failFast };
  return (scenario: Scenario): ScenarioComponent => SCENARIOS[scenario].deploy(deployment, opts, receiver);
}
