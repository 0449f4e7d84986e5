"""Accuracy: pyleak-ci on a labelled set of leaking and clean tests.

The test files in tests/accuracy/leaks hold ``test_leak_*`` tests
(functions, or methods of classes) that leak; the first line of each
docstring, ``metric: a, b``, names the metrics that must show the leak
(any one of them is enough). ``test_clean_*`` tests, in
tests/accuracy/clean and also among the leaks (where screening must tell
them apart), do not leak. The binary runs once on each directory; the
labels are read from the files with ast, so adding a case needs no change
here.

A leak counts as caught when its testcase has a ``pyleak.Leak`` failure
and one of its labelled metrics has the verdict "leak". A case whose
labelled metrics this binary does not measure at all (``refs`` outside a
debug build of Python) cannot be caught in principle: it is listed as not
measurable in the summary instead of failing.
"""
import ast
import contextlib

import pytest

from conftest import REPO, outcome, props, run

ACCURACY = REPO / "tests" / "accuracy"
LEAKS_DIR = ACCURACY / "leaks"
CLEAN_DIR = ACCURACY / "clean"

LABEL_METRICS = ("refs", "blocks", "objects", "heap", "fds", "threads",
                 "procs", "tmpfiles", "tmpbytes", "env")
# Every metric the report may carry, in the order of docs/metrics.md.
REPORT_METRICS = ("refs", "blocks", "objects", "heap", "rss", "fds",
                  "threads", "procs", "tmpfiles", "tmpbytes", "env")
MIN_CASES = 18


# -- labels ------------------------------------------------------------------

# Test functions and methods, coroutine ones (IsolatedAsyncioTestCase) too.
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)

