// `npm start -- <scenario>` on the lab cluster, as a reader runs it (tools/quickstart.sh falls back
// to the lab where no kind or minikube answers): one scenario deployed with the observer watching,
// its verdict, the pods left to explore, and `npm start -- --down`.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../stacks/settings.ts";
import { ensureLab, kubectl, ROOT, type Run, run } from "./lab.ts";

const MINUTES = 60_000;
const start = (...args: string[]): Run => run("bash", ["tools/quickstart.sh", ...args]);
const podsInDefault = () => kubectl("-n", "default", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}").output;

let deployed: Run;

beforeAll(() => {
  ensureLab();
  start("--down"); // whatever an earlier run left
  // The lab stack's receiver (same ClusterIP, another namespace) gone first: a hook sent to a ClusterIP
  // another Service held seconds before was once DNATed on the node to that Service's old pod, and hung.
  kubectl("wait", "--for=delete", "pods", "-A", "-l", "app=myservice", "--timeout=120s");
  deployed = start("poststart-httpget-404");
}, 15 * MINUTES);

afterAll(() => {
  start("--down");
}, 10 * MINUTES);

describe("npm start -- <scenario> on the lab", () => {
  it("poststart-httpget-404: the verdict names the 404, the pod is ready and stays, the README's commands follow", () => {
    expect(deployed.status, deployed.output).toBe(0);
    expect(deployed.output).toContain("poststart-httpget-404: behaved as the book says");
    expect(deployed.output).toMatch(
      /ok {3}the receiver answered 404 Not Found: the hook missed its mark, and nothing in Kubernetes says so: answered 404/,
    );
    expect(deployed.output).toMatch(
      /ok {3}Kubernetes counted the hook as successful: pod Ready, no FailedPostStartHook event: Ready, 0 FailedPostStartHook events/,
    );
    // The observer saw the pod from its creation: it was watching before pulumi up created it.
    expect(deployed.output).toMatch(/poststart-httpget-404 +phase Pending/);
    expect(deployed.output).toContain("myservice answered 404 to GET /container-start: the hook missed its mark");
    const picture = /The picture of what the observer saw: (\S+\.svg)/.exec(deployed.output);
    expect(picture, "npm start names the picture it drew").not.toBeNull();
    expect(readFileSync(path.resolve(ROOT, picture![1]!), "utf8")).toMatch(/^<svg [^>]*width="800"/);
    expect(deployed.output).toMatch(
      /Explore it in context lab[^\n]*\n {2}export KUBECONFIG=\S+ PATH=\S+:\$PATH\n {2}kubectl get pod poststart-httpget-404\n {2}kubectl logs deploy\/myservice\n/,
    );
    const ready = kubectl(
      "-n",
      "default",
      "get",
      "pod",
      "poststart-httpget-404",
      "-o",
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    );
    expect(ready.output).toBe("True");
    expect(kubectl("-n", "default", "logs", "deploy/myservice").output).toMatch(
      /"GET \/container-start HTTP\/1\.1" 404 /,
    );
  });

  it("an unknown name fails before anything is created, listing the scenarios", () => {
    const before = podsInDefault();
    const refused = start("poststart-httpget-405");
    expect(refused.status).toBe(2);
    expect(refused.output).toBe(
      `start: "poststart-httpget-405" is not a scenario; the scenarios: ${SCENARIO_NAMES.join(", ")}\n`,
    );
    expect(podsInDefault()).toBe(before);
  });

  it(
    "npm start -- --down removes the scenario's pods and the receiver",
    () => {
      const down = start("--down");
      expect(down.status, down.output).toBe(0);
      const left = podsInDefault();
      for (const pod of ["poststart-httpget-404", "myservice"]) expect(left).not.toContain(pod);
    },
    10 * MINUTES,
  );
});
