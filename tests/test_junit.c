/* Unit tests for the JUnit writer: write a report, parse it back, check. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "report/junit.h"
#include "base/result.h"

#define FFFD "\xEF\xBF\xBD"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Written once by the group setup and read by most tests. */
typedef struct fixture {
    char dir[256];
    char path[320];
    plk_run_result r;
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
    char *raw; /* the file's bytes */
    /* The same result in the strict form. */
    char strict_path[320];
    xmlDocPtr sdoc;
    xmlXPathContextPtr sxp;
    char *sraw;
} fixture;

static void
set_series(plk_metric_result *m, const int64_t *v, size_t n)
{
    m->measured = 1;
    m->series = malloc(n * sizeof(*v));
    assert_non_null(m->series);
    memcpy(m->series, v, n * sizeof(*v));
    m->n = n;
    m->fit.n = n;
}

static plk_test_result *
add_test(plk_suite_result *s, plk_outcome outcome, const char *name, long line)
{
    plk_test_result *t = plk_suite_result_add_test(s);

    assert_non_null(t);
    t->classname = xstrdup(s->name);
    t->name = xstrdup(name);
    t->file = xstrdup(s->file);
    t->line = line;
    t->outcome = outcome;
    return t;
}

/* One suite with a test of every outcome and hostile text, and one suite
 * whose file did not import. */
