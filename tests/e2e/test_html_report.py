"""End-to-end: the --html report of the example project, parsed, and
rendered in a real browser (headless Chromium) with no console errors
and with charts drawn in a leak's section."""
import json
import os
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import BINARY, REPO, run

import cdp

EXAMPLES = REPO / "examples"


def anchor(prefix, test_id):
    """What plk_html_anchor makes of a test id (the job summary links
    to it, so it is part of the report's contract)."""
    h = 2166136261
    for byte in test_id.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    name = test_id.rsplit("::", 1)[-1] if "::" in test_id else test_id
    readable = "".join(c if c.isascii() and (c.isalnum() or c in "_-")
                       else "-" for c in name)
    return "%s-%s-%08x" % (prefix, readable, h)


class Page(HTMLParser):
    """The parts of the report the tests look at."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = {}
        self.stack = []
        self.articles = []          # [(id, class, {tag: count}, text)]
        self.scripts = []
        self.external = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            assert a["id"] not in self.ids, "duplicate id %s" % a["id"]
            self.ids[a["id"]] = tag
        for key in ("src", "href", "action", "srcset"):
            if key in a and not (a[key] or "").startswith("#"):
                self.external.append((tag, key, a[key]))
        if tag == "link":
            self.external.append((tag, "link", a))
        if tag == "script":
            self.scripts.append(a)
            self.in_script = True
        if tag == "article":
            self.articles.append([a.get("id"), a.get("class"), {}, []])
        elif self.articles and tag not in ("br", "meta", "input"):
            counts = self.articles[-1][2]
            key = tag + ("." + a["class"].split()[0] if a.get("class")
                         else "")
            counts[key] = counts.get(key, 0) + 1

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.articles and not self.in_script:
            self.articles[-1][3].append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("html")
    r = run(EXAMPLES, "--html", tmp / "report.html", "--json",
            tmp / "report.json", tmp_path=tmp)
    assert r.code == 1, r.stdout + r.stderr
    r.path = tmp / "report.html"
    r.text = r.path.read_text(encoding="utf-8")
    r.json = json.loads((tmp / "report.json").read_text())
    r.page = Page()
    r.page.feed(r.text)
    r.page.close()
    return r


def _tests(doc, outcome=None):
    return [t for s in doc["suites"] for t in s["tests"]
            if outcome is None or t["outcome"] == outcome]


def test_report_is_self_contained(report):
    page = report.page
    assert report.text.startswith("<!DOCTYPE html>")
    assert page.external == []
    # One inline script of pyleak-ci's own, nothing loaded.
    assert page.scripts == [{}]
    assert "default-src 'none'" in report.text


def test_report_has_each_leak_with_charts_and_sites(report):
    leaks = _tests(report.json, "leaked")
    assert leaks
    by_id = {a[0]: a for a in report.page.articles}
    for t in leaks:
        art = by_id[anchor("leak", t["id"])]
        assert art[1] == "leak"
        counts, text = art[2], "".join(art[3])
        # One chart per metric the build measures, each a line with a
        # point per sample and a fitted slope.
        assert counts.get("svg.chart", 0) == len(t["metrics"]), counts
        assert counts.get("polyline.data", 0) == len(t["metrics"])
        assert counts.get("line.fit", 0) == len(t["metrics"])
        assert counts.get("polygon.floor", 0) >= 1
        points = sum(len(m["series"]) for m in t["metrics"].values())
        assert counts.get("circle.pt", 0) == points
        assert t["id"] in text and t["kind"] in text
        diag = t["diagnosis"]
        for site in diag["sites"]:
            assert "%s:%d" % (site["path"], site["line"]) in text
            assert site["source"] in text
        if diag["holders"]:
            assert counts.get("div.chain", 0) == len(diag["holders"])
    # Passing tests are listed, collapsed; settings are at the end.
    passed = _tests(report.json, "passed")
    for t in passed:
        assert t["id"] in report.text
    assert report.text.index('id="leaks"') < \
        report.text.index('id="tests"') < report.text.index('id="settings"')


def test_report_written_atomically_and_checked_early(tmp_path):
    target = tmp_path / "missing" / "r.html"
    proc = subprocess.run(
        [BINARY, "run", str(EXAMPLES / "leaky_cache"), "--html",
         str(target)], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, NO_COLOR="1"))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "HTML report" in proc.stderr and str(target) in proc.stderr
    assert proc.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(cdp.find_chromium() is None,
                    reason="headless Chromium is not installed (Debian: "
                           "apt-get install chromium; ci/deps.sh does)")
def test_report_renders_in_chromium(report, tmp_path):
    leak = _tests(report.json, "leaked")[0]
    with cdp.Browser(width=1200, height=900) as browser:
        browser.load(report.path.as_uri())
        assert browser.problems() == []
        # Nothing but the file itself was fetched.
        assert [u for u in browser.requests()
                if u != report.path.as_uri()] == []
        title = browser.evaluate("document.title")
        assert title.startswith("pyleak-ci: %d leaked" %
                                len(_tests(report.json, "leaked")))
        charts = browser.evaluate(
            "document.querySelectorAll('svg.chart').length")
        assert charts >= len(leak["metrics"])
        png = browser.screenshot(anchor("leak", leak["id"]))
        # The filter box hides what does not match.
        browser.evaluate(
            "(function(){var f=document.getElementById('filter');"
            "f.value='no-such-test';f.dispatchEvent(new Event('input'));"
            "})()")
        shown = browser.evaluate(
            "Array.from(document.querySelectorAll('article.leak'))"
            ".filter(e => e.style.display != 'none').length")
        assert shown == 0
        assert browser.problems() == []
    (tmp_path / "leak.png").write_bytes(png)
    width, height, rows = cdp.decode_png(png)
    assert width > 300 and height > 200
    # The charts' data line and points are drawn in #1f5fbf.
    blue = sum(1 for row in rows for (r, g, b) in row
               if b > 150 and r < 90 and 60 < g < 140)
    non_white = sum(1 for row in rows for px in row
                    if px != (255, 255, 255))
    assert blue > 200, (blue, non_white)
    assert non_white > width * height // 50
