/* Unit tests for the HTML report: escaping, anchors, the SVG charts, the
 * rendered document, the atomic write, and the JSON tree reader the
 * report lays the diagnosis out with. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "report/html.h"
#include "base/result.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define FFFD "\xEF\xBF\xBD"

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;
    const char *p = hay;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

static void
test_html__escape(void **state)
{
    static const struct {
        const char *in;
        const char *want;
    } rows[] = {
        {"plain", "plain"},
        {"", ""},
        {"<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"},
        {"a & b", "a &amp; b"},
        {"\"q\" 'a'", "&quot;q&quot; &#39;a&#39;"},
        {"\x1b[31mred\x1b[0m", "red"},
        {"bad\xff", "bad" FFFD},
        {"ctl\x01", "ctl\\x01"},
        {"line\nbreak", "line\nbreak"},
        {"&amp;", "&amp;amp;"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        plk_buf b = {0};

        assert_int_equal(plk_html_escape(&b, rows[i].in), 0);
        assert_string_equal(b.data ? b.data : "", rows[i].want);
        plk_buf_free(&b);
    }
}

static void
test_html__anchor(void **state)
{
    char a[PLK_HTML_ANCHOR_SIZE], b[PLK_HTML_ANCHOR_SIZE];
    char c[PLK_HTML_ANCHOR_SIZE], d[PLK_HTML_ANCHOR_SIZE];
    char longid[600];
    const char *p;

    (void)state;
    plk_html_anchor(a, "leak", "tests/t.py::Case::test_x[1-\"<a>\"]");
    plk_html_anchor(b, "leak", "tests/t.py::Case::test_x[1-\"<a>\"]");
    plk_html_anchor(c, "leak", "tests/u.py::Case::test_x[1-\"<a>\"]");
    assert_string_equal(a, b);     /* the same in every run */
    assert_string_not_equal(a, c); /* the file is in the hash */
    assert_int_equal(strncmp(a, "leak-test_x-1---a---", 20), 0);
    for (p = a; *p; p++) {
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_');
    }
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    plk_html_anchor(d, "failure", longid);
    assert_true(strlen(d) < PLK_HTML_ANCHOR_SIZE);
    assert_int_equal(strncmp(d, "failure-xxx", 11), 0);
    plk_html_anchor(d, NULL, NULL);
    assert_int_equal(strncmp(d, "t--", 3), 0);
}

/* A metric result over series (copied), fitted as slope/intercept. */
static void
metric(plk_metric_result *mr, const int64_t *series, size_t n, double slope,
       double intercept, plk_verdict v)
{
    memset(mr, 0, sizeof(*mr));
    mr->measured = 1;
    mr->gating = 1;
    mr->series = malloc(n * sizeof(*series) + 1);
    assert_non_null(mr->series);
    memcpy(mr->series, series, n * sizeof(*series));
    mr->n = n;
    mr->fit.slope = slope;
    mr->fit.intercept = intercept;
    mr->fit.verdict = v;
}

static void
test_html__chart_leak(void **state)
{
    static const int64_t s[] = {1000, 1300, 1600, 1900, 2200, 2500};
    plk_metric_result mr;
    plk_buf b = {0};
    const char *pts;
    size_t npts = 0;

    (void)state;
    metric(&mr, s, NELEM(s), 300, 1000, PLK_VERDICT_LEAK);
    assert_int_equal(plk_html_chart(&b, &mr, PLK_METRIC_BLOCKS, 16), 0);
    assert_non_null(b.data);
    assert_int_equal(strncmp(b.data, "<svg class=\"chart leaking\"", 26), 0);
    assert_int_equal(count(b.data, "<svg"), 2); /* chart + plot area */
    assert_int_equal(count(b.data, "</svg>"), 2);
    /* One point per sample, a fitted line and the noise floor band. */
    assert_int_equal(count(b.data, "<circle class=\"pt\""), NELEM(s));
    assert_int_equal(count(b.data, "<line class=\"fit\""), 1);
    assert_int_equal(count(b.data, "<polygon class=\"floor\""), 1);
    pts = strstr(b.data, "<polyline class=\"data\" points=\"");
    assert_non_null(pts);
    pts += strlen("<polyline class=\"data\" points=\"");
    for (; *pts != '"'; pts++) {
        npts += *pts == ',';
    }
    assert_int_equal(npts, NELEM(s));
    /* The data climb: the first point is at the bottom of the plot
     * (largest y), the last at the top. */
    assert_non_null(strstr(b.data, "round 5"));
    assert_non_null(strstr(b.data, "data-metric=\"blocks\""));
    assert_null(strstr(b.data, "nan"));
    plk_buf_free(&b);
    free(mr.series);
}

