// The tests `npm run mutation` (Stryker) runs against each mutant: the unit tests, the cluster
// client's exec-plugin tests (they run small sh scripts) and the pod watch's (real-time waits),
// which live in tests/tools. A mutant that
// makes a test wait forever fails it after 15 s (every test here takes well under that, even on a loaded machine).
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.mts";

export default mergeConfig(
  base,
  defineConfig({
    test: {
      dir: ".",
      include: [
        "tests/unit/**/*.test.ts",
        "tests/tools/cluster-client.test.ts",
        "tests/tools/cluster-pod-watch.test.ts",
      ],
      testTimeout: 15_000,
    },
  }),
);
