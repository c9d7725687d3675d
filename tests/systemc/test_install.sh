#!/bin/sh
# `meson install` into a DESTDIR, then the example (examples/systemc/fabric_example.cc) built
# against the installed tree with pkg-config only (membox-sim-systemc.pc and what it requires),
# and run. One compile, one link: a few seconds.
#   test_install.sh BUILD_DIR SOURCE_ROOT
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet > "$tmp/install.log" 2>&1 || {
    cat "$tmp/install.log"
    exit 1
}
pcdir=$(dirname "$(find "$tmp/root" -name membox-sim-systemc.pc | head -n 1)")
[ -f "$pcdir/membox-sim.pc" ] || { echo "no membox-sim.pc installed"; exit 1; }
# The .pc files name the final prefix; the sysroot puts their paths under DESTDIR.
export PKG_CONFIG_PATH="$pcdir"
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cflags=$(pkg-config --cflags membox-sim-systemc)
libs=$(pkg-config --libs membox-sim-systemc)
case $cflags in
*"$tmp/root"*) ;;
*) echo "pkg-config --cflags points outside the installed tree: $cflags"; exit 1 ;;
esac
${CXX:-c++} -std=c++17 -o "$tmp/fabric_example" "$src/examples/systemc/fabric_example.cc" \
    $cflags $libs
cd "$src/examples/systemc"
SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$tmp/fabric_example" membox-tlm.yaml > "$tmp/out.txt"
grep -q "data ok" "$tmp/out.txt" || { cat "$tmp/out.txt"; exit 1; }
if grep -q "DATA WRONG" "$tmp/out.txt"; then cat "$tmp/out.txt"; exit 1; fi
echo "install: ok"
