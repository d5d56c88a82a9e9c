# shellcheck shell=bash disable=SC2034
# Sourced by up, down and image/build: the names the fleet's scripts share, and their helpers.
# Every podman command of the fleet reads the fleet's own containers.conf (CONTAINERS_CONF): nothing
# under /etc is changed.

FLEET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# FIX502_FLEET_NAME runs several fleets side by side (one per developer or test session): its own
# hosts NAME-host1..N, network NAME-fleet and state directory. The default fleet is "fix502".
FLEET_NAME=${FIX502_FLEET_NAME:-fix502}
case "$FLEET_NAME" in
  '' | *[!a-z0-9-]* | -* | ?????????????????????*)
    printf 'fleet: error: FIX502_FLEET_NAME %s: use 1-20 of a-z, 0-9 and -, not first\n' "$FLEET_NAME" >&2
    exit 1
    ;;
esac
if [ "$FLEET_NAME" = fix502 ]; then
  FLEET_STATE=${FIX502_FLEET_STATE:-$FLEET_DIR/.state}
else
  FLEET_STATE=${FIX502_FLEET_STATE:-$FLEET_DIR/.state-$FLEET_NAME}
fi
# What all fleets share: the record of IPv4 forwarding from before the first fleet came up.
FLEET_SHARED_STATE=$FLEET_DIR/.state
FLEET_IMAGE=localhost/fix502-fleet:bookworm
FLEET_NETWORK=$FLEET_NAME-fleet
# Every fleet's containers carry fix502.fleet=NAME; FLEET_FILTER selects this fleet's.
FLEET_LABEL=fix502.fleet
FLEET_FILTER=label=$FLEET_LABEL=$FLEET_NAME
FLEET_HOST_PREFIX=$FLEET_NAME-host
export CONTAINERS_CONF=$FLEET_DIR/containers.conf

# fleet_locked SCRIPT ARGS...: runs SCRIPT again under the fleet's lock, one up or down at a time, unless
# it holds the lock already. flock -o keeps the lock's descriptor from the script's children: podman
# hands open descriptors down to conmon, which outlives the script and would hold the lock for good.
fleet_locked() {
  [ -z "${FIX502_FLEET_LOCKED:-}" ] || return 0
  mkdir -p "$FLEET_STATE"
  chmod 700 "$FLEET_STATE"
  local rc=0
  FIX502_FLEET_LOCKED=1 flock -o -w 900 -E 75 "$FLEET_STATE/lock" "$@" || rc=$?
  [ "$rc" -ne 75 ] || fleet_log "another up or down held $FLEET_STATE/lock for 15 minutes"
  exit "$rc"
}

fleet_log() { printf 'fleet: %s\n' "$*" >&2; }
fleet_die() {
  printf 'fleet: error: %s\n' "$*" >&2
  exit 1
}

# fleet_require_packages PKG...: installs with apt the Debian packages that are missing, and only those.
# Package scripts may not start services meanwhile: a policy-rc.d answering 101 is put in place when
# there is none, and removed again (only when this function created it).
fleet_require_packages() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || fleet_die "missing Debian packages ${missing[*]}: run as root, or install them with apt-get"
  fleet_log "installing ${missing[*]}"
  (
    created_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      created_policy=1
    fi
    trap '[ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  )
}

# The Debian packages the fleet needs on this machine. netavark is podman's network stack here (and
# needs iptables); runc, not crun, runs the hosts (crun fails on this machine's hybrid cgroup layout).
FLEET_MACHINE_PACKAGES=(podman runc conmon netavark iptables mmdebstrap openssh-client)
