// Stack config: defaults declared once in Pulumi.yaml and settings.ts alike, and clear errors for bad values.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { SCENARIO_NAMES } from "../../stacks/scenarios";
import { DEFAULTS, parseSettings, PROJECT } from "../../stacks/settings";

const root = path.join(__dirname, "..", "..");
const project = YAML.parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));

describe("the config schema", () => {
  it("Pulumi.yaml declares every setting, with the same default as the program", () => {
    const declared = Object.fromEntries(Object.entries(project.config).map(([k, v]: [string, any]) => [k, v.default]));
    expect(declared).toEqual(DEFAULTS);
    expect(project.name).toBe(PROJECT);
  });

  it("the dev stack deploys quote-poststart to kind", () => {
    const dev = YAML.parse(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")).config;
    expect(parseSettings(dev)).toMatchObject({ scenarios: ["quote-poststart"], cluster: "kind", namespace: "default" });
  });

  it("takes values as the Pulumi CLI hands them over: strings, JSON for lists", () => {
    const settings = parseSettings({
      [`${PROJECT}:scenarios`]: '["quote-poststart-slow","poststart-httpget"]',
      [`${PROJECT}:installFortune`]: "false",
      [`${PROJECT}:slowHookDelaySeconds`]: "15",
      "kubernetes:context": "ignored: another package's setting",
    });
    expect(settings).toMatchObject({ scenarios: ["quote-poststart-slow", "poststart-httpget"], installFortune: false, slowHookDelaySeconds: 15 });
  });
});

describe("bad settings fail before anything is created, naming the key, the value and what is allowed", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ scenarios: ["quote-postart"] }, `poststart-lab:scenarios: "quote-postart" is not allowed; allowed: ${SCENARIO_NAMES.join(", ")}`],
    [{ scenarios: [] }, "poststart-lab:scenarios: [] is not allowed; allowed: a non-empty list of quote-poststart"],
    [{ scenarios: ["quote-poststart", "quote-poststart"] }, "allowed: each scenario at most once"],
    [{ namespace: "Hooks" }, `poststart-lab:namespace: "Hooks" is not allowed; allowed: 1 to 63 lower-case letters`],
    [{ cluster: "kind-kind" }, `poststart-lab:cluster: "kind-kind" is not allowed; allowed: current, kind, minikube, lab`],
    [{ imagePullPolicy: "never" }, `poststart-lab:imagePullPolicy: "never" is not allowed; allowed: Always, IfNotPresent, Never`],
    [{ image: "nginx alpine" }, `poststart-lab:image: "nginx alpine" is not allowed`],
    [{ quotesUrl: "ftp://x/q.txt" }, `poststart-lab:quotesUrl: "ftp://x/q.txt" is not allowed; allowed: an http:// or https:// URL`],
    [{ installFortune: "yes" }, `poststart-lab:installFortune: "yes" is not allowed; allowed: true, false`],
    [{ slowHookDelaySeconds: "1.5" }, `poststart-lab:slowHookDelaySeconds: "1.5" is not allowed; allowed: a whole number of seconds from 0 to 3600`],
    [{ slowHookDelaySeconds: 4000 }, "poststart-lab:slowHookDelaySeconds: 4000 is not allowed"],
    [{ hookReceiverClusterIP: "10.96.300.1" }, `poststart-lab:hookReceiverClusterIP: "10.96.300.1" is not allowed; allowed: an IPv4 address`],
    [{ hookScheme: "https" }, `poststart-lab:hookScheme: "https" is not allowed; allowed: HTTP, HTTPS`],
    [{ hookOutputFile: "log.txt" }, `poststart-lab:hookOutputFile: "log.txt" is not allowed; allowed: an absolute path`],
    [{ [`${PROJECT}:scenario`]: "quote-poststart" }, `poststart-lab:scenario: "quote-poststart" is not allowed; allowed: no such setting; the settings are scenarios, namespace`],
  ];
  for (const [raw, message] of cases) {
    it(JSON.stringify(raw), () => {
      expect(() => parseSettings(raw)).toThrow(message);
    });
  }
});
