"""End-to-end tests of the reports: both JUnit forms validated against
their schemas, captured output, the JSON report, and GitHub Actions
annotations and job summary, all from the real binary."""
import json
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import (BINARY, FIXTURES, REPO, STRICT_SCHEMAS, XSD_CHECK,
                      outcome, run, validate_junit)

REPORTS = FIXTURES / "reports"
LEAKS = ["test_leak_%02d" % i for i in range(12)]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """One run over the hostile fixture (and an import error) that writes
    every report at once, as a GitHub Actions job would."""
    tmp = tmp_path_factory.mktemp("reports")
    summary = tmp / "summary.md"
    summary.write_text("# earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_WORKSPACE": str(REPO),
           "GITHUB_SERVER_URL": "https://github.com",
           "GITHUB_REPOSITORY": "owner/project", "GITHUB_RUN_ID": "42"}
    r = run(REPORTS, FIXTURES / "broken", "--json", tmp / "r.json",
            "--html", tmp / "r.html",
            "--rounds", "4", "--warmup", "1", "-v", env=env, tmp_path=tmp)
    r.summary = summary.read_text()
    r.json = json.loads((tmp / "r.json").read_text())
    r.tmp = tmp
    return r


def test_exit_code_and_verdicts(reports):
    assert reports.code == 1, reports.stdout + reports.stderr
    for name in LEAKS:
        assert outcome(reports.case(name))[0] == "failure"
    assert outcome(reports.case("test_clean"))[0] == "passed"
    kind, el = outcome(reports.case("test_hostile_failure"))
    assert kind == "failure" and el.get("type") == "ValueError"


def test_default_junit_validates_against_own_schema(reports):
    if XSD_CHECK is None:
        pytest.skip("PYLEAK_XSD_CHECK not set (run through ctest)")
    assert validate_junit(reports.tmp / "report.xml") != []


def test_default_junit_has_file_and_line(reports):
    for tc in reports.xml.iter("testcase"):
        if tc.get("name") == "<module>":
            continue
        assert tc.get("file"), ET.tostring(tc)
        assert not os.path.isabs(tc.get("file"))
        assert int(tc.get("line")) >= 1


def test_hostile_text_is_sanitised(reports):
    raw = (reports.tmp / "report.xml").read_bytes()
    assert b"\x1b" not in raw and b"\x01" not in raw and b"\x00" not in raw
    assert b"]]>" not in raw
    el = outcome(reports.case("test_hostile_failure"))[1]
    msg = el.get("message")
    assert "\n" not in msg
    assert "bad, worse: 100%0A%25 red" in msg
    assert "\\x01\\x00 ]]> <&>" in el.text


def test_captured_output_split_and_bounded(reports):
    tc = reports.case("test_output")
    assert tc.find("system-out").text == "to stdout green ]]> \\x02\n"
    err = tc.find("system-err").text
    # The lone surrogate is made visible, not dropped or crashed on.
    assert "to stderr, lone surrogate \\udcff" in err
    assert "DeprecationWarning: this API is old" in err
    assert "to stdout" not in err
    big = reports.case("test_much_output").find("system-out").text
    assert len(big) < 70000
    assert re.search(r"\[output cut at 65536 characters; \d+ more not "
                     r"kept\]", big)
    assert reports.case("test_clean").find("system-out") is None


