// The components of the package: infra's components behind arguments every Pulumi language can
// pass (plain values, no functions, no unions) and outputs as pulumi.Output properties, from which
// the SDK infers the package's schema (each JSDoc is a description there). Each wraps the infra
// component of the same name as its child; `failFast` chooses the watch of fail-fast.ts.
import * as pulumi from "@pulumi/pulumi";
import * as infra from "../infra";
import { failFastWatch, unlessFailed } from "./fail-fast";

/** What every scenario pod takes. */
export interface PodArgs {
  /** The pod's name; the default is the book's name of the scenario's pod. */
  name?: string;
  /** The namespace; the default is the Kubernetes provider's namespace, usually `default` (the book sets none). */
  namespace?: string;
  /**
   * The container image; the default is the book's `nginx:alpine`. An image that already has `sh`, `curl` and `fortune`
   * runs without the internet.
   */
  image?: string;
  /** `Always`, `IfNotPresent` or `Never`; the default is Kubernetes' own (the book sets none). */
  imagePullPolicy?: string;
  /**
   * `true`: `pulumi up` watches the pod on the cluster of the component's Kubernetes provider and
   * fails within seconds of a failed hook or an image that cannot be pulled, with the kubelet's
   * message. The default, `false`: the Kubernetes provider's own await, which waits until its
   * timeout (10 minutes for a pod) when the hook or image fails.
   */
  failFast?: boolean;
}

/** The quote-poststart pod's arguments. */
export interface QuotePostStartPodArgs extends PodArgs {
  /**
   * The command that installs `fortune`, default `["apk", "add", "fortune"]`; `[]` skips the step, for an image that
   * has it already.
   */
  installCommand?: string[];
  /**
   * The quotes file in fortune format, default the book's `https://luksa.github.io/kiada/book-quotes.txt`; its strfile
   * index is fetched from the same URL plus `.dat`.
   */
  quotesUrl?: string;
  /** Where nginx finds the quote, default `/usr/share/nginx/html/quote`. */
  quotePath?: string;
  /**
   * Keep the hook's output in this file in the container (`kubectl exec <pod> -- cat <file>`); the default keeps none,
   * as the book.
   */
  hookOutputFile?: string;
}

/** The quote-poststart-slow pod's arguments. */
export interface SlowHookPodArgs extends QuotePostStartPodArgs {
  /** How long the hook sleeps after the install step, in whole seconds from 0 to 3600; default 60. */
  delaySeconds?: number;
}

/** The quote-poststart-fail pod's arguments. */
export interface FailingHookPodArgs extends PodArgs {
  /** What the hook prints before it fails; default the book's `Emulating a post-start hook failure`. */
  message?: string;
  /** The hook's exit code, 1 to 255; default 1. */
  exitCode?: number;
  /**
   * `Always`, `OnFailure` or `Never`; `Never` shows the pod ending `Failed` instead of restarting. The default is
   * Kubernetes' own, `Always` (the book sets none).
   */
  restartPolicy?: string;
}

/** An HTTP header the httpGet hook sends. */
export interface HttpHeader {
  /** The header's name. */
  name: string;
  /** The header's value. */
  value: string;
}

/** Where the httpGet hook sends its GET. */
export interface HttpGetTarget {
  /** The host; left out, it is the receiver's ClusterIP when a receiver is deployed, else the pod's own IP. */
  host?: string;
  /** The port, default 80 (with a receiver: the receiver's). */
  port?: number;
  /** The path, default the book's `/container-started`. */
  path?: string;
  /** `HTTP` (the default) or `HTTPS`. */
  scheme?: string;
  /** Headers to send. */
  httpHeaders?: HttpHeader[];
}

/**
 * The receiver deployed with an httpGet hook's pod: the book's `myservice`, which the hook notifies at its ClusterIP.
 */
