// A receiver's log (nginx `combined`): the kubelet counts any answer as success, so only here shows a hook's 404.
import type { LoggedRequest } from "../infra/pod-watch.ts";
import { type KubeClient, statusMessage } from "./kube.ts";

/** The requests for `path` in a receiver's log, oldest first; with `notBefore`, only those logged at or after it. */
export function parseReceiverLog(log: string, path: string, notBefore?: string): LoggedRequest[] {
  const found: LoggedRequest[] = [];
  for (const raw of log.split("\n")) {
    const m = /^(?:(\d{4}-\d\d-\d\dT\S+Z) )?(\S+) \S+ \S+ \[[^\]]*\] "(GET (\S+) HTTP\/[\d.]+)" (\d{3}) /.exec(raw);
    if (!m || m[4]!.split("?")[0] !== path) continue;
    if (notBefore && m[1] && Date.parse(m[1]) < Date.parse(notBefore) - 1000) continue;
    found.push({
      ...(m[1] ? { at: m[1] } : {}),
      client: m[2]!,
      request: m[3]!,
      status: Number(m[5]),
      line: (m[1] ? raw.slice(m[1].length + 1) : raw).trim(),
    });
  }
  return found;
}

/** The first request for `path` a receiver pod (label `selector`) logged since `notBefore`, or how many there were. */
export async function findLoggedRequest(
  kube: KubeClient,
  namespace: string,
  selector: string,
  path: string,
  notBefore: string | undefined,
): Promise<{ receiver: string; request: LoggedRequest } | { receiverPods: number }> {
  const pods = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  const list = await kube.get(`${pods}?labelSelector=${encodeURIComponent(selector)}`);
  const receivers: string[] = (list?.items ?? []).map((p: { metadata: { name: string } }) => p.metadata.name);
  for (const receiver of receivers) {
    const answer = await kube.request("GET", `${pods}/${receiver}/log?timestamps=true&tailLines=1000`);
    if (answer.status !== 200) throw new Error(`the log of ${receiver}: ${statusMessage(answer)}`);
    const request = parseReceiverLog(String(answer.body), path, notBefore)[0];
    if (request) return { receiver, request };
  }
  return { receiverPods: receivers.length };
}
