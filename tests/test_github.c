/* Unit tests for GitHub Actions output: workflow-command escaping against
 * hostile names and messages, annotation lines, sparklines and the job
 * summary. */
#define _XOPEN_SOURCE 700

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "report/github.h"
#include "report/html.h"
#include "base/result.h"
#include "base/sanitize.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
test_github__escape(void **state)
{
    static const struct {
        const char *name;
        const char *in;
        const char *data; /* as the message */
        const char *prop; /* as a property value */
        /* clang-format off */
    } rows[] = {
        {"plain", "abc", "abc", "abc"},
        {"percent", "100%", "100%25", "100%25"},
        {"percent_code", "%0A%25", "%250A%2525", "%250A%2525"},
        {"newlines", "a\nb\r\nc", "a%0Ab%0D%0Ac", "a b c"},
        {"colon_comma", "a::b,c=d", "a::b,c=d", "a%3A%3Ab%2Cc=d"},
        {"command_injection", "x\n::error file=evil.py::owned",
         "x%0A::error file=evil.py::owned",
         "x %3A%3Aerror file=evil.py%3A%3Aowned"},
        {"ansi", "\x1b[31mred\x1b[0m", "red", "red"},
        {"controls", "a\x01" "b\x7f", "a\\x01b\x7f", "a\\x01b\x7f"},
        {"bad_utf8", "a\xff", "a\xEF\xBF\xBD", "a\xEF\xBF\xBD"},
        {"tab", "a\tb", "a\tb", "a b"},
        {"empty", "", "", ""},
    };
    /* clang-format on */
    size_t i;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        plk_buf d = {0};
        plk_buf p = {0};

        assert_int_equal(plk_github_escape(&d, rows[i].in, 0), 0);
        assert_int_equal(plk_github_escape(&p, rows[i].in, 1), 0);
        if (strcmp(d.data ? d.data : "", rows[i].data) != 0 ||
            strcmp(p.data ? p.data : "", rows[i].prop) != 0) {
            print_error("row %s: data \"%s\" prop \"%s\"\n", rows[i].name,
                        d.data ? d.data : "", p.data ? p.data : "");
            plk_buf_free(&d);
            plk_buf_free(&p);
            fail();
        }
        plk_buf_free(&d);
        plk_buf_free(&p);
    }
}

