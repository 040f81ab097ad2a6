// `npm run render -- --scenario <name>` / `--stack <name>`: the manifests a scenario or stack would
// apply, as multi-document YAML for `kubectl apply -f -`, with no cluster and no Pulumi CLI.
import * as path from "node:path";
import { parseArgs } from "node:util";
import YAML from "yaml";
import { runOffline, type RecordedResource } from "./offline";
import { PROJECT, parseSettings } from "./settings";
import { stackConfig } from "./stack-file";

const ROOT = path.resolve(__dirname, "..");

/** A stack file's config, or a single scenario with every other setting at its default. */
export function rawConfig(options: { scenario?: string; stack?: string }): Record<string, unknown> {
  if ((options.scenario === undefined) === (options.stack === undefined)) {
    throw new Error("usage: npm run render -- --scenario <name> | --stack <name>");
  }
  if (options.scenario !== undefined) return { [`${PROJECT}:scenarios`]: [options.scenario] };
  return stackConfig(options.stack!, ROOT);
}

/** The object as `kubectl apply` takes it: Kubernetes resources only, without Pulumi's await annotations. */
function manifest(resource: RecordedResource): Record<string, unknown> | undefined {
  if (!resource.type.startsWith("kubernetes:") || resource.type.startsWith("pulumi:")) return undefined;
  const { apiVersion, kind, metadata, ...rest } = resource.inputs;
  const annotations = Object.entries(metadata?.annotations ?? {}).filter(([k]) => !k.startsWith("pulumi.com/"));
  const { annotations: _, ...meta } = metadata ?? {};
  return { apiVersion, kind, metadata: annotations.length ? { ...meta, annotations: Object.fromEntries(annotations) } : meta, ...rest };
}

/** Keys in the order the book writes them; the rest follow alphabetically. */
const KEY_ORDER = ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "image", "imagePullPolicy", "command", "ports", "lifecycle", "host", "port", "path"];

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== "object") return value;
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(keys.map((k) => [k, ordered((value as Record<string, unknown>)[k])]));
}

export async function render(raw: Record<string, unknown>): Promise<string> {
  const { resources } = await runOffline(parseSettings(raw));
  const docs = resources.flatMap((r) => {
    if (r.type.startsWith("kubernetes-cert-manager:")) {
      return [`# cert-manager itself: a Helm release installed by @pulumi/kubernetes-cert-manager (${r.name}), not rendered here\n`];
    }
    const m = manifest(r);
    return m ? [YAML.stringify(ordered(m), { lineWidth: 0 })] : [];
  });
  return docs.join("---\n");
}

/** The command line: the YAML, or the error and exit code 1; nothing is written to `out` on error. */
export async function cli(args: string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
  try {
    const { values } = parseArgs({ args, options: { scenario: { type: "string" }, stack: { type: "string" } } });
    out(await render(rawConfig(values)));
    return 0;
  } catch (e) {
    err(`render: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void cli(process.argv.slice(2), (t) => process.stdout.write(t), (t) => process.stderr.write(t)).then((code) => {
    process.exitCode = code;
  });
}
