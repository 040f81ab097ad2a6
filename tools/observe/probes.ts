// What the observer reads from the cluster once a scenario's pod is ready: the quote (through the
// API server's pod proxy), the hook's output file (exec), the request the receiver logged.
import { type ApiAnswer, type KubeClient, statusMessage } from "../../infra/kube";
import type { RawPod } from "./facts";
import type { Target } from "./plan";
import { type LoggedRequest, parseReceiverLog } from "./record";

/** The message of a failed answer, with its status code. */
function failure(answer: ApiAnswer): string {
  const message = statusMessage(answer);
  return message.startsWith("HTTP ") ? message : `HTTP ${answer.status}: ${message}`;
}

/** A GET whose answer is text (the pod proxy, logs). */
async function getText(kube: KubeClient, path: string): Promise<string> {
  const answer = await kube.request("GET", path);
  if (answer.status < 200 || answer.status >= 300) throw new Error(failure(answer));
  return typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
}

/** The quote the pod serves; throws when it serves none (yet). */
export async function fetchQuote(kube: KubeClient, t: Target): Promise<string> {
  const quote = await getText(kube, `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${t.pod}:${t.quote!.port}/proxy${t.quote!.path}`);
  if (quote.trim() === "") throw new Error("empty answer");
  return quote;
}

/** `cat` of the hook's output file in the container (`kubectl exec <pod> -- cat <file>`). */
export function readHookOutput(kube: KubeClient, t: Target): Promise<string> {
  return kube.exec(t.namespace, t.pod, "nginx", ["cat", t.expectation.hookOutputFile!]);
}

export type ReceiverAnswer = { receiver: string; request: LoggedRequest } | { receiverPods: number };

/** The first request for the hook's path that a receiver pod logged since `notBefore`, or how many receiver pods there were. */
export async function findHookRequest(kube: KubeClient, t: Target, selector: string, notBefore: string | undefined): Promise<ReceiverAnswer> {
  const ns = encodeURIComponent(t.namespace);
  const list = (await kube.get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`)) as { items: RawPod[] } | undefined;
  const pods = list?.items ?? [];
  for (const receiver of pods) {
    const log = await getText(kube, `/api/v1/namespaces/${ns}/pods/${receiver.metadata.name}/log?timestamps=true&tailLines=1000`);
    const request = parseReceiverLog(log, t.expectation.hookPath!, notBefore)[0];
    if (request) return { receiver: receiver.metadata.name, request };
  }
  return { receiverPods: pods.length };
}