static void
test_html__chart_edges(void **state)
{
    static const int64_t flat[] = {5, 5, 5, 5};
    static const int64_t one[] = {42};
    plk_metric_result mr;
    plk_buf b = {0};

    (void)state;
    /* Flat, no floor: no band, still a frame of its own. */
    metric(&mr, flat, NELEM(flat), 0, 5, PLK_VERDICT_CLEAN);
    assert_int_equal(plk_html_chart(&b, &mr, PLK_METRIC_FDS, 0), 0);
    assert_int_equal(count(b.data, "<polygon"), 0);
    assert_int_equal(count(b.data, "<circle"), NELEM(flat));
    assert_null(strstr(b.data, "leaking"));
    assert_null(strstr(b.data, "nan"));
    assert_null(strstr(b.data, "inf"));
    free(mr.series);
    plk_buf_free(&b);
    /* One sample, a fit that is not a number. */
    memset(&b, 0, sizeof(b));
    metric(&mr, one, 1, NAN, NAN, PLK_VERDICT_CLEAN);
    assert_int_equal(plk_html_chart(&b, &mr, PLK_METRIC_HEAP, 4096), 0);
    assert_int_equal(count(b.data, "<circle"), 1);
    assert_null(strstr(b.data, "nan"));
    free(mr.series);
    plk_buf_free(&b);
    /* No samples at all. */
    memset(&b, 0, sizeof(b));
    memset(&mr, 0, sizeof(mr));
    assert_int_equal(plk_html_chart(&b, &mr, PLK_METRIC_RSS, 1), 0);
    assert_non_null(strstr(b.data, "no samples"));
    assert_null(strstr(b.data, "<svg"));
    plk_buf_free(&b);
}

