// Runs the program, or part of it, with Pulumi's mocks (no CLI, no cluster): for render, observer, bench and tests.
import * as pulumi from "@pulumi/pulumi";
import { deploy } from "../stacks/program.ts";
import type { Settings } from "../stacks/settings.ts";

/** Runs `create` against mocks; returns every resource registered, in order, and what `create` returned, resolved. */
export async function record<T>(create: () => T) {
  const resources: { type: string; name: string; inputs: Record<string, any> }[] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource: ({ type, name, inputs }) => {
      resources.push({ type, name, inputs });
      // What the API server would fill in that the outputs read back.
      const live = type.startsWith("kubernetes:") && inputs.metadata;
      const metadata = { namespace: "default", uid: `${name}-uid`, ...inputs.metadata };
      return { id: `${name}-id`, state: live ? { ...inputs, metadata } : inputs };
    },
    call: ({ inputs }) => inputs,
  };
  await pulumi.runtime.setMocks(mocks, "poststart-lab", "offline", false);
  let created: T;
  try {
    created = create();
  } catch (e) {
    // A refused argument after some registrations: let those finish here, not in the next run's mocks.
    await pulumi.runtime.disconnect();
    throw e;
  }
  const outputs = await new Promise<pulumi.Unwrap<T>>((resolve) => pulumi.output(created).apply(resolve));
  await pulumi.runtime.disconnect(); // waits until every registration reached the mocks
  return { resources, outputs };
}
export const runOffline = (settings: Settings) => record(() => deploy(settings));
