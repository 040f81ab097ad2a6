// One raw Pod, the spec of the dev stack's render, through a Provider with the lab's context.
// The packages come from the project's node_modules (Node finds them up the directory tree).
const fs = require("node:fs");
const k8s = require("@pulumi/kubernetes");

const pod = JSON.parse(fs.readFileSync(process.env.BENCH_POD_JSON, "utf8"));
const provider = new k8s.Provider("cluster", { context: "lab" });
new k8s.core.v1.Pod(pod.metadata.name, pod, { provider });
