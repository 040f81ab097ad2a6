// `node --import tsx bench/program-eval.ts <N>`: evaluates N quote-poststart scenario instances
// (QuotePostStartPod, names quote-poststart-<i>, one provider) through `record()` of
// tools/offline.ts, registrations through Pulumi's mocks included; prints one JSON line
// {n, ms, maxRssBytes, rssBeforeBytes, heapUsedBytes, resources}. Module loading is done first and
// not timed. One size per process, so that the memory figures are this size's alone.
import * as k8s from "@pulumi/kubernetes";
import { QuotePostStartPod } from "../infra";
import { record } from "../tools/offline";

async function main() {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 1) throw new Error("usage: program-eval.ts <N>");
  const rssBeforeBytes = process.memoryUsage().rss;
  const t0 = performance.now();
  const { resources } = await record(() => {
    const provider = new k8s.Provider("cluster", { context: "lab" });
    return Array.from({ length: n }, (_, i) => {
      const name = `quote-poststart-${i}`;
      return new QuotePostStartPod(name, { name }, { providers: [provider] }).outputs;
    });
  });
  const ms = performance.now() - t0;
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const heapUsedBytes = process.memoryUsage().heapUsed;
  process.stdout.write(`${JSON.stringify({ n, ms, maxRssBytes, rssBeforeBytes, heapUsedBytes, resources: resources.length })}\n`);
}

main().catch((e) => {
  process.stderr.write(`program-eval: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
