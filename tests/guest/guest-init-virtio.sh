#!/bin/sh
# /init of the virtio test guest (busybox ash): the Linux virtio_blk (/dev/vdX) or virtio_scsi +
# sd_mod (/dev/sdX) driver on every virtio disk the VMM gives it, checked in one boot.
# Kernel command line parameters:
#   vt_kind=blk|scsi     which driver (and which disks) to check
#   vt_disks=N           disks expected (one per endpoint; waits up to 60 s for them)
#   vt_jobs=N            parallel writers (each pinned to a CPU; 2 = one per request queue)
#   vt_zeroes=1          a discarded range must read back as zeroes (malloc bdevs zero on unmap)
#   vt_mark=write|check  leave a marker for a later guest / check the one an earlier guest left
#   vt_hotplug=1         (scsi) ask the host to add a target (HOTPLUG-ADD), wait for its disk,
#                        check it, ask for its removal (HOTPLUG-REMOVE), wait for it to vanish
#   vt_inflight=1        end with writers still running: power off with I/O in flight
# Per disk: 32 O_DIRECT patterns (4 KiB .. 1 MiB, 512 B-aligned offsets that are not 4 KiB
# aligned, the last LBA), written by vt_jobs pinned jobs, fsync + flush, read back twice; the
# request-queue interrupts that moved during the jobs; discard + write-zeroes read-back.
# Prints "GUEST: ..." progress, exactly one "GUEST-RESULT: PASS|FAIL ..." line, then powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1

say() { echo "GUEST: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
finish() {  # PASS|FAIL text
  echo "GUEST-RESULT: $1 $2"
  [ "$inflight_pids" ] || sync
  poweroff -f
  sleep 5; echo o > /proc/sysrq-trigger 2>/dev/null
  exit 0
}
fail() {
  dmesg | grep -E 'virtio|scsi| sd[a-z]| vd[a-z]|blk_update|I/O error|Buffer I/O' | tail -15 | sed 's/^/GUEST: dmesg: /'
  finish FAIL "$*"
}

kind=blk; ndisks=1; jobs=2; zeroes=0; mark=; hotplug=0; inflight=0; inflight_pids=
for w in $(cat /proc/cmdline); do
  case "$w" in
    vt_kind=*) kind=${w#*=} ;;
    vt_disks=*) ndisks=${w#*=} ;;
    vt_jobs=*) jobs=${w#*=} ;;
    vt_zeroes=*) zeroes=${w#*=} ;;
    vt_mark=*) mark=${w#*=} ;;
    vt_hotplug=*) hotplug=${w#*=} ;;
    vt_inflight=*) inflight=${w#*=} ;;
  esac
done
case "$kind" in blk) pat='^vd[a-z]+$' ;; scsi) pat='^sd[a-z]+$' ;; *) finish FAIL "unknown vt_kind '$kind'" ;; esac
say "init started (kernel $(uname -r), kind=$kind disks=$ndisks jobs=$jobs mark=$mark hotplug=$hotplug inflight=$inflight)"

for m in $(cat /etc/modules-v$kind.list); do
  out=$(insmod "$m" 2>&1) || case "$out" in *"File exists"*) ;; *) say "insmod $m: $out" ;; esac
done

