#!/bin/sh
# /init of the test guest (busybox ash). Parameters come from the kernel command line:
#   gt_mode=io|discover|wget|pci   gt_port=PORT   gt_nqn=SUBNQN   gt_hdgst=1   gt_ddgst=1
#   gt_nrq=N   gt_hostnqn=NQN   gt_traddr=10.0.2.2   gt_jobs=N (pci: parallel dd jobs)
# Prints exactly one "GUEST-RESULT: PASS ..." or "GUEST-RESULT: FAIL ..." line, then powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1

T0=$(cut -d' ' -f1 /proc/uptime)
say() { echo "GUEST: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
RESULT_DONE=0
finish() {  # PASS|FAIL text
  if [ $RESULT_DONE = 0 ]; then
    RESULT_DONE=1
    echo "GUEST-RESULT: $1 $2"
  fi
  sync
  poweroff -f
  sleep 5; echo o > /proc/sysrq-trigger 2>/dev/null
  exit 0
}
fail() { finish FAIL "$*"; }

size_mib=64; mode=io; port=4420; nqn=; hdgst=0; ddgst=0; nrq=; hostnqn=; traddr=10.0.2.2; jobs=2
for w in $(cat /proc/cmdline); do
  case "$w" in
    gt_mode=*) mode=${w#*=} ;;
    gt_port=*) port=${w#*=} ;;
    gt_nqn=*) nqn=${w#*=} ;;
    gt_hdgst=*) hdgst=${w#*=} ;;
    gt_ddgst=*) ddgst=${w#*=} ;;
    gt_nrq=*) nrq=${w#*=} ;;
    gt_hostnqn=*) hostnqn=${w#*=} ;;
    gt_traddr=*) traddr=${w#*=} ;;
    gt_jobs=*) jobs=${w#*=} ;;
    gt_size_mib=*) size_mib=${w#*=} ;;
  esac
done
say "init started (kernel $(uname -r), mode=$mode port=$port nqn=$nqn hdgst=$hdgst ddgst=$ddgst nrq=$nrq)"

load_list() {  # list name
  for m in $(cat /etc/modules-$1.list); do
    out=$(insmod "$m" 2>&1) || case "$out" in
      *"File exists"*) ;;
      *) case "$m" in
           *crc32c_intel*|*crc32c-intel*) ;;  # needs SSE4.2; crc32c_generic covers it
           *) say "insmod $m: $out" ;;
         esac ;;
    esac
  done
}

net_up() {
  load_list net
  i=0
  while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  [ -e /sys/class/net/eth0 ] || fail "no eth0 (virtio-net did not appear)"
  ip link set lo up
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
  say "eth0 up: $(ip -4 addr show eth0 | grep inet | tr -s ' ')"
}

rd() { cat "$1" 2>/dev/null | tr -d '\n' | sed 's/ *$//'; }
show_ctrl() {  # /sys/class/nvme/nvmeX
  for a in model serial firmware_rev subsysnqn transport address state cntlid; do
    [ -e "$1/$a" ] && say "$(basename $1) $a=$(rd $1/$a)"
  done
}

# Connect through /dev/nvme-fabrics: prints the reply line (instance=N,cntlid=M) or fails.
CONNECT_REPLY=
fabrics_connect() {  # option string
  i=0
  while [ ! -e /dev/nvme-fabrics ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  [ -e /dev/nvme-fabrics ] || fail "no /dev/nvme-fabrics"
  say "connect: $1"
  exec 3<>/dev/nvme-fabrics
  err=$( { echo "$1" >&3; } 2>&1 )
  rc=$?
  if [ $rc != 0 ]; then
    exec 3>&-
    err=$(echo "$err" | sed 's/^.*write error: *//' | tr '\n' ' ' | sed 's/ *$//')
    say "connect failed: $err"
    dmesg | grep -i nvme | tail -5 | sed 's/^/GUEST: dmesg: /'
    fail "connect to $traddr:$port nqn=$2 failed: $err"
  fi
  read -r CONNECT_REPLY <&3
  exec 3>&-
  say "connect reply: $CONNECT_REPLY"
}

md5() { md5sum | cut -d' ' -f1; }

case "$mode" in
wget)
  net_up
  out=$(timeout 20 wget -q -O - "http://$traddr:$port/" 2>&1 | head -c 2000)
  if [ -n "$out" ]; then
    echo "$out" | head -5 | sed 's/^/GUEST: wget: /'
    finish PASS "mode=wget fetched $(echo "$out" | wc -c) bytes from http://$traddr:$port/"
  else
    fail "wget http://$traddr:$port/ returned nothing"
  fi
  ;;
