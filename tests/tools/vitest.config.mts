// The tools suite (npm run test:tools): the checks that run other programs (shellcheck, bash, the
// real sh and curl, the render CLI as a node process), and the pod watch's real-time waits. They must be on PATH: npm
// run test:tools
// checks that first (tests/tools/tools-on-path.mts).
import * as path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: path.join(import.meta.dirname, "..", ".."),
  test: {
    include: ["tests/tools/**/*.test.ts"],
    // A node process (render) or a shellcheck of a long script can take seconds on a busy 2-core machine.
    testTimeout: 30_000,
  },
});
