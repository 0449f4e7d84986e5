#!/usr/bin/env bash
# Make a virtual environment in which the end-to-end tests' Python side
# runs on another interpreter: `ci/pyvenv.sh PYTHON DIR` creates DIR from
# PYTHON (no pip: there is no index to fetch from) and makes Debian's
# pure-Python pytest, its dependencies and pytest-asyncio importable there
# through a .pth file naming a folder of links to just those packages. Debian's
# compiled modules stay out: they are built for its own 3.11 only.
set -euo pipefail
python=${1:?usage: ci/pyvenv.sh PYTHON DIR}
dir=${2:?usage: ci/pyvenv.sh PYTHON DIR}
dist=/usr/lib/python3/dist-packages

rm -rf "$dir"
"$python" -m venv --without-pip "$dir"
site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
mkdir -p "$dir/debian-pure"
for pkg in pytest _pytest py.py pluggy iniconfig packaging attr attrs \
           exceptiongroup tomli pytest_asyncio; do
    if [ -e "$dist/$pkg" ]; then
        ln -s "$dist/$pkg" "$dir/debian-pure/$pkg"
    fi
done
# The packages' metadata, so importlib.metadata finds pytest's version.
for meta in "$dist"/pytest-*.dist-info "$dist"/pluggy-*.egg-info \
            "$dist"/iniconfig-*.egg-info "$dist"/packaging-*.dist-info \
            "$dist"/attrs-*.dist-info "$dist"/exceptiongroup-*.*-info \
            "$dist"/tomli-*.*-info "$dist"/pytest_asyncio-*.dist-info; do
    if [ -e "$meta" ]; then
        ln -s "$meta" "$dir/debian-pure/$(basename "$meta")"
    fi
done
echo "$dir/debian-pure" > "$site/debian-pure.pth"
"$dir/bin/python" -c 'import pytest' || {
    echo "ci/pyvenv.sh: pytest does not import in $dir" >&2
    exit 1
}
echo "ci/pyvenv.sh: $dir ($("$dir/bin/python" -V 2>&1)) with Debian's pytest"
