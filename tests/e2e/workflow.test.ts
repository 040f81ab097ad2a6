// The pull-request workflow, checked by actionlint (built by the toolchain from its Go module).
import * as path from "node:path";
import { expect, it } from "vitest";
import { ROOT, run } from "./lab.ts";

it(
  "actionlint accepts the preview workflow",
  () => {
    const toolchain = run("bash", ["toolchain/toolchain.sh"]);
    expect(toolchain.status).toBe(0);
    const { status, output } = run(path.join(ROOT, ".lab", "bin", "actionlint"), [".github/workflows/preview.yml"]);
    expect(output).toBe("");
    expect(status).toBe(0);
  },
  60 * 60_000,
);