def test_json_report(reports):
    d = reports.json
    assert d["format"] == "pyleak-ci/1"
    assert d["tool"]["name"] == "pyleak-ci"
    totals = d["run"]["totals"]
    root = reports.xml.getroot()
    assert totals["tests"] == int(root.get("tests"))
    assert totals["leaked"] == 12
    assert totals["leaked"] + totals["failed"] == int(root.get("failures"))
    assert totals["errors"] == int(root.get("errors"))
    assert d["run"]["interrupted"] is False
    assert d["run"]["settings"]["rounds"] == 4
    tests = {t["name"]: t for s in d["suites"] for t in s["tests"]}
    leak = tests["test_leak_00"]
    assert leak["outcome"] == "leaked"
    assert leak["message"].startswith("leaks ")
    blocks = leak["metrics"]["blocks"]
    assert blocks["verdict"] == "leak" and blocks["gating"] is True
    assert blocks["per_call"] > 0
    series = blocks["series"]
    assert len(series) == leak["rounds"] + 1
    assert blocks["deltas"] == [b - a for a, b in zip(series, series[1:])]
    assert blocks["trend"]["p"] < 0.05
    # A leak is final once it grew for 2,048 calls in all.
    assert blocks["growth"]["persisted"] is True
    assert blocks["growth"]["saturated"] is False
    assert leak["total_calls"] >= 2048
    assert leak["diagnosis"] is None or isinstance(leak["diagnosis"], dict)
    # Every call made is counted: at least the first call and one per
    # measured round.
    assert leak["total_calls"] >= 1 + leak["rounds"] * leak["calls"]
    assert all(t["screened"] >= 0 for t in tests.values())
    hostile = tests["test_hostile_failure"]
    assert hostile["outcome"] == "failed"
    assert hostile["exc_type"] == "ValueError"
    # JSON keeps the text as it was; only the escaping differs.
    assert "\x1b[31mred\x1b[0m\n::error file=evil.py::owned\x01" in \
        hostile["message"] + hostile["details"]
    out = tests["test_output"]["output"]
    assert out["stdout"] == "to stdout \x1b[32mgreen\x1b[0m ]]> \x02\n"
    assert "DeprecationWarning" in out["stderr"]
    broken = [s for s in d["suites"] if s["error"] is not None]
    assert {s["error"]["type"] for s in broken} == {"ModuleNotFoundError",
                                                    "SyntaxError"}


def runner_commands(stdout):
    """The workflow commands a GitHub runner would act on in stdout,
    honouring ::stop-commands:: and its resume token."""
    stopped = None
    seen = []
    for line in stdout.splitlines():
        if stopped is not None:
            if line == "::%s::" % stopped:
                stopped = None
            continue
        m = re.fullmatch(r"::stop-commands::(.+)", line)
        if m:
            stopped = m.group(1)
        elif line.startswith("::"):
            seen.append(line)
    return seen


def test_github_annotations(reports):
    lines = runner_commands(reports.stdout)
    # At most ten per step, leaks first; the hostile message printed in
    # the console's failure details is not among them.
    assert len(lines) == 10, reports.stdout
    for line in lines:
        m = re.fullmatch(r"::error file=([^,:]+),line=(\d+),"
                         r"title=([^,:]*)::(.*)", line)
        assert m, line
        path = m.group(1).replace("%2C", ",").replace("%3A", ":")
        assert (REPO / path).exists(), path
        assert path.startswith("tests/fixtures/reports/")
        assert "leaks" in m.group(3)
        assert m.group(4).startswith("leaks ")
    assert not any("owned" in line for line in lines)
    # The console output is where the hostile line shows, fenced off.
    assert "\n::error file=evil.py::owned" in reports.stdout
    assert reports.stdout.startswith("::stop-commands::")


def test_html_keeps_hostile_text_as_text(reports):
    from test_html_report import Page, anchor
    text = (reports.tmp / "r.html").read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    page.close()
    assert page.external == [] and page.scripts == [{}]
    assert "\x1b" not in text and "\x00" not in text
    arts = {a[0]: a for a in page.articles}
    hostile = arts[anchor("failure", "tests/fixtures/reports/"
                          "test_reports.py::test_hostile_failure")]
    body = "".join(hostile[3])
    # Shown as text: the markup characters escaped, ANSI codes gone,
    # control characters visible.
    assert "::error file=evil.py::owned\\x01" in body
    assert "]]> <&>" in body and "\x1b" not in body
    assert "ValueError: bad, worse: 100%0A%25 red\n::error" in body
    assert "&lt;&amp;&gt;" in text
    leaks = [a for a in page.articles if a[1] == "leak"]
    assert len(leaks) == 12
    # The file that does not import is an error with its message.
    assert any(a[1] == "error" and "test_broken" in "".join(a[3])
               for a in page.articles)


def test_github_summary(reports):
    s = reports.summary
    assert s.startswith("# earlier step\n## pyleak-ci: leaks found\n")
    assert "| Test | Leak per call | Growth over rounds |" in s
    rows = [l for l in s.splitlines() if "test\\_leak\\_" in l]
    assert len(rows) == 12
    # Each leak links to its section of the HTML report, which the run's
    # artifacts hold.
    from test_html_report import Page
    page = Page()
    page.feed((reports.tmp / "r.html").read_text(encoding="utf-8"))
    page.close()
    assert "| Top allocation site | HTML report |" in s
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cells) == 5, row
        assert "/call" in cells[1]
        assert re.search("[\u2581-\u2588]+ ", cells[2]), row
        m = re.fullmatch(r"\[`#(leak-[\w-]+)`\]\(https://github\.com/"
                         r"owner/project/actions/runs/42#artifacts\)",
                         cells[4])
        assert m, cells[4]
        assert page.ids.get(m.group(1)) == "article", m.group(1)
    assert "growth: r.html, in this run's artifacts" in s
    assert "test\\_hostile\\_failure failed: ValueError" in s
    # Files that did not import are listed too.
    assert "test\\_syntax\\_error.py error: cannot import" in s
    # 12 leaks, 1 failing test, 2 files that did not import; 10 annotated.
    assert "5 of 15 problems are not annotated" in s
    assert len(s.encode()) < 1024 * 1024


