// Clusters that are not the user's alone, on the lab with the real CLI: a user with the `admin`
// role in its namespaces only (a ServiceAccount's token) deploys and destroys all seven scenarios;
// namespaces that enforce Pod Security make `preview` fail, naming the level, what it refuses and
// each scenario, and `up` refuse before anything is created. Every error is printed once.
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../stacks/settings.ts";
import { ensureLab, kubectl, namespaceUser, pulumiAs, ROOT, type Run, run } from "./lab.ts";

const MINUTES = 60_000;
const HOME = "team-a";
const BASELINE = "psa-baseline";
const RESTRICTED = "psa-restricted";
const ENFORCE = "pod-security.kubernetes.io/enforce";
/** The scenarios whose pods set a lifecycle httpGet host, which baseline forbids since Kubernetes 1.34. */
const HOST_SCENARIOS = ["poststart-httpget", "poststart-httpget-404"];
const DIR = mkdtempSync(path.join(os.tmpdir(), "restricted-"));
/** The lab stack's settings, all seven scenarios, in another namespace. */
const into = (namespace: string) => ({ namespace });

let kubeconfig: string;

beforeAll(() => {
  ensureLab();
  kubeconfig = namespaceUser(DIR, "student", [HOME, BASELINE, RESTRICTED], {
    [BASELINE]: { [ENFORCE]: "baseline" },
    [RESTRICTED]: { [ENFORCE]: "restricted" },
  });
}, 60 * MINUTES);

afterAll(() => {
  pulumiAs(kubeconfig, "destroy", "lab", into(HOME));
  kubectl("delete", "namespace", HOME, BASELINE, RESTRICTED, "--ignore-not-found", "--wait=false");
  rmSync(DIR, { recursive: true, force: true });
}, 10 * MINUTES);

/** How often `text` occurs in `output`. */
const count = (output: string, text: string) => output.split(text).length - 1;

/**
 * The error is printed in the program's words only: without the runtime's serialization prefix or a
 * "One or more errors occurred" copy. `npm run` runs the program through the Automation API, whose
 * inline language server (@pulumi/pulumi 3.276.0) reports the program's error a second time as the
 * run's own error: at most two diagnostics (each shown in its progress row and again in the summary
 * under "Diagnostics:"). A plain `pulumi preview` prints it once (tests/e2e/own-cli.test.ts).
 */
function expectOnce(run: Run, message: string) {
  const at = run.output.lastIndexOf("\nDiagnostics:");
  expect(at, run.output).toBeGreaterThan(0);
  expect(count(run.output.slice(at), message), run.output).toBeGreaterThanOrEqual(1);
  expect(count(run.output.slice(at), message), run.output).toBeLessThanOrEqual(2);
  expect(run.output).not.toContain("error serializing property");
  expect(run.output).not.toContain("One or more errors occurred");
}

/** Nothing of the stack in `namespace`: no pod, deployment, service or config map. */
function expectNothingIn(namespace: string) {
  const left = kubectl("-n", namespace, "get", "pods,deployments,services,configmaps", "-o", "name");
  expect(left.status, left.output).toBe(0);
  expect(left.output.split("\n").filter((l) => l && l !== "configmap/kube-root-ca.crt")).toEqual([]);
}