static void
test_github__repo_path(void **state)
{
    static const struct {
        const char *ws, *cwd, *file, *want;
    } rows[] = {
        {"/w", "/w", "tests/t.py", "tests/t.py"},
        {"/w", "/w", "./tests/t.py", "tests/t.py"},
        {"/w/", "/w", "t.py", "t.py"},
        {"/w", "/w/sub/dir", "t.py", "sub/dir/t.py"},
        {"/w", "/w/sub/dir", "../t.py", "sub/t.py"},
        {"/w", "/w/sub", "../../t.py", NULL},
        {"/w", "/w", "../t.py", NULL},
        {"/w", "/other", "t.py", NULL},
        {"/w", "/wx", "t.py", NULL},
        {"/w", "/w", "/w/a/t.py", "a/t.py"},
        {"/w", "/w", "/wx/t.py", NULL},
        {"/w", "/w", "/usr/lib/python3.11/x.py", NULL},
        {"/", "/w", "t.py", "w/t.py"},
        {NULL, "/w", "t.py", "t.py"},
        {NULL, "/w", "/abs/t.py", NULL},
        {"/w", "/w", NULL, NULL},
        {"/w", "/w", "", NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        char *got =
            plk_github_repo_path(rows[i].ws, rows[i].cwd, rows[i].file);
        int same = (got == NULL && rows[i].want == NULL) ||
                   (got != NULL && rows[i].want != NULL &&
                    strcmp(got, rows[i].want) == 0);

        if (!same) {
            print_error("row %zu: got %s want %s\n", i, got ? got : "(null)",
                        rows[i].want ? rows[i].want : "(null)");
            free(got);
            fail();
        }
        free(got);
    }
}

static void
test_github__sparkline(void **state)
{
    static const int64_t steady[] = {0, 3, 6, 9, 12};
    static const int64_t flat[] = {5, 5, 5};
    static const int64_t mixed[] = {0, 8, 8, 16, 12};
    static const int64_t long_series[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    char *s;

    (void)state;
    s = plk_github_sparkline(steady, NELEM(steady), 0);
    assert_string_equal(s, "\xE2\x96\x88\xE2\x96\x88\xE2\x96\x88"
                           "\xE2\x96\x88");
    free(s);
    s = plk_github_sparkline(flat, NELEM(flat), 0);
    assert_string_equal(s, "\xE2\x96\x81\xE2\x96\x81");
    free(s);
    /* deltas 8 0 8 -4 over [-4, 8]: top, the zero's height, top, bottom */
    s = plk_github_sparkline(mixed, NELEM(mixed), 0);
    assert_string_equal(s, "\xE2\x96\x88\xE2\x96\x83\xE2\x96\x88"
                           "\xE2\x96\x81");
    free(s);
    /* Only the latest rounds when there are too many. */
    s = plk_github_sparkline(long_series, NELEM(long_series), 4);
    assert_int_equal(strlen(s), 4 * 3);
    free(s);
    s = plk_github_sparkline(steady, 1, 0);
    assert_string_equal(s, "");
    free(s);
    s = plk_github_sparkline(NULL, 0, 0);
    assert_string_equal(s, "");
    free(s);
}

/* Hostile names, messages and sites: every one must come out as one
 * well-formed annotation. */
static const char *const hostile[] = {
    "tests/test_a.py::test_comma,colon:and=equals",
    "tests/test_b.py::test_newline\n::error file=x::injected",
    "tests/test_c.py::test_percent%0A%25",
    "tests/test_d.py::test_\x1b[31mansi\x1b[0m",
    "tests/test_e.py::test_ctrl\x01\x02\r",
    "tests/test_f.py::test_utf8_\xE6\xBC\xA2_bad\xff",
};

static void
build_result(plk_run_result *r, size_t leaks)
{
    static const int64_t series[] = {0, 4, 8, 12, 16};
    plk_suite_result *s;
    size_t i;

    memset(r, 0, sizeof(*r));
    s = plk_run_result_add_suite(r);
    assert_non_null(s);
    s->name = xstrdup("tests");
    for (i = 0; i < leaks; i++) {
        plk_test_result *t = plk_suite_result_add_test(s);
        plk_metric_result *m;

        assert_non_null(t);
        t->id = xstrdup(hostile[i % NELEM(hostile)]);
        t->name = xstrdup("t");
        t->file = xstrdup("tests/a,b:c.py");
        t->line = (long)i + 1;
        t->outcome = PLK_OUTCOME_LEAKED;
        t->message = xstrdup("leaks 4 blocks/call\n50% more | *bold*");
        t->top_site = xstrdup("app/x.py:3: CACHE[k] = v  # a|b <b>`x`");
        if (i % 2 == 0) {
            t->loc_file = xstrdup("app/x.py");
            t->loc_line = 3;
        }
        t->calls = 1;
        m = &t->metrics[PLK_METRIC_BLOCKS];
        m->measured = 1;
        m->gating = 1;
        m->per_call = 4;
        m->fit.verdict = PLK_VERDICT_LEAK;
        m->series = malloc(sizeof(series));
        assert_non_null(m->series);
        memcpy(m->series, series, sizeof(series));
        m->n = NELEM(series);
    }
    {
        plk_test_result *t = plk_suite_result_add_test(s);

        assert_non_null(t);
        t->id = xstrdup("tests/test_z.py::test_fails");
        t->file = xstrdup("tests/test_z.py");
        t->line = 9;
        t->outcome = PLK_OUTCOME_FAILED;
        t->exc_type = xstrdup("AssertionError");
        t->message = xstrdup("AssertionError: 1 != 2");
    }
}

/* Undo the workflow-command escaping of one property value or message. */
static char *
unescape(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t i = 0, o = 0;

    assert_non_null(out);
    while (i < n) {
        if (s[i] == '%' && i + 2 < n + 1) {
            if (strncmp(s + i, "%25", 3) == 0) {
                out[o++] = '%';
            }
            else if (strncmp(s + i, "%0A", 3) == 0) {
                out[o++] = '\n';
            }
            else if (strncmp(s + i, "%0D", 3) == 0) {
                out[o++] = '\r';
            }
            else if (strncmp(s + i, "%3A", 3) == 0) {
                out[o++] = ':';
            }
            else if (strncmp(s + i, "%2C", 3) == 0) {
                out[o++] = ',';
            }
            else {
                fail_msg("stray %% in \"%.*s\"", (int)n, s);
            }
            i += 3;
        }
        else {
            out[o++] = s[i++];
        }
    }
    out[o] = '\0';
    return out;
}

/* Parse one "::error k=v,k=v::message" line the way the runner does and
 * check it says what the test record says. */
static void
check_line(const char *line, const plk_test_result *t)
{
    const char *props = line + strlen("::error ");
    const char *sep = strstr(props, "::");
    const char *p;
    char *title_want;
    char *msg;
    int saw_title = 0, saw_file = 0;

    assert_memory_equal(line, "::error ", 8);
    assert_non_null(sep);
    /* Nothing a runner would act on inside the line. */
    assert_null(strchr(line, '\r'));
    assert_null(strchr(line, '\x1b'));
    assert_null(strchr(line, '\x01'));
    assert_null(strstr(sep + 2, "::error"));
    title_want = plk_sanitize_str(t->id, 1);
    assert_non_null(title_want);
    for (p = props; p < sep;) {
        const char *comma = memchr(p, ',', (size_t)(sep - p));
        const char *end = comma ? comma : sep;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char *value;

        assert_non_null(eq);
        value = unescape(eq + 1, (size_t)(end - eq - 1));
        if (strncmp(p, "title=", 6) == 0) {
            saw_title = 1;
            assert_non_null(strstr(value, title_want));
            assert_null(strchr(value, '\n'));
        }
        else if (strncmp(p, "file=", 5) == 0) {
            saw_file = 1;
            assert_string_equal(value, t->loc_file ? t->loc_file : t->file);
        }
        else if (strncmp(p, "line=", 5) == 0) {
            assert_int_equal(atol(value), t->loc_file ? t->loc_line : t->line);
        }
        else {
            fail_msg("unknown property in %s", line);
        }
        free(value);
        p = comma ? comma + 1 : sep;
    }
    assert_true(saw_title);
    assert_true(saw_file);
    msg = unescape(sep + 2, strlen(sep + 2));
    if (t->outcome == PLK_OUTCOME_LEAKED) {
        assert_non_null(strstr(msg, "leaks 4 blocks/call\n50% more"));
        assert_non_null(strstr(msg, "top allocation site: app/x.py:3:"));
    }
    else {
        assert_string_equal(msg, "AssertionError: 1 != 2");
    }
    free(msg);
    free(title_want);
}

static void
test_github__annotations(void **state)
{
    plk_run_result r;
    char *text = NULL;
    size_t size = 0;
    FILE *out;
    size_t omitted, lines = 0;
    char *line, *next;
    char cwd[PATH_MAX];
    size_t k;

    (void)state;
    /* Paths are relative to the working directory, which is the
     * workspace here. */
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    setenv("GITHUB_WORKSPACE", cwd, 1);
    for (k = 1; k <= NELEM(hostile) + 1; k++) {
        build_result(&r, k - 1);
        out = open_memstream(&text, &size);
        assert_non_null(out);
        omitted = plk_github_annotate(out, &r, 10);
        fclose(out);
        assert_int_equal(omitted, 0);
        lines = 0;
        for (line = text; *line != '\0'; line = next + 1) {
            next = strchr(line, '\n');
            assert_non_null(next);
            *next = '\0';
            check_line(line, &r.suites[0].tests[lines]);
            lines++;
        }
        /* The leaks, then the failing test. */
        assert_int_equal(lines, k);
        free(text);
        text = NULL;
        plk_run_result_free(&r);
    }
    unsetenv("GITHUB_WORKSPACE");
}

static void
test_github__annotation_limit(void **state)
{
    plk_run_result r;
    char *text = NULL;
    size_t size = 0;
    FILE *out;
    size_t omitted, lines = 0;
    const char *p;

    (void)state;
    build_result(&r, 13);
    out = open_memstream(&text, &size);
    assert_non_null(out);
    omitted = plk_github_annotate(out, &r, PLK_GITHUB_MAX_ANNOTATIONS);
    fclose(out);
    for (p = text; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, 10);
    /* Three leaks and the failing test did not fit; leaks came first. */
    assert_int_equal(omitted, 4);
    assert_null(strstr(text, "test_fails"));
    free(text);
    plk_run_result_free(&r);
}

/* Each leak links to its section of the HTML report: to the run's
 * artifacts (the section named) or, with a URL where the report is
 * served, straight to the section. */
static void
test_github__summary_links_html_report(void **state)
{
    plk_run_result r;
    char *md = NULL;
    char anchor[PLK_HTML_ANCHOR_SIZE];
    char want[256];
    plk_github_html html = {"pyleak|report.html", NULL,
                            "https://github.com/o/r/actions/runs/7"
                            "#artifacts"};
    size_t rows = 0;
    const char *p;

    (void)state;
    build_result(&r, 2);
    assert_int_equal(plk_github_summary(&md, &r, 0, 100000, &html), 0);
    assert_non_null(strstr(md, "| Top allocation site | HTML report |\n"
                               "|---|---|---|---|---|\n"));
    plk_html_anchor(anchor, "leak", r.suites[0].tests[0].id);
    snprintf(want, sizeof(want),
             "| [`#%s`](https://github.com/o/r/"
             "actions/runs/7#artifacts) |\n",
             anchor);
    assert_non_null(strstr(md, want));
    for (p = md; (p = strstr(p, "](https://github.com/o/r/")) != NULL; p++) {
        rows++;
    }
    assert_int_equal(rows, 2); /* one per leak, none for the failure */
    /* The file name is a cell: its "|" cannot end the table. */
    assert_non_null(strstr(md, "growth: pyleak\\|report.html, in this "
                               "run's artifacts"));
    free(md);

    /* Served somewhere: straight to the section; a section already in
     * the URL gives way; characters that would break the link are
     * encoded. */
    html.base_url = "https://ci.example/r (1)/report.html#top";
    assert_int_equal(plk_github_summary(&md, &r, 0, 100000, &html), 0);
    snprintf(want, sizeof(want),
             "[details](https://ci.example/r%%20%%281"
             "%%29/report.html#%s) |\n",
             anchor);
    assert_non_null(strstr(md, want));
    free(md);

    /* No place to link to (or not a web address): no column at all. */
    html.base_url = "javascript:alert(1)";
    html.run_url = NULL;
    assert_int_equal(plk_github_summary(&md, &r, 0, 100000, &html), 0);
    assert_null(strstr(md, "HTML report"));
    assert_null(strstr(md, "javascript"));
    assert_non_null(strstr(md, "| Top allocation site |\n|---|---|---|---|"
                               "\n"));
    free(md);
    plk_run_result_free(&r);
}

static void
test_github__summary(void **state)
{
    plk_run_result r;
    char *md = NULL;
    const char *row;

    (void)state;
    build_result(&r, 2);
    r.time = 1.5;
    assert_int_equal(plk_github_summary(&md, &r, 3, 100000, NULL), 0);
    assert_non_null(strstr(md, "## pyleak-ci: leaks found\n"));
    assert_non_null(strstr(md, "2 leaked, 1 failed, 0 errors, 0 passed"));
    assert_non_null(strstr(md, "| Test | Leak per call | Growth over "
                               "rounds | Top allocation site |\n"));
    /* Markdown and HTML in the data are escaped: a cell cannot be ended
     * early or markup injected. */
    row = strstr(md, "| tests/test\\_a.py::test\\_comma,colon:and=equals |");
    assert_non_null(row);
    assert_non_null(strstr(row, "| 4.00 blocks/call (blocks) |"));
    assert_non_null(strstr(row, "\xE2\x96\x88\xE2\x96\x88\xE2\x96\x88"
                                "\xE2\x96\x88 blocks |"));
    assert_non_null(strstr(row, "app/x.py:3: CACHE\\[k\\] = v  \\# "
                                "a\\|b &lt;b&gt;\\`x\\` |"));
    assert_null(strstr(md, "<b>"));
    assert_null(strchr(md, '\x1b'));
    /* The second test's newline is gone from its cell. */
    assert_non_null(strstr(md, "test\\_newline ::error file=x::injected |"));
    assert_non_null(strstr(md, "### Failing tests\n\n- "
                               "tests/test\\_z.py::test\\_fails failed: "
                               "AssertionError: 1 != 2\n"));
    assert_non_null(strstr(md, "3 of 3 problems are not annotated"));
    free(md);
    plk_run_result_free(&r);

    memset(&r, 0, sizeof(r));
    assert_int_equal(plk_github_summary(&md, &r, 0, 100000, NULL), 0);
    assert_non_null(strstr(md, "## pyleak-ci: no tests"));
    free(md);
}

static void
test_github__summary_stays_small(void **state)
{
    plk_run_result r;
    char *md = NULL;
    size_t i;

    (void)state;
    build_result(&r, 5000);
    /* Long names: each row near the cell limit. */
    for (i = 0; i < r.suites[0].ntests; i++) {
        plk_test_result *t = &r.suites[0].tests[i];
        char *big = malloc(5000);

        assert_non_null(big);
        memset(big, 'n', 4999);
        big[4999] = '\0';
        free(t->id);
        t->id = big;
    }
    assert_int_equal(
        plk_github_summary(&md, &r, 0, PLK_GITHUB_SUMMARY_LIMIT, NULL), 0);
    assert_true(strlen(md) < PLK_GITHUB_SUMMARY_LIMIT);
    assert_true(strlen(md) > PLK_GITHUB_SUMMARY_LIMIT / 2);
    assert_non_null(strstr(md, "more problems are not listed here"));
    free(md);
    plk_run_result_free(&r);
}

static void
test_github__summary_append(void **state)
{
    plk_run_result r;
    plk_error err = {0};
    char path[] = "/tmp/plk_summary_XXXXXX";
    char buf[256];
    FILE *f;
    int fd;
    size_t n;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "earlier step\n", 13), 13);
    close(fd);
    build_result(&r, 1);
    assert_int_equal(plk_github_summary_append(path, &r, 0, NULL, &err), 0);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    /* Appended after what the job wrote before. */
    assert_memory_equal(buf, "earlier step\n## pyleak-ci", 25);
    unlink(path);
    assert_int_equal(
        plk_github_summary_append("/nonexistent/dir/s.md", &r, 0, NULL, &err),
        PLK_EIO);
    assert_non_null(strstr(err.message, "/nonexistent/dir/s.md"));
    plk_error_clear(&err);
    plk_run_result_free(&r);
}