discover)
  net_up
  load_list tcp
  fabrics_connect "transport=tcp,traddr=$traddr,trsvcid=$port,nqn=nqn.2014-08.org.nvmexpress.discovery${hostnqn:+,hostnqn=$hostnqn}" nqn.2014-08.org.nvmexpress.discovery
  inst=$(echo "$CONNECT_REPLY" | sed -n 's/.*instance=\([0-9]*\).*/\1/p')
  [ -n "$inst" ] || fail "unexpected connect reply '$CONNECT_REPLY'"
  c=/sys/class/nvme/nvme$inst
  show_ctrl $c
  sub=$(rd $c/subsysnqn); st=$(rd $c/state); tr=$(rd $c/transport)
  # The log page itself is the point of this mode: no reader, or a failed read, is a failure.
  [ -x /bin/nvme-disc ] || fail "no /bin/nvme-disc in the initramfs (rebuild with build-nvme-tcp-guest.sh)"
  logtxt=$(/bin/nvme-disc /dev/nvme$inst 2>&1); lrc=$?
  echo "$logtxt" | sed 's/^/GUEST: discovery log: /'
  [ $lrc = 0 ] || fail "discovery log page read failed: $(echo "$logtxt" | tail -1)"
  logtxt=" log=[$(echo "$logtxt" | grep -c '^entry') entries:$(echo "$logtxt" | sed -n 's/^entry.* subnqn=\([^ ]*\).*/ \1/p' | tr -d '\n')]"
  echo 1 > $c/delete_controller || fail "delete_controller failed"
  [ "$sub" = nqn.2014-08.org.nvmexpress.discovery ] || fail "discovery controller subsysnqn is '$sub'"
  case "$st" in live|connecting) ;; *) fail "discovery controller state '$st'" ;; esac
  finish PASS "mode=discover $CONNECT_REPLY subsysnqn=$sub transport=$tr state=$st$logtxt"
  ;;
