import { defineConfig } from "vitest/config";

export default defineConfig({
  // The render CLI tests start node processes; on a busy 2-core machine one can take seconds.
  test: { testTimeout: 30_000 },
});
