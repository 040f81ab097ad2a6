// The httpGet hook: the kubelet sends a GET from the node when the container starts. Sent to
// another service it notifies that service; sent to its own pod before nginx listens, it fails
// and the container restarts forever, which the book warns against.
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
import { checkHttpPath, checkPort, checkScheme, checkSeconds, type HookScheme } from "./checks";
import { BOOK_HOOK_PATH, HookReceiver, type HookReceiverArgs } from "./hook-receiver";
import { hooks } from "./hooks";
import type { PodWatch } from "./pod-watch";

export interface HttpGetHookPodArgs extends BookPodArgs {
  /** @default "poststart-httpget" */
  readonly name?: string;
  /** Where the request goes. `host` is set from `receiver` when one is deployed; left out, it is the pod's own IP. */
  readonly hook?: {
    readonly host?: string;
    /** @default 80 */
    readonly port?: number;
    /** @default "/container-started" */
    readonly path?: string;
    /** @default "HTTP" */
    readonly scheme?: HookScheme;
    readonly httpHeaders?: readonly { readonly name: string; readonly value: string }[];
  };
  /**
   * The service the hook notifies (`myservice`); the hook goes to its ClusterIP. Its arguments: it is
   * deployed with the pod, expecting the hook's path unless told another (`path`). Or a receiver
   * deployed beside it (several hooks notify one service): the hook then takes its port and scheme.
   * @default none
   */
  readonly receiver?: HookReceiver | Omit<HookReceiverArgs, "port" | "scheme" | "namespace">;
  /**
   * The book warns never to point this hook at the pod itself: that is refused unless this is `true`. @default false
   */
  readonly targetOwnPod?: boolean;
  /**
   * Start nginx this many seconds late (`sleep N` before nginx, in the foreground). @default none: the image's own
   * command
   */
  readonly serverStartDelaySeconds?: number;
}

export class HttpGetHookPod extends pulumi.ComponentResource {
  public readonly pod: k8s.core.v1.Pod;
  public readonly receiver?: HookReceiver;
  /** The path the hook requests. */
  public readonly hookPath: string;
  /**
   * The pod's outputs and the hook's URL; with a receiver, in `pulumi up` with a PodWatch, also
   * `receiverAnswer`: what the receiver answered the hook, read from its log once the pod is ready
   * (the kubelet counts any answer as success, so a 404 shows there and nowhere in Kubernetes).
   */
  public readonly outputs: PodOutputs & { hookUrl: string; receiverAnswer?: pulumi.Output<string | undefined> };