describe("a user with the admin role in one namespace only", () => {
  it(
    "may not list the cluster's Services or create namespaces (the premise)",
    () => {
      const asUser = (...args: string[]) =>
        run(path.join(ROOT, ".lab", "bin", "kubectl"), ["--kubeconfig", kubeconfig, ...args]);
      // kubectl's answer is the first line (a warning may follow: namespaces are not namespaced).
      const answer = (...args: string[]) =>
        asUser("auth", "can-i", ...args)
          .output.trim()
          .split("\n")[0];
      expect(answer("list", "services", "--all-namespaces")).toBe("no");
      expect(answer("create", "namespaces")).toBe("no");
      expect(answer("create", "pods", "-n", HOME)).toBe("yes");
    },
    2 * MINUTES,
  );

  it(
    "deploys all seven scenarios into its namespace and destroys them, the namespace kept",
    () => {
      const up = pulumiAs(kubeconfig, "up", "lab", into(HOME));
      expect(up.output).not.toMatch(/forbidden/i);
      expect(up.status, up.output).toBe(0);
      // What it may not check (it may not list the cluster's Services) is said once, among the diagnostics.
      const note = `poststart-lab:hookReceiverClusterIP: "10.96.100.100": whether it is free is not checked before, as this user may not list the cluster's Services`;
      const diagnostics = up.output.slice(up.output.lastIndexOf("\nDiagnostics:"));
      expect(count(diagnostics, note), up.output).toBe(1);
      const pods = kubectl("-n", HOME, "get", "pods", "-o", "jsonpath={.items[*].metadata.name}").output.split(" ");
      for (const scenario of SCENARIO_NAMES) expect(pods).toContain(scenario);
      expect(pods.some((p) => p.startsWith("myservice-"))).toBe(true);

      const destroy = pulumiAs(kubeconfig, "destroy", "lab", into(HOME));
      expect(destroy.output).not.toMatch(/forbidden/i);
      expect(destroy.status, destroy.output).toBe(0);
      expectNothingIn(HOME);
      expect(kubectl("get", "namespace", HOME, "-o", "name").output.trim()).toBe(`namespace/${HOME}`);
    },
    20 * MINUTES,
  );

  it(
    "is told, once, that it may not use another namespace, and that the stack cannot create one for it",
    () => {
      const preview = pulumiAs(kubeconfig, "preview", "lab", into("team-b"));
      expect(preview.status).not.toBe(0);
      expectOnce(preview, `poststart-lab:namespace: "team-b" is not allowed: this user may not use it (`);
      expect(preview.output).toContain(
        `(a namespace it may not read it cannot create either): set poststart-lab:namespace to one of them`,
      );
    },
    10 * MINUTES,
  );
});

describe("a namespace that enforces Pod Security", () => {
  const refusal = (level: string, scenario: string) =>
    `enforces the Pod Security level "${level}:latest" (label pod-security.kubernetes.io/enforce), which refuses the scenario ${scenario}'s pod:`;

  it(
    "baseline: preview fails, naming the level, the lifecycle host and the two httpGet scenarios that set one; once each",
    () => {
      const preview = pulumiAs(kubeconfig, "preview", "lab", into(BASELINE));
      expect(preview.status).not.toBe(0);
      for (const scenario of HOST_SCENARIOS) {
        expectOnce(
          preview,
          `${refusal("baseline", scenario)} probe or lifecycle host (container "nginx" uses probe or lifecycle host "10.96.100.100")`,
        );
      }
      for (const scenario of SCENARIO_NAMES.filter((s) => !HOST_SCENARIOS.includes(s)))
        expect(preview.output).not.toContain(`scenario ${scenario}'s pod`);
    },
    10 * MINUTES,
  );

  it(
    "baseline: up refuses before anything is created",
    () => {
      const up = pulumiAs(kubeconfig, "up", "lab", into(BASELINE));
      expect(up.status).not.toBe(0);
      expectOnce(up, refusal("baseline", "poststart-httpget"));
      expect(up.output).not.toMatch(/kubernetes:\S+\s+\S+\s+created/);
      expectNothingIn(BASELINE);
    },
    10 * MINUTES,
  );

  it(
    "restricted: preview fails, naming every one of the seven scenarios once",
    () => {
      const preview = pulumiAs(kubeconfig, "preview", "lab", into(RESTRICTED));
      expect(preview.status).not.toBe(0);
      for (const scenario of SCENARIO_NAMES) expectOnce(preview, refusal("restricted", scenario));
    },
    10 * MINUTES,
  );

  it(
    "the quote pod alone passes baseline: preview is green",
    () => {
      const preview = pulumiAs(kubeconfig, "preview", "lab", { ...into(BASELINE), scenarios: ["quote-poststart"] });
      expect(preview.status, preview.output).toBe(0);
    },
    10 * MINUTES,
  );
});
