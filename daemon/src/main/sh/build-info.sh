#!/usr/bin/env bash
# Writes what `culvert --version` prints about the build: the Maven project version and the git commit it was
# built from (with "-dirty" when the work tree had changes), into OUT_DIR/dev/culvert/daemon/cli/build.properties.
#
#   build-info.sh PROJECT_VERSION OUT_DIR SOURCE_DIR
#
# Outside a git work tree (a source tarball) or without git, the commit is "unknown".
set -euo pipefail

VERSION=$1
OUT=$2/dev/culvert/daemon/cli
SRC=$3

commit=unknown
if command -v git >/dev/null 2>&1 && git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git -C "$SRC" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  if [ "$commit" != unknown ] && [ -n "$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit-dirty"
  fi
fi

mkdir -p "$OUT"
printf 'version=%s\ncommit=%s\n' "$VERSION" "$commit" >"$OUT/build.properties.tmp"
mv "$OUT/build.properties.tmp" "$OUT/build.properties"
