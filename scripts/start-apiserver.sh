#!/usr/bin/env bash
# Starts a throw-away Kubernetes control plane on loopback for end-to-end tests:
# Debian's etcd and kube-apiserver v1.20.2 (built by scripts/build-apiserver.sh),
# RBAC authorization, static tokens, self-signed certificates, free ports.
#
# Usage:
#   scripts/start-apiserver.sh [--no-psp] [--service-accounts MODE] [--dir DIR]
#                              [--parent-pid PID]
#       Starts etcd and kube-apiserver and prints an env file (KEY=value lines,
#       shell-sourceable) on stdout; the same file is written to DIR/env.
#       --no-psp        serve without the PodSecurityPolicy API
#                       (--runtime-config=policy/v1beta1=false, no PSP admission),
#                       like a cluster >= 1.25.
#       --service-accounts MODE
#                       keep the ServiceAccount admission plugin on (by default it
#                       is off: no kube-controller-manager runs to make service
#                       accounts and their tokens). MODE is the token volume it
#                       adds to pods: `secret` (the 1.20 default: a secret volume
#                       of the service account's token Secret) or `projected`
#                       (BoundServiceAccountTokenVolume=true, the 1.21+ default:
#                       a kube-api-access-<random> projected volume). The plugin
#                       refuses pods whose ServiceAccount does not exist, and in
#                       secret mode pods whose ServiceAccount lists no
#                       kubernetes.io/service-account-token Secret; the caller
#                       creates them (as the controller-manager would).
#       --dir DIR       state directory (default: a new mktemp -d directory).
#       --parent-pid P  stop everything when process P exits (a test that dies
#                       leaves nothing behind).
#   scripts/start-apiserver.sh --stop DIR
#       Stops the servers started in DIR and removes DIR (same as DIR/stop.sh).
#
# Environment: FALCO_PSP_APISERVER (binary; default
# ${FALCO_PSP_CACHE:-~/.cache/falco-psp}/kube-apiserver-v1.20.2), FALCO_PSP_ETCD
# (default: etcd on PATH or /usr/bin/etcd), FALCO_PSP_START_TIMEOUT (seconds to
# wait for /readyz, default 120).
#
# Exit codes: 0 started, 1 failed to start (logs are printed), 4 a binary is
# missing (run scripts/build-apiserver.sh).
#
# The env file holds: FALCO_PSP_E2E_DIR, KUBECONFIG, APISERVER_URL, CA_FILE,
# ADMIN_TOKEN (user "admin", group system:masters), RESTRICTED_TOKEN (user
# "restricted", no permissions), USER_TOKEN_1..USER_TOKEN_5 (users "user-1"..
# "user-5", groups "e2e-users"), CLIENT_CERT_FILE/CLIENT_KEY_FILE (user
# "cert-admin", group system:masters), PSP_API (true/false), SERVICE_ACCOUNTS
# (off/secret/projected), APISERVER_PID, ETCD_PID, STOP (path of the stop
# script). Tokens are test-only secrets for a loopback server that lives as long
# as the test.
set -euo pipefail

log() { echo "start-apiserver: $*" >&2; }

stop_dir() {
  local dir="$1" pid pids=()
  [ -f "$dir/env" ] || { log "no env file in $dir"; return 1; }
  for name in WATCHDOG_PID APISERVER_PID ETCD_PID; do
    pid=$(sed -n "s/^$name=//p" "$dir/env" | tr -d "'")
    [ -n "$pid" ] || continue
    # Only signal a process that is still ours (its command line names $dir).
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir"; then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf -- "$dir"
}

if [ "${1:-}" = "--stop" ]; then
  [ -n "${2:-}" ] || { log "usage: $0 --stop DIR"; exit 2; }
  stop_dir "$2"
  exit $?
fi

PSP=true
SERVICE_ACCOUNTS=off
DIR=""
PARENT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-psp) PSP=false ;;
    --service-accounts)
      case "${2:-}" in
        secret|projected) SERVICE_ACCOUNTS="$2"; shift ;;
        *) log "--service-accounts takes secret or projected"; exit 2 ;;
      esac ;;
    --dir) DIR="$2"; shift ;;
    --parent-pid) PARENT="$2"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument: $1"; exit 2 ;;
  esac
  shift
done

