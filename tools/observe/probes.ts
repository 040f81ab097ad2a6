// What the observer reads from the cluster once a scenario's pod is ready: the quote (through the
// API server's pod proxy), the hook's output file (exec). The receiver's log: cluster/receiver-log.ts.
import { type ApiAnswer, type KubeClient, statusMessage } from "../../cluster/kube";
import type { Target } from "./plan";

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
  const quote = await getText(
    kube,
    `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${t.pod}:${t.quote!.port}/proxy${t.quote!.path}`,
  );
  if (quote.trim() === "") throw new Error("empty answer");
  return quote;
}

/** `cat` of the hook's output file in the container (`kubectl exec <pod> -- cat <file>`). */
export function readHookOutput(kube: KubeClient, t: Target): Promise<string> {
  return kube.exec(t.namespace, t.pod, "nginx", ["cat", t.expectation.hookOutputFile!]);
}