export interface ReceiverSettings {
  /** The Service's name, default the book's `myservice`. */
  name?: string;
  /**
   * The Service's fixed ClusterIP, from the cluster's service range; default `10.96.100.100` (kind's and minikube's
   * range).
   */
  clusterIP?: string;
  /** The one path it answers `200` to (every other gets `404`); default the hook's path. */
  path?: string;
  /**
   * With scheme `HTTPS`: install cert-manager for its certificate; `false` where cert-manager runs already. Default
   * `true`.
   */
  installCertManager?: boolean;
  /** The receiver's image, default `nginx:alpine`. */
  image?: string;
  /** `Always`, `IfNotPresent` or `Never`; the default is Kubernetes' own. */
  imagePullPolicy?: string;
}

/** The poststart-httpget pod's arguments. */
export interface HttpGetHookPodArgs extends PodArgs {
  /** Where the hook sends its GET. */
  hook?: HttpGetTarget;
  /**
   * A receiver to deploy with the pod (`{}` for the book's `myservice`); the hook then goes to its ClusterIP, port and
   * scheme. The default deploys none.
   */
  receiver?: ReceiverSettings;
  /**
   * The book warns never to point this hook at the pod itself: without a host or receiver, that is refused unless this
   * is `true`. Default `false`.
   */
  targetOwnPod?: boolean;
  /** Start nginx this many seconds late (`sleep N` before nginx); the default is the image's own command. */
  serverStartDelaySeconds?: number;
}

/** The hook receiver's arguments, deployed on its own. */
export interface HookReceiverArgs extends ReceiverSettings {
  /** The namespace; the default is the Kubernetes provider's. */
  namespace?: string;
  /** The Service's port, default 80. */
  port?: number;
  /** `HTTP` (the default) or `HTTPS` (a certificate from a self-signed cert-manager issuer). */
  scheme?: string;
  /**
   * `true`: `pulumi up` waits for the receiver's pod on the cluster of the component's Kubernetes provider and fails
   * within seconds when it cannot start. Default `false`.
   */
  failFast?: boolean;
}

type Watch = ReturnType<typeof failFastWatch> | undefined;

/** infra's arguments of every scenario pod. */
function bookPodArgs(args: PodArgs, podWatch: Watch): infra.BookPodArgs {
  return {
    name: args.name,
    namespace: args.namespace,
    image: args.image,
    // infra checks the value and names the setting when it is none of the allowed ones
    imagePullPolicy: args.imagePullPolicy as infra.PullPolicy | undefined,
    podWatch,
  };
}

/** The book's quote service: nginx serves a quote that the post-start hook writes with `fortune`. */
export class QuotePostStartPod extends pulumi.ComponentResource {
  /** The pod's name. */
  public readonly podName: pulumi.Output<string>;
  /** The pod's namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** What `pulumi up` waited for. */
  public readonly readiness: pulumi.Output<string>;
  /** The pod's state when `pulumi up` went on (absent where failFast stopped it). */
  public readonly state?: pulumi.Output<string>;
  /** The book's port-forward command to reach the quote. */
  public readonly portForward: pulumi.Output<string>;
  /** The quote's URL once that port-forward runs. */
  public readonly quoteUrl: pulumi.Output<string>;

  constructor(name: string, args: QuotePostStartPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:QuotePostStartPod", name, {}, opts);
    const watch = args.failFast ? failFastWatch(this) : undefined;
    const { outputs } = new infra.QuotePostStartPod(
      name,
      { ...bookPodArgs(args, watch), ...quoteArgs(args) },
      { parent: this },
    );
    this.podName = outputs.podName;
    this.namespace = outputs.namespace;
    this.readiness = pulumi.output(outputs.readiness);
    this.state = unlessFailed(watch, outputs.state) as pulumi.Output<string>;
    this.portForward = outputs.portForward;
    this.quoteUrl = pulumi.output(outputs.quoteUrl);
    this.registerOutputs({
      podName: this.podName,
      namespace: this.namespace,
      readiness: this.readiness,
      state: this.state,
      portForward: this.portForward,
      quoteUrl: this.quoteUrl,
    });
  }
}

