#!/usr/bin/env bash
# copy-source.sh copies phttp's runtime source (the root package, its
# http11, ws, sha1 and internal/handoff packages, and the net/http bridge
# stdhttp; no tests, demos or benchmarks) into a directory of another
# module, and rewrites phttp's own import paths to where the copy lives.
# The copy then builds as part of that module; its go.mod needs
# golang.org/x/sys, github.com/gobwas/ws and github.com/gobwas/httphead
# (`go mod tidy` adds them).
#
# Usage: ./copy-source.sh DIR IMPORT_PATH
#   DIR          where the copy goes, e.g. ../app/third_party/phttp (made if
#                missing; phttp's files there are replaced)
#   IMPORT_PATH  the import path of DIR in that module, e.g.
#                example.com/app/third_party/phttp
set -euo pipefail
if [ $# -ne 2 ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
dir=$1
path=${2%/}
src=$(cd "$(dirname "$0")" && pwd)
case "$path" in
  *[!A-Za-z0-9._~/-]*|"") echo "copy-source.sh: bad import path: $path" >&2; exit 2 ;;
esac

mkdir -p "$dir"
for pkg in . http11 ws sha1 stdhttp internal/handoff; do
  mkdir -p "$dir/$pkg"
  rm -f "$dir/$pkg"/*.go
  for f in "$src/$pkg"/*.go; do
    case "$f" in *_test.go) continue ;; esac
    sed -e "s#\"github.com/phttp-go/phttp/#\"$path/#" \
      -e "s#\"github.com/phttp-go/phttp\"#\"$path\"#" "$f" >"$dir/$pkg/$(basename "$f")"
  done
done
cp "$src/LICENSE" "$dir/LICENSE"
{
  echo "phttp, copied from github.com/phttp-go/phttp by copy-source.sh on $(date -u +%Y-%m-%d)"
  if rev=$(git -C "$src" rev-parse --short HEAD 2>/dev/null); then echo "at commit $rev"; fi
} >"$dir/VERSION"
echo "copied phttp into $dir as $path"
