#!/usr/bin/env bash
# Builds (or reuses) a guest kernel + busybox initramfs for tests/guest/run-*-guest.sh.
#
# The kernel is the one Debian's linux-image-amd64 depends on (linux-image-6.1.0-*-amd64 on
# Debian 12), fetched with `apt-get download` and unpacked with `dpkg -x` (never installed).
# The initramfs holds busybox-static, the modules for NVMe/TCP (nvme-core, nvme-fabrics,
# nvme-tcp, crc32c), NVMe/PCI (nvme, nvme-core; used by the vfio-user guest), nvmet-tcp + brd
# (a Linux target for self-checks), virtio-net, virtio-blk, virtio-scsi + sd_mod and
# virtio-pci with their dependencies, and /init (tests/guest/guest-init.sh; guest-init-virtio.sh
# for the virtio guests).
#
# Usage: build-nvme-tcp-guest.sh [--cache-root DIR] [--rebuild]
#   --cache-root DIR  default $NVMF_GUEST_CACHE or /var/cache/nvmf-target-guest
#   --rebuild         build again even when the cache folder exists
# Output: the cache folder (holding bzImage, initramfs.cpio.gz, kernel-release, modules-*.list)
#         on the last line of stdout. Progress goes to stderr.
# Two concurrent runs are safe: each builds in its own temp folder and renames it into place.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Bump when the initramfs contents change (module lists, layout): older caches are rebuilt.
recipe=6
cache_root=${NVMF_GUEST_CACHE:-/var/cache/nvmf-target-guest}
rebuild=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cache-root) cache_root=$2; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "build-nvme-tcp-guest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
log() { echo "build-nvme-tcp-guest: $*" >&2; }

for t in apt-get apt-cache dpkg cpio gzip busybox; do
  command -v "$t" >/dev/null || { log "missing $t: run tests/guest/install-deps.sh"; exit 1; }
done
[ -x /bin/busybox ] || { log "missing /bin/busybox (busybox-static): run tests/guest/install-deps.sh"; exit 1; }
if ldd /bin/busybox >/dev/null 2>&1; then
  log "/bin/busybox is not the static busybox: install busybox-static"; exit 1
fi

# Which kernel package? (e.g. linux-image-6.1.0-56-amd64, version 6.1.192-2)
resolve() {
  # One apt-cache call: the meta package pins its kernel, "Depends: linux-image-X (= V)".
  local dep
  dep=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null | sed -n 's/^Depends: *\(linux-image-[0-9][^ ,]*\)\( *(= *\([^)]*\))\)\?.*/\1 \3/p' | head -1)
  kpkg=${dep%% *}; kver=${dep#* }
  if [ -n "$kpkg" ] && [ -z "$kver" -o "$kver" = "$dep" ]; then
    kver=$(apt-cache show --no-all-versions "$kpkg" 2>/dev/null | awk '/^Version:/{print $2; exit}')
  fi
  [ -n "${kpkg:-}" ] && [ -n "${kver:-}" ]
}
# shellcheck source=apt-lists.sh
. "$here/apt-lists.sh"
kpkg=; kver=
# Lists older than a day may pin a kernel the mirror has replaced: refresh them first (root only;
# without root, or offline, the lists there are decide).
if [ "$(id -u)" = 0 ] && ! apt_lists_fresh; then
  apt_update build-nvme-tcp-guest || log "apt-get update failed; using the lists there are"
fi
if ! resolve; then
  log "apt lists do not know linux-image-amd64; running apt-get update"
  apt_update build-nvme-tcp-guest || true
  resolve || { log "cannot resolve linux-image-amd64's kernel package"; exit 1; }
