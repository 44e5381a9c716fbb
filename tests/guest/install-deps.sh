#!/usr/bin/env bash
# Installs what tests/guest/*.sh need on a Debian 12 machine (run as root).
# Idempotent: packages already installed are skipped. `apt-get update` runs first when the package
# lists are missing or older than a day (a fresh machine has none; stale ones name versions the
# mirror no longer has), and once more if an install still fails.
# Usage: install-deps.sh [--vfio-user]   (--vfio-user adds debootstrap for build-vfio-user-qemu.sh)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

want=(qemu-system-x86 busybox-static cpio kmod ca-certificates gcc libc6-dev)  # gcc: nvme-disc.c
for a in "$@"; do
  case "$a" in
    --vfio-user) want+=(debootstrap util-linux) ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then echo "install-deps.sh: must run as root" >&2; exit 1; fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all present (${want[*]})"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# shellcheck source=apt-lists.sh
. "$here/apt-lists.sh"
apt_lists_fresh || apt_update "install-deps.sh" || echo "install-deps.sh: apt-get update failed; trying the install with the lists there are" >&2
echo "install-deps.sh: installing ${missing[*]}"
if ! timeout 1200 apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  # The lists may name versions the mirror has dropped since they were fetched.
  apt_update "install-deps.sh"
  timeout 1200 apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