static void
build_result(plk_run_result *r)
{
    static const int64_t blocks_ok[] = {100, 103, 103, 110, 109, 120};
    static const int64_t fds_ok[] = {5, 5, 5};
    static const int64_t blocks_leak[] = {0, 1000, 2000, 3000, 4000, 5000};
    plk_suite_result *s;
    plk_test_result *t;

    memset(r, 0, sizeof(*r));
    r->time = 3.14159;
    r->timestamp = xstrdup("2024-05-01T12:00:00");

    s = plk_run_result_add_suite(r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_app");
    s->file = xstrdup("tests/test_app.py");
    s->time = 1.5;
    s->timestamp = xstrdup("2024-05-01T12:00:01");

    t = add_test(s, PLK_OUTCOME_PASSED, "test_ok", 10);
    t->time = 0.25;
    t->warmup = 2;
    t->rounds = 5;
    t->calls = 10;
    set_series(&t->metrics[PLK_METRIC_BLOCKS], blocks_ok, NELEM(blocks_ok));
    t->metrics[PLK_METRIC_BLOCKS].gating = 1;
    t->metrics[PLK_METRIC_BLOCKS].per_call = 0.123456789;
    t->metrics[PLK_METRIC_BLOCKS].fit.slope = 2.5;
    t->metrics[PLK_METRIC_BLOCKS].fit.mk_p = 0.0123456;
    t->metrics[PLK_METRIC_BLOCKS].fit.verdict = PLK_VERDICT_CLEAN;
    set_series(&t->metrics[PLK_METRIC_FDS], fds_ok, NELEM(fds_ok));
    t->metrics[PLK_METRIC_FDS].fit.mk_p = 1.0;
    t->metrics[PLK_METRIC_FDS].fit.verdict = PLK_VERDICT_CLEAN;

    t = add_test(s, PLK_OUTCOME_LEAKED, "test_leak", 20);
    t->time = 1.0;
    t->warmup = 1;
    t->rounds = 5;
    t->calls = 1;
    set_series(&t->metrics[PLK_METRIC_BLOCKS], blocks_leak,
               NELEM(blocks_leak));
    t->metrics[PLK_METRIC_BLOCKS].per_call = 1000;
    t->metrics[PLK_METRIC_BLOCKS].fit.slope = 1000;
    t->metrics[PLK_METRIC_BLOCKS].fit.mk_p = 0.000123;
    t->metrics[PLK_METRIC_BLOCKS].fit.verdict = PLK_VERDICT_LEAK;
    t->message = xstrdup("\x1b[31mleaks 1000 blocks/call\x1b[0m\n"
                         "(top: app.py:3)");
    t->details = xstrdup("blocks: +1000/round\n  ]]> <&> \"q\"\x01");
    t->loc_file = xstrdup("app/cache.py");
    t->loc_line = 3;
    t->kind = xstrdup("python-held");
    t->top_site = xstrdup("app/cache.py:3: CACHE[key] = value");

    t = add_test(s, PLK_OUTCOME_FAILED, "test_\"quoted\" <&>", 30);
    t->message = xstrdup("assert \x1b[1m1 == 2\x1b[0m \x01 bad\xff\nsecond");
    t->details = xstrdup("Traceback:\n  \x1b[1mfile.py\x1b[0m line 3\n"
                         "]]>\x01\xc0\x80"
                         "end");
    t->stdout_text =
        xstrdup("printed \x1b[32mgreen\x1b[0m\r\nline2 ]]> <&>\n");
    t->stderr_text = xstrdup("app.py:1: DeprecationWarning: \x1b[33mold\x1b[0m"
                             " ]]>\x02\n");

    t = add_test(s, PLK_OUTCOME_ERROR, "test_fixture", 0);
    free(t->file);
    t->file = NULL;
    t->exc_type = xstrdup("RuntimeError");
    t->message = xstrdup("fixture exploded");
    t->details = xstrdup("Traceback: boom");

    t = add_test(s, PLK_OUTCOME_SKIPPED, "test_skip", 50);
    t->message = xstrdup("needs \xE6\xBC\xA2 \x1b]0;title\x07tool");

    /* No type, no message, no classname: the writer must still emit
     * well-formed attributes. */
    t = add_test(s, PLK_OUTCOME_ERROR, "test_bare", 60);
    free(t->classname);
    t->classname = NULL;

    s = plk_run_result_add_suite(r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_broken");
    s->file = xstrdup("tests/test_broken.py");
    s->error_type = xstrdup("ImportError");
    s->error_message = xstrdup("No module named 'nope'\x1b[0m\n");
    s->error_details = xstrdup("Traceback (most recent call last):\n"
                               "ImportError: No module named 'nope'\n");
}

/* Names in dir, other than . and .., joined by "|" in directory order. */
static size_t
list_dir(const char *dir, char *out, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t count = 0;

    assert_non_null(d);
    out[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (count > 0) {
            strncat(out, "|", size - strlen(out) - 1);
        }
        strncat(out, e->d_name, size - strlen(out) - 1);
        count++;
    }
    closedir(d);
    return count;
}

static int
has_temp_file(const char *dir)
{
    char names[1024];

    list_dir(dir, names, sizeof(names));
    return strstr(names, ".tmp.") != NULL;
}

static int
group_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    plk_error err = {0};

    if (f == NULL) {
        return -1;
    }
    snprintf(f->dir, sizeof(f->dir), "%s/plk_junit_XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/report.xml", f->dir);
    build_result(&f->r);
    if (plk_junit_write(&f->r, f->path, 0, &err) != 0) {
        fprintf(stderr, "plk_junit_write: %s\n", err.message);
        plk_error_clear(&err);
        *state = f;
        return -1;
    }
    f->raw = read_file(f->path);
    f->doc = xmlReadFile(f->path, NULL, XML_PARSE_NONET);
    if (f->doc != NULL) {
        f->xp = xmlXPathNewContext(f->doc);
    }
    snprintf(f->strict_path, sizeof(f->strict_path), "%s/strict.xml", f->dir);
    if (plk_junit_write(&f->r, f->strict_path, 1, &err) != 0) {
        fprintf(stderr, "plk_junit_write strict: %s\n", err.message);
        plk_error_clear(&err);
        *state = f;
        return -1;
    }
    f->sraw = read_file(f->strict_path);
    f->sdoc = xmlReadFile(f->strict_path, NULL, XML_PARSE_NONET);
    if (f->sdoc != NULL) {
        f->sxp = xmlXPathNewContext(f->sdoc);
    }
    *state = f;
    return f->xp != NULL && f->sxp != NULL ? 0 : -1;
}

/* Remove everything the tests made under the fixture directory; it holds
 * at most one level of subdirectories. */
static void
remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char sub[600];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
        if (unlink(sub) != 0) {
            chmod(sub, 0700);
            remove_tree(sub);
        }
    }
    closedir(d);
    rmdir(dir);
}

static int
group_teardown(void **state)
{
    fixture *f = *state;

    if (f == NULL) {
        return 0;
    }
    xmlXPathFreeContext(f->xp);
    xmlFreeDoc(f->doc);
    free(f->raw);
    xmlXPathFreeContext(f->sxp);
    xmlFreeDoc(f->sdoc);
    free(f->sraw);
    plk_run_result_free(&f->r);
    remove_tree(f->dir);
    free(f);
    xmlCleanupParser();
    return 0;
}

/* string(expr) evaluated on the report, compared with want. */
static void
check_xp(xmlXPathContextPtr xp, const char *expr, const char *want)
{
    char query[512];
    xmlXPathObjectPtr o;
    int same;

    snprintf(query, sizeof(query), "string(%s)", expr);
    o = xmlXPathEval(BAD_CAST query, xp);
    assert_non_null(o);
    assert_non_null(o->stringval);
    same = strcmp((const char *)o->stringval, want) == 0;
    if (!same) {
        print_error("%s: got \"%s\", want \"%s\"\n", expr,
                    (const char *)o->stringval, want);
    }
    xmlXPathFreeObject(o);
    if (!same) {
        fail();
    }
}

