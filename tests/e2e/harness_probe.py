"""Load pyleak-ci's Python modules as the binary does and print, as JSON,
the tests a file collects to with their per-test control.

Usage: python harness_probe.py FILE [KEYWORD]; or
python harness_probe.py --grows FILE TEST_ID: run that test's call many
times under tracemalloc and print the allocation sites (file, line) that
grow with the calls, as a leak diagnosis re-running the call sees them.
Run in a subprocess: collecting a pytest file starts a pytest session of
its own."""
import json
import os
import sys
import types

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "src", "engine")
MODULES = [("_pyleak_interp", "interp.py"),
           ("pyleak_ci", "../../python/pyleak_ci/__init__.py"),
           ("_pyleak_harness", "harness.py"),
           ("_pyleak_keyword", "keyword.py"),
           ("_pyleak_pytest", "collect_pytest.py")]


def load():
    for name, fname in MODULES:
        with open(os.path.join(SRC, fname)) as f:
            code = compile(f.read(), "<pyleak-%s>" % name, "exec")
        mod = types.ModuleType(name)
        sys.modules[name] = mod
        exec(code, mod.__dict__)
    return sys.modules["_pyleak_harness"]


def grows(harness, path, test_id):
    import tracemalloc

    root = os.path.dirname(path)
    modname = os.path.splitext(os.path.basename(path))[0]
    res = harness.collect_file(path, modname, root, sys.argv[2], "", "")
    item = [i for i in res[2] if i.id == test_id][0]
    tracemalloc.start(25)
    for _ in range(5):
        assert item.call() is None
    before = tracemalloc.take_snapshot()
    calls = 50
    for _ in range(calls):
        item.call()
    after = tracemalloc.take_snapshot()
    sites = set()
    for stat in after.compare_to(before, "traceback"):
        if stat.count_diff < calls:
            continue
        for frame in stat.traceback:
            sites.add((os.path.basename(frame.filename), frame.lineno))
    harness.module_teardown(res[1])
    json.dump(sorted(sites), sys.stdout)


def main():
    harness = load()
    if sys.argv[1] == "--grows":
        grows(harness, os.path.abspath(sys.argv[2]), sys.argv[3])
        return
    path = os.path.abspath(sys.argv[1])
    keyword = sys.argv[2] if len(sys.argv) > 2 else ""
    root = os.path.dirname(path)
    modname = os.path.splitext(os.path.basename(path))[0]
    res = harness.collect_file(path, modname, root, sys.argv[1], "",
                               keyword)
    out = {"kind": res[0]}
    if res[0] == "ok":
        out["items"] = [{"id": i.id, "control": i.control}
                        for i in res[2]]
        calls = {}
        for i in res[2]:
            r = i.call()
            calls[i.id] = list(r) if r is not None else None
        out["calls"] = calls
        harness.module_teardown(res[1])
    else:
        out["detail"] = list(res[1:])
    json.dump(out, sys.stdout, default=list)


if __name__ == "__main__":
    main()
