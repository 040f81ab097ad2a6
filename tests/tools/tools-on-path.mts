// `npm run test:tools` runs this first: the commands the tools suite runs must be on PATH (and sh
// at /bin/sh, which the hook scripts and the exec plugin name). If one is missing the suite does
// not start: this names each missing command and how to install it (it never skips a check).
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

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function found(command: string): boolean {
  if (path.isAbsolute(command)) return executable(command);
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => executable(path.join(dir || ".", command)));
}

const missing = Object.keys(NEEDED).filter((c) => !found(c));
if (missing.length) {
  process.stderr.write(
    `test:tools: the tools suite needs ${missing.join(", ")}, not found on PATH; install, then run it again:\n` +
      missing.map((c) => `  ${c}: ${NEEDED[c]}\n`).join("") +
      `(PATH=${process.env.PATH})\n`,
  );
  process.exitCode = 1;
}
