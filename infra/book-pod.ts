// What every scenario pod shares: the book's single nginx container, validated names, and the
// choice between waiting for readiness and not waiting (for pods that by design never get ready).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkHook, type Hook } from "./hooks";

export const BOOK_IMAGE = "nginx:alpine";
export const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** Arguments every scenario component takes. */
export interface BookPodArgs {
  /** The pod's name. @default the book's name of the scenario's pod */
  name?: string;
  /** The namespace. @default the provider's namespace, usually `default` (the book sets none) */
  namespace?: string;
  /** The container image; an image that already has `sh`, `curl` and `fortune` can run without internet. @default "nginx:alpine" */
  image?: string;
  /** @default Kubernetes' own default (the book sets none) */
  imagePullPolicy?: PullPolicy;
}

/** How `pulumi up` treats the pod: wait until it is ready, or not at all (and say why). */
export type Readiness = { await: true } | { await: false; because: string };

export interface HookPodSpec {
  name: string;
  postStart: Hook;
  readiness: Readiness;
  /** Replaces the image's command (the slow httpGet scenario delays nginx's start). */
  command?: string[];
  restartPolicy?: "Always" | "OnFailure" | "Never";
  dependsOn?: pulumi.Resource[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Throws unless `value` is a DNS-1123 label, as pod and namespace names must be. */
export function checkDnsLabel(setting: string, value: string): string {
  if (!DNS_LABEL.test(value)) {
    throw new Error(
      `${setting}: ${JSON.stringify(value)} is not allowed: use 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit`,
    );
  }
  return value;
}

/** Throws unless `value` is a whole number of seconds within [min, max]. */
export function checkSeconds(setting: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${setting}: ${JSON.stringify(value)} is not allowed: use a whole number of seconds from ${min} to ${max}`);
  }
  return value;
}

export function checkPullPolicy(setting: string, value: string | undefined): PullPolicy | undefined {
  if (value !== undefined && !(PULL_POLICIES as readonly string[]).includes(value)) {
    throw new Error(`${setting}: ${JSON.stringify(value)} is not allowed: use one of ${PULL_POLICIES.join(", ")}`);
  }
  return value as PullPolicy | undefined;
}

/** Creates the scenario's pod as a child of `parent`: one container `nginx` serving port 80 (named `http`). */
export function createHookPod(parent: pulumi.ComponentResource, args: BookPodArgs, spec: HookPodSpec): k8s.core.v1.Pod {
  const name = checkDnsLabel("name", spec.name);
  if (args.namespace !== undefined) checkDnsLabel("namespace", args.namespace);
  const image = args.image ?? BOOK_IMAGE;
  if (image.trim() === "") throw new Error(`image: "" is not allowed: name a container image`);
  const imagePullPolicy = checkPullPolicy("imagePullPolicy", args.imagePullPolicy);
  const lifecycle = { postStart: checkHook(spec.postStart, "postStart") };
  return new k8s.core.v1.Pod(
    name,
    {
      metadata: {
        name,
        namespace: args.namespace,
        // The provider waits for a Pod to be ready; these pods never are by design, so it must not wait.
        annotations: spec.readiness.await ? undefined : { "pulumi.com/skipAwait": "true" },
      },
      spec: {
        restartPolicy: spec.restartPolicy,
        containers: [
          {
            name: "nginx",
            image,
            imagePullPolicy,
            command: spec.command,
            ports: [{ name: "http", containerPort: 80 }],
            lifecycle,
          },
        ],
      },
    },
    // A pod's hook cannot change in place, and a fixed name cannot exist twice: delete, then create.
    { parent, dependsOn: spec.dependsOn, deleteBeforeReplace: true },
  );
}

/** The outputs every scenario component registers. */
export type PodOutputs = ReturnType<typeof podOutputs>;

export function podOutputs(pod: k8s.core.v1.Pod, readiness: Readiness) {
  return {
    podName: pod.metadata.name,
    namespace: pod.metadata.namespace,
    readiness: readiness.await
      ? "pulumi up waited until the pod was ready"
      : `pulumi up did not wait for the pod to be ready: ${readiness.because}`,
  };
}