static void
test_github__import_error(void **state)
{
    plk_run_result r = {0};
    plk_suite_result *s;
    char *text = NULL;
    char *md = NULL;
    size_t size = 0;
    FILE *out;

    (void)state;
    unsetenv("GITHUB_WORKSPACE");
    s = plk_run_result_add_suite(&r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_broken");
    s->file = xstrdup("tests/test_broken.py");
    s->error_type = xstrdup("SyntaxError");
    s->error_message = xstrdup("cannot import tests/test_broken.py: "
                               "SyntaxError: invalid syntax");
    out = open_memstream(&text, &size);
    assert_non_null(out);
    assert_int_equal(plk_github_annotate(out, &r, 10), 0);
    fclose(out);
    assert_string_equal(text,
                        "::error file=tests/test_broken.py,title=pyleak-ci%3A "
                        "tests/test_broken.py error::cannot import "
                        "tests/test_broken.py: SyntaxError: invalid syntax\n");
    free(text);
    assert_int_equal(plk_github_summary(&md, &r, 0, 100000, NULL), 0);
    assert_non_null(strstr(md, "## pyleak-ci: failing tests"));
    assert_non_null(strstr(md, "- tests/test\\_broken.py error: cannot "
                               "import"));
    free(md);
    plk_run_result_free(&r);
}

static void
test_github__active(void **state)
{
    (void)state;
    unsetenv("GITHUB_ACTIONS");
    assert_false(plk_github_active());
    setenv("GITHUB_ACTIONS", "false", 1);
    assert_false(plk_github_active());
    setenv("GITHUB_ACTIONS", "true", 1);
    assert_true(plk_github_active());
    unsetenv("GITHUB_ACTIONS");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_github__escape),
        cmocka_unit_test(test_github__repo_path),
        cmocka_unit_test(test_github__sparkline),
        cmocka_unit_test(test_github__annotations),
        cmocka_unit_test(test_github__annotation_limit),
        cmocka_unit_test(test_github__summary),
        cmocka_unit_test(test_github__summary_links_html_report),
        cmocka_unit_test(test_github__summary_stays_small),
        cmocka_unit_test(test_github__summary_append),
        cmocka_unit_test(test_github__import_error),
        cmocka_unit_test(test_github__active),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