def _functions(directory, prefix):
    """[(name, docstring)] of the tests named prefix* in the test files of
    directory: module-level functions as "name", methods of classes as
    "Class::name"; in source order (duplicates kept, so they can be
    reported)."""
    out = []
    for path in sorted(directory.glob("test_*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, _DEFS) and node.name.startswith(prefix):
                out.append((node.name, ast.get_docstring(node) or ""))
            elif isinstance(node, ast.ClassDef):
                out.extend(("%s::%s" % (node.name, f.name),
                            ast.get_docstring(f) or "")
                           for f in node.body
                           if isinstance(f, _DEFS) and
                           f.name.startswith(prefix))
    return out


def _label(doc):
    """The metric names of a 'metric: a, b' first docstring line, or
    None when the first line is not such a label."""
    lines = doc.strip().splitlines()
    if not lines:
        return None
    key, sep, rest = lines[0].partition(":")
    if not sep or key.strip() != "metric":
        return None
    return [m.strip() for m in rest.split(",") if m.strip()]


def leak_labels():
    return {name: _label(doc) for name, doc in _functions(LEAKS_DIR,
                                                          "test_leak_")}


def clean_names():
    """[(name, which run)]: the clean tests of both directories."""
    return [(name, run) for run, directory in (("clean", CLEAN_DIR),
                                               ("leaks", LEAKS_DIR))
            for name, _ in _functions(directory, "test_clean_")]


# -- reading the report ----------------------------------------------------

def _measured(r):
    """The metrics this binary reported for any testcase of run r."""
    seen = set()
    for tc in r.xml.iter("testcase"):
        for name in props(tc):
            parts = name.split(".")
            if len(parts) == 3 and parts[0] == "pyleak" and \
                    parts[2] == "verdict":
                seen.add(parts[1])
    return seen


def _verdict(tc, metric):
    return props(tc).get("pyleak.%s.verdict" % metric)


def describe(tc):
    """Outcome, then every metric's verdict, per-call growth and deltas."""
    if tc is None:
        return "    not in the report"
    kind, el = outcome(tc)
    head = kind
    if el is not None:
        head += " %s: %s" % (el.get("type"), el.get("message"))
    p = props(tc)
    head += " (warmup %s, rounds %s, calls/round %s)" % (
        p.get("pyleak.warmup"), p.get("pyleak.rounds"),
        p.get("pyleak.calls"))
    lines = ["    " + head]
    for m in REPORT_METRICS:
        v = p.get("pyleak.%s.verdict" % m)
        if v is None:
            continue
        lines.append("      %-7s %-10s per_call=%-10s p=%-8s deltas=[%s]" % (
            m, v, p.get("pyleak.%s.per_call" % m), p.get("pyleak.%s.p" % m),
            p.get("pyleak.%s.deltas" % m)))
    return "\n".join(lines)


class Accuracy:
    """Both runs, each case's classification, and the summary line."""

    def __init__(self, leaks, clean):
        self.leaks = leaks
        self.clean = clean
        self.labels = leak_labels()
        self.clean_names = clean_names()
        measured = _measured(leaks) if leaks.xml is not None else set()
        self.caught, self.missed, self.unmeasurable = [], [], []
        for name, label in self.labels.items():
            tc = leaks.cases.get(name)
            wanted = [m for m in (label or []) if m in measured]
            if tc is not None and label and not wanted:
                self.unmeasurable.append(name)
                continue
            kind, el = outcome(tc) if tc is not None else ("missing", None)
            flagged = kind == "failure" and el.get("type") == "pyleak.Leak"
            if flagged and any(_verdict(tc, m) == "leak" for m in wanted):
                self.caught.append(name)
            else:
                self.missed.append(name)
        self.passed, self.false_alarms, self.not_passed = [], [], []
        for name, which in self.clean_names:
            tc = (clean if which == "clean" else leaks).cases.get(name)
            kind, el = outcome(tc) if tc is not None else ("missing", None)
            if kind == "passed":
                self.passed.append(name)
            elif kind == "failure" and el.get("type") == "pyleak.Leak":
                self.false_alarms.append(name)
            else:
                self.not_passed.append(name)

    def summary(self):
        text = ("pyleak-ci accuracy: %d/%d leaks caught (true positives), "
                "%d missed (false negatives); %d/%d clean tests passed "
                "(true negatives), %d false alarms (false positives)" % (
                    len(self.caught), len(self.caught) + len(self.missed),
                    len(self.missed), len(self.passed),
                    len(self.clean_names), len(self.false_alarms)))
        if self.not_passed:
            text += ", %d clean tests failed or errored" % len(
                self.not_passed)
        if self.unmeasurable:
            text += "; not measurable by this build: " + ", ".join(
                "%s (%s)" % (n, ", ".join(self.labels[n]))
                for n in self.unmeasurable)
        return text


@pytest.fixture(scope="module")
def accuracy(request, tmp_path_factory):
    leaks = run(LEAKS_DIR, tmp_path=tmp_path_factory.mktemp("acc-leaks"))
    clean = run(CLEAN_DIR, tmp_path=tmp_path_factory.mktemp("acc-clean"))
    for r, what in ((leaks, "leaks"), (clean, "clean")):
        assert r.xml is not None, ("no JUnit report for the %s run (exit "
                                   "%d)\n%s\n%s" % (what, r.code, r.stdout,
                                                    r.stderr))
    acc = Accuracy(leaks, clean)
    yield acc
    # One line on the terminal, even with -q and output captured.
    config = request.config
    reporter = config.pluginmanager.getplugin("terminalreporter")
    capman = config.pluginmanager.getplugin("capturemanager")
    if reporter is not None:
        quiet = capman.global_and_fixture_disabled() if capman is not None \
            else contextlib.nullcontext()
        with quiet:
            reporter.write("\n")
            reporter.write_line(acc.summary())


# -- the checks --------------------------------------------------------------

def test_accuracy_cases_are_labelled():
    leaks = _functions(LEAKS_DIR, "test_leak_")
    clean = _functions(CLEAN_DIR, "test_clean_") + \
        _functions(LEAKS_DIR, "test_clean_")
    assert len(leaks) >= MIN_CASES, [n for n, _ in leaks]
    assert len(clean) >= MIN_CASES, [n for n, _ in clean]
    for cases in (leaks, clean):
        names = [n for n, _ in cases]
        assert len(names) == len(set(names)), "duplicate test names"
    bad = []
    for name, doc in leaks:
        label = _label(doc)
        if not label or not set(label) <= set(LABEL_METRICS):
            bad.append("%s: %r" % (name, doc.strip().splitlines()[:1]))
    assert not bad, ("leak docstrings must start with 'metric: <name>[, "
                     "<name>...]' naming %s:\n  %s"
                     % ("/".join(LABEL_METRICS), "\n  ".join(bad)))
    undocumented = [n for n, doc in clean if not doc.strip()]
    assert not undocumented, ("clean tests must say why they are clean",
                              undocumented)


def test_every_leak_is_caught(accuracy):
    r = accuracy.leaks
    assert r.code == 1, (r.code, r.stdout[-2000:], r.stderr[-2000:])
    if not accuracy.missed:
        return
    lines = [accuracy.summary(), "", "leaks not caught on a labelled "
             "metric:"]
    for name in accuracy.missed:
        lines.append("  %s (labelled: %s)" % (
            name, ", ".join(accuracy.labels[name] or ["<no label>"])))
        lines.append(describe(r.cases.get(name)))
    pytest.fail("\n".join(lines), pytrace=False)


def test_every_clean_test_passes(accuracy):
    r = accuracy.clean
    wrong = accuracy.false_alarms + accuracy.not_passed
    if wrong:
        lines = [accuracy.summary(), "", "clean tests that did not pass:"]
        for name, which in accuracy.clean_names:
            if name in wrong:
                lines.append("  %s (%s)" % (
                    name, "false alarm" if name in accuracy.false_alarms
                    else "failed or errored"))
                run = r if which == "clean" else accuracy.leaks
                lines.append(describe(run.cases.get(name)))
        pytest.fail("\n".join(lines), pytrace=False)
    assert r.code == 0, (r.code, r.stdout[-2000:], r.stderr[-2000:])


def test_bounded_growth_is_followed_past_its_bound(accuracy):
    """A cache that fills one entry per call is only told from a leak by
    calling it past its cap, and a leak is only called one once it has
    grown for 2,048 calls: the calls each case got say that this is how
    its verdict was reached, within the rounds a verdict rests on."""
    wanted = [(accuracy.clean, "test_clean_error_log_capped_at_100", 100),
              (accuracy.clean, "test_clean_cache_capped_at_1024", 1024),
              (accuracy.leaks, "test_leak_error_log_unbounded", 2047),
              (accuracy.leaks, "test_leak_memo_unbounded", 2047)]
    for run, name, past in wanted:
        p = props(run.case(name))
        assert int(p["pyleak.total_calls"]) > past, (name, p)
        # The series a verdict rests on stays within --max-rounds (64 by
        # default), its rounds merged as their calls doubled.
        deltas = p["pyleak.blocks.deltas"].split()
        assert len(deltas) == int(p["pyleak.rounds"]) <= 64, (name, p)
