# shellcheck shell=bash
# Step: certificates. The lab CA, an identity per component, the kubeconfigs that use them.

# ca NAME CN: a self-signed EC P-256 certificate authority
ca() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$1.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/$1.crt" 2>/dev/null
}

# cert NAME SUBJECT [SAN] : an EC P-256 key and a certificate signed by CA_NAME
# (ca); nothing if both exist already
cert() {
  local name=$1 subj=$2 san=${3:-} ext signer=${CA_NAME:-ca}
  [[ -s $PKI/$name.crt && -s $PKI/$name.key ]] && return 0
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    if [[ -n $san ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  chmod 600 "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$signer.crt" -CAkey "$PKI/$signer.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt.tmp" 2>/dev/null
  mv "$PKI/$name.crt.tmp" "$PKI/$name.crt"
  rm -f "$ext" "$PKI/$name.csr"
}

# Certificates are made once per CA (.complete); one added to this script later
# is made on the next `up` with the same CA.
make_pki() {
  if [[ ! -f $PKI/.complete ]]; then
    say "generating CA and certificates in .lab/pki"
    rm -rf "$PKI"; mkdir -p "$PKI"; chmod 700 "$PKI"
    ca ca lab-kubernetes-ca
    # aggregation layer (front proxy), as kubeadm sets it up: its own CA
    ca front-proxy-ca lab-front-proxy-ca
    # service-account token signing key pair
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
    chmod 600 "$PKI"/*.key
    touch "$PKI/.complete"
  fi
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:::1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert etcd-server "/CN=lab-etcd" "IP:127.0.0.1,DNS:localhost"
  cert apiserver-etcd-client "/CN=kube-apiserver-etcd-client"
  # the apiserver's client certificate for kubelets (logs, exec, port-forward):
  # allowed by lab/manifests/kubelet-api.yaml, not by system:masters
  cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client"
  cert admin "/O=system:masters/CN=lab-admin"
  cert kube-controller-manager "/CN=system:kube-controller-manager"
  cert kube-scheduler "/CN=system:kube-scheduler"
  # the node: the kubelet's client identity (Node authorizer, NodeRestriction),
  # its serving certificate (the apiserver verifies it with the lab CA), kube-proxy
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  cert kubelet-serving "/CN=system:node:$NODE_NAME" "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME,DNS:localhost"
  cert kube-proxy "/CN=system:kube-proxy"
  # the cluster DNS: reads Services (manifests/coredns.yaml)
  cert coredns "/CN=lab-coredns"
  CA_NAME=front-proxy-ca cert front-proxy-client "/CN=front-proxy-client"
}

# kubeconfig FILE USER CERTNAME CONTEXT
write_kubeconfig() {
  local file=$1 user=$2 certname=$3 context=$4
  umask 077
  cat >"$file.tmp" <<EOKC
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: $SERVER
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$certname.crt")
    client-key-data: $(base64 -w0 <"$PKI/$certname.key")
contexts:
- name: $context
  context:
    cluster: lab
    user: $user
current-context: $context
EOKC
  mv "$file.tmp" "$file"
  umask 022
}

# write_kubeconfigs: one for the admin and each component, in .lab/pki
write_kubeconfigs() {
  write_kubeconfig "$PKI/admin.kubeconfig" lab-admin admin lab
  write_kubeconfig "$PKI/kube-controller-manager.kubeconfig" system:kube-controller-manager kube-controller-manager lab
  write_kubeconfig "$PKI/kube-scheduler.kubeconfig" system:kube-scheduler kube-scheduler lab
  write_kubeconfig "$PKI/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet lab
  write_kubeconfig "$PKI/kube-proxy.kubeconfig" system:kube-proxy kube-proxy lab
  write_kubeconfig "$PKI/coredns.kubeconfig" lab-coredns coredns lab
}
