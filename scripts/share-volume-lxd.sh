#!/usr/bin/env bash
# Shares one host directory as /var/lib/concourse on every LXD container of a Juju application (one disk device
# per container, shift=true), before deploy (machines from `juju add-machine`) or after. Safe to run again.
#
# Usage: share-volume-lxd.sh [-m MODEL] APP HOST_DIR [MACHINE...]
#   APP        the application whose units share the volume (its units' machines, when no MACHINE is given)
#   HOST_DIR   absolute host directory (created 0755 if missing; an existing one is never chmod-ed). Not under
#              /tmp, /run or /dev/shm: those are emptied at boot and the cluster's releases would go with them.
#   MACHINE    Juju machine ids to share it on instead, e.g. before `juju deploy ... --to 0,1,2`
set -euo pipefail

readonly DEVICE=concourse-data
readonly LOCATION=/var/lib/concourse

die() {
  echo "share-volume-lxd: $2" >&2
  exit "$1"
}

model_args=()
if [ "${1:-}" = "-m" ]; then
  [ $# -ge 2 ] || die 2 "-m needs a model name"
  model_args=(-m "$2")
  shift 2
fi
[ $# -ge 2 ] || die 2 "usage: share-volume-lxd.sh [-m MODEL] APP HOST_DIR [MACHINE...]"
app=$1
host_dir=$2
shift 2
machines=("$@")

command -v jq >/dev/null 2>&1 || die 2 "jq is needed to read 'juju status --format=json' (apt-get install jq)"
case "$host_dir" in
/*) ;;
*) die 2 "HOST_DIR must be an absolute path, got '$host_dir'" ;;
esac
# Resolved first, so /var/../tmp/x or a symlink into /tmp is caught too.
resolved=$(realpath -m -- "$host_dir")
case "$resolved/" in
/tmp/* | /run/* | /dev/shm/*)
  die 2 "refusing $resolved: it is emptied at boot, and the shared releases with it; use a directory such as /srv/concourse-data"
  ;;
esac
if [ -e "$resolved" ] && [ ! -d "$resolved" ]; then
  die 2 "$resolved exists and is not a directory"
fi
if [ ! -d "$resolved" ]; then
  # Only the new directory gets a mode; an existing one keeps whatever the operator gave it.
  mkdir -p -m 0755 -- "$resolved"
  echo "created $resolved (0755)"
fi

status=$(juju status "${model_args[@]}" --format=json) || die 1 "juju status failed"
if [ ${#machines[@]} -eq 0 ]; then
  mapfile -t machines < <(jq -r --arg app "$app" \
    '.applications[$app].units // {} | to_entries[] | .value.machine // empty' <<<"$status" | sort -un)
  [ ${#machines[@]} -gt 0 ] ||
    die 1 "$app has no units on machines yet: deploy it first, or name the machines made with 'juju add-machine'"
fi

for machine in "${machines[@]}"; do
  container=$(jq -r --arg m "$machine" '.machines[$m]["instance-id"] // empty' <<<"$status")
  if [ -z "$container" ] || [ "$container" = "pending" ]; then
    die 1 "machine $machine has no container yet: wait until 'juju status' shows it started, then run this again"
  fi
  if current=$(lxc config device get "$container" "$DEVICE" source 2>/dev/null); then
    if [ "$current" = "$resolved" ]; then
      echo "$container (machine $machine): already shares $resolved"
      continue
    fi
    die 1 "$container (machine $machine) already has a '$DEVICE' device from $current; remove it first ('lxc config device remove $container $DEVICE')"
  fi
  lxc config device add "$container" "$DEVICE" disk source="$resolved" path="$LOCATION" shift=true >/dev/null
  echo "$container (machine $machine): $resolved mounted at $LOCATION"
done
