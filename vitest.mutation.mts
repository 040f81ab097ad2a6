// The tests `npm run mutation` (Stryker) runs against each mutant: the unit tests, the cluster
// client's exec-plugin tests (they run small sh scripts) and the pod watch's (real-time waits),
// which live in tests/tools. The unit suite's setup (no processes) is left out: these tests start
// some. A mutant that makes a test wait forever fails it after 15 s.
import * as os from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    dir: ".",
    include: ["tests/unit/**/*.test.ts", "tests/tools/cluster-client.test.ts", "tests/tools/cluster-pod-watch.test.ts"],
    isolate: false,
    maxWorkers: os.availableParallelism(),
    restoreMocks: true,
    testTimeout: 15_000,
  },
});
