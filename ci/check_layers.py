#!/usr/bin/env python3
"""Check that src/ keeps its layers: every #include of a project header
points down the layer order of src/CMakeLists.txt, and only the engine
includes Python.h. The static libraries make a wrong call a link error;
this makes a wrong include an error too, with the file and line.

Usage: ci/check_layers.py [SOURCE_DIR]   (exit 0 clean, 1 otherwise)
       ci/check_layers.py --self-test     (the checker catches what it
                                          should, on a made-up tree)
"""
import os
import re
import sys

# Each layer and the layers it may include (itself included).
ALLOWED = {
    "base": {"base"},
    "config": {"base", "config"},
    "plan": {"base", "plan"},
    "report": {"base", "config", "report"},
    "policy": {"base", "policy"},
    "engine": {"base", "config", "plan", "report", "policy", "engine"},
    "pool": {"base", "config", "plan", "report", "policy", "engine", "pool"},
}
PYTHON_LAYERS = {"engine"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def check(root):
    problems = []
    src = os.path.join(root, "src")
    for layer in sorted(os.listdir(src)):
        ldir = os.path.join(src, layer)
        if not os.path.isdir(ldir):
            continue
        if layer not in ALLOWED:
            problems.append("src/%s/: a directory that is not a layer; "
                            "add it to ci/check_layers.py and "
                            "src/CMakeLists.txt" % layer)
            continue
        for dirpath, _, files in os.walk(ldir):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        header = m.group(2)
                        if header == "Python.h" and \
                                layer not in PYTHON_LAYERS:
                            problems.append(
                                "%s:%d: includes Python.h; only %s may"
                                % (rel, lineno, ", ".join(PYTHON_LAYERS)))
                        if m.group(1) != '"' or "/" not in header:
                            continue
                        target = header.split("/", 1)[0]
                        if target in ALLOWED and \
                                target not in ALLOWED[layer]:
                            problems.append(
                                "%s:%d: the %s layer includes %s from the "
                                "%s layer above it" %
                                (rel, lineno, layer, header, target))
    return problems


def self_test():
    import tempfile
    cases = [
        ("base/a.c", '#include "base/b.h"\n', 0),
        ("report/a.c", '#include "config/config.h"\n', 0),
        ("base/a.c", '#include "engine/engine.h"\n', 1),
        ("config/a.c", '#include "report/json.h"\n', 1),
        ("pool/a.c", "#include <Python.h>\n", 1),
        ("engine/a.c", "#include <Python.h>\n", 0),
        ("gadgets/a.c", "", 1),
    ]
    failed = 0
    for path, text, want in cases:
        with tempfile.TemporaryDirectory() as root:
            full = os.path.join(root, "src", path)
            os.makedirs(os.path.dirname(full))
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
            got = len(check(root))
            if got != want:
                print("self-test: %s with %r: %d problems, expected %d"
                      % (path, text, got, want))
                failed = 1
    return failed


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = check(root)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
