#!/usr/bin/env bash
# Boots the test guest (Debian's kernel + busybox initramfs, nvme + nvme-core PCI modules) in
# trixie-backports' QEMU (chroot from build-vfio-user-qemu.sh) with a vfio-user-pci device
# connected to a vfio-user server's socket, and checks /dev/nvme0n1 with O_DIRECT pattern
# writes/read-backs from several CPUs at once.
#
# Usage: run-vfio-user-guest.sh --socket DIR/cntrl [--timeout SECS (300)] [--jobs N (2)]
#          [--bios FILE (e.g. qboot.rom: no firmware NVMe driver)] [--log FILE] [--quiet]
#        run-vfio-user-guest.sh --emulated [...]   self-check of the guest side: QEMU's own
#          emulated NVMe controller on a 64 MiB temp image instead of the vfio-user device
# Exit status: 0 only when the guest printed "GUEST-RESULT: PASS"; 1 otherwise; 2 usage.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sock=; emulated=0; tmo=300; jobs=2; logfile=; quiet=0; bios=
while [ $# -gt 0 ]; do
  case "$1" in
    --socket) sock=$2; shift 2 ;;
    --emulated) emulated=1; sock=/tmp/unused/cntrl; shift ;;
    --timeout) tmo=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --bios) bios=$2; shift 2 ;;
    --log) logfile=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run-vfio-user-guest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$sock" ] || { echo "run-vfio-user-guest.sh: --socket DIR/cntrl is required" >&2; exit 2; }
[[ "$tmo" =~ ^[0-9]+$ && "$jobs" =~ ^[0-9]+$ ]] || { echo "run-vfio-user-guest.sh: bad number" >&2; exit 2; }
sock=$(realpath -m "$sock"); sockdir=$(dirname "$sock")
[[ "$sock" =~ ^[A-Za-z0-9/._-]+$ ]] || { echo "run-vfio-user-guest.sh: socket path must be plain" >&2; exit 2; }
[ $emulated = 1 ] || [ -d "$sockdir" ] || { echo "run-vfio-user-guest.sh: no folder $sockdir" >&2; exit 1; }

cache=$("$here/build-nvme-tcp-guest.sh" | tail -1)
chroot_dir=$("$here/build-vfio-user-qemu.sh" | tail -1)
# Hold a shared lock on the cache while the guest runs: builders remove old caches only when no run holds it.
exec 9>"$(dirname "$cache")/.in-use.lock" && flock -s 9 || true

tmp=$(mktemp -d /tmp/vfio-user-guest.XXXXXX)   # under /tmp: bind-mounted into the chroot
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill -KILL "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT TERM
log=${logfile:-$tmp/console.log}
: > "$log"
mkdir "$tmp/ov"; install -m 755 "$here/guest-init.sh" "$tmp/ov/init"
(cd "$tmp/ov" && echo init | cpio -o -H newc --quiet | gzip) > "$tmp/ov.cpio.gz"
cat "$cache/initramfs.cpio.gz" "$tmp/ov.cpio.gz" > "$tmp/initrd"
cp "$cache/bzImage" "$tmp/bzImage"
biosopt=()
if [ -n "$bios" ]; then
  case "$bios" in */*) cp "$bios" "$tmp/bios.bin"; biosopt=(-bios "$tmp/bios.bin") ;; *) biosopt=(-bios "$bios") ;; esac
fi

devopt=(-device "{\"driver\":\"vfio-user-pci\",\"id\":\"vfu0\",\"socket\":{\"type\":\"unix\",\"path\":\"$sock\"}}")
if [ $emulated = 1 ]; then
  truncate -s 64M "$tmp/disk.img"; sockdir=$tmp
  devopt=(-drive "file=$tmp/disk.img,if=none,id=d0,format=raw" -device nvme,serial=selfcheck,drive=d0)
fi
start=$(date +%s.%N)
# unshare --mount keeps the bind mounts private; `exec` keeps one PID from unshare to QEMU.
unshare --mount --propagation private sh -c '
  set -e
  C=$1; S=$2; shift 2
  mount --rbind /dev "$C/dev"; mount -t proc proc "$C/proc"; mount --rbind /sys "$C/sys"
  mount --bind /tmp "$C/tmp"
  mkdir -p "$C$S"; mount --bind "$S" "$C$S"
  exec chroot "$C" "$@"
' sh "$chroot_dir" "$sockdir" \
  qemu-system-x86_64 -accel tcg -m 512 -smp 2 -nographic -no-reboot \
    -machine q35,memory-backend=mem -object memory-backend-memfd,id=mem,size=512M,share=on \
    "${biosopt[@]}" -kernel "$tmp/bzImage" -initrd "$tmp/initrd" \
    -append "console=ttyS0 panic=-1 quiet loglevel=4 gt_mode=pci gt_jobs=$jobs" \
    -nic none "${devopt[@]}" \
  </dev/null >"$log" 2>&1 &
qpid=$!

deadline=$(( $(date +%s) + tmo )); shown=0; timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
  if [ $quiet = 0 ]; then
    n=$(wc -l < "$log")
    if [ "$n" -gt "$shown" ]; then sed -n "$((shown+1)),${n}p" "$log" | tr -d '\r' | grep -oE 'GUEST(-RESULT)?: .*' || true; shown=$n; fi
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then timed_out=1; kill -KILL "$qpid" 2>/dev/null || true; break; fi
  sleep 0.2 & wait $! || true
done
wait "$qpid" 2>/dev/null || true
qpid=
[ $quiet = 1 ] || sed -n "$((shown+1)),\$p" "$log" | tr -d '\r' | grep -oE 'GUEST(-RESULT)?: .*' || true
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
result=$(tr -d '\r' < "$log" | grep -oE 'GUEST-RESULT: .*' | head -1 || true)
if [ -z "$result" ]; then
  qerr=$(tr -d '\r' < "$log" | grep -E '^qemu-system-x86_64: ' | head -2 | tr '\n' ' ' || true)
  if [ $timed_out = 1 ]; then result="GUEST-RESULT: FAIL timeout after ${tmo} s (QEMU killed) $qerr"
  else result="GUEST-RESULT: FAIL QEMU exited without a result: ${qerr:-see log}"; fi
fi
[ $quiet = 1 ] && echo "$result"
echo "run-vfio-user-guest.sh: ${result#GUEST-RESULT: } (${elapsed} s)"
case "$result" in
  "GUEST-RESULT: PASS"*) exit 0 ;;
  *) echo "----- guest console ($log) -----"; tr -d '\r' < "$log"; echo "----- end of guest console -----"; exit 1 ;;
esac
