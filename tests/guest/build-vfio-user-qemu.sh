#!/usr/bin/env bash
# Makes (or reuses) a Debian trixie chroot holding QEMU >= 10.1 (trixie-backports'
# qemu-system-x86, which has the vfio-user-pci device; Debian 12's QEMU 7.2 does not).
# debootstrap --variant=minbase trixie, the mirror read from this machine's apt sources.
#
# Usage: build-vfio-user-qemu.sh [--cache-root DIR] [--rebuild]
#   --cache-root DIR  default $NVMF_GUEST_CACHE or /var/cache/nvmf-target-guest
#   --rebuild         build a new chroot even when a current one exists
# Output: the chroot path on the last line of stdout (progress on stderr).
# Concurrent runs are safe (build in a temp folder, then rename).
set -euo pipefail
cache_root=${NVMF_GUEST_CACHE:-/var/cache/nvmf-target-guest}
rebuild=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cache-root) cache_root=$2; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build-vfio-user-qemu.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
log() { echo "build-vfio-user-qemu: $*" >&2; }
recipe=1
# The chroot is keyed by the QEMU package version it holds: $cache_root/vfio-user-qemu-trixie_<version>.
# Once a day the newest one asks trixie-backports (apt-get update inside it) for the current
# version; a new version makes a new chroot, and older ones are removed.
prefix="$cache_root/vfio-user-qemu-trixie"
max_age=${APT_LISTS_MAX_AGE:-86400}

# qboot.rom (the firmware without storage drivers the virtio guests also boot with) comes from
# qemu-system-data, which qemu-system-x86 depends on; SeaBIOS's bios-256k.bin from seabios.
is_current() { [ -x "$1/usr/bin/qemu-system-x86_64" ] && [ -f "$1/usr/share/qemu/qboot.rom" ] && grep -q "^recipe=$recipe\$" "$1/.complete" 2>/dev/null; }
# Runs a command in chroot $1 with /proc, /dev, /sys mounted privately (unshare --mount), bounded.
in_chroot() {
  local c=$1; shift
  timeout 1200 unshare --mount --propagation private sh -c '
    set -e
    C=$1; shift
    mount -t proc proc "$C/proc"; mount --rbind /dev "$C/dev"; mount --rbind /sys "$C/sys"
    cp /etc/resolv.conf "$C/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$C" "$@"
  ' sh "$c" "$@"
}
qemu_version() { chroot "$1" dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null; }
key_for() { echo "${prefix}_$(echo "$1" | tr -c 'A-Za-z0-9.+~\n-' '_')"; }
# Removes chroots other than $1 (older QEMU versions, the unversioned one of earlier scripts),
# unless a guest run is using the cache (run-vfio-user-guest.sh holds a shared lock meanwhile).
prune_old() {
  local d
  exec 8>"$cache_root/.in-use.lock"
  if ! flock -n -x 8; then log "a guest run is using the cache: old chroots kept for now"; exec 8>&-; return 0; fi
  for d in "$prefix" "${prefix}"_*; do
    [ -d "$d" ] && [ "$d" != "$1" ] || continue
    # Made within the hour: a run of an older checkout (which takes no lock) may be using it.
    [ -n "$(find "$d" -maxdepth 0 -mmin +60)" ] || { log "keeping $d for now (made within the hour)"; continue; }
    log "removing old chroot $d ($(sed -n 's/^qemu=//p' "$d/.complete" 2>/dev/null))"
    rm -rf --one-file-system "$d"
  done
  exec 8>&-
}

newest=
for d in "${prefix}"_*; do
  is_current "$d" || continue
  if [ -z "$newest" ] || [ "$d/.complete" -nt "$newest/.complete" ]; then newest=$d; fi
done
if [ -n "$newest" ] && [ $rebuild = 0 ]; then
  checked=$(stat -c %Y "$newest/.checked" 2>/dev/null || echo 0)
  if [ $(( $(date +%s) - checked )) -lt "$max_age" ]; then
    log "reusing $newest ($(sed -n 's/^qemu=//p' "$newest/.complete"))"
    prune_old "$newest"
    echo "$newest"; exit 0
  fi
  have=$(qemu_version "$newest")
  log "checking trixie-backports for a newer qemu-system-x86 than $have"
  want=
  if in_chroot "$newest" sh -c 'apt-get update -q >/dev/null' >&2; then
    want=$(chroot "$newest" apt-cache madison qemu-system-x86 2>/dev/null | awk -F'|' '$3 ~ /trixie-backports/ { gsub(/ /,"",$2); print $2; exit }')
  fi
  if [ -z "$want" ] || [ "$want" = "$have" ]; then
    [ -n "$want" ] || log "could not ask the mirror (offline?): keeping $have"
    touch "$newest/.checked"
    log "reusing $newest ($(sed -n 's/^qemu=//p' "$newest/.complete"))"
    prune_old "$newest"
    echo "$newest"; exit 0
  fi
  log "trixie-backports now has qemu-system-x86 $want: building a new chroot"
