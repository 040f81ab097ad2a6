// The lab's cluster DNS, from a pod of the lab (the quote mirror's, which has glibc's getent and
// curl): Service names resolve and answer, other names resolve nowhere and nothing is forwarded;
// and its answer codes, asked directly from the node.
import { createSocket } from "node:dgram";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureLab, kubectl, type Run } from "./lab.ts";

const SERVICE = "quote-mirror.lab-system.svc.cluster.local";
const SERVICE_IP = "10.96.100.101"; // lab/manifests/quote-mirror.yaml
const DNS = "10.244.0.1"; // the node's address, the kubelet's clusterDNS
let pod = "";

/** The response code of the cluster DNS's answer to an A query for `name` (0 NOERROR, 3 NXDOMAIN, 5 REFUSED). */
function rcode(name: string): Promise<number> {
  const question = name.split(".").flatMap((label) => [Buffer.from([label.length]), Buffer.from(label)]);
  // header: id 0x1234, flags RD, one question; then QNAME, QTYPE A, QCLASS IN
  const query = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...question,
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const timer = setTimeout(
      () => (socket.close(), reject(new Error(`no answer from ${DNS}:53 for ${name} within 5 s`))),
      5000,
    );
    socket.on("message", (answer) => (clearTimeout(timer), socket.close(), resolve(answer[3]! & 0x0f)));
    socket.send(query, 53, DNS);
  });
}

/** A command in the quote mirror's container. */
const inPod = (...command: string[]): Run => kubectl("-n", "lab-system", "exec", pod, "--", ...command);

beforeAll(() => {
  ensureLab();
  const found = kubectl(
    "-n",
    "lab-system",
    "get",
    "pod",
    "-l",
    "app=quote-mirror",
    "-o",
    "jsonpath={.items[0].metadata.name}",
  );
  expect(found.status, found.output).toBe(0);
  pod = found.output.trim();
}, 60 * 60_000);

describe("cluster DNS", () => {
  it("a pod's resolv.conf names the cluster DNS only, with the cluster's search path", () => {
    const conf = inPod("cat", "/etc/resolv.conf");
    expect(conf.status, conf.output).toBe(0);
    expect(conf.output.match(/^nameserver .*$/gm)).toEqual(["nameserver 10.244.0.1"]);
    expect(conf.output).toMatch(/^search lab-system\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
  });

  it(`a pod resolves ${SERVICE} to its ClusterIP, and the short name through the search path`, () => {
    for (const name of [SERVICE, "quote-mirror"]) {
      const lookup = inPod("getent", "hosts", name);
      expect(lookup.status, `getent hosts ${name}: ${lookup.output}`).toBe(0);
      expect(lookup.output).toMatch(
        new RegExp(`^${SERVICE_IP.replace(/\./g, "\\.")}\\s+${SERVICE.replace(/\./g, "\\.")}`),
      );
    }
  });

  it("a pod reaches the Service by its name", () => {
    const got = inPod(
      "curl",
      "-fsS",
      "--max-time",
      "10",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{remote_ip}",
      `http://${SERVICE}/book-quotes.txt`,
    );
    expect(got.output).toBe(`200 ${SERVICE_IP}`);
  });

  it("answers NOERROR for a Service, NXDOMAIN for a missing cluster name, REFUSED for any other name", async () => {
    expect(await rcode(SERVICE)).toBe(0);
    expect(await rcode("nothing-here.lab-system.svc.cluster.local")).toBe(3);
    expect(await rcode("example.com")).toBe(5);
  });

  it("a missing cluster name and a name outside the cluster resolve to nothing (no forwarding)", () => {
    for (const name of ["nothing-here.lab-system.svc.cluster.local", "example.com"]) {
      const lookup = inPod("getent", "hosts", name);
      expect(lookup.status, `getent hosts ${name} answered: ${lookup.output}`).toBe(2); // getent: not found
    }
  });
});