function quoteArgs(args: QuotePostStartPodArgs): Omit<infra.QuotePostStartPodArgs, keyof infra.BookPodArgs> {
  return {
    installCommand: args.installCommand,
    quotesUrl: args.quotesUrl,
    quotePath: args.quotePath,
    hookOutputFile: args.hookOutputFile,
  };
}

/**
 * The slow hook: the quote pod with a `sleep` in its hook, so the container stays `ContainerCreating` while nginx
 * already runs.
 */
export class SlowHookPod extends pulumi.ComponentResource {
  /** The pod's name. */
  public readonly podName: pulumi.Output<string>;
  /** The pod's namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** What `pulumi up` waited for. */
  public readonly readiness: pulumi.Output<string>;
  /** The pod's state when `pulumi up` went on (absent where failFast stopped it). */
  public readonly state?: pulumi.Output<string>;
  /** The book's port-forward command to reach the quote. */
  public readonly portForward: pulumi.Output<string>;
  /** The quote's URL once that port-forward runs. */
  public readonly quoteUrl: pulumi.Output<string>;

  constructor(name: string, args: SlowHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:SlowHookPod", name, {}, opts);
    const watch = args.failFast ? failFastWatch(this) : undefined;
    const { outputs } = new infra.SlowHookPod(
      name,
      { ...bookPodArgs(args, watch), ...quoteArgs(args), delaySeconds: args.delaySeconds },
      { parent: this },
    );
    this.podName = outputs.podName;
    this.namespace = outputs.namespace;
    this.readiness = pulumi.output(outputs.readiness);
    this.state = unlessFailed(watch, outputs.state) as pulumi.Output<string>;
    this.portForward = outputs.portForward;
    this.quoteUrl = pulumi.output(outputs.quoteUrl);
    this.registerOutputs({
      podName: this.podName,
      namespace: this.namespace,
      readiness: this.readiness,
      state: this.state,
      portForward: this.portForward,
      quoteUrl: this.quoteUrl,
    });
  }
}

/**
 * The failing hook: the kubelet kills the container when its hook exits non-zero, then restarts it (CrashLoopBackOff).
 */
export class FailingHookPod extends pulumi.ComponentResource {
  /** The pod's name. */
  public readonly podName: pulumi.Output<string>;
  /** The pod's namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** What `pulumi up` waited for: the hook's failure, as the book predicts. */
  public readonly readiness: pulumi.Output<string>;
  /**
   * The pod's state when `pulumi up` went on, e.g. the hook's PostStartHookError message (absent where failFast stopped
   * it).
   */
  public readonly state?: pulumi.Output<string>;

  constructor(name: string, args: FailingHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:FailingHookPod", name, {}, opts);
    const watch = args.failFast ? failFastWatch(this) : undefined;
    const { outputs } = new infra.FailingHookPod(
      name,
      {
        ...bookPodArgs(args, watch),
        message: args.message,
        exitCode: args.exitCode,
        restartPolicy: args.restartPolicy as infra.RestartPolicy | undefined,
      },
      { parent: this },
    );
    this.podName = outputs.podName;
    this.namespace = outputs.namespace;
    this.readiness = pulumi.output(outputs.readiness);
    this.state = unlessFailed(watch, outputs.state) as pulumi.Output<string>;
    this.registerOutputs({
      podName: this.podName,
      namespace: this.namespace,
      readiness: this.readiness,
      state: this.state,
    });
  }
}

/**
 * The httpGet hook: the kubelet sends a GET from the node when the container starts, here to the receiver it deploys
 * (the book's `myservice`).
 */
