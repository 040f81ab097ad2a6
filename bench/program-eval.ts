// `node bench/program-eval.ts <N> [raw]`: N QuotePostStartPods (`raw`: N Pods of the same spec) evaluated
// with Pulumi's mocks (tools/offline.ts), loading not timed; one JSON line. One size per process: its memory alone.
import * as k8s from "@pulumi/kubernetes";
import { hooks, QuotePostStartPod } from "../infra/index.ts";
import { quoteScriptSteps } from "../infra/quote-pod.ts";
import { record } from "../tools/offline.ts";

async function main() {
  const [n, kind] = [Number(process.argv[2]), process.argv[3]];
  if (!Number.isInteger(n) || n < 1 || ![undefined, "raw"].includes(kind))
    throw new Error("usage: program-eval.ts <N> [raw]");
  // The spec the component creates, written out as a user of the provider alone would.
  const postStart = hooks.script(quoteScriptSteps({}));
  const rssBeforeBytes = process.memoryUsage().rss;
  const t0 = performance.now();
  const { resources } = await record(() => {
    const provider = new k8s.Provider("cluster", { context: "lab" });
    return Array.from({ length: n }, (_, i) => {
      const name = `quote-poststart-${i}`;
      if (kind !== "raw") return new QuotePostStartPod(name, { name }, { providers: [provider] }).state;
      const container = { name: "nginx", image: "nginx:alpine", ports: [{ name: "http", containerPort: 80 }] };
      const spec = { containers: [{ ...container, lifecycle: { postStart } }] };
      return new k8s.core.v1.Pod(name, { metadata: { name }, spec }, { provider, deleteBeforeReplace: true }).status;
    });
  });
  const ms = performance.now() - t0;
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const heapUsedBytes = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ n, ms, maxRssBytes, rssBeforeBytes, heapUsedBytes, resources: resources.length }));
}

main().catch((e) => {
  process.stderr.write(`program-eval: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
