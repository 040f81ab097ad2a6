// The unit suite's setup file: it runs no other program, so that `npm test` passes on a machine
// with Node and npm only. Starting one fails the test, pointing to the tools suite.
import { vi } from "vitest";

vi.mock("node:child_process", () => {
  const refuse = (name: string) => () => {
    throw new Error(
      `child_process.${name}: the unit suite starts no processes; a test that needs one belongs in tests/tools (npm run test:tools)`,
    );
  };
  const names = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"];
  return Object.fromEntries(names.map((n) => [n, refuse(n)]));
});