rd() { cat "$1" 2>/dev/null | tr -d '\n' | sed 's/ *$//'; }
disks() { ls /sys/block 2>/dev/null | grep -E "$pat"; }
i=0
while [ "$(disks | wc -l)" -lt "$ndisks" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
list=$(disks | tr '\n' ' ')
[ "$(disks | wc -l)" -ge "$ndisks" ] || fail "expected $ndisks $kind disks, found '$list' after 60 s (PCI: $(cat /sys/bus/pci/devices/*/vendor /sys/bus/pci/devices/*/device 2>/dev/null | tr '\n' ' '))"
say "disks: $list"

md5() { md5sum | cut -d' ' -f1; }
# The virtio device (virtioN) under a disk: the path of /sys/block/X/device names it.
vdev_of() { readlink -f /sys/block/$1/device | grep -oE 'virtio[0-9]+' | head -1; }
# Sum of interrupts of each of a virtio device's request queues, one "irq:count" per line.
# virtio_blk names its vqs req.N, virtio_scsi names them all "request".
req_irqs() {
  grep -E " $1-req" /proc/interrupts | awk '{ s=0; for (i=2;i<=NF;i++) if ($i ~ /^[0-9]+$/) s+=$i; else break; print $1 s }'
}

# Pattern list: offset:length, 4 KiB .. 1 MiB, some offsets 512 B-aligned but not 4 KiB-aligned.
patterns() {  # size lbs
  local s=$1 l=$2 k=0 c
  c="0:4096 1048576:65536 3145728:1048576 5246976:135168 7344128:$l 8388608:131072 9437696:4096"
  c="$c 10489344:1048576 12583424:12288 13632000:262144 14680576:524288 $(($s - $l)):$l $(($s - 4096 - $l)):4096"
  while [ $k -lt 19 ]; do c="$c $((16777216 + k * 69632 + (k % 8) * 512)):$((4096 * (1 + k % 4)))"; k=$((k+1)); done
  echo $c
}

write_one() {  # dev dir index
  read off len sum < $2/$3.info
  dd if=$2/$3 of=/dev/$1 bs=$len count=1 seek=$off oflag=seek_bytes,direct conv=notrunc 2>$2/$3.err \
    || { echo "write $1 #$3 off=$off len=$len: $(tail -1 $2/$3.err)"; return 1; }
}
check_one() {  # dev dir index
  read off len sum < $2/$3.info
  got=$(dd if=/dev/$1 bs=$len count=1 skip=$off iflag=skip_bytes,direct 2>$2/$3.err | md5)
  [ "$got" = "$sum" ] || { echo "read-back $1 #$3 off=$off len=$len: md5 $got != $sum ($(tail -1 $2/$3.err))"; return 1; }
}
# Reads LEN bytes at OFF with O_DIRECT and prints their md5.
read_md5() { dd if=/dev/$1 bs=$3 count=1 skip=$2 iflag=skip_bytes,direct 2>/dev/null | md5; }
zero_md5() { head -c $1 /dev/zero | md5; }

# Patterns written by $jobs jobs pinned to CPUs 0..n-1 (the driver maps CPU n to queue n), then an
# fsync'd write and a flush, then everything read back once more after all writes.
check_patterns() {  # dev -> sets ERR on failure, QUEUES_HIT
  local dev=$1 d=/tmp/p.$1 n=0 off len j pid pids bad x cs size lbs before after
  size=$(( $(rd /sys/block/$dev/size) * 512 )); lbs=$(rd /sys/block/$dev/queue/logical_block_size)
  mkdir -p $d
  for cs in $(patterns $size $lbs); do
    off=${cs%:*}; len=${cs#*:}
    [ $((off + len)) -le $size ] || continue
    n=$((n+1))
    dd if=/dev/urandom of=$d/$n bs=$len count=1 iflag=fullblock 2>/dev/null
    echo "$off $len $(md5 < $d/$n)" > $d/$n.info
  done
  [ $n -ge 30 ] || { ERR="$dev: device too small ($size bytes) for the patterns"; return 1; }
  before=$(req_irqs $(vdev_of $dev))
  j=0; pids=
  while [ $j -lt $jobs ]; do
    ( e=0; x=$((j+1)); while [ $x -le $n ]; do write_one $dev $d $x || e=1; x=$((x+jobs)); done
      x=$((j+1)); while [ $x -le $n ]; do check_one $dev $d $x || e=1; x=$((x+jobs)); done; exit $e ) > $d/job$j.out 2>&1 &
    pid=$!; taskset -p $((1 << (j % $(nproc)))) $pid >/dev/null 2>&1
    pids="$pids $pid"; j=$((j+1))
  done
  bad=0; for pid in $pids; do wait $pid || bad=1; done
  after=$(req_irqs $(vdev_of $dev))
  [ $bad = 0 ] || { ERR="parallel write/read-back: $(cat $d/job*.out | head -2 | tr '\n' ' ')"; return 1; }
  # Request queues whose interrupt count moved while the jobs ran.
  QUEUES_HIT=$(echo "$before
---
$after" | awk -F: '/^---$/ { a=1; next } !a { b[$1]=$2; next } $2 > b[$1] { n++ } END { print n+0 }')
  read off len x < $d/1.info
  dd if=$d/1 of=/dev/$dev bs=$len count=1 seek=$off oflag=seek_bytes,direct conv=notrunc,fsync 2>/dev/null \
    || { ERR="$dev: write with fsync (FLUSH) failed"; return 1; }
  sync; blockdev --flushbufs /dev/$dev || { ERR="$dev: blockdev --flushbufs failed"; return 1; }
  x=1; while [ $x -le $n ]; do check_one $dev $d $x > $d/err || { ERR="$(cat $d/err) (second pass)"; return 1; }; x=$((x+1)); done
  PATTERNS=$n
}

# Discard 2 MiB and write-zeroes 512 KiB inside a 3 MiB pattern at 24 MiB; the rest must survive.
check_discard() {  # dev
  local dev=$1 d=/tmp/p.$1 m
  dd if=/dev/urandom of=$d/dz bs=1M count=3 2>/dev/null
  dd if=$d/dz of=/dev/$dev bs=1M count=3 seek=24 oflag=direct conv=notrunc 2>/dev/null || { ERR="$dev: write before discard failed"; return 1; }
  blkdiscard -o $((24 << 20)) -l $((2 << 20)) /dev/$dev 2>$d/dz.err || { ERR="$dev: blkdiscard failed: $(cat $d/dz.err)"; return 1; }
  blk-zeroout /dev/$dev $((26 << 20)) $((512 << 10)) 2>$d/dz.err || { ERR="$dev: BLKZEROOUT (write zeroes) failed: $(cat $d/dz.err)"; return 1; }
  m=$(dd if=$d/dz bs=512K skip=5 count=1 2>/dev/null | md5)
  [ "$(read_md5 $dev $(( (26 << 20) + (512 << 10) )) $((512 << 10)))" = "$m" ] || { ERR="$dev: data after the zeroed range changed"; return 1; }
  [ "$(read_md5 $dev $((26 << 20)) $((512 << 10)))" = "$(zero_md5 $((512 << 10)))" ] || { ERR="$dev: write-zeroes range does not read back as zeroes"; return 1; }
  DISCARD_ZEROES=no
  [ "$(read_md5 $dev $((24 << 20)) $((2 << 20)))" = "$(zero_md5 $((2 << 20)))" ] && DISCARD_ZEROES=yes
  [ $zeroes = 0 ] || [ $DISCARD_ZEROES = yes ] || { ERR="$dev: discarded range does not read back as zeroes"; return 1; }
}

# A marker one guest leaves and the next one checks (the data outlives the first VMM connection),
# keyed by PCI address: sd names follow probe order, which varies between boots.
MARK_OFF=$((28 << 20)); MARK_LEN=$((64 << 10))
mark_data() { yes "virtio-guest-mark $1" | head -c $MARK_LEN; }

summary=
for dev in $list; do
  vd=$(vdev_of $dev); V=/sys/bus/virtio/devices/$vd
  [ -n "$vd" ] || fail "$dev: no virtio device above it"
  feats=$(rd $V/features)
  ring=split; [ "$(echo "$feats" | cut -c35)" = 1 ] && ring=packed
  evidx=$(echo "$feats" | cut -c30)
  sectors=$(rd /sys/block/$dev/size); lbs=$(rd /sys/block/$dev/queue/logical_block_size)
  hwq=$(ls -d /sys/block/$dev/mq/* 2>/dev/null | wc -l)
  wc=$(rd /sys/block/$dev/queue/write_cache); dmax=$(rd /sys/block/$dev/queue/discard_max_bytes)
  pci=$(basename "$(readlink -f $V/..)")
  say "$dev: $vd pci=$pci ring=$ring event_idx=$evidx sectors=$sectors lbs=$lbs hw_queues=$hwq write_cache='$wc' discard_max=$dmax model='$(rd /sys/block/$dev/device/model)' serial='$(rd /sys/block/$dev/serial)'"
  say "$dev: features=$feats"
  [ "$sectors" -gt 0 ] || fail "$dev has size 0"
  [ "$wc" = "write back" ] || fail "$dev: write cache is '$wc' (no FLUSH/WCE: fsync would not reach the device)"
  [ "${dmax:-0}" -gt 0 ] || fail "$dev: no discard (discard_max_bytes=$dmax)"

  if [ "$mark" = check ]; then
    got=$(read_md5 $dev $MARK_OFF $MARK_LEN)
    [ "$got" = "$(mark_data $pci | md5)" ] || fail "$dev: the marker the previous guest wrote at $MARK_OFF is gone (md5 $got)"
    say "$dev: marker of the previous guest found"
  fi
  t1=$(cut -d' ' -f1 /proc/uptime)
  ERR=; QUEUES_HIT=0; PATTERNS=0
  check_patterns $dev || fail "$ERR"
  t2=$(cut -d' ' -f1 /proc/uptime)
  say "$dev: verified $PATTERNS patterns from $jobs jobs in $(echo "$t2 $t1" | awk '{printf "%.1f", $1-$2}') s; request queues interrupted: $QUEUES_HIT"
  [ "$jobs" -lt 2 ] || [ "$hwq" -lt 2 ] || [ "$QUEUES_HIT" -ge 2 ] || fail "$dev: $jobs jobs on $hwq queues, but only $QUEUES_HIT request queue(s) interrupted"
  check_discard $dev || fail "$ERR"
  say "$dev: discard + write-zeroes verified (discarded range reads zeroes: $DISCARD_ZEROES)"
  if [ "$mark" = write ]; then
    mark_data $pci | dd of=/dev/$dev bs=$MARK_LEN count=1 seek=$MARK_OFF iflag=fullblock oflag=seek_bytes,direct conv=notrunc,fsync 2>/dev/null || fail "$dev: marker write failed"
  fi
  summary="$summary $dev:$ring:$sectors:q$hwq:irq$QUEUES_HIT"
done

hp=
if [ "$hotplug" = 1 ]; then
  before=$(disks | tr '\n' ' ')
  say "HOTPLUG-ADD (disks now: $before)"
  i=0; new=
  while [ $i -lt 600 ]; do
    new=$(disks | while read x; do case " $before " in *" $x "*) ;; *) echo $x ;; esac; done | head -1)
    [ -n "$new" ] && [ -b /dev/$new ] && [ "$(rd /sys/block/$new/size)" -gt 0 ] 2>/dev/null && break
    sleep 0.1; i=$((i+1))
  done
  [ -n "$new" ] || fail "hot-added target: no new disk within 60 s (disks: $(disks | tr '\n' ' '))"
  say "hot-added disk $new appeared: $(rd /sys/block/$new/size) sectors"
  x=$(dd if=/dev/urandom bs=64k count=1 2>/dev/null | tee /tmp/hp | md5)
  dd if=/tmp/hp of=/dev/$new bs=64k count=1 seek=3 oflag=direct conv=notrunc 2>/dev/null || fail "write to hot-added $new failed"
  [ "$(read_md5 $new $((3 << 16)) 65536)" = "$x" ] || fail "hot-added $new: read-back differs"
  say "HOTPLUG-REMOVE $new"
  i=0; while [ -e /sys/block/$new ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
  [ -e /sys/block/$new ] && fail "hot-removed target: $new still present after 60 s"
  say "hot-removed disk $new is gone"
  hp=" hotplug=$new"
fi

if [ "$inflight" = 1 ]; then
  # Writers on every disk, both CPUs, running when the guest powers off (scratch area 32-48 MiB).
  for dev in $list; do
    j=0
    while [ $j -lt 2 ]; do
      ( k=0; while :; do dd if=/dev/zero of=/dev/$dev bs=1M count=1 seek=$((32 + (k % 8) * 2 + j)) oflag=direct conv=notrunc 2>/dev/null; k=$((k+1)); done ) &
      taskset -p $((1 << (j % $(nproc)))) $! >/dev/null 2>&1
      inflight_pids="$inflight_pids $!"; j=$((j+1))
    done
  done
  sleep 1
  for p in $inflight_pids; do kill -0 $p 2>/dev/null || fail "in-flight writer $p ended early"; done
  say "powering off with $(echo $inflight_pids | wc -w) writers running"
  hp="$hp inflight=$(echo $inflight_pids | wc -w)"
fi
finish PASS "kind=$kind disks=$(echo $list | wc -w) jobs=$jobs mark=${mark:-none}$hp detail=$(echo $summary | tr ' ' ',')"
