# shellcheck shell=bash
# Step: the control plane. etcd, kube-apiserver, kube-controller-manager, kube-scheduler, all
# on 127.0.0.1, each with its own identity (steps/certificates.sh).

etcd_version() { "$BIN/etcd" --version | sed -n 's/^etcd Version: //p'; }

# keep_etcd_data: the data in .lab/etcd (kept by an `up` after a crash) is used again only if
# an etcd of the same minor wrote it (.lab/etcd.version). Else, notably the etcd 3.4 data of a
# lab from before Kubernetes 1.37 (Debian's etcd-server; no .lab/etcd.version), it is moved aside,
# never read again, and the cluster starts empty: etcd upgrades one minor at a time (3.4 to 3.6 is
# not supported; on 3.4 data etcd 3.6 stays at cluster version 3.4 and logs "failed to update
# storage version ... cannot detect storage schema version").
keep_etcd_data() {
  local now written aside
  now=$(etcd_version) || die "$BIN/etcd --version failed"
  [[ -n $(ls -A "$ETCD_DATA" 2>/dev/null) ]] || return 0
  written=$(cat "$ETCD_VERSION_FILE" 2>/dev/null || true)
  [[ -n $written && ${written%.*} == "${now%.*}" ]] && return 0
  local by="etcd $written"
  [[ -n $written ]] || by="etcd 3.4 (Debian's etcd-server, a lab from before Kubernetes 1.37)"
  aside=$ETCD_DATA.old-${written:-3.4}
  rm -rf "$aside"
  mv "$ETCD_DATA" "$aside"
  say "upgrade: the etcd data in .lab/etcd was written by $by; etcd $now must not run on it (one minor at a time):" \
    "moved aside to ${aside#"$REPO"/} (\`down\` removes it), the cluster starts empty"
}

start_etcd() {
  local v
  v=$(etcd_version)
  say "starting etcd $v on 127.0.0.1:$ETCD_PORT (data: .lab/etcd)"
  start etcd "$BIN/etcd" \
    --name=lab \
    --data-dir="$ETCD_DATA" \
    --listen-client-urls="https://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="https://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="lab=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state=new \
    --cert-file="$PKI/etcd-server.crt" --key-file="$PKI/etcd-server.key" \
    --client-cert-auth=true --trusted-ca-file="$PKI/ca.crt" \
    --snapshot-count=10000 --logger=zap --log-outputs=stderr
  wait_for "etcd health" etcd curl -fsS --max-time 3 --cacert "$PKI/ca.crt" \
    --cert "$PKI/apiserver-etcd-client.crt" --key "$PKI/apiserver-etcd-client.key" \
    "https://127.0.0.1:$ETCD_PORT/health"
  printf '%s\n' "$v" >"$ETCD_VERSION_FILE"
}

start_apiserver() {
  # --endpoint-reconciler-type=none: the apiserver would publish its advertise
  # address as the endpoint of Service `kubernetes`, and validation rejects a
  # loopback address (an error every 10 s). The Service itself is still made.
  # --kubelet-preferred-address-types=InternalIP: the node's name resolves nowhere.
  say "starting kube-apiserver $K8S_VERSION on $SERVER"
  start kube-apiserver "$BIN/kube-apiserver" \
    --advertise-address=127.0.0.1 \
    --bind-address=127.0.0.1 \
    --secure-port="$APISERVER_PORT" \
    --allow-privileged=true \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --client-ca-file="$PKI/ca.crt" \
    --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --etcd-servers="https://127.0.0.1:$ETCD_PORT" \
    --etcd-cafile="$PKI/ca.crt" \
    --etcd-certfile="$PKI/apiserver-etcd-client.crt" \
    --etcd-keyfile="$PKI/apiserver-etcd-client.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --endpoint-reconciler-type=none \
    --enable-bootstrap-token-auth=true \
    --profiling=false
  wait_for "kube-apiserver /readyz" kube-apiserver apiserver_ready
  # the apiserver may use the kubelet API (logs, exec, port-forward)
  kc apply -f "$LAB_SRC/manifests/kubelet-api.yaml" >/dev/null
}

# start_controllers: kube-controller-manager and kube-scheduler (waited for by wait_controllers)
start_controllers() {
  say "starting kube-controller-manager $K8S_VERSION (secure port 127.0.0.1:$KCM_PORT)"
  supervise kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" \
    --cert-dir="$PKI/kube-controller-manager-serving" \
    --client-ca-file="$PKI/ca.crt" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
    --root-ca-file="$PKI/ca.crt" \
    --service-account-private-key-file="$PKI/sa.key" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$PKI/ca.crt" \
    --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --cluster-name=lab \
    --controllers='*,bootstrapsigner,tokencleaner' \
    --flex-volume-plugin-dir="$NODE_DIR/volume-plugins" \
    --leader-elect=false \
    --profiling=false

  say "starting kube-scheduler $K8S_VERSION (secure port 127.0.0.1:$SCHEDULER_PORT)"
  supervise kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$SCHEDULER_PORT" \
    --cert-dir="$PKI/kube-scheduler-serving" \
    --leader-elect=false \
    --profiling=false
}

wait_controllers() {
  # the controller manager works once it has made the `default` ServiceAccount
  wait_for "the default ServiceAccount (kube-controller-manager)" kube-controller-manager \
    curl_api /api/v1/namespaces/default/serviceaccounts/default
  wait_for "kube-scheduler /healthz" kube-scheduler \
    curl -fsSk --max-time 3 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
}

stop_control_plane() {
  stop kube-scheduler kube-controller-manager kube-apiserver
  stop etcd
}
