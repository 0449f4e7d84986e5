#!/usr/bin/env bash
# Check that the C sources follow .clang-format (PEP 7 flavour).
#   ci/check_format.sh [SRCDIR]
# Exit 0: every file is formatted; 1: some are not (the files and the
# command that fixes them are printed); 77: no clang-format 14 here
# (ci/deps.sh installs it), which CTest reports as a skip.
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root"

fmt=""
for candidate in clang-format-14 clang-format; do
    if command -v "$candidate" >/dev/null 2>&1; then
        fmt=$candidate
        break
    fi
done
if [ -z "$fmt" ]; then
    echo "check_format: clang-format not found; install it (ci/deps.sh)" >&2
    exit 77
fi
# Another major version formats some constructs differently: compare
# with the version the tree is kept in.
if ! "$fmt" --version | grep -q 'version 14\.'; then
    echo "check_format: $("$fmt" --version) is not clang-format 14" >&2
    exit 77
fi

mapfile -t files < <(find include runner src tests examples \
    -name '*.[ch]' -not -path '*/corpus/*' | sort)
bad=()
for f in "${files[@]}"; do
    if ! "$fmt" --dry-run --Werror "$f" 2>/dev/null; then
        bad+=("$f")
    fi
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "fix with: $fmt -i ${bad[*]}" >&2
    exit 1
fi
echo "check_format: ${#files[@]} files follow .clang-format"
