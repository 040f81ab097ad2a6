// One raw Pod, the spec of the dev stack's render, with the lab's context; packages from the project's node_modules.
import * as fs from "node:fs";
import * as k8s from "@pulumi/kubernetes";

const pod = JSON.parse(fs.readFileSync(process.env.BENCH_POD_JSON, "utf8"));
const provider = new k8s.Provider("cluster", { context: "lab" });
new k8s.core.v1.Pod(pod.metadata.name, pod, { provider });
