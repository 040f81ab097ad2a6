// Which stack instance this run is: the name, and the id the engine gave the stack's Kubernetes
// provider (stackMark in cluster-check.ts says why that id).
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stackMark } from "./cluster-check";

/**
 * The engine's id for a provider it has not created yet (a preview of a new stack): pkg/resource/deploy/providers
 * UnknownID.
 */
const UNKNOWN_ID = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The mark of this stack instance, once the engine has registered `provider`. */
export async function stackInstanceMark(provider: k8s.Provider): Promise<string> {
  // An Output's value is not public API: `promise()` (undefined while unknown) has been a member
  // since the SDK's first releases. `apply` would never run for an unknown id.
  const value = await (provider.id as unknown as { promise(): Promise<string | undefined> }).promise();
  return stackMark(`${pulumi.getProject()}/${pulumi.getStack()}`, value && value !== UNKNOWN_ID ? value : undefined);
}