static double
xp_number(xmlXPathContextPtr xp, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEval(BAD_CAST expr, xp);
    double v;

    assert_non_null(o);
    v = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    return v;
}

static void
check_count(xmlXPathContextPtr xp, const char *expr, int want)
{
    char query[512];
    double got;

    snprintf(query, sizeof(query), "count(%s)", expr);
    got = xp_number(xp, query);
    if (got != want) {
        print_error("%s: got %g, want %d\n", query, got, want);
        fail();
    }
}

static void
test_junit__document_totals(void **state)
{
    fixture *f = *state;
    const char *decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    assert_memory_equal(f->raw, decl, strlen(decl));
    check_count(f->xp, "/testsuites", 1);
    check_xp(f->xp, "/testsuites/@name", "pyleak-ci");
    /* 6 tests plus the import error; failures are failed + leaked. */
    check_xp(f->xp, "/testsuites/@tests", "7");
    check_xp(f->xp, "/testsuites/@failures", "2");
    check_xp(f->xp, "/testsuites/@errors", "3");
    check_xp(f->xp, "/testsuites/@skipped", "1");
    check_xp(f->xp, "/testsuites/@time", "3.142");
    check_xp(f->xp, "/testsuites/@timestamp", "2024-05-01T12:00:00");
    check_count(f->xp, "/testsuites/testsuite", 2);
    check_count(f->xp, "//testcase", 7);
}

static void
test_junit__suite_attributes(void **state)
{
    fixture *f = *state;
    char host[256];
    xmlXPathContextPtr xp = f->xp;

    check_xp(xp, "/testsuites/testsuite[1]/@name", "tests.test_app");
    check_xp(xp, "/testsuites/testsuite[1]/@tests", "6");
    check_xp(xp, "/testsuites/testsuite[1]/@failures", "2");
    check_xp(xp, "/testsuites/testsuite[1]/@errors", "2");
    check_xp(xp, "/testsuites/testsuite[1]/@skipped", "1");
    check_xp(xp, "/testsuites/testsuite[1]/@time", "1.500");
    check_xp(xp, "/testsuites/testsuite[1]/@timestamp", "2024-05-01T12:00:01");
    check_xp(xp, "/testsuites/testsuite[1]/@file", "tests/test_app.py");
    check_count(xp, "/testsuites/testsuite[1]/testcase", 6);
    assert_int_equal(gethostname(host, sizeof(host)), 0);
    host[sizeof(host) - 1] = '\0';
    check_xp(xp, "/testsuites/testsuite[1]/@hostname", host);

    check_xp(xp, "/testsuites/testsuite[2]/@tests", "1");
    check_xp(xp, "/testsuites/testsuite[2]/@failures", "0");
    check_xp(xp, "/testsuites/testsuite[2]/@errors", "1");
    /* A NULL timestamp leaves the attribute out. */
    check_count(xp, "/testsuites/testsuite[2]/@timestamp", 0);
}

static void
test_junit__testcase_attributes(void **state)
{
    fixture *f = *state;
    xmlXPathContextPtr xp = f->xp;
    const char *ok = "//testcase[@name='test_ok']";
    char expr[256];

    snprintf(expr, sizeof(expr), "%s/@classname", ok);
    check_xp(xp, expr, "tests.test_app");
    snprintf(expr, sizeof(expr), "%s/@time", ok);
    check_xp(xp, expr, "0.250");
    snprintf(expr, sizeof(expr), "%s/@file", ok);
    check_xp(xp, expr, "tests/test_app.py");
    snprintf(expr, sizeof(expr), "%s/@line", ok);
    check_xp(xp, expr, "10");
    snprintf(expr, sizeof(expr), "%s/*[not(self::properties)]", ok);
    check_count(xp, expr, 0);

    /* Line 0 and a NULL file leave their attributes out. */
    check_count(xp, "//testcase[@name='test_fixture']/@line", 0);
    check_count(xp, "//testcase[@name='test_fixture']/@file", 0);
    /* Quotes and <&> in a name survive the round trip. */
    check_xp(xp, "/testsuites/testsuite[1]/testcase[3]/@name",
             "test_\"quoted\" <&>");
    /* NULL strings become empty attributes, never missing ones. */
    check_count(xp, "//testcase[@name='test_bare']/@classname", 1);
    check_xp(xp, "//testcase[@name='test_bare']/@classname", "");
    check_count(xp, "//testcase[@name='test_bare']/error/@message", 1);
    check_xp(xp, "//testcase[@name='test_bare']/error/@message", "");
}