fi
command -v debootstrap >/dev/null || { log "no debootstrap: run tests/guest/install-deps.sh --vfio-user"; exit 1; }
command -v unshare >/dev/null || { log "no unshare (util-linux)"; exit 1; }

# The Debian mirror this machine uses (first non-security source), never a hard-coded host.
mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS=""; FS="\n"}
      { uris=""; suites=""; types="";
        for (i=1;i<=NF;i++) { l=$i; if (l ~ /^[ \t]*#/) continue;
          if (l ~ /^URIs:/) { sub(/^URIs:[ \t]*/,"",l); uris=l }
          if (l ~ /^Suites:/) { sub(/^Suites:[ \t]*/,"",l); suites=l }
          if (l ~ /^Types:/) { types=l } }
        if (types ~ /deb([ \t]|$)/ && suites !~ /-security/ && uris != "") { split(uris,u,/[ \t]+/); print u[1]; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1=="deb" && $0 !~ /-security/ { for (i=2;i<=NF;i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i ~ /:\/\//) { print $i; exit } }' "$f"
  done
}
M=$(mirror | head -1)
[ -n "$M" ] || { log "no Debian mirror found in the apt sources"; exit 1; }
log "mirror from apt sources: $M"

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.vfio-build.XXXXXX")
cleanup() {
  # unmount anything left by an interrupted step before removing the tree
  for m in proc sys dev; do umount -l "$work/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$work"

t0=$(date +%s)
log "debootstrap --variant=minbase trixie (about a minute)"
timeout 1200 debootstrap --variant=minbase trixie "$work" "$M" > "$work.debootstrap.log" 2>&1 \
  || { tail -20 "$work.debootstrap.log" >&2; rm -f "$work.debootstrap.log"; log "debootstrap failed"; exit 1; }
rm -f "$work.debootstrap.log"
log "debootstrap done in $(( $(date +%s) - t0 )) s"

cat > "$work/etc/apt/sources.list.d/backports.list" <<EOS
deb $M trixie-backports main
EOS
log "apt-get install -t trixie-backports qemu-system-x86"
in_chroot "$work" sh -c "export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q -t trixie-backports --no-install-recommends qemu-system-x86 && apt-get clean" >&2
qv=$(chroot "$work" qemu-system-x86_64 --version | head -1)
log "installed: $qv"
chroot "$work" qemu-system-x86_64 -device help 2>/dev/null | grep -q '"vfio-user-pci"' \
  || { log "this QEMU has no vfio-user-pci device"; exit 1; }
for f in /usr/share/qemu/qboot.rom /usr/share/seabios/bios-256k.bin; do
  [ -f "$work$f" ] || { log "the chroot has no $f (qemu-system-data / seabios not installed?)"; exit 1; }
done
pv=$(qemu_version "$work")
[ -n "$pv" ] || { log "qemu-system-x86 is not installed in the chroot"; exit 1; }
printf 'recipe=%s\nqemu=%s\npackage=qemu-system-x86 %s\n' "$recipe" "$qv" "$pv" > "$work/.complete"
touch "$work/.checked"
dest=$(key_for "$pv")

if is_current "$dest" && [ $rebuild = 0 ]; then
  log "another run finished first; reusing $dest"
else
  if [ -e "$dest" ]; then old="$cache_root/.old.$$.$RANDOM"; mv "$dest" "$old" 2>/dev/null || true; rm -rf --one-file-system "$old" 2>/dev/null || true; fi
  mv -T "$work" "$dest" 2>/dev/null || log "another run published $dest first"
fi
is_current "$dest" || { log "no complete chroot at $dest"; exit 1; }
prune_old "$dest"
log "done in $(( $(date +%s) - t0 )) s: $(du -sh "$dest" | cut -f1)"
echo "$dest"
