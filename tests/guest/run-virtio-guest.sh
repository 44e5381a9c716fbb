#!/usr/bin/env bash
# Boots the test guest (Debian's kernel + busybox initramfs) in trixie-backports' QEMU (chroot from
# build-vfio-user-qemu.sh) with one vfio-user-pci device per --socket, each a virtio-blk or
# virtio-scsi endpoint of a vfio-user server, and runs guest-init-virtio.sh's checks on every disk
# (O_DIRECT patterns from pinned parallel jobs, flush, discard, write zeroes, ...).
#
# Usage: run-virtio-guest.sh --kind blk|scsi --socket PATH [--socket PATH ...]
#          [--bios seabios|qboot|FILE (seabios: QEMU's default)] [--debugcon FILE (SeaBIOS's log)]
#          [--jobs N (2)] [--zeroes] [--mark write|check] [--inflight]
#          [--hotplug-add CMD --hotplug-remove CMD] [--timeout SECS (300)] [--log FILE] [--quiet]
#        run-virtio-guest.sh --kind blk|scsi --emulated [--packed] [...]   self-check of the guest
#          side: QEMU's own virtio-blk-pci / virtio-scsi-pci (2 queues) on 64 MiB temp images
#   --mark write|check  leave a marker on each disk / check the marker an earlier guest left
#   --inflight          power off while writers are still running on every disk
#   --hotplug-add/-remove CMD  (scsi) shell commands run on the host when the guest asks for a
#                       target to be added / removed; the guest waits for the disk to come and go
# Exit status: 0 only when the guest printed "GUEST-RESULT: PASS"; 1 otherwise; 2 usage.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
socks=(); kind=; emulated=0; packed=off; tmo=300; jobs=2; logfile=; quiet=0; bios=seabios; debugcon=
zeroes=0; mark=; inflight=0; hp_add=; hp_remove=
while [ $# -gt 0 ]; do
  case "$1" in
    --kind) kind=$2; shift 2 ;;
    --socket) socks+=("$2"); shift 2 ;;
    --emulated) emulated=1; shift ;;
    --packed) packed=on; shift ;;
    --bios) bios=$2; shift 2 ;;
    --debugcon) debugcon=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --zeroes) zeroes=1; shift ;;
    --mark) mark=$2; shift 2 ;;
    --inflight) inflight=1; shift ;;
    --hotplug-add) hp_add=$2; shift 2 ;;
    --hotplug-remove) hp_remove=$2; shift 2 ;;
    --timeout) tmo=$2; shift 2 ;;
    --log) logfile=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run-virtio-guest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