static void
test_junit__outcomes(void **state)
{
    fixture *f = *state;
    xmlXPathContextPtr xp = f->xp;

    check_count(xp, "//testcase/failure", 2);
    check_count(xp, "//testcase/error", 3);
    check_count(xp, "//testcase/skipped", 1);
    check_xp(xp, "//testcase[@name='test_leak']/failure/@type", "pyleak.Leak");
    check_xp(xp, "//testcase[@line='30']/failure/@type", "AssertionError");
    check_xp(xp, "//testcase[@name='test_fixture']/error/@type",
             "RuntimeError");
    check_xp(xp, "//testcase[@name='test_fixture']/error", "Traceback: boom");
    check_xp(xp, "//testcase[@name='test_bare']/error/@type", "pyleak.Error");
    check_xp(xp, "//testcase[@name='test_skip']/skipped/@message",
             "needs \xE6\xBC\xA2 tool");
    /* Only the measured tests carry properties. */
    check_count(xp, "//testcase[properties]", 2);
    check_count(xp, "//testcase[@line='30']/properties", 0);
}

static void
test_junit__text_sanitised(void **state)
{
    fixture *f = *state;
    xmlXPathContextPtr xp = f->xp;

    check_xp(xp, "//testcase[@name='test_leak']/failure/@message",
             "leaks 1000 blocks/call (top: app.py:3)");
    check_xp(xp, "//testcase[@name='test_leak']/failure",
             "blocks: +1000/round\n  ]]> <&> \"q\"\\x01");
    check_xp(xp, "//testcase[@line='30']/failure/@message",
             "assert 1 == 2 \\x01 bad" FFFD " second");
    check_xp(xp, "//testcase[@line='30']/failure",
             "Traceback:\n  file.py line 3\n]]>\\x01" FFFD FFFD "end");
    /* The CR survives because the writer escapes it as &#13;. */
    check_xp(xp, "//testcase[@line='30']/system-out",
             "printed green\r\nline2 ]]> <&>\n");
    check_count(xp, "//testcase[@name='test_leak']/system-out", 0);
    /* No raw control bytes, and "]]>" only ever escaped. */
    assert_null(strchr(f->raw, 0x1b));
    assert_null(strchr(f->raw, 0x01));
    assert_null(strstr(f->raw, "]]>"));
}

static void
test_junit__properties(void **state)
{
    fixture *f = *state;
    xmlXPathContextPtr xp = f->xp;
    static const struct {
        const char *name;
        const char *value;
    } want[] = {
        {"pyleak.warmup", "2"},
        {"pyleak.rounds", "5"},
        {"pyleak.calls", "10"},
        {"pyleak.blocks.per_call", "0.123457"},
        {"pyleak.blocks.slope", "2.5"},
        {"pyleak.blocks.deltas", "3 0 7 -1 11"},
        {"pyleak.blocks.p", "0.0123"},
        {"pyleak.fds.per_call", "0"},
        {"pyleak.fds.deltas", "0 0"},
        {"pyleak.fds.p", "1"},
    };
    size_t i;

    for (i = 0; i < NELEM(want); i++) {
        char expr[256];

        snprintf(expr, sizeof(expr),
                 "//testcase[@name='test_ok']/properties/"
                 "property[@name='%s']/@value",
                 want[i].name);
        check_xp(xp, expr, want[i].value);
    }
    check_xp(xp,
             "//testcase[@name='test_ok']/properties/"
             "property[@name='pyleak.blocks.verdict']/@value",
             plk_verdict_name(PLK_VERDICT_CLEAN));
    /* Three run counts and five per measured metric. */
    check_count(xp, "//testcase[@name='test_ok']/properties/property", 13);
    check_count(xp, "//property[starts-with(@name, 'pyleak.refs.')]", 0);
    check_xp(xp,
             "//testcase[@name='test_leak']/properties/"
             "property[@name='pyleak.blocks.verdict']/@value",
             plk_verdict_name(PLK_VERDICT_LEAK));
    check_xp(xp,
             "//testcase[@name='test_leak']/properties/"
             "property[@name='pyleak.blocks.deltas']/@value",
             "1000 1000 1000 1000 1000");
}

static void
test_junit__import_error(void **state)
{
    fixture *f = *state;
    xmlXPathContextPtr xp = f->xp;
    const char *tc = "/testsuites/testsuite[2]/testcase";
    char expr[256];

    check_count(xp, tc, 1);
    snprintf(expr, sizeof(expr), "%s/@name", tc);
    check_xp(xp, expr, "<module>");
    snprintf(expr, sizeof(expr), "%s/@classname", tc);
    check_xp(xp, expr, "tests.test_broken");
    snprintf(expr, sizeof(expr), "%s/@time", tc);
    check_xp(xp, expr, "0.000");
    snprintf(expr, sizeof(expr), "%s/@file", tc);
    check_xp(xp, expr, "tests/test_broken.py");
    snprintf(expr, sizeof(expr), "%s/error/@type", tc);
    check_xp(xp, expr, "ImportError");
    snprintf(expr, sizeof(expr), "%s/error/@message", tc);
    check_xp(xp, expr, "No module named 'nope'");
    snprintf(expr, sizeof(expr), "%s/error", tc);
    check_xp(xp, expr,
             "Traceback (most recent call last):\n"
             "ImportError: No module named 'nope'\n");
}

