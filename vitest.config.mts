// The unit suite (npm test): shapes, in this process, with mocks; no other program runs (see
// tests/unit/no-processes.ts). The tools suite and the e2e suite have their own configs in
// tests/tools and tests/e2e.
import * as os from "node:os";
import * as path from "node:path";
import { defineConfig } from "vitest/config";

// Node's compile cache for the workers, which load the dependencies' code (@pulumi/pulumi, vega)
// natively: a third less CPU for the suite. Under node_modules, so that `npm ci` clears it.
process.env.NODE_COMPILE_CACHE ??= path.join(import.meta.dirname, "node_modules", ".cache", "node");

export default defineConfig({
  test: {
    dir: "tests/unit", // as a directory, not an include pattern: stryker passes the same dir
    setupFiles: ["tests/unit/no-processes.ts"],
    // One module graph per worker, not per file: @pulumi/pulumi alone takes about a second to load
    // (the suite ran in 6.7 s instead of 20 s on a loaded 2-core machine). The files leave no state
    // behind: each offline run sets Pulumi's mocks afresh, spies are restored after each test.
    isolate: false,
    // One more worker than cores: vitest's default leaves one free, so on 2 cores the files ran one
    // after another (5.9 s; 4.4 s with both); kube.test's real-time waits leave its worker mostly
    // idle (3.27 s with 2 workers, 2.92 s with 3, 3.09 s with 4; farm-bench, 8 pairs, idle).
    maxWorkers: os.availableParallelism() + 1,
    restoreMocks: true,
  },
});