export class HttpGetHookPod extends pulumi.ComponentResource {
  /** The pod's name. */
  public readonly podName: pulumi.Output<string>;
  /** The pod's namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** What `pulumi up` waited for. */
  public readonly readiness: pulumi.Output<string>;
  /** The pod's state when `pulumi up` went on (absent where failFast stopped it). */
  public readonly state?: pulumi.Output<string>;
  /** The URL the hook requests. */
  public readonly hookUrl: pulumi.Output<string>;
  /**
   * With a receiver and failFast, in `pulumi up`: what the receiver answered the hook, read from its log (a 404 shows
   * here and nowhere in Kubernetes).
   */
  public readonly receiverAnswer?: pulumi.Output<string>;

  constructor(name: string, args: HttpGetHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:HttpGetHookPod", name, {}, opts);
    const watch = args.failFast ? failFastWatch(this) : undefined;
    const hook = args.hook;
    const receiver = args.receiver;
    const { outputs } = new infra.HttpGetHookPod(
      name,
      {
        ...bookPodArgs(args, watch),
        hook: hook && { ...hook, scheme: hook.scheme as infra.HookScheme | undefined },
        receiver: receiver && {
          ...receiver,
          imagePullPolicy: receiver.imagePullPolicy as infra.PullPolicy | undefined,
        },
        targetOwnPod: args.targetOwnPod,
        serverStartDelaySeconds: args.serverStartDelaySeconds,
      },
      { parent: this },
    );
    this.podName = outputs.podName;
    this.namespace = outputs.namespace;
    this.readiness = pulumi.output(outputs.readiness);
    this.state = unlessFailed(watch, outputs.state) as pulumi.Output<string>;
    this.hookUrl = pulumi.output(outputs.hookUrl);
    this.receiverAnswer =
      outputs.receiverAnswer && (unlessFailed(watch, outputs.receiverAnswer) as pulumi.Output<string>);
    this.registerOutputs({
      podName: this.podName,
      namespace: this.namespace,
      readiness: this.readiness,
      state: this.state,
      hookUrl: this.hookUrl,
      receiverAnswer: this.receiverAnswer,
    });
  }
}

/**
 * The service an httpGet hook notifies (the book's `myservice`): nginx answering 200 to its one path and 404 to every
 * other, logging each request.
 */
export class HookReceiver extends pulumi.ComponentResource {
  /** The Service's name. */
  public readonly serviceName: pulumi.Output<string>;
  /** The Service's ClusterIP, where hooks send their GET. */
  public readonly clusterIP: pulumi.Output<string>;
  /** The Service's port. */
  public readonly port: pulumi.Output<number>;
  /** `HTTP` or `HTTPS`. */
  public readonly scheme: pulumi.Output<string>;
  /** The one path it answers 200 to. */
  public readonly expectedPath: pulumi.Output<string>;

  constructor(name: string, args: HookReceiverArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:HookReceiver", name, {}, opts);
    const watch = args.failFast ? failFastWatch(this) : undefined;
    const { failFast: _, ...settings } = args;
    const receiver = new infra.HookReceiver(
      name,
      {
        ...settings,
        scheme: args.scheme as infra.HookScheme | undefined,
        imagePullPolicy: args.imagePullPolicy as infra.PullPolicy | undefined,
        podWatch: watch,
      },
      { parent: this },
    );
    // Known once its pod answers: a receiver that did not start has no address worth reporting.
    const ready = receiver.ready;
    this.serviceName = ready.apply(() => receiver.serviceName);
    this.clusterIP = ready.apply(() => receiver.clusterIP);
    this.port = ready.apply(() => receiver.port);
    this.scheme = ready.apply(() => receiver.scheme);
    this.expectedPath = ready.apply(() => receiver.expectedPath);
    this.registerOutputs({
      serviceName: this.serviceName,
      clusterIP: this.clusterIP,
      port: this.port,
      scheme: this.scheme,
      expectedPath: this.expectedPath,
    });
  }
}