usage() { echo "run-virtio-guest.sh: $*" >&2; exit 2; }
case "$kind" in blk|scsi) ;; *) usage "--kind blk|scsi is required" ;; esac
[ $emulated = 1 ] || [ ${#socks[@]} -gt 0 ] || usage "--socket PATH (or --emulated) is required"
[[ "$tmo" =~ ^[0-9]+$ && "$jobs" =~ ^[0-9]+$ ]] || usage "bad number"
case "$mark" in ""|write|check) ;; *) usage "--mark write|check" ;; esac
[ -z "$hp_add" ] && [ -z "$hp_remove" ] || [ -n "$hp_add" -a -n "$hp_remove" ] || usage "--hotplug-add and --hotplug-remove go together"
[ -z "$debugcon" ] || [[ "$(realpath -m "$debugcon")" == /tmp/* ]] || usage "--debugcon FILE must be under /tmp (QEMU runs chrooted with /tmp bound)"

cache=$("$here/build-nvme-tcp-guest.sh" | tail -1)
chroot_dir=$("$here/build-vfio-user-qemu.sh" | tail -1)
[ -f "$cache/modules-v$kind.list" ] || { echo "run-virtio-guest.sh: $cache has no virtio modules (rebuild it: build-nvme-tcp-guest.sh --rebuild)" >&2; exit 1; }
# Hold a shared lock on the cache while the guest runs: builders remove old caches only when no run holds it.
exec 9>"$(dirname "$cache")/.in-use.lock" && flock -s 9 || true

tmp=$(mktemp -d /tmp/virtio-guest.XXXXXX)   # under /tmp: bind-mounted into the chroot
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill -KILL "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT TERM
log=${logfile:-$tmp/console.log}
: > "$log"
# /init is this checkout's guest-init-virtio.sh (overlaid at every run: edits need no rebuild).
mkdir "$tmp/ov"; install -m 755 "$here/guest-init-virtio.sh" "$tmp/ov/init"
(cd "$tmp/ov" && echo init | cpio -o -H newc --quiet | gzip) > "$tmp/ov.cpio.gz"
cat "$cache/initramfs.cpio.gz" "$tmp/ov.cpio.gz" > "$tmp/initrd"
cp "$cache/bzImage" "$tmp/bzImage"

biosopt=()
case "$bios" in
  seabios) ;;
  # trixie's qemu-system-data ships qboot.rom: no storage drivers, the guest's Linux is the first driver.
  qboot) [ -f "$chroot_dir/usr/share/qemu/qboot.rom" ] || { echo "run-virtio-guest.sh: no qboot.rom in $chroot_dir" >&2; exit 1; }
         biosopt=(-bios qboot.rom) ;;
  *) cp "$bios" "$tmp/bios.bin"; biosopt=(-bios "$tmp/bios.bin") ;;
esac
if [ -n "$debugcon" ]; then
  : > "$debugcon"
  biosopt+=(-chardev "file,id=dbg,path=$(realpath -m "$debugcon")" -device isa-debugcon,iobase=0x402,chardev=dbg)
fi

devopt=(); binds=(); ndisks=0
if [ $emulated = 1 ]; then
  for i in 0 1; do
    truncate -s 64M "$tmp/disk$i.img"
    devopt+=(-drive "file=$tmp/disk$i.img,if=none,id=d$i,format=raw,cache=none,discard=unmap")
  done
  if [ $kind = blk ]; then
    devopt+=(-device "virtio-blk-pci,drive=d0,num-queues=2,packed=$packed,disable-legacy=on,serial=selfcheck0")
  else
    devopt+=(-device "virtio-scsi-pci,id=s0,num_queues=2,packed=$packed,disable-legacy=on" -device scsi-hd,bus=s0.0,drive=d0,scsi-id=0)
  fi
  ndisks=1
else
  for s in "${socks[@]}"; do
    s=$(realpath -m "$s")
    [[ "$s" =~ ^[A-Za-z0-9/._-]+$ ]] || usage "socket path must be plain: $s"
    [ -S "$s" ] || { echo "run-virtio-guest.sh: no socket $s" >&2; exit 1; }
    devopt+=(-device "{\"driver\":\"vfio-user-pci\",\"id\":\"vfu$ndisks\",\"socket\":{\"type\":\"unix\",\"path\":\"$s\"}}")
    binds+=("$(dirname "$s")"); ndisks=$((ndisks+1))
  done
fi

append="console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init vt_kind=$kind vt_disks=$ndisks vt_jobs=$jobs vt_zeroes=$zeroes"
[ -z "$mark" ] || append="$append vt_mark=$mark"
[ -z "$hp_add" ] || append="$append vt_hotplug=1"
[ $inflight = 0 ] || append="$append vt_inflight=1"

start=$(date +%s.%N)
start_qemu() {
  # unshare --mount keeps the bind mounts private; `exec` keeps one PID from unshare to QEMU.
  unshare --mount --propagation private sh -c '
    set -e
    C=$1; shift; n=$1; shift
    mount --rbind /dev "$C/dev"; mount -t proc proc "$C/proc"; mount --rbind /sys "$C/sys"
    mount --bind /tmp "$C/tmp"
    while [ "$n" -gt 0 ]; do mkdir -p "$C$1"; mount --bind "$1" "$C$1"; shift; n=$((n-1)); done
    exec chroot "$C" "$@"
  ' sh "$chroot_dir" "${#binds[@]}" "${binds[@]}" \
    qemu-system-x86_64 -accel tcg -m 512 -smp 2 -nographic -no-reboot \
      -machine q35,memory-backend=mem -object memory-backend-memfd,id=mem,size=512M,share=on \
      "${biosopt[@]}" -kernel "$tmp/bzImage" -initrd "$tmp/initrd" \
      -append "$append" -nic none "${devopt[@]}" \
    </dev/null >"$log" 2>&1 &
  qpid=$!
}
start_qemu
# An endpoint whose previous VMM has just gone may take a moment to listen again: QEMU then fails
# at once with "Connection refused". Start it again for up to 10 s (said in the output).
retry_until=$(( $(date +%s) + 10 ))
while :; do
  sleep 1.5
  kill -0 "$qpid" 2>/dev/null && break
  grep -q 'Connection refused' "$log" && [ "$(date +%s)" -lt "$retry_until" ] || break
  echo "run-virtio-guest.sh: an endpoint refused the connection (not listening again yet): starting QEMU again"
  : > "$log"; start_qemu
done

# Runs a hotplug command once, when the guest asks for it.
hook() {  # name cmd
  echo "run-virtio-guest.sh: $1: $2"
  if ! out=$(timeout 60 sh -c "$2" 2>&1); then echo "run-virtio-guest.sh: $1 command failed: $out"; fi
}
deadline=$(( $(date +%s) + tmo )); shown=0; timed_out=0; added=0; removed=0
while kill -0 "$qpid" 2>/dev/null; do
  n=$(wc -l < "$log")
  if [ "$n" -gt "$shown" ]; then
    new=$(sed -n "$((shown+1)),${n}p" "$log" | tr -d '\r' | grep -oE 'GUEST(-RESULT)?: .*' || true); shown=$n
    [ $quiet = 1 ] || [ -z "$new" ] || echo "$new"
    if [ -n "$hp_add" ]; then
      case "$new" in *"] HOTPLUG-ADD"*) [ $added = 1 ] || { added=1; hook hotplug-add "$hp_add"; } ;; esac
      case "$new" in *"] HOTPLUG-REMOVE"*) [ $removed = 1 ] || { removed=1; hook hotplug-remove "$hp_remove"; } ;; esac
    fi
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
echo "run-virtio-guest.sh: ${result#GUEST-RESULT: } (${elapsed} s)"
case "$result" in
  "GUEST-RESULT: PASS"*) exit 0 ;;
  *) echo "----- guest console ($log) -----"; tr -d '\r' < "$log" | tail -200; echo "----- end of guest console -----"; exit 1 ;;
esac