static void
test_junit__no_temp_file_left(void **state)
{
    fixture *f = *state;

    assert_false(has_temp_file(f->dir));
}

static void
test_junit__replaces_existing_file(void **state)
{
    fixture *f = *state;
    plk_run_result empty = {0};
    plk_error err = {0};
    char path[400];
    char *raw;
    FILE *old;

    snprintf(path, sizeof(path), "%s/replace.xml", f->dir);
    old = fopen(path, "w");
    assert_non_null(old);
    fputs("not xml at all", old);
    fclose(old);
    assert_int_equal(plk_junit_write(&empty, path, 0, &err), 0);
    raw = read_file(path);
    assert_non_null(strstr(raw, "<testsuites name=\"pyleak-ci\" tests=\"0\""));
    assert_null(strstr(raw, "not xml"));
    free(raw);
    assert_false(has_temp_file(f->dir));
    unlink(path);
    plk_error_clear(&err);
}

static void
test_junit__missing_directory_fails(void **state)
{
    fixture *f = *state;
    plk_error err = {0};
    char path[512];
    char missing[400];
    char before[1024];
    char after[1024];
    struct stat st;

    snprintf(missing, sizeof(missing), "%s/missing", f->dir);
    snprintf(path, sizeof(path), "%s/report.xml", missing);
    list_dir(f->dir, before, sizeof(before));
    assert_int_equal(plk_junit_write(&f->r, path, 0, &err), PLK_EIO);
    assert_int_equal(err.code, PLK_EIO);
    assert_non_null(err.message);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, strerror(ENOENT)));
    assert_int_not_equal(stat(missing, &st), 0);
    list_dir(f->dir, after, sizeof(after));
    assert_string_equal(before, after);
    plk_error_clear(&err);
}

