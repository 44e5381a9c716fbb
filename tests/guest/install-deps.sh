#!/usr/bin/env bash
# Installs what tests/guest/*.sh need on a Debian 12 machine (run as root).
# Idempotent: packages already installed are skipped; `apt-get update` runs at most once.
# Usage: install-deps.sh [--vfio-user]   (--vfio-user adds debootstrap for build-vfio-user-qemu.sh)
set -euo pipefail

want=(qemu-system-x86 busybox-static cpio kmod ca-certificates gcc libc6-dev)  # gcc: nvme-disc.c
for a in "$@"; do
  case "$a" in
    --vfio-user) want+=(debootstrap util-linux) ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
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
stamp=/var/lib/apt/periodic/nvmf-target-guest-update-stamp
# Update once per machine (a fresh machine has no lists); again if the lists are gone.
if [ ! -e "$stamp" ] || ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  timeout 600 apt-get update -q
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
echo "install-deps.sh: installing ${missing[*]}"
timeout 1200 apt-get install -y -q --no-install-recommends "${missing[@]}"