def test_no_github_output_outside_actions(pyleak, tmp_path):
    summary = tmp_path / "s.md"
    r = pyleak(FIXTURES / "basic", "--rounds", "4",
               env={"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY":
                    str(summary)})
    assert r.code == 1
    assert "::error" not in r.stdout
    assert not summary.exists()


def test_strict_junit_validates_against_shared_schemas(pyleak, tmp_path):
    if XSD_CHECK is None:
        pytest.skip("PYLEAK_XSD_CHECK not set (run through ctest)")
    if not all(s.exists() for s in STRICT_SCHEMAS):
        pytest.skip("shared schemas not found at %s" % STRICT_SCHEMAS[0]
                    .parent)
    r = pyleak(REPORTS, FIXTURES / "basic", FIXTURES / "broken",
               FIXTURES / "lifecycle", "--junit-strict", "--rounds", "4",
               "--warmup", "1")
    assert r.code == 1
    assert validate_junit(tmp_path / "report.xml", strict=True) == \
        STRICT_SCHEMAS
    root = r.xml.getroot()
    assert root.attrib == {}
    for tc in root.iter("testcase"):
        assert tc.get("file") is None and tc.get("line") is None
        assert tc.find("properties") is None
        assert tc.find("system-out") is None
        assert len(list(tc)) <= 1
    for suite in root.iter("testsuite"):
        for attr in ("timestamp", "hostname", "id", "package", "time"):
            assert suite.get(attr), (attr, suite.attrib)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d",
                            suite.get("timestamp"))
        assert re.fullmatch(r"\d+\.\d{3}", suite.get("time"))
        kids = [k.tag for k in suite]
        assert kids[0] == "properties"
        assert kids[-2:] == ["system-out", "system-err"]
    out = "".join(s.find("system-out").text or ""
                  for s in root.iter("testsuite"))
    assert "----- tests/fixtures/reports/test_reports.py::test_output " \
           "-----\nto stdout green" in out


def test_unwritable_json_path_fails_before_running(tmp_path):
    target = tmp_path / "missing" / "r.json"
    proc = subprocess.run(
        [BINARY, "run", str(FIXTURES / "slow"), "--json", str(target)],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, NO_COLOR="1"))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert str(target) in proc.stderr
    assert "JSON report" in proc.stderr and "mkdir -p" in proc.stderr
    # Nothing ran: no progress line for the fixture.
    assert "test_slow" not in proc.stdout
    proc = subprocess.run(
        [BINARY, "run", str(FIXTURES / "slow"), "--json", str(tmp_path)],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 4
    assert "is a directory" in proc.stderr


def test_interrupt_still_writes_every_report(tmp_path):
    xml = tmp_path / "r.xml"
    js = tmp_path / "r.json"
    summary = tmp_path / "s.md"
    env = dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1",
               GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    proc = subprocess.Popen(
        [BINARY, "run", str(FIXTURES / "slow"), "--junit-xml", str(xml),
         "--junit-strict", "--json", str(js), "--jobs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, out + err
    validate_junit(xml, strict=True)
    d = json.loads(js.read_text())
    assert d["run"]["interrupted"] is True
    names = [t["name"] for s in d["suites"] for t in s["tests"]]
    assert "test_first_quick" in names
    # Collected but never reached: listed as skipped, saying why.
    never = [t for s in d["suites"] for t in s["tests"]
             if t["name"] == "test_never_reached"]
    assert [(t["outcome"], t["message"]) for t in never] == \
        [("skipped", "not run: interrupted")]
    assert "interrupted" in summary.read_text()


def test_junit_strict_without_a_report_is_a_usage_error(tmp_path):
    res = run("--junit-strict", FIXTURES / "basic", junit=False)
    assert res.code == 4
    assert "--junit-strict" in res.stderr and "--junit-xml" in res.stderr
