#!/usr/bin/env python3
"""Benchmark: the diagnosis of every leak of the accuracy suite.

Runs the binary on tests/accuracy/leaks and prints, per leak:

- site: whether the first allocation site named (the top of "allocation
  sites" or, for native leaks, of "native allocations") is a line that
  leaks, from the table EXPECTED below (the statements that create or
  keep what leaks);
- location: the same for the leak's location (the testcase's file/line);
- kind: the kinds named against the kind expected;
- the diagnosis time against the detection time of the test (its time
  in the report less the diagnosis).

    tests/bench/bench_diagnose.py [--pyleak build/pyleak-ci]

Prints figures; it is not a pass/fail test (tests/e2e/test_diagnose.py
is).
"""
import argparse
import os
import re
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LEAKS = REPO / "tests" / "accuracy" / "leaks" / "test_leaks.py"

# test -> (expected kind, source fragments of the lines that leak)
EXPECTED = {
    "test_leak_global_list": ("python-held",
                              ["_GROWING_LIST.append([_next()])"]),
    "test_leak_global_dict": ("python-held",
                              ['_SESSIONS[n] = "session-%d" % n']),
    "test_leak_listener_never_removed": (
        "python-held", ["widget = _Widget(_next())",
                        "_BUS.subscribe(widget.on_click)"]),
    "test_leak_closures_in_global": (
        "python-held", ["_CALLBACKS.append(_make_callback(_next()))",
                        "payload = [n] * 4", "def callback():"]),
    "test_leak_unbounded_lru_cache": (
        "python-held", ["assert _square(_next()) > 0", "return n * n"]),
    "test_leak_int_per_call_in_set": ("python-held",
                                      ["_SEEN_IDS.add(_next())"]),
    "test_leak_every_third_call": ("python-held",
                                   ["_EVERY_THIRD.append([_THIRD])"]),
    "test_leak_class_attribute_list": (
        "python-held", ['_Plugin("plugin-%d" % _next())',
                        "_Plugin.instances.append(self)"]),
    "test_leak_cache_keyed_by_id": (
        "python-held", ["hit = _PARSED_BY_ID[key] = (doc, doc.text.split())",
                        'doc = _Doc("a b c %d" % _next())']),
    "test_leak_atexit_register_per_call": (
        "python-held",
        ["atexit.register(functools.partial(_do_nothing, _next()))"]),
    "test_leak_growing_bytearray": ("python-held", ["_JOURNAL.extend("]),
    "test_leak_cycle_in_global": (
        "python-held", ["a = _Node(_next())", "b = _Node(a.n)",
                        "_GRAPHS.append(a)"]),
    "test_leak_exceptions_kept_with_tracebacks": (
        "python-held", ['raise ValueError("bad input %d" % n)',
                        "_risky(_next())", "_FAILURES.append(exc)"]),
    "test_leak_subclass_registry": ("python-held",
                                    ['type("Serializer%d" % _next()']),
    "test_leak_queue_never_drained": ("python-held", ["_JOBS.put("]),
    "test_leak_lru_cache_on_method": (
        "python-held", ["assert _Service().lookup(21) == 42"]),
    "test_leak_finalizer_on_long_lived_object": (
        "python-held", ["weakref.finalize(_APP, _do_nothing, [_next()])"]),
    "test_leak_logging_handler_per_call": (
        "python-held", ["handler = _QuietHandler()",
                        "handler.setFormatter(",
                        "_HANDLER_LOG.addHandler(handler)"]),
    "test_leak_logger_per_request": ("python-held",
                                     ["log = logging.getLogger("]),
    "test_leak_module_per_call_in_sys_modules": (
        "python-held", ["mod = types.ModuleType(name)", "mod.VALUE = [1]",
                        "sys.modules[name] = mod"]),
    "test_leak_thread_never_joined": (
        "thread", ["threading.Thread(target=_NEVER.wait",
                   'name="pyleak-accuracy-waiter").start()']),
    "test_leak_timer_never_cancelled": (
        "thread", ["timer = threading.Timer(3600.0, _do_nothing)",
                   "timer.start()"]),
    "test_leak_fd_never_closed": ("fd", ["fd = os.open(os.devnull"]),
    "test_leak_socketpair_pool": ("fd", ["_POOL.append(socket.socketpair())"]),
    "test_leak_native_incref": ("native-ref", ["_Py_IncRef([_next()])"]),
    "test_leak_native_incref_none": ("native-ref", ["_Py_IncRef(None)"]),
    "test_leak_native_calloc": ("native-alloc", ["assert _calloc(1, 4096)"]),
    "test_leak_native_pymem_malloc": ("native-alloc",
                                      ["assert _PyMem_Malloc(64)"]),
}


