#!/usr/bin/env bash
# Builds kube-apiserver v1.20.2 from Debian's `kubernetes` source package and
# caches the binary outside the repository (default ~/.cache/falco-psp).
# Installs what it needs from Debian (deb-src line, golang-go, rsync, etcd-server).
# Prints the path of the binary on stdout.
set -euo pipefail
CACHE="${FALCO_PSP_CACHE:-$HOME/.cache/falco-psp}"
BIN="$CACHE/kube-apiserver-v1.20.2"
log() { echo "build-apiserver: $*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

need_pkgs=()
command -v go >/dev/null || need_pkgs+=(golang-go)
command -v rsync >/dev/null || need_pkgs+=(rsync)
command -v etcd >/dev/null || [ -x /usr/bin/etcd ] || need_pkgs+=(etcd-server)
command -v dpkg-source >/dev/null || need_pkgs+=(dpkg-dev)
# scripts/start-apiserver.sh needs these to make certificates and wait for readiness
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v curl >/dev/null || need_pkgs+=(curl)
if [ -x "$BIN" ] && [ ${#need_pkgs[@]} -eq 0 ]; then echo "$BIN"; exit 0; fi

if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  log "adding a deb-src line for bookworm main"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee /etc/apt/sources.list.d/falco-psp-src.sources >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#need_pkgs[@]} -gt 0 ] || [ ! -x "$BIN" ]; then
  $SUDO apt-get update -qq >&2
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  $SUDO apt-get install -y -qq "${need_pkgs[@]}" >&2
fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

mkdir -p "$CACHE/src"
cd "$CACHE/src"
if ! ls -d kubernetes-*/ >/dev/null 2>&1; then
  log "fetching Debian source package kubernetes"
  apt-get source -qq kubernetes >&2
fi
SRC=$(ls -d "$CACHE"/src/kubernetes-*/ | head -n1)
SRC=${SRC%/}
log "building cmd/kube-apiserver in $SRC (GOPATH mode, a few minutes)"
cd "$SRC"
export GO111MODULE=off GOFLAGS= GOPROXY=off
make WHAT=cmd/kube-apiserver >&2
OUT=$(find "$SRC/_output" -type f -name kube-apiserver -perm -u+x | head -n1)
[ -n "$OUT" ] || { log "no kube-apiserver binary produced"; exit 1; }
cp "$OUT" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
"$BIN" --version >&2
echo "$BIN"