static void
test_junit__directory_as_path_fails(void **state)
{
    fixture *f = *state;
    plk_error err = {0};
    char path[400];

    snprintf(path, sizeof(path), "%s/sub", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(plk_junit_write(&f->r, path, 0, &err), PLK_EIO);
    assert_non_null(strstr(err.message, path));
    /* The report was written to the temporary file and rename() refused;
     * the temporary must be gone. */
    assert_false(has_temp_file(f->dir));
    assert_int_equal(rmdir(path), 0);
    plk_error_clear(&err);
}

static void
test_junit__check_path(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *name;
        const char *suffix; /* appended to the fixture directory */
        int want;
        const char *says;   /* part of the message on failure */
        int needs_non_root; /* root may write anywhere */
        /* clang-format off */
    } rows[] = {
        {"new_file", "/new.xml", 0, NULL, 0},
        {"existing_file", "/report.xml", 0, NULL, 0},
        {"missing_dir", "/missing/r.xml", PLK_EIO, "does not exist", 0},
        {"missing_nested", "/a/b/c/r.xml", PLK_EIO, "mkdir -p", 0},
        {"is_directory", "", PLK_EIO, "is a directory", 0},
        {"trailing_slash", "/missing/", PLK_EIO, "names a directory", 0},
        {"parent_is_file", "/report.xml/r.xml", PLK_EIO, "not a directory",
         0},
        {"read_only_dir", "/ro/r.xml", PLK_EIO, "not writable", 1},
    };
    /* clang-format on */
    char ro[400];
    size_t i;

    snprintf(ro, sizeof(ro), "%s/ro", f->dir);
    assert_int_equal(mkdir(ro, 0500), 0);
    for (i = 0; i < NELEM(rows); i++) {
        plk_error err = {0};
        char path[400];
        int rc;

        if (rows[i].needs_non_root && geteuid() == 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s%s", f->dir, rows[i].suffix);
        rc = plk_junit_check_path(path, &err);
        if (rc != rows[i].want ||
            (rc != 0 &&
             (err.message == NULL || strstr(err.message, path) == NULL ||
              strstr(err.message, rows[i].says) == NULL))) {
            print_error("row %s: rc %d, message \"%s\"\n", rows[i].name, rc,
                        err.message ? err.message : "(null)");
            plk_error_clear(&err);
            fail();
        }
        plk_error_clear(&err);
    }
    assert_int_equal(rmdir(ro), 0);
}

static void
test_junit__check_path_relative_and_empty(void **state)
{
    fixture *f = *state;
    plk_error err = {0};
    int cwd = open(".", O_RDONLY);

    /* A bare file name lives in the working directory. */
    assert_true(cwd >= 0);
    assert_int_equal(chdir(f->dir), 0);
    assert_int_equal(plk_junit_check_path("plain.xml", &err), 0);
    assert_int_equal(plk_junit_check_path("missing/plain.xml", &err), PLK_EIO);
    assert_int_equal(fchdir(cwd), 0);
    close(cwd);
    plk_error_clear(&err);
    assert_int_equal(plk_junit_check_path("", &err), PLK_EUSAGE);
    plk_error_clear(&err);
    assert_int_equal(plk_junit_check_path(NULL, NULL), PLK_EUSAGE);
}

/* 0 when path validates against the schema file xsd, else fail. */
static void
check_valid(const char *xsd, const char *path)
{
    xmlSchemaParserCtxtPtr pctx = xmlSchemaNewParserCtxt(xsd);
    xmlSchemaPtr schema;
    xmlSchemaValidCtxtPtr vctx;
    int rc;

    assert_non_null(pctx);
    schema = xmlSchemaParse(pctx);
    xmlSchemaFreeParserCtxt(pctx);
    if (schema == NULL) {
        print_error("cannot load schema %s\n", xsd);
        fail();
    }
    vctx = xmlSchemaNewValidCtxt(schema);
    assert_non_null(vctx);
    rc = xmlSchemaValidateFile(vctx, path, 0);
    xmlSchemaFreeValidCtxt(vctx);
    xmlSchemaFree(schema);
    if (rc != 0) {
        print_error("%s does not validate against %s (%d)\n", path, xsd, rc);
        fail();
    }
}

static void
test_junit__default_form_validates_own_schema(void **state)
{
    fixture *f = *state;

    check_valid(PLK_SOURCE_DIR "/ci/schemas/pyleak-junit.xsd", f->path);
}

static void
test_junit__strict_form_validates_shared_schemas(void **state)
{
    fixture *f = *state;
    const char *dir = getenv("PLK_SCHEMAS");
    char xsd[512];
    struct stat st;

    if (dir == NULL || stat(dir, &st) != 0) {
        print_message("shared schemas not found (PLK_SCHEMAS=%s): "
                      "skipped\n",
                      dir ? dir : "unset");
        skip();
    }
    snprintf(xsd, sizeof(xsd), "%s/junit-10.xsd", dir);
    check_valid(xsd, f->strict_path);
    snprintf(xsd, sizeof(xsd), "%s/windyroad-JUnit.xsd", dir);
    check_valid(xsd, f->strict_path);
}

static void
test_junit__strict_layout(void **state)
{
    fixture *f = *state;
    xmlXPathContextPtr xp = f->sxp;

    /* No attributes on the root, none of the extensions per testcase. */
    check_count(xp, "/testsuites/@*", 0);
    check_count(xp, "//testcase/@file", 0);
    check_count(xp, "//testcase/@line", 0);
    check_count(xp, "//testcase/properties", 0);
    check_count(xp, "//testcase/system-out", 0);
    check_count(xp, "//testcase/system-err", 0);
    check_count(xp, "//testcase[count(*) > 1]", 0);
    check_count(xp, "//testcase", 7);
    check_count(xp, "//testcase/failure", 2);
    check_count(xp, "//testcase/error", 3);
    check_count(xp, "//testcase/skipped", 1);
    /* What the Ant schema requires of each suite. */
    check_count(xp, "/testsuites/testsuite", 2);
    check_count(xp,
                "/testsuites/testsuite[@timestamp and @hostname and "
                "@id and @package and @time]",
                2);
    check_xp(xp, "/testsuites/testsuite[1]/@id", "0");
    check_xp(xp, "/testsuites/testsuite[2]/@id", "1");
    check_xp(xp, "/testsuites/testsuite[1]/@package", "tests.test_app");
    check_xp(xp, "/testsuites/testsuite[1]/@timestamp", "2024-05-01T12:00:01");
    /* The second suite has none of its own and borrows the run's. */
    check_xp(xp, "/testsuites/testsuite[2]/@timestamp", "2024-05-01T12:00:00");
    check_count(xp, "/testsuites/testsuite/*[1][self::properties]", 2);
    check_count(xp, "/testsuites/testsuite/*[last()][self::system-err]", 2);
    check_count(xp, "/testsuites/testsuite/*[last()-1][self::system-out]", 2);
    check_xp(xp,
             "/testsuites/testsuite[1]/properties/"
             "property[@name='pyleak.file']/@value",
             "tests/test_app.py");
    /* Output moves to the suite, under a header naming the test. */
    check_xp(xp, "/testsuites/testsuite[1]/system-out",
             "----- test_\"quoted\" <&> -----\n"
             "printed green\r\nline2 ]]> <&>\n");
    check_xp(xp, "/testsuites/testsuite[1]/system-err",
             "----- test_\"quoted\" <&> -----\n"
             "app.py:1: DeprecationWarning: old ]]>\\x02\n");
    check_xp(xp, "/testsuites/testsuite[2]/system-out", "");
    assert_null(strchr(f->sraw, 0x1b));
    assert_null(strstr(f->sraw, "]]>"));
}

static void
test_junit__location_and_stderr(void **state)
{
    fixture *f = *state;
    xmlXPathContextPtr xp = f->xp;

    /* The leak's location, not the test's definition. */
    check_xp(xp, "//testcase[@name='test_leak']/@file", "app/cache.py");
    check_xp(xp, "//testcase[@name='test_leak']/@line", "3");
    check_xp(xp,
             "//testcase[@name='test_leak']/properties/"
             "property[@name='pyleak.top_site']/@value",
             "app/cache.py:3: CACHE[key] = value");
    check_xp(xp,
             "//testcase[@name='test_leak']/properties/"
             "property[@name='pyleak.kind']/@value",
             "python-held");
    check_xp(xp, "//testcase[@line='30']/system-err",
             "app.py:1: DeprecationWarning: old ]]>\\x02\n");
    /* system-err comes after system-out. */
    check_count(xp, "//testcase[@line='30']/*[last()][self::system-err]", 1);
}

static void
test_junit__strict_timestamp_repaired(void **state)
{
    fixture *f = *state;
    plk_run_result r = {0};
    plk_suite_result *s;
    plk_error err = {0};
    char path[400];
    char *raw;

    s = plk_run_result_add_suite(&r);
    assert_non_null(s);
    /* A blank name and a malformed timestamp, with no run timestamp to
     * fall back on: the strict form must still validate. */
    s->name = xstrdup("  ");
    s->timestamp = xstrdup("2024-13-01T25:00:00");
    snprintf(path, sizeof(path), "%s/stamp.xml", f->dir);
    assert_int_equal(plk_junit_write(&r, path, 1, &err), 0);
    raw = read_file(path);
    assert_null(strstr(raw, "2024-13-01"));
    assert_non_null(strstr(raw, "name=\"pyleak-ci\""));
    assert_non_null(strstr(raw, "timestamp=\""));
    free(raw);
    if (getenv("PLK_SCHEMAS") != NULL) {
        char xsd[512];
        struct stat st;

        snprintf(xsd, sizeof(xsd), "%s/windyroad-JUnit.xsd",
                 getenv("PLK_SCHEMAS"));
        if (stat(xsd, &st) == 0) {
            check_valid(xsd, path);
        }
    }
    unlink(path);
    plk_run_result_free(&r);
}

/* Times no clock gives, as a wild worker record can carry them: -0.0
 * was written "-0.000" and 1e300 with hundreds of digits, and both
 * failed schema validation (tests/fuzz/junit/regress-*-time). */
static void
test_junit__times_are_plain_decimals(void **state)
{
    fixture *f = *state;
    plk_run_result r = {0};
    plk_suite_result *s;
    plk_test_result *t;
    plk_error err = {0};
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
    char path[400];

    r.time = -0.0;
    s = plk_run_result_add_suite(&r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_times");
    s->file = xstrdup("tests/test_times.py");
    s->time = 1e300;
    t = add_test(s, PLK_OUTCOME_PASSED, "test_negative_zero", 1);
    t->time = -0.0;
    t = add_test(s, PLK_OUTCOME_PASSED, "test_nan", 2);
    t->time = NAN;
    t = add_test(s, PLK_OUTCOME_PASSED, "test_long", 3);
    t->time = 5e8; /* long, but a time: kept */
    snprintf(path, sizeof(path), "%s/times.xml", f->dir);
    assert_int_equal(plk_junit_write(&r, path, 0, &err), 0);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xp = xmlXPathNewContext(doc);
    assert_non_null(xp);
    check_xp(xp, "/testsuites/@time", "0.000");
    check_xp(xp, "/testsuites/testsuite/@time", "0.000");
    check_xp(xp, "//testcase[@name='test_negative_zero']/@time", "0.000");
    check_xp(xp, "//testcase[@name='test_nan']/@time", "0.000");
    check_xp(xp, "//testcase[@name='test_long']/@time", "500000000.000");
    check_valid(PLK_SOURCE_DIR "/ci/schemas/pyleak-junit.xsd", path);
    xmlXPathFreeContext(xp);
    xmlFreeDoc(doc);
    unlink(path);
    plk_run_result_free(&r);
}

/* Text that sanitises to nothing where the schemas want something: an
 * exception type or file of only spaces or escape sequences was written
 * as an empty attribute (tests/fuzz/junit/regress-empty-*), a suite
 * name of only escapes as a blank name in the strict form
 * (regress-blank-suite-name). */
static void
test_junit__blank_text_where_schemas_want_some(void **state)
{
    fixture *f = *state;
    plk_run_result r = {0};
    plk_suite_result *s;
    plk_test_result *t;
    plk_error err = {0};
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
    const char *dir = getenv("PLK_SCHEMAS");
    char path[400], strict[400], xsd[512];
    struct stat st;

    s = plk_run_result_add_suite(&r);
    assert_non_null(s);
    s->name = xstrdup("\x1b[0m\x1b]0;title\x07");
    s->file = xstrdup(" ");
    s->error_type = xstrdup(" \t");
    s->error_message = xstrdup("cannot import");
    t = add_test(s, PLK_OUTCOME_FAILED, "test_empty_type", 10);
    t->exc_type = xstrdup("");
    t = add_test(s, PLK_OUTCOME_ERROR, "test_escape_type", 20);
    t->exc_type = xstrdup("\x1b[0m ");
    t = add_test(s, PLK_OUTCOME_PASSED, "test_no_file", 30);
    t = add_test(s, PLK_OUTCOME_LEAKED, "test_blank_location", 40);
    free(t->file);
    t->file = xstrdup("tests/test_blank.py");
    t->loc_file = xstrdup("\n");
    t->loc_line = 3;
    snprintf(path, sizeof(path), "%s/blank.xml", f->dir);
    snprintf(strict, sizeof(strict), "%s/blank-strict.xml", f->dir);
    assert_int_equal(plk_junit_write(&r, path, 0, &err), 0);
    assert_int_equal(plk_junit_write(&r, strict, 1, &err), 0);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xp = xmlXPathNewContext(doc);
    assert_non_null(xp);
    /* The default types, as for a NULL one. */
    check_xp(xp, "//testcase[@name='test_empty_type']/failure/@type",
             "AssertionError");
    check_xp(xp, "//testcase[@name='test_escape_type']/error/@type",
             "pyleak.Error");
    check_xp(xp, "//testcase[@name='<module>']/error/@type", "pyleak.Error");
    /* No file, no line; a blank leak location falls back to the
     * test's definition. */
    check_count(xp, "//testcase[@name='<module>']/@file", 0);
    check_count(xp, "//testcase[@name='test_no_file']/@file", 0);
    check_count(xp, "//testcase[@name='test_no_file']/@line", 0);
    check_xp(xp, "//testcase[@name='test_blank_location']/@file",
             "tests/test_blank.py");
    check_xp(xp, "//testcase[@name='test_blank_location']/@line", "40");
    check_valid(PLK_SOURCE_DIR "/ci/schemas/pyleak-junit.xsd", path);
    xmlXPathFreeContext(xp);
    xmlFreeDoc(doc);
    doc = xmlReadFile(strict, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xp = xmlXPathNewContext(doc);
    assert_non_null(xp);
    check_xp(xp, "/testsuites/testsuite/@name", "pyleak-ci");
    if (dir != NULL) {
        snprintf(xsd, sizeof(xsd), "%s/windyroad-JUnit.xsd", dir);
        if (stat(xsd, &st) == 0) {
            check_valid(xsd, strict);
        }
    }
    xmlXPathFreeContext(xp);
    xmlFreeDoc(doc);
    unlink(path);
    unlink(strict);
    plk_run_result_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_junit__document_totals),
        cmocka_unit_test(test_junit__suite_attributes),
        cmocka_unit_test(test_junit__testcase_attributes),
        cmocka_unit_test(test_junit__outcomes),
        cmocka_unit_test(test_junit__text_sanitised),
        cmocka_unit_test(test_junit__properties),
        cmocka_unit_test(test_junit__import_error),
        cmocka_unit_test(test_junit__no_temp_file_left),
        cmocka_unit_test(test_junit__default_form_validates_own_schema),
        cmocka_unit_test(test_junit__strict_form_validates_shared_schemas),
        cmocka_unit_test(test_junit__strict_layout),
        cmocka_unit_test(test_junit__location_and_stderr),
        cmocka_unit_test(test_junit__strict_timestamp_repaired),
        cmocka_unit_test(test_junit__times_are_plain_decimals),
        cmocka_unit_test(test_junit__blank_text_where_schemas_want_some),
        cmocka_unit_test(test_junit__replaces_existing_file),
        cmocka_unit_test(test_junit__missing_directory_fails),
        cmocka_unit_test(test_junit__directory_as_path_fails),
        cmocka_unit_test(test_junit__check_path),
        cmocka_unit_test(test_junit__check_path_relative_and_empty),
    };

    LIBXML_TEST_VERSION
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