fi
set_dest() {
  krel=${kpkg#linux-image-}
  # The cache is keyed by the kernel package's name and version (and this script's recipe): a new
  # Debian kernel makes a new one.
  key="${krel}_${kver}_r${recipe}"
  dest="$cache_root/$key"
}
set_dest
log "kernel package $kpkg $kver -> $dest"

is_current() { [ "$(cat "$1/.complete" 2>/dev/null)" = "recipe=$recipe" ]; }

# Removes guest caches other than $dest (older kernels or recipes), unless a run is using the
# cache right now (run-*-guest.sh hold a shared lock on $cache_root/.in-use.lock meanwhile).
prune_old() {
  local d
  exec 8>"$cache_root/.in-use.lock"
  if ! flock -n -x 8; then log "a guest run is using the cache: old builds kept for now"; exec 8>&-; return 0; fi
  for d in "$cache_root"/*; do
    [ -f "$d/kernel-package" ] && [ "$d" != "$dest" ] || continue
    # Made within the hour: a run of an older checkout (which takes no lock) may be using it.
    [ -n "$(find "$d" -maxdepth 0 -mmin +60)" ] || { log "keeping $d for now (made within the hour)"; continue; }
    log "removing old guest build $d ($(cat "$d/kernel-package"))"
    rm -rf "$d"
  done
  exec 8>&-
}

if is_current "$dest" && [ $rebuild = 0 ]; then
  log "reusing $dest"
  prune_old
  echo "$dest"; exit 0
fi

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.build.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# apt-get download as root drops privileges to _apt, which must be able to write here.
mkdir "$work/deb"
chmod 777 "$work/deb"; chmod 755 "$work"
log "apt-get download $kpkg=$kver"
if ! (cd "$work/deb" && timeout 900 apt-get download -q "$kpkg=$kver" >&2); then
  # The mirror may have dropped that version since the lists were fetched: update and re-resolve.
  apt_update build-nvme-tcp-guest || true
  resolve || { log "cannot resolve linux-image-amd64's kernel package"; exit 1; }
  set_dest
  log "apt-get download $kpkg=$kver (after apt-get update) -> $dest"
  rm -f "$work"/deb/*.deb
  (cd "$work/deb" && timeout 900 apt-get download -q "$kpkg=$kver" >&2)
fi
deb=$(ls "$work"/deb/*.deb)
mkdir "$work/kernel"
dpkg -x "$deb" "$work/kernel"
kroot="$work/kernel"
vmlinuz=$(ls "$kroot"/boot/vmlinuz-* | head -1)
mods="$kroot/lib/modules/$krel"
# The package ships no modules.dep (its postinst runs depmod): make it with kmod's depmod.
[ -f "$mods/modules.dep" ] || /sbin/depmod -b "$kroot" "$krel"
[ -f "$mods/modules.dep" ] || { log "depmod made no modules.dep for $deb"; exit 1; }

# Resolve modules (by name) to files with dependencies first, from modules.dep.
declare -A seen=()
order=()
modpath() {  # module name -> path relative to $mods ('-' and '_' are equivalent)
  local n=${1//-/_}
  awk -F: -v n="$n" '{ f=$1; b=f; sub(/.*\//,"",b); sub(/\.ko(\.[a-z]+)?$/,"",b); gsub(/-/,"_",b); if (b==n) { print f; exit } }' "$mods/modules.dep"
}
add_file() {  # path relative to $mods
  local f=$1 d
  [ -n "${seen[$f]:-}" ] && return 0
  seen[$f]=1
  # modules.dep lists dependencies so that loading right to left works; recurse to be sure.
  for d in $(awk -F: -v f="$f" '$1==f { print $2; exit }' "$mods/modules.dep" | tr ' ' '\n' | tac); do
    add_file "$d"
  done
  order+=("$f")
}
builtin() { grep -q "/${1//_/[-_]}\.ko\$" "$mods/modules.builtin" 2>/dev/null; }
list_for() {  # names... -> list of files in load order into $order
  order=(); seen=()
  local n f
  for n in "$@"; do
    f=$(modpath "$n")
    if [ -n "$f" ]; then add_file "$f"
    elif builtin "$n"; then log "  $n is built in"
    else log "  $n: no such module (skipped)"; fi
  done
}

mkdir -p "$work/root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,lib/modules}
R="$work/root"
copy_list() {  # list-name names...
  local name=$1; shift
  list_for "$@"
  : > "$R/etc/modules-$name.list"
  local f base out
  for f in "${order[@]}"; do
    base=$(basename "$f"); out="/lib/modules/${base%%.ko*}.ko"
    case "$f" in
      *.ko) cp "$mods/$f" "$R$out" ;;
      *.ko.xz) xz -dc "$mods/$f" > "$R$out" ;;
      *.ko.zst) zstd -dc "$mods/$f" > "$R$out" ;;
      *.ko.gz) gzip -dc "$mods/$f" > "$R$out" ;;
      *) log "unknown module format $f"; exit 1 ;;
    esac
    echo "$out" >> "$R/etc/modules-$name.list"
  done
  log "modules-$name: $(sed 's#.*/##' "$R/etc/modules-$name.list" | tr '\n' ' ')"
}
# crc32c: nvme-tcp asks the crypto API for "crc32c" (a soft dependency, not in modules.dep).
copy_list net virtio_pci virtio_net
copy_list tcp crc32c_generic crc32c_intel libcrc32c crct10dif_generic crc64_rocksoft_generic nvme_core nvme_fabrics nvme_tcp
copy_list pci crct10dif_generic crc64_rocksoft_generic nvme_core nvme
# A Linux kernel NVMe/TCP *target* (nvmet-tcp on a RAM disk): a known-good peer for checking
# the guest scripts themselves (run-linux-nvmet-guest.sh).
# virtio-blk / virtio-scsi guests (run-virtio-guest.sh): /dev/vdX, and /dev/sdX through sd_mod
# (whose T10 PI helpers want the crc algorithms, as nvme-core's do).
copy_list vblk virtio_pci virtio_blk
copy_list vscsi crct10dif_generic crc64_rocksoft_generic virtio_pci virtio_scsi sd_mod
copy_list nvmet crc32c_generic crc32c_intel libcrc32c crct10dif_generic crc64_rocksoft_generic configfs brd nvmet nvmet_tcp

cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list-full); do
  [ -e "$R/$a" ] || ln -s /bin/busybox "$R/$a"
