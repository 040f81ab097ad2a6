// The Pulumi program's entry: read the stack's config, deploy, export each scenario's outputs.
import * as pulumi from "@pulumi/pulumi";
import type { PodOutputs } from "../infra";
import { deploy } from "./program";
import { parseSettings } from "./settings";

function main(): Record<string, PodOutputs> {
  try {
    return deploy(parseSettings(pulumi.runtime.allConfig()));
  } catch (e) {
    // A bad setting is the user's to fix: show the message, not a stack trace.
    throw new pulumi.RunError(e instanceof Error ? e.message : String(e));
  }
}

export = main();
