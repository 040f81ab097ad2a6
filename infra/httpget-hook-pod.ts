// The httpGet hook: the kubelet sends a GET from the node when the container starts. Sent to
// another service it notifies that service; sent to its own pod before nginx listens, it fails
// and the container restarts forever, which the book warns against.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type BookPodArgs, checkSeconds, createHookPod, type PodOutputs, podOutputs, type Readiness } from "./book-pod";
import { HookReceiver, type HookReceiverArgs, type HookScheme, checkPort, checkScheme } from "./hook-receiver";
import { hooks } from "./hooks";

export interface HttpGetHookPodArgs extends BookPodArgs {
  /** @default "poststart-httpget" */
  name?: string;
  /** Where the request goes. `host` is set from `receiver` when one is deployed; left out, it is the pod's own IP. */
  hook?: {
    host?: string;
    /** @default 80 */
    port?: number;
    /** @default "/container-started" */
    path?: string;
    /** @default "HTTP" */
    scheme?: HookScheme;
    httpHeaders?: { name: string; value: string }[];
  };
  /** Deploys the service the hook notifies (`myservice`) and points the hook at its ClusterIP. @default none */
  receiver?: Omit<HookReceiverArgs, "port" | "scheme" | "namespace">;
  /** The book warns never to point this hook at the pod itself: that is refused unless this is `true`. @default false */
  targetOwnPod?: boolean;
  /** Start nginx this many seconds late (`sleep N` before nginx, in the foreground). @default none: the image's own command */
  serverStartDelaySeconds?: number;
}

export class HttpGetHookPod extends pulumi.ComponentResource {
  public readonly pod: k8s.core.v1.Pod;
  public readonly receiver?: HookReceiver;
  /** The path the hook requests. */
  public readonly hookPath: string;
  public readonly outputs: PodOutputs & { hookUrl: string };

  constructor(name: string, args: HttpGetHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart-lab:index:HttpGetHookPod", name, {}, opts);
    const hook = args.hook ?? {};
    const port = checkPort("hook.port", hook.port ?? 80);
    const scheme = checkScheme("hook.scheme", hook.scheme ?? "HTTP");
    const path = hook.path ?? "/container-started";
    if (!path.startsWith("/")) throw new Error(`hook.path: ${JSON.stringify(path)} is not allowed: a path starts with '/'`);
    this.hookPath = path;
    if (args.receiver && hook.host !== undefined) {
      throw new Error(`hook.host: ${JSON.stringify(hook.host)} is not allowed together with receiver: the receiver's ClusterIP is the host`);
    }
    this.receiver = args.receiver
      ? new HookReceiver(`${name}-receiver`, { ...args.receiver, namespace: args.namespace, port, scheme, podWatch: args.podWatch }, { parent: this })
      : undefined;
    const host = this.receiver?.clusterIP ?? hook.host;
    const targetsOwnPod = host === undefined;
    if (targetsOwnPod && !args.targetOwnPod) {
      throw new Error(
        "hook.host: not set, so the hook targets the pod itself, which the book warns can restart the container forever; " +
          "set hook.host, or a receiver, or opt in with targetOwnPod: true",
      );
    }
    if (!targetsOwnPod && args.targetOwnPod) {
      throw new Error(`targetOwnPod: true is not allowed with hook.host ${JSON.stringify(host)}: leave the host out to target the pod itself`);
    }
    if (host === "localhost" || host === "127.0.0.1") {
      pulumi.log.warn(`hook.host: ${host} is the node that runs the pod, not the pod: the kubelet sends the hook from the node`, this);
    }
    const readiness: Readiness = targetsOwnPod
      ? { until: "hook-failed", expected: "PostStartHookError: its hook reached the pod before nginx listened" }
      : { until: "ready", expected: "the pod to be ready" };
    const delay = args.serverStartDelaySeconds;
    this.pod = createHookPod(this, args, {
      name: args.name ?? "poststart-httpget",
      // HTTP is the Kubernetes default; like the book, leave it out.
      postStart: hooks.httpGet({ host, port, path, scheme: scheme === "HTTP" ? undefined : scheme, httpHeaders: hook.httpHeaders }),
      command:
        delay === undefined
          ? undefined
          : ["sh", "-c", `sleep ${checkSeconds("serverStartDelaySeconds", delay, 0, 3600)} && exec nginx -g 'daemon off;'`],
      readiness,
      // The receiver must answer before the hook fires.
      dependsOn: this.receiver ? this.receiver.ready.apply(() => [this.receiver!]) : [],
    });
    this.outputs = {
      ...podOutputs(this.pod, readiness, args.podWatch),
      hookUrl: `${scheme.toLowerCase()}://${host ?? "<pod IP>"}:${port}${path}`,
    };
    this.registerOutputs(this.outputs);
  }
}