done
# nvme-disc: reads the discovery log page via ioctl (busybox cannot); the discovery test needs it.
command -v gcc >/dev/null || { log "missing gcc (for nvme-disc.c): run tests/guest/install-deps.sh"; exit 1; }
if ! gcc -static -O2 -o "$R/bin/nvme-disc" "$here/nvme-disc.c" 2>"$work/gcc.err"; then
  cat "$work/gcc.err" >&2; log "could not build nvme-disc (libc6-dev missing?): run tests/guest/install-deps.sh"; exit 1
fi
log "built nvme-disc (discovery log page reader)"
gcc -static -O2 -o "$R/bin/blk-zeroout" "$here/blk-zeroout.c" 2>"$work/gcc.err" || { cat "$work/gcc.err" >&2; exit 1; }
mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$R/dev/null" c 1 3 2>/dev/null || true
echo "$krel" > "$R/etc/kernel-release"
install -m 755 "$here/guest-init.sh" "$R/init"

(cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -6) > "$work/initramfs.cpio.gz"
cp "$vmlinuz" "$work/bzImage"
cp "$R"/etc/modules-*.list "$work/"
echo "$krel" > "$work/kernel-release"
echo "$kpkg $kver" > "$work/kernel-package"
rm -rf "$work/deb" "$work/kernel" "$work/root"
echo "recipe=$recipe" > "$work/.complete"
chmod 755 "$work"

# Publish atomically. If another run won the race, keep its result.
if [ -e "$dest" ]; then
  if is_current "$dest" && [ $rebuild = 0 ]; then
    log "another run finished first; reusing $dest"
  else
    old="$cache_root/.old.$$.$RANDOM"
    mv "$dest" "$old" 2>/dev/null || true
    mv -T "$work" "$dest" 2>/dev/null || log "another run published $dest"
    rm -rf "$old"
  fi
else
  mv -T "$work" "$dest" 2>/dev/null || log "another run published $dest first; reusing it"
fi
is_current "$dest" || { log "no complete build at $dest"; exit 1; }
prune_old
log "done: $(du -sh "$dest" | cut -f1)"
echo "$dest"