io|pci)
  if [ $mode = io ]; then
    [ -n "$nqn" ] || fail "no gt_nqn= on the kernel command line"
    net_up
    load_list tcp
    opts="transport=tcp,traddr=$traddr,trsvcid=$port,nqn=$nqn,ctrl_loss_tmo=30"
    [ -n "$hostnqn" ] && opts="$opts,hostnqn=$hostnqn"
    [ -n "$nrq" ] && opts="$opts,nr_io_queues=$nrq"
    [ "$hdgst" = 1 ] && opts="$opts,hdr_digest"
    [ "$ddgst" = 1 ] && opts="$opts,data_digest"
    fabrics_connect "$opts" "$nqn"
    inst=$(echo "$CONNECT_REPLY" | sed -n 's/.*instance=\([0-9]*\).*/\1/p')
    [ -n "$inst" ] || fail "unexpected connect reply '$CONNECT_REPLY'"
  else
    load_list pci
    i=0
    while ! ls /sys/class/nvme/ 2>/dev/null | grep -q nvme && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
    inst=$(ls /sys/class/nvme/ 2>/dev/null | sed -n 's/^nvme\([0-9]*\)$/\1/p' | head -1)
    [ -n "$inst" ] || { lspci_out=$(cat /sys/bus/pci/devices/*/class 2>/dev/null | tr '\n' ' '); fail "no NVMe controller appeared (PCI classes: $lspci_out)"; }
    say "controller nvme$inst appeared"
  fi
  c=/sys/class/nvme/nvme$inst
  # Wait for a namespace block device (with native multipath it is the head nvme<S>n<N>).
  dev=; i=0
  while [ $i -lt 300 ]; do
    st=$(rd $c/state)
    dev=$(ls /sys/block 2>/dev/null | grep -E '^nvme[0-9]+n[0-9]+$' | head -1)
    [ -n "$dev" ] && break
    case "$st" in dead|deleting|"deleting (no IO)") break ;; esac
    sleep 0.1; i=$((i+1))
  done
  show_ctrl $c
  model=$(rd $c/model); serial=$(rd $c/serial); fw=$(rd $c/firmware_rev); st=$(rd $c/state)
  [ -n "$dev" ] || fail "controller nvme$inst (state '$st') has no namespace block device after 30 s"
  B=/dev/$dev
  i=0; while [ ! -b $B ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  [ -b $B ] || fail "$B is not a block device"
  sectors=$(rd /sys/block/$dev/size); lbs=$(rd /sys/block/$dev/queue/logical_block_size)
  size=$((sectors * 512))
  hwq=$(ls -d /sys/block/$dev/mq/* /sys/block/nvme*c*n*/mq/* 2>/dev/null | wc -l)
  # I/O queues the driver set up: queue_count counts the admin queue too; the driver's own
  # "nvme nvmeX: [mapped ]D/R/P default/read/poll queues" line says how it spread them.
  qc=$(rd $c/queue_count)
  ioq=; [ -n "$qc" ] && ioq=$((qc - 1))
  qmap=$(dmesg | sed -n "s#.*nvme nvme$inst: \(mapped \)\?\([0-9]*/[0-9]*/[0-9]*\) default/read/poll queues.*#\2#p" | tail -1)
  [ -n "$ioq" ] || [ -z "$qmap" ] || ioq=$(echo "$qmap" | awk -F/ '{print $1+$2+$3}')
  say "io queues: queue_count=${qc:-?} default/read/poll=${qmap:-?}"
  [ -n "$ioq" ] || fail "controller nvme$inst reports no queue count (no queue_count, no dmesg line)"
  maxkb=$(rd /sys/block/$dev/queue/max_hw_sectors_kb)
  say "namespace $B size=$size lbs=$lbs max_hw_sectors_kb=$maxkb hw_queues=$hwq"
  [ "$size" -gt 0 ] || fail "$B has size 0"

  # (offset size) pairs; each one gets its own random pattern.
  last=$((size - 4096))
  cases="0:4096 1048576:65536 3145728:1048576 5246976:135168 7344128:$lbs 8388608:131072 $last:4096"
  n=0; skipped=0; ios=0; mib=0
  # Plus 48 scattered 4 KiB writes (a few hundred direct I/Os in total with the reads).
  k=0; while [ $k -lt 48 ]; do cases="$cases $((16777216 + k * 69632)):4096"; k=$((k+1)); done
  mkdir -p /tmp/p
  for cs in $cases; do
    off=${cs%:*}; len=${cs#*:}
    if [ $((off + len)) -gt $size ] || [ $off -lt 0 ]; then skipped=$((skipped+1)); continue; fi
    n=$((n+1))
    dd if=/dev/urandom of=/tmp/p/$n bs=$len count=1 iflag=fullblock 2>/dev/null
    echo "$off $len $(md5 < /tmp/p/$n)" > /tmp/p/$n.info
  done
  [ $n -gt 0 ] || fail "device too small ($size bytes) for any check"
  say "writing $n patterns ($skipped skipped: beyond the end)"

  write_one() {  # index
    read off len sum < /tmp/p/$1.info
    dd if=/tmp/p/$1 of=$B bs=$len count=1 seek=$off oflag=seek_bytes,direct conv=notrunc 2>/tmp/p/$1.err \
      || { echo "write #$1 off=$off len=$len: $(tail -1 /tmp/p/$1.err)"; return 1; }
  }
  check_one() {  # index
    read off len sum < /tmp/p/$1.info
    got=$(dd if=$B bs=$len count=1 skip=$off iflag=skip_bytes,direct 2>/tmp/p/$1.err | md5)
    [ "$got" = "$sum" ] || { echo "readback #$1 off=$off len=$len: md5 $got != $sum ($(tail -1 /tmp/p/$1.err))"; return 1; }
  }

  t1=$(cut -d' ' -f1 /proc/uptime)
  if [ $mode = pci ] && [ "$jobs" -gt 1 ]; then
    # Several writers at once (the kernel spreads them over CPUs/queues): job j takes every
    # jobs-th pattern, pinned to CPU (j mod ncpu) where taskset works.
    ncpu=$(nproc); j=0; pids=
    while [ $j -lt $jobs ]; do
      ( e=0; x=$((j+1)); while [ $x -le $n ]; do write_one $x || e=1; x=$((x+jobs)); done
        x=$((j+1)); while [ $x -le $n ]; do check_one $x || e=1; x=$((x+jobs)); done; exit $e ) > /tmp/p/job$j.out 2>&1 &
      pid=$!; taskset -p $((1 << (j % ncpu))) $pid >/dev/null 2>&1
      pids="$pids $pid"; j=$((j+1))
    done
    bad=0; for p in $pids; do wait $p || bad=1; done
    cat /tmp/p/job*.out | sed 's/^/GUEST: /'
    [ $bad = 0 ] || fail "parallel write/read-back failed: $(cat /tmp/p/job*.out | head -1)"
  else
    x=1; while [ $x -le $n ]; do msg=$(write_one $x) || fail "$msg"; x=$((x+1)); done
    # conv=fsync on one more write, then a flush of the whole device
    read off len sum < /tmp/p/1.info
    dd if=/tmp/p/1 of=$B bs=$len count=1 seek=$off oflag=seek_bytes,direct conv=notrunc,fsync 2>/dev/null || fail "write with fsync failed"
  fi
  sync
  blockdev --flushbufs $B || fail "blockdev --flushbufs $B failed"
  # Read everything back (again) after all writes: catches misplaced or overlapping writes.
  x=1; while [ $x -le $n ]; do msg=$(check_one $x) || fail "$msg"; x=$((x+1)); done
  t2=$(cut -d' ' -f1 /proc/uptime)
  say "verified $n patterns in $(echo "$t2 $t1" | awk '{printf "%.1f", $1-$2}') s"

  if [ $mode = io ]; then
    echo 1 > $c/delete_controller || fail "delete_controller failed"
    i=0; while [ -e $c ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
    [ -e $c ] && fail "nvme$inst still present 10 s after delete_controller"
    say "controller nvme$inst deleted"
  fi
  extra=$CONNECT_REPLY; [ $mode = pci ] && extra="jobs=$jobs"
  finish PASS "mode=$mode dev=$dev size=$size lbs=$lbs hwq=$hwq io_queues=$ioq queue_map=${qmap:-?} patterns=$n model='$model' serial='$serial' fw='$fw' $extra"
  ;;
nvmet)
  # A Linux NVMe/TCP target on a RAM disk (for checking these scripts against a known-good peer).
  net_up
  load_list nvmet
  rmmod brd 2>/dev/null; insmod /lib/modules/brd.ko rd_nr=1 rd_size=$((size_mib * 1024)) || fail "cannot load brd"
  mount -t configfs none /sys/kernel/config 2>/dev/null
  N=/sys/kernel/config/nvmet
  [ -d $N ] || fail "no $N (nvmet not loaded)"
  S=$N/subsystems/$nqn
  mkdir $S && echo 1 > $S/attr_allow_any_host || fail "cannot create subsystem $nqn"
  echo -n "LINUXNVMET$port" > $S/attr_serial 2>/dev/null
  mkdir $S/namespaces/1 && echo -n /dev/ram0 > $S/namespaces/1/device_path && echo 1 > $S/namespaces/1/enable || fail "cannot enable namespace on /dev/ram0"
  P=$N/ports/1
  mkdir $P && echo tcp > $P/addr_trtype && echo ipv4 > $P/addr_adrfam && echo 10.0.2.15 > $P/addr_traddr && echo 4420 > $P/addr_trsvcid || fail "cannot create port"
  ln -s $S $P/subsystems/$nqn || fail "cannot link subsystem to port"
  say "nvmet-ready nqn=$nqn size=$(( $(cat /sys/block/ram0/size) * 512 ))"
  while :; do sleep 3600; done
  ;;
*)
  fail "unknown gt_mode '$mode'"
  ;;
esac
