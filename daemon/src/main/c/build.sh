#!/usr/bin/env bash
# Builds the JNI shim: src/main/c/culvert_tun.c -> <outdir>/libculvert-tun.so
# Usage: build.sh <java.home> <outdir>     (run by exec-maven-plugin in the compile phase)
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <java.home> <outdir>" >&2
  exit 2
fi
java_home=$1
outdir=$2
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cc=${CC:-gcc}

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "build.sh: C compiler '$cc' not found; install gcc to build the tun JNI shim" >&2
  exit 1
fi
if [[ ! -f "$java_home/include/jni.h" ]]; then
  echo "build.sh: $java_home/include/jni.h not found; java.home must point at a JDK, not a JRE" >&2
  exit 1
fi

mkdir -p "$outdir"
if ! "$cc" -O2 -fPIC -shared -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE \
    -I"$java_home/include" -I"$java_home/include/linux" \
    -o "$outdir/libculvert-tun.so" "$src_dir/culvert_tun.c"; then
  echo "build.sh: compiling the tun JNI shim failed (see the compiler output above)" >&2
  exit 1
fi