CACHE="${FALCO_PSP_CACHE:-$HOME/.cache/falco-psp}"
APISERVER="${FALCO_PSP_APISERVER:-$CACHE/kube-apiserver-v1.20.2}"
ETCD="${FALCO_PSP_ETCD:-$(command -v etcd || echo /usr/bin/etcd)}"
TIMEOUT="${FALCO_PSP_START_TIMEOUT:-120}"
[ -x "$APISERVER" ] || { log "kube-apiserver not found at $APISERVER; run scripts/build-apiserver.sh"; exit 4; }
[ -x "$ETCD" ] || { log "etcd not found ($ETCD); run scripts/build-apiserver.sh (installs etcd-server)"; exit 4; }
command -v openssl >/dev/null || { log "openssl not found"; exit 4; }
command -v curl >/dev/null || { log "curl not found"; exit 4; }
# setsid keeps the servers out of the caller's process group (and terminal signals).
SETSID=$(command -v setsid || true)

if [ -z "$DIR" ]; then DIR=$(mktemp -d "${TMPDIR:-/tmp}/falco-psp-e2e.XXXXXX"); fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
chmod 700 "$DIR"

# --- certificates: a CA, a serving cert for 127.0.0.1/localhost, an admin client cert,
# and the service-account signing key.
(
  cd "$DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=falco-psp-e2e-ca" \
    -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout serving.key -out serving.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >serving.ext
  openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile serving.ext -out serving.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=cert-admin" \
    -keyout client.key -out client.csr 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile client.ext -out client.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  rm -f ./*.csr ./*.ext ca.srl
)

# --- static tokens
tok() { openssl rand -hex 16; }
ADMIN_TOKEN=$(tok)
RESTRICTED_TOKEN=$(tok)
{
  echo "$ADMIN_TOKEN,admin,uid-admin,\"system:masters\""
  echo "$RESTRICTED_TOKEN,restricted,uid-restricted"
} >"$DIR/tokens.csv"
declare -a USER_TOKENS=()
for i in 1 2 3 4 5; do
  t=$(tok)
  USER_TOKENS+=("$t")
  echo "$t,user-$i,uid-user-$i,\"e2e-users\"" >>"$DIR/tokens.csv"
done
chmod 600 "$DIR/tokens.csv"

# --- free ports: random, not currently listening; binding is retried on a clash.
listening() { ss -ltnH 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u; }
pick_port() {
  local used p
  used=$(listening)
  while :; do
    p=$((20000 + RANDOM % 40000))
    grep -qx "$p" <<<"$used" || { echo "$p"; return; }
  done
}

start_etcd() {
  ETCD_CLIENT=$(pick_port)
  ETCD_PEER=$(pick_port)
  [ "$ETCD_CLIENT" != "$ETCD_PEER" ] || ETCD_PEER=$((ETCD_CLIENT + 1))
  rm -rf "$DIR/etcd-data"
  $SETSID "$ETCD" --name e2e --data-dir "$DIR/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-cluster "e2e=http://127.0.0.1:$ETCD_PEER" \
    --log-level warn </dev/null >"$DIR/etcd.log" 2>&1 &
  ETCD_PID=$!
  for _ in $(seq 1 $((TIMEOUT * 5))); do
    kill -0 "$ETCD_PID" 2>/dev/null || return 1
    curl -fsS "http://127.0.0.1:$ETCD_CLIENT/health" 2>/dev/null | grep -q '"health":"true"' && return 0
    sleep 0.2
  done
  return 1
}

start_apiserver() {
  PORT=$(pick_port)
  local args=(
    --bind-address=127.0.0.1 --secure-port="$PORT" --insecure-port=0
    --advertise-address=127.0.0.1
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT"
    --tls-cert-file="$DIR/serving.crt" --tls-private-key-file="$DIR/serving.key"
    --client-ca-file="$DIR/ca.crt"
    --token-auth-file="$DIR/tokens.csv"
    --authorization-mode=RBAC
    --allow-privileged=true
    --service-account-key-file="$DIR/sa.key"
    --service-account-signing-key-file="$DIR/sa.key"
    --service-account-issuer=https://kubernetes.default.svc
    --api-audiences=https://kubernetes.default.svc
    --service-cluster-ip-range=10.96.0.0/16
    --profiling=false
    --cert-dir="$DIR/certs"
  )
  if [ "$PSP" = true ]; then
    args+=(--enable-admission-plugins=PodSecurityPolicy)
  else
    args+=(--runtime-config=policy/v1beta1=false)
  fi
  # ServiceAccount is on by default; the issuer, signing key and audiences above are what
  # BoundServiceAccountTokenVolume needs (with RootCAConfigMap, on by default in 1.20).
  case "$SERVICE_ACCOUNTS" in
    off) args+=(--disable-admission-plugins=ServiceAccount) ;;
    projected) args+=(--feature-gates=BoundServiceAccountTokenVolume=true) ;;
  esac
  $SETSID "$APISERVER" "${args[@]}" </dev/null >"$DIR/apiserver.log" 2>&1 &
  APISERVER_PID=$!
  APISERVER_URL="https://127.0.0.1:$PORT"
  for _ in $(seq 1 $((TIMEOUT * 2))); do
    kill -0 "$APISERVER_PID" 2>/dev/null || return 1
    if [ "$(curl -sS --cacert "$DIR/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
      "$APISERVER_URL/readyz" 2>/dev/null)" = ok ]; then return 0; fi
    sleep 0.5
  done
  return 2
}

