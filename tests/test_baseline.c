/* Unit tests for the baseline: reading, judging a run, updating, writing. */
#define _GNU_SOURCE 1

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "report/baseline.h"
#include "base/util.h"

static char *root; /* a fresh folder, the working directory */
static char *old_cwd;

static int
setup(void **state)
{
    char tmpl[] = "/tmp/plk_baseline_XXXXXX";

    (void)state;
    old_cwd = getcwd(NULL, 0);
    root = realpath(mkdtemp(tmpl), NULL);
    if (root == NULL || chdir(root) != 0) {
        return -1;
    }
    mkdir("sub", 0755);
    return 0;
}

static int
teardown(void **state)
{
    char *cmd = plk_asprintf("rm -rf '%s'", root);
    int rc;

    (void)state;
    rc = chdir(old_cwd);
    rc |= system(cmd);
    free(cmd);
    free(root);
    free(old_cwd);
    return rc;
}

#define HEADER "version = 1\n"
#define LEAK(test, metric, amount, reason)                                    \
    "\n[[leak]]\ntest = \"" test "\"\nmetric = \"" metric                     \
    "\"\nper-call = " amount "\nreason = \"" reason "\"\n"

static void
test_baseline__load(void **state)
{
    plk_baseline b;
    plk_error err = {0};

    (void)state;
    write_file("b.toml",
               "# comment\n" HEADER LEAK("t.py::a", "blocks", "3.0",
                                         "cache by design")
                   LEAK("t.py::a", "heap", "128", "same cache")
                       LEAK("sub/u.py::C::m[1]", "fds", "0.5", "pool"));
    assert_int_equal(plk_baseline_load(&b, "b.toml", 0, &err), 0);
    assert_int_equal(b.n, 3);
    assert_string_equal(b.dir, root);
    assert_string_equal(b.entries[0].test, "t.py::a");
    assert_int_equal(b.entries[0].metric, PLK_METRIC_BLOCKS);
    assert_true(b.entries[0].per_call == 3.0);
    assert_string_equal(b.entries[0].reason, "cache by design");
    assert_int_equal(b.entries[0].line, 4);
    assert_int_equal(b.entries[1].metric, PLK_METRIC_HEAP);
    assert_true(b.entries[1].per_call == 128.0); /* integers are fine */
    assert_int_equal(b.entries[2].metric, PLK_METRIC_FDS);
    plk_baseline_free(&b);
    plk_baseline_free(&b); /* twice is harmless */

    /* A file with only the version: no known leaks. */
    write_file("empty.toml", HEADER);
    assert_int_equal(plk_baseline_load(&b, "empty.toml", 0, &err), 0);
    assert_int_equal(b.n, 0);
    plk_baseline_free(&b);
}

typedef struct bad_case {
    const char *doc;
    const char *message;
} bad_case;

