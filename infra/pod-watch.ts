// What `pulumi up` waits with: the interface the components wait through for a pod (or a
// Deployment's pods) to reach what its scenario waits for. Its implementation on a real cluster is
// cluster/pod-watch.ts; the components never talk to a cluster themselves.
import * as pulumi from "@pulumi/pulumi";
import type { Until } from "./pod-state";

/**
 * A receiver's request as nginx logs it (`combined`/`main` format; with `timestamps=true`, the kubelet's RFC 3339
 * prefix).
 */
export interface LoggedRequest {
  at?: string;
  client: string;
  request: string;
  /** the status nginx answered with */
  status: number;
  line: string;
}

export interface WaitTarget {
  namespace: string;
  /** the pod's name, or the Deployment's: what the messages name */
  name: string;
  /** a pod: the one with this uid (an older pod of the same name is not it) */
  uid?: string;
  /** a Deployment: its pods, by label selector (`app=myservice`) */
  selector?: string;
  /**
   * the Service in front of them: ready only once it has a ready endpoint, and the node's kube-proxy had time to route
   * to it
   */
  service?: string;
  until: Until;
  /** how long `pulumi up` waits at most; past it, it fails naming what it still waited for */
  timeoutSeconds: number;
  /** what the pod takes by design, said in the progress (`the slow hook sleeps 60 s`) */
  note?: string;
}

/** Waits for pods; the components take one to stop `pulumi up` with the kubelet's cause. */
export interface PodWatch {
  /**
   * Resolves with the pod's state once it reaches `until`; rejects with `<name>: <cause>` once it
   * fails for good or the time is up. Meanwhile calls `progress` at least every 10 s with what it
   * waits for and for how long.
   */
  wait(target: WaitTarget, progress?: (message: string) => void): Promise<string>;
  /** Stops `pulumi up` with this error (the first one only); resolves with the error reported, once it is. */
  fail(error: pulumi.ResourceError): Promise<Error>;
  /**
   * The first GET `path` that the pods of `selector` logged since `since`, waiting a few seconds for the line;
   * undefined if none.
   */
  loggedRequest(target: {
    namespace: string;
    selector: string;
    path: string;
    since: string;
  }): Promise<LoggedRequest | undefined>;
}

/**
 * The state `target` reached, or, once its failure was handed to `podWatch.fail` against
 * `resource` (so that the CLI prints the cause under that resource, once, without a stack trace;
 * a rejected output would print it wrapped in the outputs' serialization), the error reported.
 */
export function reach(
  podWatch: PodWatch,
  target: WaitTarget,
  resource: pulumi.Resource,
): Promise<{ state: string } | { failed: Error }> {
  // An ephemeral message: the status column of Pulumi's progress display, not a diagnostic kept at the end.
  const progress = (message: string) => void pulumi.log.info(message, resource, undefined, true);
  return podWatch.wait(target, progress).then(
    (state) => ({ state }),
    async (e: Error) => ({ failed: await podWatch.fail(new pulumi.ResourceError(e.message, resource, true)) }),
  );
}
