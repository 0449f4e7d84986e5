"""End-to-end: what differs between CPython versions, checked on the one
this binary embeds (CI runs this file against every supported version).
"""
import json
import subprocess

from conftest import BINARY, REPO, deltas, props, python_info

CLEAN = REPO / "tests" / "accuracy" / "clean" / "test_versions_clean.py"


def test_version_banner_names_the_embedded_python():
    (major, minor), _ = python_info()
    proc = subprocess.run([BINARY, "--version"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert "(Python %d.%d." % (major, minor) in first, proc.stdout


def test_json_report_names_the_python(pyleak, tmp_path):
    (major, minor), _ = python_info()
    out = tmp_path / "r.json"
    r = pyleak(str(CLEAN) + "::test_clean_intern_same_strings", "--json",
               out)
    assert r.code == 0, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    assert doc["python"]["version"].startswith("%d.%d." % (major, minor))


def _exact_zero(pyleak, name, metrics):
    r = pyleak(str(CLEAN) + "::" + name, "--rounds", "20", "--thorough")
    assert r.code == 0, r.stdout + r.stderr
    tc = r.case(name)
    # A one-off step elsewhere (the interned table's own storage, a
    # malloc'd table, on 3.9-3.11) may earn more rounds; these stay 0.
    rounds = int(props(tc)["pyleak.rounds"])
    assert rounds >= 20
    for metric in metrics:
        assert deltas(tc, metric) == [0] * rounds, (metric, props(tc))


def test_interned_fresh_strings_show_no_growth(pyleak):
    # Immortal on 3.12 and subtracted there; mortal elsewhere.
    _exact_zero(pyleak, "test_clean_intern_fresh_strings_dropped",
                ["blocks", "objects"])


def test_gc_freeze_in_a_test_shows_no_growth(pyleak):
    # Frozen objects are counted on versions whose visitor skips them.
    _exact_zero(pyleak, "test_clean_gc_freeze_per_call", ["objects"])