/* clang-format off */
static const bad_case bad_cases[] = {
    {"", "b.toml:1: expected version = 1"},
    {"version = 2\n", "b.toml:1: expected version = 1"},
    {"version = \"1\"\n", "b.toml:1: expected version = 1"},
    {HEADER "leaks = []\n", "b.toml:2: unknown key 'leaks' in a baseline"},
    {HEADER "leak = 3\n", "b.toml:2: leak: expected [[leak]] tables"},
    {HEADER "leak = [1]\n", "b.toml:2: leak: expected [[leak]] tables"},
    {HEADER "\n[[leak]]\ntest = \"a\"\nmetric = \"blocks\"\nper-call = 1\n",
     "b.toml:3: [[leak]] has no reason"},
    {HEADER "\n[[leak]]\ntest = \"a\"\nmetric = \"blocks\"\nper-call = 1\n"
     "reason = \"r\"\nwhy = \"x\"\n",
     "b.toml:8: unknown key 'why' in [[leak]]"},
    {HEADER LEAK("a", "blox", "1", "r"),
     "b.toml:5: metric: unknown metric 'blox'"},
    {HEADER LEAK("a", "blocks", "-1", "r"),
     "b.toml:6: per-call: expected a number >= 0"},
    {HEADER LEAK("a", "blocks", "nan", "r"),
     "b.toml:6: per-call: expected a number >= 0"},
    {HEADER LEAK("a", "blocks", "\"3\"", "r"),
     "b.toml:6: per-call: expected a number, got a string"},
    {HEADER LEAK("a", "blocks", "1", ""),
     "b.toml:7: reason: expected a non-empty string"},
    {HEADER LEAK("", "blocks", "1", "r"),
     "b.toml:4: test: expected a non-empty string"},
    /* Cut short at the NUL, they were kept as "" and the file
     * --update-baseline wrote from them did not read back
     * (tests/fuzz/baseline/regress-nul-in-*). */
    {HEADER LEAK("\\u0000t.py::a", "blocks", "1", "r"),
     "b.toml:4: test: expected a string without NUL characters"},
    {HEADER LEAK("t.py::a", "blocks", "1", "why\\u0000"),
     "b.toml:7: reason: expected a string without NUL characters"},
    {HEADER LEAK("t.py::a", "blocks\\u0000", "1", "r"),
     "b.toml:5: metric: expected a string without NUL characters"},
    {HEADER LEAK("a", "blocks", "1", "r") LEAK("a", "blocks", "2", "s"),
     "b.toml:9: a is listed twice for blocks (also at line 3)"},
    {HEADER "[[leak]\n", "b.toml:2:7: expected ']]' to close"},
    {HEADER LEAK("a", "blocks", "1", "r\\q"), "b.toml:7:12: invalid escape"},
};
/* clang-format on */

static void
test_baseline__malformed(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        plk_baseline b;
        plk_error err = {0};
        int rc;

        write_file("b.toml", bad_cases[i].doc);
        rc = plk_baseline_load(&b, "b.toml", 0, &err);
        if (rc != PLK_EUSAGE || err.message == NULL ||
            strstr(err.message, bad_cases[i].message) == NULL) {
            fail_msg("case %zu: rc %d, message %s, want %s", i, rc,
                     err.message ? err.message : "(none)",
                     bad_cases[i].message);
        }
        assert_null(b.entries);
        plk_error_clear(&err);
    }
}

static void
test_baseline__missing(void **state)
{
    plk_baseline b;
    plk_error err = {0};

    (void)state;
    assert_int_equal(plk_baseline_load(&b, "nope.toml", 0, &err),
                     PLK_ENOTFOUND);
    assert_non_null(strstr(err.message, "nope.toml"));
    assert_non_null(strstr(err.message, "create it with --update-baseline"));
    plk_error_clear(&err);
    /* --update-baseline: a missing file is an empty one to write. */
    assert_int_equal(plk_baseline_load(&b, "sub/nope.toml", 1, &err), 0);
    assert_int_equal(b.n, 0);
    assert_non_null(strstr(b.dir, "/sub"));
    plk_baseline_free(&b);
    /* Its folder must exist, to be written at the end of the run. */
    assert_int_equal(plk_baseline_load(&b, "nodir/b.toml", 1, &err),
                     PLK_EUSAGE);
    assert_non_null(strstr(err.message, "folder nodir"));
    plk_error_clear(&err);
}

