// How `pulumi up` waits for a pod or a Deployment's pods; cluster/ implements it, connected by `connectPodWatches`.
import type * as pulumi from "@pulumi/pulumi";
import type { Until } from "./pod-state.ts";

/** A receiver's request as nginx logs it (`combined`): `status` is its answer; `at`, the kubelet's RFC 3339 prefix. */
export type LoggedRequest = { at?: string; client: string; request: string; status: number; line: string };
export interface WaitTarget {
  namespace: string;
  /** the pod's name, or the Deployment's: what the messages name */
  name: string;
  /** a pod: the one with this uid (an older pod of the same name is not it) */
  uid?: string;
  /** a Deployment: its pods, by label selector (`app=myservice`) */
  selector?: string;
  /** the Service in front of them: ready only once it has a ready endpoint that kube-proxy routes to */
  service?: string;
  until: Until;
  /** how long `pulumi up` waits at most; past it, it fails naming what it still waited for */
  timeoutSeconds: number;
  /** what the pod takes by design, said in the progress (`the slow hook sleeps 60 s`) */
  note?: string | undefined;
}
export interface PodWatch {
  /** The pod's state once it reaches `until`; rejects with `<name>: <cause>` once it fails for good or time is up. */
  wait(target: WaitTarget, progress?: (message: string) => void /* at least every 10 s */): Promise<string>;
  /** The first GET `path` the pods of `selector` logged since `since`, waiting a few seconds; undefined if none. */
  loggedRequest(query: LogQuery): Promise<LoggedRequest | undefined>;
}
type LogQuery = { namespace: string; selector: string; path: string; since: string };
let connect: ((component: pulumi.Resource) => PodWatch) | undefined;
/** Sets how a component with `failFast` finds the watch of its cluster (the package's entry and the program do). */
export function connectPodWatches(connector: (component: pulumi.Resource) => PodWatch): void {
  connect = connector;
}
export function podWatchFor(component: pulumi.Resource): PodWatch {
  if (!connect) throw new Error("failFast: no cluster connection: import the components from the package's entry");
  return connect(component);
}
