#!/usr/bin/env bash
# Boots the test guest (Debian's kernel + busybox initramfs) under QEMU/TCG and runs the Linux
# kernel's NVMe/TCP host against a target listening on the host's 127.0.0.1:PORT (the guest
# reaches it as 10.0.2.2:PORT through QEMU's user-mode network).
#
# Usage: run-nvme-tcp-guest.sh --port PORT [--nqn SUBNQN] [--mode io|discover|wget]
#          [--hdr-digest] [--data-digest] [--nr-io-queues N] [--hostnqn NQN]
#          [--timeout SECS (240)] [--log FILE] [--cache DIR] [--quiet]
#   io       connect to SUBNQN (ctrl_loss_tmo=30), write/read back patterns with O_DIRECT,
#            flush, delete the controller
#   discover connect to the discovery NQN, report what sysfs shows, delete it
#   wget     debug: fetch http://10.0.2.2:PORT/ with busybox wget (proves the guest reaches the host)
# Exit status: 0 only when the guest printed "GUEST-RESULT: PASS"; 1 on FAIL/timeout; 2 usage.
# The GUEST-RESULT line and the guest's "GUEST:" lines are echoed; the whole console log is
# printed on failure (and kept at --log FILE when given).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

port=; nqn=; mode=io; hdgst=0; ddgst=0; nrq=; hostnqn=; tmo=240; logfile=; cache=; quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --nqn) nqn=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --hdr-digest) hdgst=1; shift ;;
    --data-digest) ddgst=1; shift ;;
    --nr-io-queues) nrq=$2; shift 2 ;;
    --hostnqn) hostnqn=$2; shift 2 ;;
    --timeout) tmo=$2; shift 2 ;;
    --log) logfile=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run-nvme-tcp-guest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] || { echo "run-nvme-tcp-guest.sh: --port PORT is required" >&2; exit 2; }
case "$mode" in io|discover|wget) ;; *) echo "run-nvme-tcp-guest.sh: bad --mode $mode" >&2; exit 2 ;; esac
[ "$mode" != io ] || [ -n "$nqn" ] || { echo "run-nvme-tcp-guest.sh: --nqn is required in io mode" >&2; exit 2; }
for v in "$nqn" "$hostnqn"; do
  [[ "$v" =~ ^[A-Za-z0-9.:_-]*$ ]] || { echo "run-nvme-tcp-guest.sh: NQN '$v' has characters the kernel command line cannot carry" >&2; exit 2; }
done
[[ "$tmo" =~ ^[0-9]+$ ]] || { echo "run-nvme-tcp-guest.sh: bad --timeout" >&2; exit 2; }

command -v qemu-system-x86_64 >/dev/null || { echo "run-nvme-tcp-guest.sh: no qemu-system-x86_64: run tests/guest/install-deps.sh" >&2; exit 1; }
if [ -z "$cache" ]; then
  cache=$("$here/build-nvme-tcp-guest.sh" | tail -1)
fi
[ -f "$cache/bzImage" ] && [ -f "$cache/initramfs.cpio.gz" ] || { echo "run-nvme-tcp-guest.sh: no guest in '$cache'" >&2; exit 1; }
# Hold a shared lock on the cache while the guest runs: builders remove old caches only when no run holds it.
exec 9>"$(dirname "$cache")/.in-use.lock" && flock -s 9 || true

tmp=$(mktemp -d /tmp/nvme-tcp-guest.XXXXXX)
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill -KILL "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT TERM
log=${logfile:-$tmp/console.log}
: > "$log"

# Overlay the current guest-init.sh over the cached one (a second cpio archive wins).
mkdir "$tmp/ov"
install -m 755 "$here/guest-init.sh" "$tmp/ov/init"
(cd "$tmp/ov" && echo init | cpio -o -H newc --quiet | gzip) > "$tmp/ov.cpio.gz"
cat "$cache/initramfs.cpio.gz" "$tmp/ov.cpio.gz" > "$tmp/initrd"

# no_timer_check: on a starved host TCG is too slow for the kernel's IO-APIC timer check, which then panics at boot.
append="console=ttyS0 panic=-1 quiet loglevel=4 no_timer_check gt_mode=$mode gt_port=$port"
[ -n "$nqn" ] && append="$append gt_nqn=$nqn"
[ $hdgst = 1 ] && append="$append gt_hdgst=1"
[ $ddgst = 1 ] && append="$append gt_ddgst=1"
[ -n "$nrq" ] && append="$append gt_nrq=$nrq"
[ -n "$hostnqn" ] && append="$append gt_hostnqn=$hostnqn"

start=$(date +%s.%N)
# TCG only: this machine's /dev/kvm cannot run stock kernels (see shared TESTING.md).
qemu-system-x86_64 -accel tcg -m 512 -smp 2 -nographic -no-reboot \
  -kernel "$cache/bzImage" -initrd "$tmp/initrd" -append "$append" \
  -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
  </dev/null >"$log" 2>&1 &
qpid=$!

# Follow the console: echo the guest's own lines as they come; stop at timeout.
deadline=$(( $(date +%s) + tmo ))
shown=0; timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
  if [ $quiet = 0 ]; then
    n=$(wc -l < "$log")
    if [ "$n" -gt "$shown" ]; then
      sed -n "$((shown+1)),${n}p" "$log" | tr -d '\r' | grep -oE 'GUEST(-RESULT)?: .*' || true
      shown=$n
    fi
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then timed_out=1; kill -KILL "$qpid" 2>/dev/null || true; break; fi
  sleep 0.2 & wait $! || true
done
wait "$qpid" 2>/dev/null || true
qpid=
if [ $quiet = 0 ]; then
  sed -n "$((shown+1)),\$p" "$log" | tr -d '\r' | grep -oE 'GUEST(-RESULT)?: .*' || true
fi
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')

result=$(tr -d '\r' < "$log" | grep -oE 'GUEST-RESULT: .*' | head -1 || true)
if [ $timed_out = 1 ] && [ -z "$result" ]; then
  result="GUEST-RESULT: FAIL timeout after ${tmo} s (QEMU killed)"
elif [ -z "$result" ]; then
  result="GUEST-RESULT: FAIL QEMU exited without a result"
fi
[ $quiet = 1 ] && echo "$result"
echo "run-nvme-tcp-guest.sh: ${result#GUEST-RESULT: } (${elapsed} s)"
case "$result" in
  "GUEST-RESULT: PASS"*) exit 0 ;;
  *)
    echo "----- guest console ($log) -----"
    tr -d '\r' < "$log"
    echo "----- end of guest console -----"
    exit 1 ;;
esac
