#!/usr/bin/env bash
# Each layer includes only itself and the layers below it (docs/ARCHITECTURE.md), no include climbs with
# ../, and the engine includes neither HDF5 nor CLI11. Prints every include that breaks this; exit 1 if any.
#   tests/check_layers.sh SOURCE_DIR
set -u
cd "$1" || exit 2
allowed() { # the include prefixes a folder may use
  case "$1" in
  src/core) echo "core" ;;
  src/backends | kernels) echo "core backends kernels" ;;
  src/analysis) echo "core analysis" ;;
  src/run) echo "core backends kernels analysis run" ;;
  src/io) echo "core backends kernels analysis run io" ;;
  src/python) echo "core backends kernels analysis run io" ;;
  src/cli) echo "core backends kernels analysis run io cli" ;;
  esac
}
bad=0
for dir in src/core src/backends kernels src/analysis src/run src/io src/cli src/python; do
  ok=$(allowed "$dir")
  for file in "$dir"/*; do
    [ -f "$file" ] || continue # src/python/lrfinder: the package's Python files
    while IFS= read -r line; do
      inc=$(sed -E 's/^#include [<"]([^">]+)[">].*/\1/' <<<"$line")
      case "$inc" in
      ../* | */../*) echo "$file: climbs out: $line"; bad=1; continue ;;
      hdf5.h | H5*.h | CLI/*)
        case "$dir" in src/io | src/cli | src/python) ;; *) echo "$file: the engine must not include $inc"; bad=1 ;; esac
        continue ;;
      esac
      [[ "$line" == *'"'* ]] || continue # a system header
      top=${inc%%/*}
      [ "$top" = "$inc" ] && top=kernels # kernels/ is an include root: "cuda_backend.hpp"
      [ "$inc" = version.hpp ] && top=core # generated from src/core/version.hpp.in
      [[ " $ok " == *" $top "* ]] || { echo "$file: $dir may not include $inc"; bad=1; }
    done < <(grep -E '^#include ' "$file")
  done
done
[ "$bad" = 0 ] && echo "every include stays in its layer or below"
exit "$bad"
