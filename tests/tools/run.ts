// A command run to its end from the repository's root, as a user runs it: its exit status, stdout
// and stderr (a command that cannot start rejects, naming it).
import { execFile } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.join(import.meta.dirname, "..", "..");

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve, reject) =>
    execFile(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number")
        reject(new Error(`${command} did not run to an exit status: ${error.message}`));
      else resolve({ status: error ? (error.code as number) : 0, stdout, stderr });
    }),
  );
}
