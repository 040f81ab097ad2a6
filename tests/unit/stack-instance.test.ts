// The stack instance's mark, from its provider's id as the engine answers (Pulumi's mocks here).
import * as pulumi from "@pulumi/pulumi";
import { expect, it } from "vitest";
import { stackInstanceMark } from "../../stacks/cluster-check.ts";
import { clusterProvider } from "../../stacks/program.ts";
import { parseSettings } from "../../stacks/settings.ts";

/** The mark of the stack `dev` when the engine gives its provider `id` (empty: no id in a preview). */
async function markFor(id: string, dryRun: boolean): Promise<string> {
  await pulumi.runtime.setMocks(
    { newResource: ({ inputs }) => ({ id, state: inputs }), call: ({ inputs }) => inputs },
    "poststart-lab",
    "dev",
    dryRun,
  );
  try {
    return await stackInstanceMark(clusterProvider(parseSettings({})));
  } finally {
    await pulumi.runtime.disconnect();
  }
}

it("names the stack and the id the engine gave its provider", async () => {
  expect(await markFor("5d2c9f0e-1111-4a4a-8b8b-000000000001", false)).toBe(
    "poststart-lab/dev@5d2c9f0e-1111-4a4a-8b8b-000000000001",
  );
});

it("has no id while the engine has not created the provider (a preview of a new stack)", async () => {
  expect(await markFor("", true)).toBe("poststart-lab/dev@not-deployed-yet");
  // What the engine answers in a preview for a provider it would create: its UnknownID.
  expect(await markFor("04da6b54-80e4-46f7-96ec-b56ff0331ba9", true)).toBe("poststart-lab/dev@not-deployed-yet");
});
