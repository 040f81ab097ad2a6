// The e2e suite (npm run test:e2e): the real CLI on the lab cluster, one file at a time (they share
// the lab). Run one file with `npm run test:e2e -- tests/e2e/<file>`.
import * as path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: path.join(import.meta.dirname, "..", ".."),
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 30_000,
  },
});
