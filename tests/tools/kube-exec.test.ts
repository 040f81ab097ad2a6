// The program's own Kubernetes client with a kubeconfig user whose exec plugin (a real /bin/sh
// script) prints the credential, against a real HTTP server on loopback.
import { chmodSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { kubeServer } from "../kube-server";

const { dir, oneContext, seenAuthorization } = kubeServer();

describe("kubeconfig exec plugin", () => {
  it("sends the token the plugin prints, with the plugin's env set", async () => {
    const plugin = path.join(dir, "plugin.sh");
    writeFileSync(plugin, '#!/bin/sh\necho "{\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"$TOKEN_FROM_ENV\\"}}"\n');
    chmodSync(plugin, 0o755);
    const exec = { command: plugin, env: [{ name: "TOKEN_FROM_ENV", value: "exec-token" }] };
    expect(await seenAuthorization(oneContext({ exec }))).toBe("Bearer exec-token");
  });
});