static void
test_baseline__test_ids(void **state)
{
    static const struct {
        const char *file, *id, *dir_rel, *want;
    } cases[] = {
        {"tests/t.py", "tests/t.py::a", ".", "tests/t.py::a"},
        {"tests/t.py", "tests/t.py::C::m[x::y]", "tests", "t.py::C::m[x::y]"},
        {"./tests/../tests/t.py", "./tests/../tests/t.py::a", "sub",
         "../tests/t.py::a"},
        {"t.py", "t.py", "sub", "../t.py"},
        {"t.py", "pkg.mod:fn", ".", "pkg.mod:fn"},
        {"t.py", "t.pyx::a", ".", "t.pyx::a"},
        {NULL, "x::y", ".", "x::y"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        plk_test_result t = {0};
        char *dir = plk_asprintf(
            "%s%s%s", root, strcmp(cases[i].dir_rel, ".") ? "/" : "",
            strcmp(cases[i].dir_rel, ".") ? cases[i].dir_rel : "");
        char *id;

        t.file = (char *)cases[i].file;
        t.id = (char *)cases[i].id;
        id = plk_baseline_test_id(&t, dir);
        if (strcmp(id, cases[i].want) != 0) {
            fail_msg("case %zu: %s, want %s", i, id, cases[i].want);
        }
        free(id);
        free(dir);
    }
    {
        /* An absolute file path below / and a folder elsewhere. */
        plk_test_result t = {0};
        char *id;

        t.file = "/usr/lib/x/t.py";
        t.id = "/usr/lib/x/t.py::a";
        id = plk_baseline_test_id(&t, "/usr/share");
        assert_string_equal(id, "../lib/x/t.py::a");
        free(id);
        id = plk_baseline_test_id(&t, "/");
        assert_string_equal(id, "usr/lib/x/t.py::a");
        free(id);
    }
}

/* A run with one suite; each test leaks per call what leaks[] says
 * (0: the metric is clean). */
typedef struct fake_test {
    const char *name;
    plk_outcome outcome;
    double blocks, heap;
} fake_test;

static void
fake_run(plk_run_result *r, const fake_test *tests, size_t n)
{
    plk_suite_result *s;
    size_t i;

    memset(r, 0, sizeof(*r));
    s = plk_run_result_add_suite(r);
    s->file = plk_strdup("tests/t.py");
    for (i = 0; i < n; i++) {
        plk_test_result *t = plk_suite_result_add_test(s);
        int m;

        t->file = plk_strdup("tests/t.py");
        t->id = plk_asprintf("tests/t.py::%s", tests[i].name);
        t->outcome = tests[i].outcome;
        t->message =
            plk_strdup(tests[i].outcome == PLK_OUTCOME_LEAKED ? "leaks" : "");
        for (m = 0; m < PLK_METRIC__COUNT; m++) {
            t->metrics[m].measured = 1;
            t->metrics[m].gating = m != PLK_METRIC_RSS;
            t->metrics[m].fit.verdict = PLK_VERDICT_CLEAN;
        }
        if (tests[i].blocks > 0) {
            t->metrics[PLK_METRIC_BLOCKS].fit.verdict = PLK_VERDICT_LEAK;
            t->metrics[PLK_METRIC_BLOCKS].per_call = tests[i].blocks;
        }
        if (tests[i].heap > 0) {
            t->metrics[PLK_METRIC_HEAP].fit.verdict = PLK_VERDICT_LEAK;
            t->metrics[PLK_METRIC_HEAP].per_call = tests[i].heap;
        }
    }
}

static const char known_doc[] = HEADER LEAK("tests/t.py::known", "blocks",
                                            "3.0", "cache by design")
    LEAK("tests/t.py::edge", "blocks", "4.0",
         "edge") LEAK("tests/t.py::larger", "blocks", "3.0", "was small")
        LEAK("tests/t.py::more_metrics", "blocks", "3.0", "blocks only")
            LEAK("tests/t.py::fixed", "heap", "64", "was leaking")
                LEAK("tests/t.py::fails", "blocks", "1", "flaky")
                    LEAK("tests/t.py::gone", "blocks", "1", "deleted test");

/* clang-format off */
static const fake_test run_tests[] = {
    {"known", PLK_OUTCOME_LEAKED, 2.5, 0},
    {"edge", PLK_OUTCOME_LEAKED, 5.0, 0},        /* 4 * 1.25: still ok */
    {"larger", PLK_OUTCOME_LEAKED, 6.0, 0},
    {"more_metrics", PLK_OUTCOME_LEAKED, 3.0, 512},
    {"fixed", PLK_OUTCOME_PASSED, 0, 0},
    {"fails", PLK_OUTCOME_FAILED, 0, 0},
    {"new", PLK_OUTCOME_LEAKED, 1.0, 0},
    {"clean", PLK_OUTCOME_PASSED, 0, 0},
};
/* clang-format on */

#define N_RUN (sizeof(run_tests) / sizeof(run_tests[0]))

static void
test_baseline__apply(void **state)
{
    plk_baseline b;
    plk_baseline_stats st = {0};
    plk_run_result r;
    plk_error err = {0};
    plk_test_result *t;

    (void)state;
    write_file("b.toml", known_doc);
    assert_int_equal(plk_baseline_load(&b, "b.toml", 0, &err), 0);
    fake_run(&r, run_tests, N_RUN);
    plk_baseline_apply(&b, NULL, &r, &st);
    t = r.suites[0].tests;

    assert_int_equal(t[0].outcome, PLK_OUTCOME_PASSED);
    assert_int_equal(t[0].baseline, PLK_BASELINE_KNOWN);
    assert_string_equal(t[0].note, "known leak: cache by design");

    assert_int_equal(t[1].outcome, PLK_OUTCOME_PASSED);
    assert_int_equal(t[1].baseline, PLK_BASELINE_KNOWN);

    assert_int_equal(t[2].outcome, PLK_OUTCOME_LEAKED);
    assert_int_equal(t[2].baseline, PLK_BASELINE_LARGER);
    assert_string_equal(t[2].note, "leaks more than the baseline: blocks "
                                   "6.00 blocks/call, baseline 3.00 "
                                   "blocks/call");
    assert_string_equal(t[2].message, "leaks; more than the baseline "
                                      "(blocks 6.00 blocks/call, baseline "
                                      "3.00 blocks/call)");

    assert_int_equal(t[3].outcome, PLK_OUTCOME_LEAKED);
    assert_int_equal(t[3].baseline, PLK_BASELINE_LARGER);
    assert_string_equal(t[3].note, "leaks more than the baseline: heap "
                                   "512 B/call not in the baseline");

    assert_int_equal(t[4].outcome, PLK_OUTCOME_PASSED);
    assert_int_equal(t[4].baseline, PLK_BASELINE_FIXED);
    assert_string_equal(t[4].note, "fixed: no longer leaks (baseline: was "
                                   "leaking); drop it with "
                                   "--update-baseline");

    /* A failing test says nothing about its leak. */
    assert_int_equal(t[5].outcome, PLK_OUTCOME_FAILED);
    assert_int_equal(t[5].baseline, PLK_BASELINE_NONE);
    assert_null(t[5].note);

    /* A new leak fails as before, and a clean test is left alone. */
    assert_int_equal(t[6].outcome, PLK_OUTCOME_LEAKED);
    assert_int_equal(t[6].baseline, PLK_BASELINE_NONE);
    assert_string_equal(t[6].message, "leaks");
    assert_int_equal(t[7].baseline, PLK_BASELINE_NONE);
    assert_null(t[7].note);

    assert_int_equal(st.known, 2);
    assert_int_equal(st.larger, 2);
    assert_int_equal(st.fixed, 1);
    assert_int_equal(st.unmatched, 2); /* fails, gone */
    plk_run_result_free(&r);
    plk_baseline_free(&b);
}

static void
test_baseline__update_and_write(void **state)
{
    plk_baseline b, u, again;
    plk_baseline_stats st = {0}, st2 = {0};
    plk_run_result r;
    plk_error err = {0};
    char *text;
    struct stat sb;

    (void)state;
    write_file("b.toml", known_doc);
    assert_int_equal(plk_baseline_load(&b, "b.toml", 0, &err), 0);
    fake_run(&r, run_tests, N_RUN);
    assert_int_equal(plk_baseline_update(&u, &b, &r, &st, &err), 0);
    assert_int_equal(plk_baseline_write(&u, "b.toml", &err), 0);
    text = read_file("b.toml");
    /* Sorted by test then metric; reasons kept; an amount within the
     * tolerance kept as recorded (known: 2.5 vs 3.0); larger amounts
     * and new leaks recorded as measured; fixed entries gone; entries
     * of tests without a verdict kept. */
    assert_string_equal(
        strstr(text, "version = 1\n"),
        HEADER LEAK("tests/t.py::edge", "blocks", "4.0",
                    "edge") LEAK("tests/t.py::fails", "blocks", "1.0", "flaky")
            LEAK("tests/t.py::gone", "blocks", "1.0", "deleted test") LEAK(
                "tests/t.py::known", "blocks", "3.0", "cache by design")
                LEAK("tests/t.py::larger", "blocks", "6.0", "was small") LEAK(
                    "tests/t.py::more_metrics", "blocks", "3.0", "blocks only")
                    LEAK("tests/t.py::more_metrics", "heap", "512.0",
                         "blocks only") LEAK("tests/t.py::new", "blocks",
                                             "1.0", PLK_BASELINE_TODO));
    assert_int_equal(st.added, 2);   /* more_metrics heap, new */
    assert_int_equal(st.updated, 1); /* larger */
    assert_int_equal(st.removed, 1); /* fixed */
    assert_int_equal(st.kept, 2);    /* fails, gone */
    assert_int_equal(stat("b.toml", &sb), 0);
    assert_true((sb.st_mode & 0444) == 0444 || (sb.st_mode & 0044) == 0);

    /* Judged against the new file, the same run has no leak left, and
     * writing again from it changes nothing. */
    plk_baseline_apply(&u, &b, &r, &st2);
    assert_int_equal(st2.known, 5);
    assert_int_equal(st2.larger, 0);
    assert_int_equal(st2.fixed, 1);
    {
        plk_totals tot;

        plk_run_result_totals(&r, &tot);
        assert_int_equal(tot.leaked, 0);
    }
    assert_int_equal(plk_baseline_load(&again, "b.toml", 0, &err), 0);
    plk_baseline_free(&u);
    memset(&st, 0, sizeof(st));
    assert_int_equal(plk_baseline_update(&u, &again, &r, &st, &err), 0);
    assert_int_equal(plk_baseline_write(&u, "b2.toml", &err), 0);
    {
        char *text2 = read_file("b2.toml");

        assert_string_equal(text, text2);
        free(text2);
    }
    assert_int_equal(st.added + st.updated + st.removed, 0);
    free(text);
    plk_baseline_free(&u);
    plk_baseline_free(&again);
    plk_baseline_free(&b);
    plk_run_result_free(&r);

    /* Reasons with quotes and newlines survive the round trip. */
    {
        plk_baseline w = {0};
        plk_baseline back;

        w.dir = plk_strdup(root);
        w.entries = calloc(1, sizeof(*w.entries));
        w.n = w.cap = 1;
        w.entries[0].test = plk_strdup("a \"b\"::c\\d");
        w.entries[0].metric = PLK_METRIC_THREADS;
        w.entries[0].per_call = 1.0 / 3.0;
        w.entries[0].reason = plk_strdup("line one\nline \"two\"\t\\");
        assert_int_equal(plk_baseline_write(&w, "q.toml", &err), 0);
        assert_int_equal(plk_baseline_load(&back, "q.toml", 0, &err), 0);
        assert_string_equal(back.entries[0].test, w.entries[0].test);
        assert_string_equal(back.entries[0].reason, w.entries[0].reason);
        assert_true(back.entries[0].per_call >= 0.3333 &&
                    back.entries[0].per_call < 0.33334);
        plk_baseline_free(&back);
        plk_baseline_free(&w);
    }
    /* An unwritable place is an error, and leaves nothing behind. */
    {
        plk_baseline w = {0};

        assert_int_equal(plk_baseline_write(&w, "nodir/b.toml", &err),
                         PLK_EIO);
        assert_non_null(strstr(err.message, "nodir/b.toml"));
        plk_error_clear(&err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline__load),
        cmocka_unit_test(test_baseline__malformed),
        cmocka_unit_test(test_baseline__missing),
        cmocka_unit_test(test_baseline__test_ids),
        cmocka_unit_test(test_baseline__apply),
        cmocka_unit_test(test_baseline__update_and_write),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