static void
build_result(plk_run_result *r)
{
    static const int64_t series[] = {10, 13, 16, 19, 22};
    plk_suite_result *s;
    plk_test_result *t;

    memset(r, 0, sizeof(*r));
    r->timestamp = xstrdup("2024-05-01T12:00:00");
    r->time = 1.25;
    s = plk_run_result_add_suite(r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_app");
    s->file = xstrdup("tests/test_app.py");

    t = plk_suite_result_add_test(s);
    assert_non_null(t);
    t->id = xstrdup("tests/test_app.py::test_leak[<b>]");
    t->name = xstrdup("test_leak[<b>]");
    t->outcome = PLK_OUTCOME_LEAKED;
    t->message = xstrdup("leaks 3 blocks/call at app/cache.py:7");
    t->kind = xstrdup("python-held");
    t->calls = 1;
    t->rounds = 4;
    t->warmup = 3;
    metric(&t->metrics[PLK_METRIC_BLOCKS], series, NELEM(series), 3, 10,
           PLK_VERDICT_LEAK);
    t->metrics[PLK_METRIC_BLOCKS].per_call = 3;
    metric(&t->metrics[PLK_METRIC_FDS], series, 1, 0, 10, PLK_VERDICT_CLEAN);
    t->diagnosis = xstrdup(
        "{\"kind\": [\"python-held\"], \"location\": {\"path\": "
        "\"app/cache.py\", \"line\": 7, \"source\": \"_C[k] = v\"}, "
        "\"sites\": [{\"path\": \"app/cache.py\", \"line\": 7, "
        "\"source\": \"_C[k] = [v] # </pre><script>alert(1)</script>\", "
        "\"bytes_per_call\": 72.0, \"blocks_per_call\": 1.5, "
        "\"traceback\": [{\"path\": \"app/cache.py\", \"line\": 7, "
        "\"source\": \"_C[k] = [v]\"}, {\"path\": \"tests/test_app.py\", "
        "\"line\": 3, \"source\": \"remember(1)\"}]}], "
        "\"types\": [{\"type\": \"list\", \"per_call\": 1}], "
        "\"holders\": [{\"chain\": \"app/cache.py: _C (dict) -> value of "
        "'k\\u00e9' -> list\", \"grows_per_call\": 1}], "
        "\"notes\": [\"a note \\ud83d\\ude00\"]}");
    t->details = xstrdup("fit report\ndiagnosis (0.1s): python-held\n");

    t = plk_suite_result_add_test(s);
    assert_non_null(t);
    t->id = xstrdup("tests/test_app.py::test_fails");
    t->outcome = PLK_OUTCOME_FAILED;
    t->exc_type = xstrdup("ValueError");
    t->message = xstrdup("bad <value>");
    t->details = xstrdup("Traceback (most recent call last):\n"
                         "  \x1b[31m</pre><script>evil()</script>\n");
    t->stderr_text = xstrdup("warned\n");

    t = plk_suite_result_add_test(s);
    assert_non_null(t);
    t->id = xstrdup("tests/test_app.py::test_fine");
    t->outcome = PLK_OUTCOME_PASSED;
    t->rounds = 3;
    t->calls = 20;

    t = plk_suite_result_add_test(s);
    assert_non_null(t);
    t->id = xstrdup("tests/test_app.py::test_bad_diagnosis");
    t->outcome = PLK_OUTCOME_LEAKED;
    t->message = xstrdup("leaks");
    t->diagnosis = xstrdup("{\"unterminated\": ");
    t->details = xstrdup("the text report <kept>");

    s = plk_run_result_add_suite(r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_broken");
    s->file = xstrdup("tests/test_broken.py");
    s->error_type = xstrdup("ImportError");
    s->error_message = xstrdup("No module named 'nope'");
}

static void
test_html__render(void **state)
{
    plk_run_result r;
    plk_config cfg;
    plk_html_meta meta = {"0.1.0", "3.11.2", 0, NULL};
    char *html = NULL;
    char anchor[PLK_HTML_ANCHOR_SIZE];

    (void)state;
    plk_config_init(&cfg);
    meta.cfg = &cfg;
    build_result(&r);
    assert_int_equal(plk_html_render(&html, &r, &meta), 0);
    assert_non_null(html);
    assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(html, "</html>\n"));
    /* Self-contained: no external resources of any kind. */
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "https://"));
    assert_int_equal(count(html, "http://"),
                     count(html, "http://www.w3.org/2000/svg"));
    assert_non_null(strstr(html, "default-src 'none'"));
    /* Only pyleak-ci's own script; hostile text stays text. */
    assert_int_equal(count(html, "<script>"), 1);
    assert_null(strstr(html, "alert(1)</script>"));
    assert_null(strstr(html, "evil()</script>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(html, "\x1b"));
    /* The leak: anchor, kind, charts of its measured metrics, sites with
     * source lines and tracebacks, the holder chain as nodes. */
    plk_html_anchor(anchor, "leak", "tests/test_app.py::test_leak[<b>]");
    assert_non_null(strstr(html, anchor));
    assert_non_null(strstr(html, "<span class=\"kind\">python-held"));
    assert_int_equal(count(html, "<svg class=\"chart"), 2);
    assert_int_equal(count(html, "<svg class=\"chart leaking\""), 1);
    assert_non_null(strstr(html, "tests/test_app.py:3  remember(1)"));
    assert_non_null(strstr(html, "+72 B"));
    assert_int_equal(count(html, "<span class=\"node"), 3);
    assert_non_null(strstr(html, "value of &#39;k\xc3\xa9&#39;"));
    assert_non_null(strstr(html, "a note \xf0\x9f\x98\x80"));
    /* A diagnosis that is not JSON: the text report instead. */
    assert_non_null(strstr(html, "the text report &lt;kept&gt;"));
    /* Failures and file errors with their tracebacks. */
    assert_non_null(strstr(html, "<code>ValueError</code>: bad &lt;value"));
    assert_null(strstr(html, "ValueError</code>: ValueError"));
    assert_non_null(strstr(html, "Traceback (most recent call last)"));
    assert_non_null(strstr(html, "No module named &#39;nope&#39;"));
    /* Passing tests are in a collapsed table; settings at the end. */
    assert_non_null(strstr(html, "<details class=\"all\">"));
    assert_non_null(strstr(html, "tests/test_app.py::test_fine"));
    assert_non_null(strstr(html, "noise floor per round"));
    assert_true(strstr(html, "id=\"leaks\"") < strstr(html, "id=\"tests\""));
    free(html);
    plk_run_result_free(&r);
    plk_config_free(&cfg);
}

/* A leak of what is not memory (a temporary file, a child process, an
 * environment change, a pending task) has its whole text diagnosis in the
 * page, where the lists are worded; a leak with none of those lists does
 * not repeat the text. */
static void
test_html__resource_lists_shown_as_text(void **state)
{
    static const char *const lists[] = {"tmpfiles", "processes", "tasks",
                                        "loops", "environment"};
    size_t i;

    (void)state;
    for (i = 0; i <= NELEM(lists); i++) {
        plk_run_result r;
        plk_suite_result *s;
        plk_test_result *t;
        char *html = NULL;
        char json[256];

        memset(&r, 0, sizeof(r));
        s = plk_run_result_add_suite(&r);
        assert_non_null(s);
        s->name = xstrdup("tests.test_res");
        t = plk_suite_result_add_test(s);
        assert_non_null(t);
        t->id = xstrdup("tests/test_res.py::test_left");
        t->outcome = PLK_OUTCOME_LEAKED;
        t->message = xstrdup("leaves 1 tmpfile/call");
        if (i < NELEM(lists)) {
            snprintf(json, sizeof(json), "{\"%s\": [{\"what\": \"x\"}]}",
                     lists[i]);
        }
        else {
            snprintf(json, sizeof(json), "{\"tmpfiles\": []}");
        }
        t->diagnosis = xstrdup(json);
        t->details = xstrdup("fit\ndiagnosis (0.1s): tmpfile\n  left <x>\n");
        assert_int_equal(plk_html_render(&html, &r, NULL), 0);
        if (i < NELEM(lists)) {
            assert_non_null(strstr(html, "the whole diagnosis as text"));
            assert_non_null(strstr(html, "diagnosis (0.1s): tmpfile\n"
                                         "  left &lt;x&gt;"));
        }
        else {
            assert_null(strstr(html, "the whole diagnosis as text"));
        }
        free(html);
        plk_run_result_free(&r);
    }
}

/* Thousands of passing tests cost a table row each, inside the folded
 * list: no chart, no section of their own. */
static void
test_html__large_suite_stays_small(void **state)
{
    enum { N = 5000 };
    plk_run_result r;
    plk_suite_result *s;
    char *html = NULL;
    const char *folded, *end;
    size_t i;

    (void)state;
    memset(&r, 0, sizeof(r));
    s = plk_run_result_add_suite(&r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_many");
    for (i = 0; i < N; i++) {
        plk_test_result *t = plk_suite_result_add_test(s);
        char id[64];

        assert_non_null(t);
        snprintf(id, sizeof(id), "tests/test_many.py::test_%05zu", i);
        t->id = xstrdup(id);
        t->outcome = PLK_OUTCOME_PASSED;
        t->rounds = 3;
        t->calls = 10;
    }
    assert_int_equal(plk_html_render(&html, &r, NULL), 0);
    assert_true(strlen(html) < (size_t)N * 300);
    assert_null(strstr(html, "<article"));
    assert_null(strstr(html, "<svg"));
    folded = strstr(html, "<details class=\"all\">");
    end = strstr(html, "</details>");
    assert_non_null(folded);
    assert_true(strstr(html, "test_00000") > folded);
    assert_true(strstr(html, "test_04999") < end);
    assert_int_equal(count(html, "<tr data-id="), N);
    free(html);
    plk_run_result_free(&r);
}

static void
test_html__write_atomic(void **state)
{
    char dir[] = "/tmp/plk_html_XXXXXX";
    char path[256], bad[256], tmpname[300];
    plk_run_result r;
    plk_error err = {0};
    char *text;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/r.html", dir);
    snprintf(bad, sizeof(bad), "%s/missing/r.html", dir);
    build_result(&r);
    assert_int_equal(plk_html_check_path(path, &err), 0);
    assert_int_not_equal(plk_html_check_path(bad, &err), 0);
    assert_non_null(strstr(err.message, "HTML report"));
    plk_error_clear(&err);
    assert_int_equal(plk_html_write(&r, NULL, path, &err), 0);
    text = read_file(path);
    assert_int_equal(strncmp(text, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(text, "not recorded")); /* no settings given */
    free(text);
    snprintf(tmpname, sizeof(tmpname), "%s/r.html.tmp", dir);
    assert_int_not_equal(access(tmpname, F_OK), 0);
    assert_int_not_equal(plk_html_write(&r, NULL, bad, &err), 0);
    plk_error_clear(&err);
    plk_run_result_free(&r);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html__escape),
        cmocka_unit_test(test_html__anchor),
        cmocka_unit_test(test_html__chart_leak),
        cmocka_unit_test(test_html__chart_edges),
        cmocka_unit_test(test_html__render),
        cmocka_unit_test(test_html__resource_lists_shown_as_text),
        cmocka_unit_test(test_html__large_suite_stays_small),
        cmocka_unit_test(test_html__write_atomic),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