  constructor(name: string, args: HttpGetHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart-lab:index:HttpGetHookPod", name, {}, opts);
    const hook = args.hook ?? {};
    const shared = args.receiver instanceof HookReceiver ? args.receiver : undefined;
    const ownReceiver = args.receiver instanceof HookReceiver ? undefined : args.receiver;
    const { port, scheme, path, delay } = checkArgs(this, () => {
      if (args.receiver && hook.host !== undefined) {
        throw new Error(
          `hook.host: ${JSON.stringify(hook.host)} is not allowed together with receiver: the receiver's ClusterIP is the host`,
        );
      }
      if (shared && hook.port !== undefined && hook.port !== shared.port) {
        throw new Error(
          `hook.port: ${hook.port} is not allowed with the receiver ${shared.serviceName}: it listens on ${shared.port}`,
        );
      }
      if (shared && hook.scheme !== undefined && hook.scheme !== shared.scheme) {
        throw new Error(
          `hook.scheme: ${JSON.stringify(hook.scheme)} is not allowed with the receiver ${shared.serviceName}: it serves ${shared.scheme}`,
        );
      }
      const seconds = args.serverStartDelaySeconds;
      return {
        port: checkPort("hook.port", hook.port ?? shared?.port ?? 80),
        scheme: checkScheme("hook.scheme", hook.scheme ?? shared?.scheme ?? "HTTP"),
        path: checkHttpPath("hook.path", hook.path ?? BOOK_HOOK_PATH),
        delay: seconds === undefined ? undefined : checkSeconds("serverStartDelaySeconds", seconds, 0, 3600),
      };
    });
    this.hookPath = path;
    this.receiver =
      shared ??
      (ownReceiver
        ? new HookReceiver(
            `${name}-receiver`,
            {
              path,
              ...ownReceiver,
              namespace: args.namespace,
              port,
              scheme,
              podWatch: args.podWatch,
              waitMarginSeconds: args.waitMarginSeconds,
            },
            { parent: this },
          )
        : undefined);
    const host = this.receiver?.clusterIP ?? hook.host;
    const targetsOwnPod = host === undefined;
    checkArgs(this, () => {
      if (targetsOwnPod && !args.targetOwnPod) {
        throw new Error(
          "hook.host: not set, so the hook targets the pod itself, which the book warns can restart the container forever; " +
            "set hook.host, or a receiver, or opt in with targetOwnPod: true",
        );
      }
      if (!targetsOwnPod && args.targetOwnPod) {
        throw new Error(
          `targetOwnPod: true is not allowed with hook.host ${JSON.stringify(host)}: leave the host out to target the pod itself`,
        );
      }
    });
    if (host === "localhost" || host === "127.0.0.1") {
      pulumi.log.warn(
        `hook.host: ${host} is the node that runs the pod, not the pod: the kubelet sends the hook from the node`,
        this,
      );
    }
    const readiness: Readiness = targetsOwnPod
      ? { until: "hook-failed", expected: "PostStartHookError: its hook reached the pod before nginx listened" }
      : {
          until: "ready",
          expected: "the pod to be ready",
          ...(delay ? { byDesign: { seconds: delay, note: `nginx starts ${delay} s late` } } : {}),
        };
    this.pod = createHookPod(this, args, {
      name: args.name ?? "poststart-httpget",
      // HTTP is the Kubernetes default; like the book, leave it out.
      postStart: hooks.httpGet({
        host,
        port,
        path,
        scheme: scheme === "HTTP" ? undefined : scheme,
        httpHeaders: hook.httpHeaders?.map((h) => ({ ...h })),
      }),
      command: delay === undefined ? undefined : ["sh", "-c", `sleep ${delay} && exec nginx -g 'daemon off;'`],
      readiness,
      // The receiver must answer before the hook fires.
      dependsOn: this.receiver ? this.receiver.ready.apply(() => [this.receiver!]) : [],
    });
    const outputs = podOutputs(this.pod, readiness, args);
    this.outputs = {
      ...outputs,
      hookUrl: `${scheme.toLowerCase()}://${host ?? "<pod IP>"}:${port}${path}`,
      ...(this.receiver && args.podWatch && !pulumi.runtime.isDryRun()
        ? { receiverAnswer: receiverAnswer(this.pod, this.receiver, path, args.podWatch, outputs.state) }
        : {}),
    };
    this.registerOutputs(this.outputs);
  }
}

/**
 * The receiver's answer to the hook, in words, once the pod got ready (`state` resolves); undefined when it did not.
 */
function receiverAnswer(
  pod: k8s.core.v1.Pod,
  receiver: HookReceiver,
  path: string,
  podWatch: PodWatch,
  state: pulumi.Output<string | undefined>,
) {
  const selector = Object.entries(receiver.selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return pulumi
    .all([state, namespaceOf(pod), pod.metadata.creationTimestamp])
    .apply(async ([reached, namespace, since]) => {
      if (reached === undefined) return undefined;
      const name = receiver.serviceName;
      try {
        const logged = await podWatch.loggedRequest({ namespace, selector, path, since });
        if (!logged) return `${name} logged no GET ${path}`;
        const answer = `${name} answered ${logged.status} to GET ${path}`;
        return logged.status >= 400
          ? `${answer}: the hook missed its mark, though Kubernetes counted it as successful`
          : answer;
      } catch (e) {
        // Only a report: what the hook did is not in question, so the update goes on.
        return `${name}'s log not read: ${e instanceof Error ? e.message : String(e)}`;
      }
    });
}