def leak_lines(fragments):
    lines = LEAKS.read_text().splitlines()
    out = set()
    for frag in fragments:
        for i, line in enumerate(lines, 1):
            if frag in line:
                out.add(i)
                break
        else:
            raise SystemExit("%r is no longer in %s" % (frag, LEAKS))
    return out


SITE_HEADS = ("  native allocations still live (malloc tracer):",
              "  allocation sites that grow (tracemalloc):")


def first_site(text):
    """(path, line) of the first site listed, native ones first."""
    lines = text.splitlines()
    for head in SITE_HEADS:
        if head in lines:
            m = re.match(r"\s+(\S+):(\d+): ", lines[lines.index(head) + 1])
            if m:
                return m.group(1), int(m.group(2))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyleak", default=str(REPO / "build" / "pyleak-ci"))
    args = ap.parse_args()
    rel = str(LEAKS.relative_to(REPO))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp, "leaks.xml")
        t0 = time.monotonic()
        subprocess.run([args.pyleak, "run", str(LEAKS.parent), "-q",
                        "--junit-xml", str(report)], env=env, cwd=REPO,
                       capture_output=True)
        wall = time.monotonic() - t0
        root = ET.parse(report).getroot()
    print("%-42s %-5s %-5s %-26s %7s %7s  %s" % (
        "test", "site", "loc", "kind named (expected)", "detect",
        "diagn.", "first site named"))
    n = dict(tests=0, site=0, loc=0, kind=0)
    t_detect = t_diag = 0.0
    for tc in root.iter("testcase"):
        name = tc.get("name")
        fail = tc.find("failure")
        if name not in EXPECTED or fail is None or \
                fail.get("type") != "pyleak.Leak":
            continue
        want_kind, fragments = EXPECTED[name]
        want = leak_lines(fragments)
        text = fail.text or ""
        m = re.search(r"^diagnosis \(([0-9.]+)s\): (.*)$", text, re.M)
        diag_s = float(m.group(1)) if m else 0.0
        kinds = m.group(2).split(", ") if m else []
        site = first_site(text)
        site_ok = site is not None and site[0] == rel and site[1] in want
        mloc = re.search(r"^  location: (\S+):(\d+) ", text, re.M)
        loc_ok = mloc is not None and mloc.group(1) == rel and \
            int(mloc.group(2)) in want
        kind_ok = bool(kinds) and kinds[0] == want_kind
        detect_s = float(tc.get("time")) - diag_s
        n["tests"] += 1
        n["site"] += site_ok
        n["loc"] += loc_ok
        n["kind"] += kind_ok
        t_detect += detect_s
        t_diag += diag_s
        print("%-42s %-5s %-5s %-26s %6.2fs %6.2fs  %s" % (
            name[len("test_leak_"):][:42], "yes" if site_ok else "NO",
            "yes" if loc_ok else "NO",
            ("%s (%s)" % (",".join(kinds), want_kind))[:26],
            detect_s, diag_s,
            "%s:%d" % site if site else "-"))
    print()
    print("%(tests)d leaks diagnosed: first site is a leaking line for "
          "%(site)d, location for %(loc)d, first kind as expected for "
          "%(kind)d" % n)
    if n["tests"]:
        print("detection %.2fs, diagnosis %.2fs in all (diagnosis %.0f%% "
              "of detection; %.2fs per leak); wall time %.2fs"
              % (t_detect, t_diag, 100.0 * t_diag / max(t_detect, 1e-9),
                 t_diag / n["tests"], wall))


if __name__ == "__main__":
    main()
