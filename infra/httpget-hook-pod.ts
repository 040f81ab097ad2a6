import * as pulumi from "@pulumi/pulumi";
import { checkArgs, componentOptions, createHookPod, type PodArgs, type Readiness, watchOf } from "./book-pod.ts";
import { ArgumentError, checkHttpPath, checkInteger, checkOneOf, HOOK_SCHEMES, showValue } from "./checks.ts";
import { BOOK_HOOK_PATH, HookReceiver, type ReceiverSettings, receiverSettings } from "./hook-receiver.ts";
import { hooks } from "./hooks.ts";
import type { PodWatch } from "./pod-watch.ts";

/** An HTTP header the httpGet hook sends. */
export interface HttpHeader {
  /** The header's name. */
  name: string;
  /** The header's value. */
  value: string;
}
/** Where the httpGet hook sends its GET. */
export interface HttpGetTarget {
  /** The host. @default the receiver's ClusterIP with a receiver, else the pod's own IP */
  host?: string;
  /** The port (with a receiver: the receiver's). @default 80 */
  port?: number;
  /** The path. @default "/container-started" (the book's) */
  path?: string;
  /** `HTTP` or `HTTPS` (with a receiver: what the receiver serves). @default "HTTP" */
  scheme?: string;
  /** Headers to send. */
  httpHeaders?: HttpHeader[];
}
export interface HttpGetHookPodArgs extends PodArgs {
  /** Where the hook sends its GET. */
  hook?: HttpGetTarget;
  /** A receiver for the hook, deployed with the pod unless `existing` (`{}`: the book's `myservice`). @default none */
  receiver?: ReceiverSettings;
  /** `true`: the hook, without host or receiver, may aim at its own pod (the book warns against it). @default false */
  targetOwnPod?: boolean;
  /** Start nginx this many seconds late (`sleep N` before nginx), 0 to 3600. @default the image's own command */
  serverStartDelaySeconds?: number;
}

/** The httpGet hook: the kubelet sends a GET from the node when the container starts. */
export class HttpGetHookPod extends pulumi.ComponentResource {
  /** The pod's name. */
  public readonly podName!: pulumi.Output<string>;
  /** The pod's namespace. */
  public readonly namespace!: pulumi.Output<string>;
  /** What `pulumi up` waits for, and how long at most. */
  public readonly readiness!: pulumi.Output<string>;
  /** The pod's state when `pulumi up` went on; with failFast, rejected with the pod's failure. */
  public readonly state!: pulumi.Output<string>;
  /** The URL the hook requests. */
  public readonly hookUrl!: pulumi.Output<string>;
  /** The name of the receiver's Service, where there is one: its pods' log shows the hook's request. */
  public readonly receiverService?: pulumi.Output<string>;
  /** With a receiver and failFast: what it answered the hook, from its log (Kubernetes counts a 404 as success). */
  public readonly receiverAnswer?: pulumi.Output<string>;

  constructor(name: string, args: HttpGetHookPodArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:HttpGetHookPod", name, {}, componentOptions("HttpGetHookPod", opts));
    const hook = args.hook ?? {};
    const { port, scheme, path, delay, receiver, host } = checkArgs(this, () => {
      if (args.receiver && hook.host !== undefined)
        throw new ArgumentError("hook.host", hook.host, "none with a receiver: its ClusterIP is the host");
      const port = checkInteger("hook.port", hook.port ?? 80, 1, 65535, "a port number");
      const scheme = checkOneOf("hook.scheme", hook.scheme ?? "HTTP", HOOK_SCHEMES);
      const path = checkHttpPath("hook.path", hook.path ?? BOOK_HOOK_PATH);
      const delay = args.serverStartDelaySeconds;
      if (delay !== undefined) checkInteger("serverStartDelaySeconds", delay, 0, 3600, "a whole number of seconds");
      const { namespace, failFast, waitMarginSeconds } = args;
      const shared = { namespace, port, scheme, failFast, waitMarginSeconds };
      const receiverArgs = args.receiver && { ...args.receiver, path: args.receiver.path ?? path, ...shared };
      const receiver = receiverArgs && { args: receiverArgs, ...receiverSettings(receiverArgs, "receiver.") };
      const host = receiver?.clusterIP ?? hook.host;
      const why = "without either it targets the pod itself, which the book warns can restart the container forever";
      if (host === undefined && !args.targetOwnPod)
        throw new ArgumentError("hook.host", host, `a host or a receiver (${why}), or targetOwnPod: true`);
      if (host !== undefined && args.targetOwnPod)
        throw new ArgumentError("targetOwnPod", true, `none with hook.host ${showValue(host)}: leave the host out`);
      return { port, scheme, path, delay, receiver, host };
    });
    const deploy = receiver && !receiver.args.existing;
    const deployed = deploy ? new HookReceiver(`${name}-receiver`, receiver.args, { parent: this }) : undefined;
    if (host === "localhost" || host === "127.0.0.1") {
      const why = "the kubelet sends the hook from the node";
      pulumi.log.warn(`hook.host: ${host} is the node that runs the pod, not the pod: ${why}`, this);
    }
    const late = delay ? { seconds: delay, note: `nginx starts ${delay} s late` } : undefined;
    const readiness: Readiness =
      host === undefined
        ? { until: "hook-failed", expected: "PostStartHookError: its hook reached the pod before nginx listened" }
        : { until: "ready", expected: "the pod to be ready", byDesign: late };
    const watch = watchOf(this, args);
    const httpHeaders = hook.httpHeaders?.map((h) => ({ ...h }));
    const spec = {
      name: args.name ?? "poststart-httpget",
      // HTTP is the Kubernetes default; like the book, leave it out.
      postStart: hooks.httpGet({ host, port, path, scheme: scheme === "HTTP" ? undefined : scheme, httpHeaders }),
      command: delay === undefined ? undefined : ["sh", "-c", `sleep ${delay} && exec nginx -g 'daemon off;'`],
      readiness,
      // The receiver must answer before the hook fires.
      dependsOn: deployed ? deployed.clusterIP.apply(() => [deployed]) : [],
    };
    const { pod, outputs } = createHookPod(this, args, spec, watch);
    const o = {
      ...outputs,
      hookUrl: pulumi.output(`${scheme.toLowerCase()}://${host ?? "<pod IP>"}:${port}${path}`),
      receiverService: receiver && pulumi.output(receiver.serviceName),
      receiverAnswer:
        receiver && watch
          ? pulumi
              .all([outputs.state, outputs.namespace, pod.metadata.creationTimestamp])
              .apply(([, namespace, since]) => answer(watch, receiver.serviceName, { namespace, path, since }))
          : undefined,
    };
    Object.assign(this, o);
    this.registerOutputs(o);
  }
}

/** What the receiver answered the hook, in words, read from its pods' log once the hook's pod is ready. */
async function answer(watch: PodWatch, service: string, at: { namespace: string; path: string; since: string }) {
  try {
    const logged = await watch.loggedRequest({ ...at, selector: `app=${service}` });
    if (!logged) return `${service} logged no GET ${at.path}`;
    const said = `${service} answered ${logged.status} to GET ${at.path}`;
    if (logged.status < 400) return said;
    return `${said}: the hook missed its mark, though Kubernetes counted it as successful`;
  } catch (e) {
    // Only a report: what the hook did is not in question, so the update goes on.
    return `${service}'s log not read: ${e instanceof Error ? e.message : String(e)}`;
  }
}
