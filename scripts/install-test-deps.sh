#!/usr/bin/env bash
# Installs the system packages the test suite needs on a fresh Debian/Ubuntu machine (CI starts from nothing):
# sshfs and openssh-server for the shared volume over a real network filesystem, jq for share-volume-lxd.sh,
# Debian's Ceph daemons and clients (and attr, for setfattr) for the shared-fs tests' single-node CephFS
# (scripts/ceph-test-cluster.sh), curl and GNU time for the bench's baselines (`npm run bench`,
# tests/e2e/bench-quick.test.ts), python3 for checking the cos-agent dashboards decode with Python's own lzma, as
# grafana-agent does (tests/adapters/lzma-dashboard-codec.test.ts), curl and openssl for the stand-in web's OIDC
# discovery over HTTPS from the stand-in identity provider (sim/concourse/stand-in-idp.ts). Idempotent; silent when
# present.
set -euo pipefail

need=()
command -v sshfs >/dev/null 2>&1 || need+=(sshfs)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v jq >/dev/null 2>&1 || need+=(jq)
# The charm makes its TLS certificate requests with openssl (on every Ubuntu machine; not on every slim image).
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v ceph-mon >/dev/null 2>&1 || need+=(ceph-mon)
command -v ceph-osd >/dev/null 2>&1 || need+=(ceph-osd)
command -v ceph-mds >/dev/null 2>&1 || need+=(ceph-mds)
command -v ceph-fuse >/dev/null 2>&1 || need+=(ceph-fuse)
command -v ceph >/dev/null 2>&1 || need+=(ceph-common)
command -v setfattr >/dev/null 2>&1 || need+=(attr)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/bin/time ] || need+=(time)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need: ${need[*]}. Install them (sudo apt-get install -y ${need[*]}) and run again." >&2
  exit 1
fi
echo "Installing test dependencies: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
