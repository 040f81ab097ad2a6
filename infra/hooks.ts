// Typed lifecycle handlers: an exec hook built from shell steps, httpGet, and sleep.
import type * as k8s from "@pulumi/kubernetes";
import { checkInteger } from "./checks";
import { shellCommand, shellQuote } from "./shell";

type LifecycleHandler = k8s.types.input.core.v1.LifecycleHandler;

/** One command of a hook script; every word is shell-quoted when the script is built. */
export interface ScriptStep {
  /** The command and its arguments, e.g. `["curl", "-O", url]`. */
  run: readonly string[];
  /** A file the command's standard output is written to (`> file`). */
  stdoutTo?: string;
}

/** Runs `["sh", "-c", script]` in the container. */
export interface ExecHook {
  exec: { command: string[] };
  httpGet?: never;
  sleep?: never;
}

/** Sends a GET request from the node (the kubelet), not from the container. */
export interface HttpGetHook {
  httpGet: {
    /** Defaults to the pod's IP when left out; `localhost` is the node. */
    host?: string;
    port: number | string;
    path?: string;
    scheme?: "HTTP" | "HTTPS";
    httpHeaders?: { name: string; value: string }[];
  };
  exec?: never;
  sleep?: never;
}

/** Pauses the container's start for a number of seconds. */
export interface SleepHook {
  sleep: { seconds: number };
  exec?: never;
  httpGet?: never;
}

/** Exactly one action: the types forbid a second one, `checkHook` does so at run time. */
export type Hook = ExecHook | HttpGetHook | SleepHook;

export interface ScriptOptions {
  /**
   * Keep the hook's output (stdout and stderr) in this file in the container; a successful hook's output is logged
   * nowhere else.
   */
  outputFile?: string;
}

/** The book's multi-line layout: one step a line, joined by ` && \`, ending with a newline. */
export function shellScript(steps: readonly ScriptStep[], options: ScriptOptions = {}): string {
  if (steps.length === 0) throw new Error("a hook script needs at least one step");
  const lines = steps.map((step) =>
    step.stdoutTo === undefined ? shellCommand(step.run) : `${shellCommand(step.run)} > ${shellQuote(step.stdoutTo)}`,
  );
  if (options.outputFile !== undefined) lines.unshift(`exec > ${shellQuote(options.outputFile)} 2>&1`);
  return `${lines.join(" && \\\n")}\n`;
}

export const hooks = {
  /** `sh -c` with a script made of steps (see `shellScript`). */
  script(steps: readonly ScriptStep[], options?: ScriptOptions): ExecHook {
    return { exec: { command: ["sh", "-c", shellScript(steps, options)] } };
  },
  /** `sh -c "echo <message>; exit <code>"`: a hook that always fails, printing the message. */
  failure(message: string, exitCode: number): ExecHook {
    return {
      exec: {
        command: [
          "sh",
          "-c",
          `${printLine(message)}; exit ${checkInteger("exitCode", exitCode, 1, 255, "a failing exit code")}`,
        ],
      },
    };
  },
  httpGet(action: HttpGetHook["httpGet"]): HttpGetHook {
    return { httpGet: action };
  },
  sleep(seconds: number): SleepHook {
    return { sleep: { seconds } };
  },
};

/**
 * `echo` as in the book where `sh`'s echo prints the message verbatim; `printf` where echo would read escapes or
 * options.
 */
function printLine(message: string): string {
  const echoSafe = !message.includes("\\") && !message.startsWith("-");
  return echoSafe ? shellCommand(["echo", message]) : shellCommand(["printf", "%s\\n", message]);
}

/** For untyped callers: a handler must have exactly one of exec, httpGet and sleep. */
export function checkHook(hook: Hook, setting: string): LifecycleHandler {
  const actions = (["exec", "httpGet", "sleep"] as const).filter(
    (a) => (hook as unknown as Record<string, unknown>)[a] !== undefined,
  );
  if (actions.length !== 1) {
    const got = actions.length === 0 ? "none" : actions.join(" and ");
    throw new Error(`${setting}: a lifecycle hook takes exactly one of exec, httpGet and sleep; got ${got}`);
  }
  return hook;
}