fail() {
  log "$1; last log lines:"
  tail -n 30 "$DIR/$2" >&2 || true
  for p in ${APISERVER_PID:-} ${ETCD_PID:-}; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in ${APISERVER_PID:-} ${ETCD_PID:-}; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf -- "$DIR"
  exit 1
}

ok=false
for _ in 1 2 3; do
  if start_etcd; then ok=true; break; fi
  kill "$ETCD_PID" 2>/dev/null || true
  wait "$ETCD_PID" 2>/dev/null || true
done
$ok || fail "etcd did not start" etcd.log

ok=false
for _ in 1 2 3; do
  rc=0
  start_apiserver || rc=$?
  if [ $rc = 0 ]; then ok=true; break; fi
  kill "$APISERVER_PID" 2>/dev/null || true
  wait "$APISERVER_PID" 2>/dev/null || true
  [ $rc = 1 ] && grep -q "address already in use" "$DIR/apiserver.log" || break
done
$ok || fail "kube-apiserver did not become ready" apiserver.log

# --- kubeconfig: contexts admin (token), cert-admin (client certificate), restricted, user-1..5.
cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: $APISERVER_URL
    certificate-authority: $DIR/ca.crt
users:
- name: admin
  user:
    token: $ADMIN_TOKEN
- name: cert-admin
  user:
    client-certificate: $DIR/client.crt
    client-key: $DIR/client.key
- name: restricted
  user:
    token: $RESTRICTED_TOKEN
$(for i in 1 2 3 4 5; do printf -- '- name: user-%s\n  user:\n    token: %s\n' "$i" "${USER_TOKENS[$((i - 1))]}"; done)
contexts:
- name: admin
  context: {cluster: e2e, user: admin, namespace: default}
- name: cert-admin
  context: {cluster: e2e, user: cert-admin}
- name: restricted
  context: {cluster: e2e, user: restricted, namespace: default}
$(for i in 1 2 3 4 5; do printf -- '- name: user-%s\n  context: {cluster: e2e, user: user-%s, namespace: default}\n' "$i" "$i"; done)
current-context: admin
EOF
chmod 600 "$DIR/kubeconfig"

cat >"$DIR/stop.sh" <<EOF
#!/usr/bin/env bash
exec "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")" --stop "$DIR"
EOF
chmod +x "$DIR/stop.sh"

WATCHDOG_PID=""
if [ -n "$PARENT" ]; then
  # Runs with $DIR on its command line so that stop_dir recognises it.
  $SETSID bash -c 'while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 2; done; [ -d "$2" ] && "$2/stop.sh"' \
    watchdog "$PARENT" "$DIR" </dev/null >/dev/null 2>&1 &
  WATCHDOG_PID=$!
fi

{
  echo "FALCO_PSP_E2E_DIR='$DIR'"
  echo "KUBECONFIG='$DIR/kubeconfig'"
  echo "APISERVER_URL='$APISERVER_URL'"
  echo "CA_FILE='$DIR/ca.crt'"
  echo "ADMIN_TOKEN='$ADMIN_TOKEN'"
  echo "RESTRICTED_TOKEN='$RESTRICTED_TOKEN'"
  for i in 1 2 3 4 5; do echo "USER_TOKEN_$i='${USER_TOKENS[$((i - 1))]}'"; done
  echo "CLIENT_CERT_FILE='$DIR/client.crt'"
  echo "CLIENT_KEY_FILE='$DIR/client.key'"
  echo "PSP_API='$PSP'"
  echo "SERVICE_ACCOUNTS='$SERVICE_ACCOUNTS'"
  echo "APISERVER_PID='$APISERVER_PID'"
  echo "ETCD_PID='$ETCD_PID'"
  echo "WATCHDOG_PID='$WATCHDOG_PID'"
  echo "STOP='$DIR/stop.sh'"
} >"$DIR/env"
chmod 600 "$DIR/env"
cat "$DIR/env"
