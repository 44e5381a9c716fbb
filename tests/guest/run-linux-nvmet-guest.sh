#!/usr/bin/env bash
# Runs the Linux kernel's own NVMe/TCP target (nvmet-tcp, one namespace on a RAM disk) in a
# QEMU/TCG guest, reachable on the host at 127.0.0.1:PORT (QEMU hostfwd). It is a known-good
# peer for checking the test scripts (run-nvme-tcp-guest.sh) and for comparing behaviour.
#
# Usage: run-linux-nvmet-guest.sh --port PORT --nqn SUBNQN [--size-mib 64] [--timeout SECS (600)]
#          [--ready-file FILE] [--log FILE] [--cache DIR]
# Stays in the foreground until the timeout or SIGTERM/SIGINT, then kills QEMU and exits 0
# (1 if the target never became ready). Prints "NVMET-READY 127.0.0.1:PORT SUBNQN" (and touches
# --ready-file) once the target listens.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=; nqn=; size=64; tmo=600; ready=; logfile=; cache=
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --nqn) nqn=$2; shift 2 ;;
    --size-mib) size=$2; shift 2 ;;
    --timeout) tmo=$2; shift 2 ;;
    --ready-file) ready=$2; shift 2 ;;
    --log) logfile=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run-linux-nvmet-guest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] && [[ "$nqn" =~ ^[A-Za-z0-9.:_-]+$ ]] && [[ "$size" =~ ^[0-9]+$ ]] \
  || { echo "run-linux-nvmet-guest.sh: need --port PORT --nqn SUBNQN" >&2; exit 2; }
[ -n "$cache" ] || cache=$("$here/build-nvme-tcp-guest.sh" | tail -1)
# Hold a shared lock on the cache while the guest runs: builders remove old caches only when no run holds it.
exec 9>"$(dirname "$cache")/.in-use.lock" && flock -s 9 || true

tmp=$(mktemp -d /tmp/linux-nvmet-guest.XXXXXX)
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill -KILL "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 0' INT TERM
log=${logfile:-$tmp/console.log}
mkdir "$tmp/ov"; install -m 755 "$here/guest-init.sh" "$tmp/ov/init"
(cd "$tmp/ov" && echo init | cpio -o -H newc --quiet | gzip) > "$tmp/ov.cpio.gz"
cat "$cache/initramfs.cpio.gz" "$tmp/ov.cpio.gz" > "$tmp/initrd"

qemu-system-x86_64 -accel tcg -m 512 -smp 2 -nographic -no-reboot \
  -kernel "$cache/bzImage" -initrd "$tmp/initrd" \
  -append "console=ttyS0 panic=-1 quiet loglevel=4 gt_mode=nvmet gt_port=$port gt_nqn=$nqn gt_size_mib=$size" \
  -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:4420" -device virtio-net-pci,netdev=n0,romfile= \
  </dev/null >"$log" 2>&1 &
qpid=$!
deadline=$(( $(date +%s) + tmo )); is_ready=0
while kill -0 "$qpid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
  if [ $is_ready = 0 ] && grep -q 'GUEST: .* nvmet-ready' "$log"; then
    is_ready=1
    grep -oE 'GUEST: .*' "$log" | tr -d '\r'
    echo "NVMET-READY 127.0.0.1:$port $nqn"
    [ -z "$ready" ] || touch "$ready"
  fi
  if grep -q 'GUEST-RESULT: FAIL' "$log"; then break; fi
  sleep 0.2 & wait $! || true
done
if [ $is_ready = 0 ]; then
  echo "run-linux-nvmet-guest.sh: target never became ready"; tr -d '\r' < "$log"; exit 1
fi
exit 0
