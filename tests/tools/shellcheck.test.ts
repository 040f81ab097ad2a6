// Every shell script of the project passes shellcheck: one test per script (`git ls-files '*.sh'`,
// new files too, and .ci/run), each naming the script and shellcheck's findings.
import { execFile, execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");

const scripts = [
  ...execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.sh"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean),
  ".ci/run",
];

/** shellcheck's findings for one script, "" when it passes; an Error when shellcheck cannot run. */
function shellcheck(script: string): Promise<string> {
  // -x: follow `source` (the paths in `# shellcheck source=` are from the repository's root)
  return new Promise((resolve, reject) =>
    execFile("shellcheck", ["-x", "--format=gcc", script], { cwd: root }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(
          new Error(
            "shellcheck is not installed: run `npm run toolchain` (as root it installs Debian's shellcheck), or `apt-get install shellcheck`",
          ),
        );
      } else if (error && !stdout) {
        reject(new Error(`shellcheck ${script} failed: ${stderr || error.message}`));
      } else {
        resolve(stdout.trim());
      }
    }),
  );
}

describe.concurrent("shellcheck", () => {
  it("finds the project's scripts", () => {
    expect(scripts).toEqual(expect.arrayContaining(["lab/lab.sh", "lab/lib.sh", "toolchain/toolchain.sh", ".ci/run"]));
  });

  for (const script of scripts) {
    it(`${script} passes shellcheck`, async () => {
      const findings = await shellcheck(script);
      if (findings) throw new Error(`shellcheck finds in ${script}:\n${findings}`);
    });
  }
});
