# shellcheck shell=bash
# Processes of the lab: started detached with their pid in .lab/run, checked, waited for and
# stopped; the readiness checks `up` and `status` share.

# pid_runs PID: the process exists and is not a zombie waiting to be reaped
pid_runs() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

pid_of() { if [[ -f $RUN/$1.pid ]]; then cat "$RUN/$1.pid"; fi; }

# alive NAME: the recorded pid runs and is still the program we started
alive() {
  local pid exe
  pid=$(pid_of "$1")
  [[ -n $pid ]] && pid_runs "$pid" || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  [[ ${exe##*/} == "$1" ]]
}

curl_api() {
  curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$SERVER$1"
}

# running_version: the gitVersion of the running apiserver (v1.37.2)
running_version() { curl_api /version 2>/dev/null | sed -n 's/^ *"gitVersion": *"\([^"]*\)".*/\1/p'; }

apiserver_ready() { [[ -f $PKI/admin.crt ]] && [[ $(curl_api /readyz 2>/dev/null) == ok ]]; }

# kc ARGS...: kubectl as the lab admin
kc() { "$BIN/kubectl" --kubeconfig "$PKI/admin.kubeconfig" --cache-dir "$RUN/kubectl-cache" "$@"; }

node_ready() {
  [[ -f $PKI/admin.kubeconfig ]] &&
    [[ $(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# (only through lab0: without the lab's route, the address would go to the
# default gateway, off this machine)
quote_mirror_serves() {
  [[ $(ip -o route get "${SERVICE_IP}" 2>/dev/null) == *" dev $BRIDGE "* ]] &&
    curl -fsS --max-time 3 -o /dev/null "$QUOTE_MIRROR_URL"
}

ctr_() { timeout 20 ctr --address "$CONTAINERD_SOCK" "$@"; }

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# start NAME COMMAND...: detached from this shell, output appended to .lab/log/NAME.log (a restart
# keeps what the process logged before it, for the checks of a whole run)
start() {
  local name=$1; shift
  echo "== lab.sh: starting $name at $(date -u +%FT%TZ)" >>"$LOG/$name.log"
  setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.pid"
}

# supervise NAME COMMAND...: as start, and started again a second after it exits, as a kubelet restarts its static
# pods: kube-scheduler exits on purpose when it finds its cache corrupt (seen after an API server restart). The pid
# file holds the program's pid, the loop's is in NAME.supervisor.pid (stop ends the loop first).
supervise() {
  local name=$1 n; shift
  rm -f "$RUN/$name.pid"
  echo "== lab.sh: starting $name at $(date -u +%FT%TZ), started again whenever it exits" >>"$LOG/$name.log"
  # shellcheck disable=SC2016 # expanded by the loop's shell
  setsid bash -c 'pid_file=$1; shift
    while :; do
      "$@" & echo $! >"$pid_file"; wait $!
      echo "== lab.sh: exited with $? at $(date -u +%FT%TZ); starting it again in 1 s"; sleep 1
    done' supervise "$RUN/$name.pid" "$@" >>"$LOG/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.supervisor.pid"
  for ((n = 0; n < 50; n++)); do [[ -s $RUN/$name.pid ]] && return; sleep 0.1; done
}

# check_ports: every port the lab listens on is free (nothing of ours runs now)
check_ports() {
  local p busy=0
  for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KCM_PORT" "$SCHEDULER_PORT" \
    "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT" "$PROXY_HEALTHZ_PORT" "$PROXY_METRICS_PORT" "$DNS_READY_PORT"; do
    if port_in_use "$p"; then
      printf 'lab: port %s is in use:\n' "$p" >&2; ss -Hltnp "sport = :$p" >&2; busy=1
    fi
  done
  ((busy == 0)) || die "ports taken by another program (set LAB_*_PORT to move the lab)"
}

# wait_for DESCRIPTION PROCNAME COMMAND...: poll until COMMAND succeeds
wait_for() {
  local what=$1 proc=$2 deadline=$((SECONDS + UP_TIMEOUT)); shift 2
  until "$@" >/dev/null 2>&1; do
    if ! alive "$proc"; then
      tail -n 25 "$LOG/$proc.log" >&2 || true
      die "$proc exited while waiting for $what; log: .lab/log/$proc.log"
    fi
    ((SECONDS < deadline)) || { tail -n 25 "$LOG/$proc.log" >&2; die "timed out waiting for $what"; }
    sleep 0.5
  done
}

# stop NAME...: SIGTERM to each, then SIGKILL to any still running after 15 s
stop() {
  local name pid n pids=()
  for name in "$@"; do
    if [[ -f $RUN/$name.supervisor.pid ]]; then
      kill -TERM "$(cat "$RUN/$name.supervisor.pid")" 2>/dev/null || true
      rm -f "$RUN/$name.supervisor.pid"
    fi
    pid=$(pid_of "$name")
    if [[ -n $pid ]] && alive "$name"; then
      say "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$RUN/$name.pid"
  done
  for pid in "${pids[@]}"; do
    for ((n = 0; n < 150; n++)); do pid_runs "$pid" || break; sleep 0.1; done
    if pid_runs "$pid"; then
      say "  pid $pid did not stop in 15 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true; sleep 0.3
    fi
  done
  # they are orphans: give init a moment to reap them, so none is left listed
  for pid in "${pids[@]}"; do
    for ((n = 0; n < 50; n++)); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
  done
}

all_running() {
  local name
  for name in "${PROCS[@]}"; do alive "$name" || return 1; done
  apiserver_ready
}

any_running() {
  local name
  for name in "${PROCS[@]}"; do alive "$name" && return 0; done
  return 1
}
