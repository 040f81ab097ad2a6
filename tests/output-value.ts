// The value of a Pulumi output in a test, its rejection included: what `pulumi up` would report of it.
import type * as pulumi from "@pulumi/pulumi";

/**
 * The value of output `o`; a rejection reaches the caller once, not as unhandled rejections of the output's other
 * promises.
 */
export function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
  const internal = o as any;
  for (const p of [internal.isKnown, internal.isSecret]) p?.catch?.(() => undefined);
  return internal.promise();
}

/**
 * Runs `run`, taking the unhandled rejections meanwhile instead of the test runner: the SDK reports a component's
 * rejected output that way (it is how the update fails), and the runner would fail the whole run on it.
 */
export async function withUnhandled<T>(run: () => Promise<T>): Promise<{ result: T; unhandled: unknown[] }> {
  const unhandled: unknown[] = [];
  const runners = process.listeners("unhandledRejection");
  const take = (e: unknown) => void unhandled.push(e);
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", take);
  try {
    const result = await run();
    await new Promise((resolve) => setTimeout(resolve, 20)); // rejections are reported after a turn of the loop
    return { result, unhandled };
  } finally {
    process.off("unhandledRejection", take);
    for (const l of runners) process.on("unhandledRejection", l);
  }
}
