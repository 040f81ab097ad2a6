// The real `pulumi preview` of every shipped stack against the lab's real API server, with the
// provider's server-side dry run: the server validates every object.
import { beforeAll, describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../stacks/settings.ts";
import { ensureLab, pulumi } from "./lab.ts";

const MINUTES = 60_000;

beforeAll(() => ensureLab(), 60 * MINUTES);

describe("pulumi preview on the lab cluster", () => {
  it(
    "dev stack (cluster set to the lab): the quote pod",
    () => {
      const { status, output } = pulumi("preview", "dev", { cluster: "lab" });
      expect(output).toMatch(/\+\s+poststart:index:QuotePostStartPod\s+quote-poststart\s+create/);
      expect(output).toMatch(/\+\s+kubernetes:core\/v1:Pod\s+quote-poststart\s+create/);
      expect(status).toBe(0);
    },
    10 * MINUTES,
  );

  it(
    "lab stack: all seven scenarios, the one receiver and the namespace",
    () => {
      const { status, output } = pulumi("preview", "lab");
      for (const pod of SCENARIO_NAMES) {
        expect(output).toMatch(new RegExp(`\\+\\s+kubernetes:core/v1:Pod\\s+${pod}\\s+create`));
      }
      expect(output).toMatch(/\+\s+kubernetes:core\/v1:Service\s+myservice\s+create/);
      expect(output).toMatch(/\+\s+kubernetes:core\/v1:Namespace\s+kia-ch06\s+create/);
      expect(status).toBe(0);
    },
    10 * MINUTES,
  );

  it(
    "a bad setting fails before anything is created, with the clear message",
    () => {
      const { status, output } = pulumi("preview", "lab", { scenarios: ["quote-postart"] });
      expect(status).not.toBe(0);
      expect(output).toContain(
        `poststart-lab:scenarios: "quote-postart" is not allowed; allowed: one of quote-poststart, quote-poststart-slow`,
      );
      expect(output).not.toMatch(/kubernetes:core\/v1:Pod\s+\S+\s+create/);
    },
    10 * MINUTES,
  );

  it(
    "every value the offline rules refuse stops preview before anything is created, naming the key",
    () => {
      const bad: [Record<string, unknown>, string][] = [
        [
          { "postart-lab:scenarios": ["quote-poststart"] },
          "postart-lab:scenarios: no such setting; allowed: poststart-lab:scenarios, ",
        ],
        [
          { quotesUrl: "http://10.96.100.101/book%ZZquotes.txt" },
          `poststart-lab:quotesUrl: "http://10.96.100.101/book%ZZquotes.txt" is not allowed`,
        ],
        [
          { quotesUrl: "http://u:p@10.96.100.101/book-quotes.txt" },
          `poststart-lab:quotesUrl: "http://u:***@10.96.100.101/book-quotes.txt" is not allowed`,
        ],
        [
          { quotesUrl: "http://10.96.100.101/-q.txt" },
          `poststart-lab:quotesUrl: "http://10.96.100.101/-q.txt" is not allowed`,
        ],
        [{ hookOutputFile: "/" }, `poststart-lab:hookOutputFile: "/" is not allowed`],
        [{ image: "NGINX::Bad" }, `poststart-lab:image: "NGINX::Bad" is not allowed`],
        [{ hookReceiverClusterIP: "127.0.0.1" }, `poststart-lab:hookReceiverClusterIP: "127.0.0.1" is not allowed`],
      ];
      for (const [sets, message] of bad) {
        const { status, output } = pulumi("preview", "lab", sets);
        expect(status, output).not.toBe(0);
        expect(output).toContain(message);
        expect(output).not.toMatch(/kubernetes:\S+\s+\S+\s+create/);
      }
    },
    10 * MINUTES,
  );

  it(
    "a receiver ClusterIP outside the service range fails with the API server's own message, before anything is created",
    () => {
      // 10.200.0.1 is a valid IPv4 address outside the lab's service range; the namespace does not exist yet.
      const { status, output } = pulumi("preview", "lab", {
        scenarios: ["poststart-httpget"],
        hookReceiverClusterIP: "10.200.0.1",
      });
      expect(status).not.toBe(0);
      expect(output).toContain(
        `poststart-lab:hookReceiverClusterIP: "10.200.0.1" is not allowed: the cluster answered: spec.clusterIPs: Invalid value: ["10.200.0.1"]: failed to allocate IP 10.200.0.1: the provided IP (10.200.0.1) is not in the valid range`,
      );
      expect(output).not.toMatch(/kubernetes:core\/v1:\w+\s+\S+\s+create/);
    },
    10 * MINUTES,
  );

  it(
    "the API server's own ClusterIP is refused, naming its Service",
    () => {
      const { status, output } = pulumi("preview", "lab", {
        scenarios: ["poststart-httpget"],
        hookReceiverClusterIP: "10.96.0.1",
      });
      expect(status).not.toBe(0);
      expect(output).toContain(
        `poststart-lab:hookReceiverClusterIP: "10.96.0.1" is not allowed: it is the ClusterIP of the Service default/kubernetes`,
      );
    },
    10 * MINUTES,
  );

  it(
    "a stack whose context is not in the kubeconfig fails, naming it and the contexts there are",
    () => {
      const { status, output } = pulumi("preview", "dev");
      expect(status).not.toBe(0);
      expect(output).toMatch(
        /the kubeconfig context "kind-kind" is not in \$KUBECONFIG \(.*kubeconfig\); its contexts: lab/,
      );
    },
    10 * MINUTES,
  );
});
