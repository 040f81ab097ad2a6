// One sample of what a Kubernetes client costs the program before its first request, loaded as
// stacks/main.js loads the program (compile cache on, the Pulumi SDKs first, then tsx):
// `node bench/kube-client-load.js ours|client-node|client-node-config <kubeconfig>` prints
// {"loadMs", "connectMs"}: the module's load, then reading the kubeconfig and resolving the
// credentials of its current context. docs/cluster-client.md has the figures and the decision.
const [which, kubeconfig] = process.argv.slice(2);
process.env.KUBECONFIG = kubeconfig;
require("node:module").enableCompileCache?.();
require("@pulumi/pulumi");
require("@pulumi/kubernetes");
require("tsx/cjs");
process.setSourceMapsEnabled(false);

async function main() {
  const t0 = performance.now();
  let connect;
  if (which === "ours") {
    const { KubeClient } = require("../cluster/kube.ts");
    connect = async () => KubeClient.connect(undefined);
  } else {
    // The whole library, or only its KubeConfig module (which still imports the generated API).
    const { KubeConfig } = require(
      which === "client-node"
        ? "@kubernetes/client-node"
        : require.resolve("@kubernetes/client-node").replace(/index\.js$/, "config.js"),
    );
    connect = async () => {
      const kc = new KubeConfig();
      kc.loadFromDefault();
      await kc.applyToHTTPSOptions({});
      return kc;
    };
  }
  const t1 = performance.now();
  await connect();
  const t2 = performance.now();
  console.log(JSON.stringify({ loadMs: t1 - t0, connectMs: t2 - t1 }));
}
main();
