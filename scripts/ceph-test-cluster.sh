#!/usr/bin/env bash
# A throw-away single-node Ceph cluster serving CephFS, for the shared-fs tests: one monitor on 127.0.0.1, one OSD
# on memstore (RAM, nothing on disk), one MDS, no manager, pools of size 1. Everything lives under DIR.
#
#   scripts/ceph-test-cluster.sh start DIR   # idempotent; prints DIR/cluster.env (fsid, monitor, client key)
#   scripts/ceph-test-cluster.sh stop DIR    # kills the daemons it started (by their pid files) and removes DIR
#
# Needs root and Debian's ceph-mon ceph-osd ceph-mds ceph-fuse ceph-common (installed here when missing).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac
port=${CEPH_TEST_MON_PORT:-46789}
conf="$dir/ceph.conf"

ensure_packages() {
  local need=()
  for pair in ceph-mon:ceph-mon ceph-osd:ceph-osd ceph-mds:ceph-mds ceph-fuse:ceph-fuse ceph:ceph-common; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "The Ceph test cluster needs: ${need[*]} (sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "Installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

ceph_() { timeout 30 ceph -c "$conf" "$@"; }

alive() {
  local pidfile="$dir/run/$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

wait_for() {
  local what=$1 check=$2 i
  for i in $(seq 1 120); do
    if eval "$check" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "Ceph test cluster: $what did not come up; logs in $dir/log" >&2
  tail -n 20 "$dir"/log/*.log >&2 || true
  exit 1
}

stop_cluster() {
  local name pid clients=()
  # Clients first (a ceph-fuse the caller unmounted may still be flushing): every client.* started with this
  # ceph.conf wrote its pid file under run/, then the daemons.
  for pid in "$dir"/run/client.*.pid; do [ -f "$pid" ] && clients+=("$(basename "$pid" .pid)"); done
  for name in "${clients[@]}" mds.a osd.0 mon.a; do
    if alive "$name"; then
      pid=$(cat "$dir/run/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
}

write_conf() {
  mkdir -p "$dir/run" "$dir/log" "$dir/keyrings" "$dir/mon.a" "$dir/osd.0" "$dir/mds.a"
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon_host = v1:127.0.0.1:$port
ms_bind_msgr2 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
pid_file = $dir/run/\$name.pid
log_file = $dir/log/\$name.log
keyring = $dir/keyrings/\$name
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
osd_objectstore = memstore
memstore_device_bytes = 2147483648
osd_data = $dir/\$name
mon_data = $dir/\$name
mds_data = $dir/\$name

[mon.a]
public_addr = v1:127.0.0.1:$port
keyring = $dir/keyrings/mon.a

[osd.0]
keyring = $dir/keyrings/osd.0

[mds.a]
keyring = $dir/keyrings/mds.a

[client.admin]
keyring = $dir/keyrings/client.admin
EOF
}

start_cluster() {
  ensure_packages
  if alive mon.a && alive osd.0 && alive mds.a && [ -f "$dir/cluster.env" ]; then
    cat "$dir/cluster.env"
    return 0
  fi
  # Half a cluster (a crashed daemon, an interrupted start) is not worth repairing: start afresh.
  [ -e "$dir" ] && stop_cluster
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf
  ceph-authtool --create-keyring "$dir/keyrings/mon.a" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$dir/keyrings/client.admin" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$dir/keyrings/mon.a" --import-keyring "$dir/keyrings/client.admin" >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$port]" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyrings/mon.a"
  ceph-mon -c "$conf" -i a
  wait_for monitor "ceph_ mon stat"

  local osd_uuid
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  ceph-authtool --create-keyring "$dir/keyrings/osd.0" --gen-key -n osd.0 >/dev/null
  ceph_ osd new "$osd_uuid" -i - <<<"{\"cephx_secret\": \"$(ceph-authtool -p -n osd.0 "$dir/keyrings/osd.0")\"}" >/dev/null
  # --no-mon-config: at mkfs time the OSD must not ask the monitors for its config (it has no key there yet).
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" --no-mon-config >/dev/null 2>&1
  ceph-osd -c "$conf" -i 0
  wait_for OSD "ceph_ osd stat | grep -q '1 up'"

  ceph_ auth get-or-create mds.a mon 'allow profile mds' osd 'allow rwx' mds 'allow' -o "$dir/keyrings/mds.a"
  ceph-mds -c "$conf" -i a
  ceph_ osd pool create cephfs_metadata 8 >/dev/null 2>&1
  ceph_ osd pool create cephfs_data 8 >/dev/null 2>&1
  ceph_ fs new cephfs cephfs_metadata cephfs_data >/dev/null 2>&1
  wait_for MDS "ceph_ mds stat | grep -q 'up:active'"

  local key
  key=$(ceph_ fs authorize cephfs client.concourse / rw | sed -n 's/^[[:space:]]*key = //p')
  cat >"$dir/cluster.env" <<EOF
CEPH_FSID=$fsid
CEPH_MON=127.0.0.1:$port
CEPH_FS=cephfs
CEPH_DATA_POOL=cephfs_data
CEPH_CLIENT=concourse
CEPH_CLIENT_KEY=$key
CEPH_CONF=$conf
EOF
  cat "$dir/cluster.env"
}

case "$cmd" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
