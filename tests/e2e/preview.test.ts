// The real `pulumi preview` of every shipped stack against the lab's real API server, with the
// provider's server-side dry run: the server validates every object.
import { beforeAll, describe, expect, it } from "vitest";
import { ensureLab, pulumi } from "./lab";

const MINUTES = 60_000;

beforeAll(() => ensureLab(), 60 * MINUTES);

describe("pulumi preview on the lab cluster", () => {
  it("dev stack (cluster set to the lab): the quote pod", () => {
    const { status, output } = pulumi("preview", "dev", { cluster: "lab" });
    expect(output).toMatch(/\+\s+poststart-lab:index:QuotePostStartPod\s+quote-poststart\s+create/);
    expect(output).toMatch(/\+\s+kubernetes:core\/v1:Pod\s+quote-poststart\s+create/);
    expect(status).toBe(0);
  }, 10 * MINUTES);

  it("lab stack: all six scenarios, the receiver and the namespace", () => {
    const { status, output } = pulumi("preview", "lab");
    for (const pod of ["quote-poststart", "quote-poststart-slow", "quote-poststart-fail", "quote-poststart-fail-norestart", "poststart-httpget", "poststart-httpget-slow"]) {
      expect(output).toMatch(new RegExp(`\\+\\s+kubernetes:core/v1:Pod\\s+${pod}\\s+create`));
    }
    expect(output).toMatch(/\+\s+kubernetes:core\/v1:Service\s+myservice\s+create/);
    expect(output).toMatch(/\+\s+kubernetes:core\/v1:Namespace\s+kia-ch06\s+create/);
    expect(status).toBe(0);
  }, 10 * MINUTES);

  it("a bad setting fails before anything is created, with the clear message", () => {
    const { status, output } = pulumi("preview", "lab", { scenarios: ["quote-postart"] });
    expect(status).not.toBe(0);
    expect(output).toContain(`poststart-lab:scenarios: "quote-postart" is not allowed; allowed: quote-poststart, quote-poststart-slow`);
    expect(output).not.toMatch(/kubernetes:core\/v1:Pod\s+\S+\s+create/);
  }, 10 * MINUTES);

  it("an object only the API server can reject fails with the server's message", () => {
    // 10.200.0.1 is a valid IPv4 address (our check passes) outside the lab's service range. In an
    // existing namespace: the provider can dry-run only there.
    const sets = { scenarios: ["poststart-httpget"], namespace: "default", hookReceiverClusterIP: "10.200.0.1" };
    const { status, output } = pulumi("preview", "lab", sets);
    expect(status).not.toBe(0);
    expect(output).toContain(
      `Service "myservice" is invalid: spec.clusterIPs: Invalid value: ["10.200.0.1"]: failed to allocate IP 10.200.0.1: the provided IP (10.200.0.1) is not in the valid range`,
    );
  }, 10 * MINUTES);
});
