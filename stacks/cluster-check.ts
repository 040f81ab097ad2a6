// What the stack may touch on the cluster, checked before anything is created (preview and up):
// an existing namespace is used, never owned; an existing object with one of our fixed names stops
// the update unless the stack made it; the receiver's ClusterIP must be free and in the service range.
// The Kubernetes provider creates by server-side apply, which would silently take such objects over,
// and `destroy` would then delete them.
import type * as pulumi from "@pulumi/pulumi";
import { type ApiAnswer, statusMessage } from "../cluster/kube";
import { PROJECT } from "./settings";

/** Marks what a stack instance created, with its `stackMark`. Objects without it, or with another instance's, are not ours. */
export const OWNER_ANNOTATION = `${PROJECT}/stack`;

/**
 * A stack instance's mark: `<project>/<stack>@<id>`, the id being the one the Pulumi engine gave the
 * stack's Kubernetes provider when the stack first deployed (random, kept in the stack's state). So
 * two `dev` stacks in two backends or two clones differ, and `pulumi stack rename`, export and import
 * keep it. Only the id decides; the name is for people. Without an id (a preview of a stack that
 * never deployed) nothing on the cluster is the stack's.
 */
export const stackMark = (stack: string, id?: string) => `${stack}@${id ?? "not-deployed-yet"}`;
const instanceOf = (mark: string) => (mark.endsWith("@not-deployed-yet") ? undefined : /@([^@]+)$/.exec(mark)?.[1]);

/** What the checks need of the cluster (KubeClient in the program; a fake in unit tests). */
export interface ClusterReader {
  readonly context: string;
  readonly defaultNamespace: string;
  get(path: string): Promise<any | undefined>;
  request(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
}

/** A Kubernetes object the program is about to create, as its resource's inputs name it. */
export interface PlannedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** a Service's fixed ClusterIP */
  clusterIP?: string;
}

export type NamespaceOwner = "absent" | "ours" | "theirs";

const ownerOf = (object: any): string | undefined => object?.metadata?.annotations?.[OWNER_ANNOTATION];
/** Whether `object` carries the mark of the stack instance `owner`. */
const ownedBy = (object: any, owner: string) => {
  const mark = ownerOf(object);
  return mark !== undefined && instanceOf(mark) !== undefined && instanceOf(mark) === instanceOf(owner);
};

/** Whether the namespace exists, and whether this stack instance (`owner`, its mark) created it. `default` is never ours. */
export async function namespaceOwner(cluster: ClusterReader, namespace: string, owner: string): Promise<NamespaceOwner> {
  const existing = await cluster.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`);
  if (!existing) return "absent";
  return namespace !== "default" && ownedBy(existing, owner) ? "ours" : "theirs";
}

/** The REST path of an object: core `v1` under /api, groups under /apis; every kind we create pluralizes with an `s`. */
export function objectPath(o: PlannedObject, defaultNamespace: string): string {
  const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const plural = `${o.kind.toLowerCase()}s`;
  if (o.kind === "Namespace") return `${base}/${plural}/${encodeURIComponent(o.name)}`;
  return `${base}/namespaces/${encodeURIComponent(o.namespace ?? defaultNamespace)}/${plural}/${encodeURIComponent(o.name)}`;
}

const describe = (o: PlannedObject, ns: string) => `${o.kind} ${JSON.stringify(o.name)}${o.kind === "Namespace" ? "" : ` in namespace ${JSON.stringify(o.namespace ?? ns)}`}`;

/**
 * Throws, naming the object and the way out, if one of `planned` exists and this stack did not
 * create it (unless `adoptExisting`), or if a Service's fixed ClusterIP is taken by a Service not
 * ours or is outside the cluster's service range (the API server's own check, in a dry run).
 */
export async function checkPlanned(cluster: ClusterReader, planned: PlannedObject[], owner: string, adoptExisting: boolean): Promise<void> {
  const ns = cluster.defaultNamespace;
  const existing = await Promise.all(planned.map((o) => cluster.get(objectPath(o, ns))));
  planned.forEach((o, i) => {
    const found = existing[i];
    if (!found || ownedBy(found, owner) || adoptExisting) return;
    const made = ownerOf(found)
      ? `was created by the stack instance ${ownerOf(found)}, not by this one, ${owner} (a stack's id: its provider's in \`pulumi stack --show-ids\`)`
      : "was not created by this stack";
    const remove = o.kind === "Namespace" ? `kubectl delete namespace ${o.name}` : `kubectl delete ${o.kind.toLowerCase()} ${o.name} -n ${o.namespace ?? ns}`;
    throw new Error(
      `${describe(o, ns)} already exists and ${made}; the stack would take it over and delete it on destroy. ` +
        `Delete it (${remove}) or set ${PROJECT}:adoptExisting to true to let the stack take it over`,
    );
  });
  for (const service of planned.filter((o) => o.kind === "Service" && o.clusterIP)) await checkClusterIP(cluster, service, owner);
}

/** The fixed ClusterIP must not belong to another Service (the API server's own is one) and must be in the service range. */
async function checkClusterIP(cluster: ClusterReader, service: PlannedObject, owner: string): Promise<void> {
  const ip = service.clusterIP!;
  const setting = `${PROJECT}:hookReceiverClusterIP: ${JSON.stringify(ip)} is not allowed`;
  const list = await cluster.request("GET", "/api/v1/services");
  if (list.status !== 200) throw new Error(`listing the cluster's Services: ${statusMessage(list)}`);
  const holder = (list.body.items as any[]).find((s) => s.spec?.clusterIP === ip || s.spec?.clusterIPs?.includes(ip));
  if (holder) {
    const same = holder.metadata.name === service.name && holder.metadata.namespace === (service.namespace ?? cluster.defaultNamespace);
    if (same && ownedBy(holder, owner)) return;
    throw new Error(`${setting}: it is the ClusterIP of the Service ${holder.metadata.namespace}/${holder.metadata.name}; choose a free address in the cluster's service range`);
  }
  // The API server checks the range (and that the address is free) for a dry-run create, in any namespace.
  const probe = { apiVersion: "v1", kind: "Service", metadata: { generateName: "clusterip-check-" }, spec: { clusterIP: ip, ports: [{ port: 80 }] } };
  const answer = await cluster.request("POST", "/api/v1/namespaces/default/services?dryRun=All", probe);
  if (answer.status >= 300) throw new Error(`${setting}: the cluster answered: ${causes(answer) ?? statusMessage(answer)}`);
}

/** The field errors of a refused object (the probe's own generated name left out). */
function causes(answer: ApiAnswer): string | undefined {
  const list = (answer.body?.details?.causes ?? []) as { field?: string; message?: string }[];
  return list.length ? list.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join("; ") : undefined;
}

/**
 * A stack transformation for the program's Kubernetes objects: records each one in `planned` and
 * marks it as the stack's own with OWNER_ANNOTATION.
 */
export function ownAndRecord(owner: string, planned: PlannedObject[]): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    if (!type.startsWith("kubernetes:") || type === "pulumi:providers:kubernetes" || !props.metadata?.name) return undefined;
    const m = props.metadata;
    planned.push({ apiVersion: props.apiVersion, kind: props.kind, name: m.name, namespace: m.namespace, clusterIP: props.spec?.clusterIP });
    return { props: { ...props, metadata: { ...m, annotations: { ...m.annotations, [OWNER_ANNOTATION]: owner } } }, opts };
  };
}
