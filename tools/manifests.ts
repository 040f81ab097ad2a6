// The manifests a stack's settings would apply: the program run offline, its Kubernetes objects as multi-document YAML.
import YAML from "yaml";
import { parseSettings } from "../stacks/settings.ts";
import { runOffline } from "./offline.ts";

/** Keys in the order the book writes them; the rest follow alphabetically. */
const KEY_ORDER = [
  ...["apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "image", "imagePullPolicy"],
  ...["command", "ports", "lifecycle", "host", "port", "path"],
];

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== "object") return value;
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(keys.map((k) => [k, ordered((value as Record<string, unknown>)[k])]));
}

/** The YAML of every Kubernetes object the stack config `raw` would create. */
export async function render(raw: Record<string, unknown>): Promise<string> {
  const { resources } = await runOffline(parseSettings(raw));
  const docs = resources.flatMap(({ type, name, inputs }) => {
    const certManager = `# cert-manager itself: a Helm release installed by @pulumi/kubernetes-cert-manager (${name})`;
    if (type.startsWith("kubernetes-cert-manager:")) return [`${certManager}, not rendered here\n`];
    if (!type.startsWith("kubernetes:")) return [];
    // The object as `kubectl apply` takes it: without Pulumi's await annotations.
    const { apiVersion, kind, metadata, ...rest } = inputs;
    const { annotations, ...meta } = metadata ?? {};
    const kept = Object.entries(annotations ?? {}).filter(([k]) => !k.startsWith("pulumi.com/"));
    if (kept.length) meta.annotations = Object.fromEntries(kept);
    return [YAML.stringify(ordered({ apiVersion, kind, metadata: meta, ...rest }), { lineWidth: 0 })];
  });
  return docs.join("---\n");
}
