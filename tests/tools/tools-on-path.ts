// The tools suite's global setup: the commands its tests run must be on PATH (and sh at /bin/sh,
// which the hook scripts and the exec plugin name). A missing one fails the whole suite here,
// naming each and how to install it: the suite never skips what it checks.
import { accessSync, constants } from "node:fs";
import * as path from "node:path";

/** Each command the suite runs, and how to get it on Debian or Ubuntu. */
const NEEDED: Record<string, string> = {
  shellcheck: "apt-get install shellcheck (as root, `npm run toolchain` installs it)",
  git: "apt-get install git (shellcheck's list of the project's scripts is `git ls-files`)",
  bash: "apt-get install bash",
  "/bin/sh": "apt-get install dash",
  curl: "apt-get install curl",
};

function found(command: string): boolean {
  if (path.isAbsolute(command)) return executable(command);
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => executable(path.join(dir || ".", command)));
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export default function setup(): void {
  const missing = Object.keys(NEEDED).filter((c) => !found(c));
  if (missing.length) {
    throw new Error(
      `the tools suite needs ${missing.join(", ")}, not found (PATH=${process.env.PATH}); install:\n` + missing.map((c) => `  ${c}: ${NEEDED[c]}`).join("\n"),
    );
  }
}
