// The manifests a stack's settings would apply, as `kubectl apply -f -` takes them: the program run
// offline (tools/offline.ts), its Kubernetes resources as multi-document YAML.
import YAML from "yaml";
import { parseSettings } from "../stacks/settings";
import { type RecordedResource, runOffline } from "./offline";

/** The object as `kubectl apply` takes it: Kubernetes resources only, without Pulumi's await annotations. */
function manifest(resource: RecordedResource): Record<string, unknown> | undefined {
  if (!resource.type.startsWith("kubernetes:") || resource.type.startsWith("pulumi:")) return undefined;
  const { apiVersion, kind, metadata, ...rest } = resource.inputs;
  const annotations = Object.entries(metadata?.annotations ?? {}).filter(([k]) => !k.startsWith("pulumi.com/"));
  const { annotations: _, ...meta } = metadata ?? {};
  return {
    apiVersion,
    kind,
    metadata: annotations.length ? { ...meta, annotations: Object.fromEntries(annotations) } : meta,
    ...rest,
  };
}

/** Keys in the order the book writes them; the rest follow alphabetically. */
const KEY_ORDER = [
  "apiVersion",
  "kind",
  "metadata",
  "name",
  "namespace",
  "labels",
  "annotations",
  "image",
  "imagePullPolicy",
  "command",
  "ports",
  "lifecycle",
  "host",
  "port",
  "path",
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
  const docs = resources.flatMap((r) => {
    if (r.type.startsWith("kubernetes-cert-manager:")) {
      return [
        `# cert-manager itself: a Helm release installed by @pulumi/kubernetes-cert-manager (${r.name}), ` +
          "not rendered here\n",
      ];
    }
    const m = manifest(r);
    return m ? [YAML.stringify(ordered(m), { lineWidth: 0 })] : [];
  });
  return docs.join("---\n");
}
