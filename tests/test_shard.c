/* Unit tests for sharding: the split, durations from JUnit and JSON
 * reports, test counts and GitLab's variables. */
#define _GNU_SOURCE 1
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plan/shard.h"
#include "base/util.h"

static char *
write_temp_n(const char *text, size_t len)
{
    char tmpl[] = "/tmp/plk-shard-XXXXXX";
    int fd = mkstemp(tmpl);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return plk_strdup(tmpl);
}

static char *
write_temp(const char *text)
{
    return write_temp_n(text, strlen(text));
}

/* Read text[0..len) as a durations file that must be refused: the
 * message names the file, says what is wrong (want) and what to do. */
static void
expect_refused(const char *text, size_t len, const char *want)
{
    char *path = write_temp_n(text, len);
    plk_durations d;
    plk_error err = {0};

    assert_int_equal(plk_durations_read(&d, path, &err), PLK_EUSAGE);
    if (strstr(err.message, want) == NULL) {
        print_error("want '%s' in: %s\n", want, err.message);
        fail();
    }
    assert_non_null(strstr(err.message, "--durations-from"));
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "pass the --junit-xml or --json "
                                        "file of an earlier run"));
    assert_int_equal(d.files.count, 0);
    plk_error_clear(&err);
    unlink(path);
    free(path);
}

static char *
nested(size_t levels, const char *inner)
{
    size_t n = strlen(inner);
    char *s = malloc(2 * levels + n + 1);

    assert_non_null(s);
    memset(s, '[', levels);
    memcpy(s + levels, inner, n);
    memset(s + levels + n, ']', levels);
    s[2 * levels + n] = '\0';
    return s;
}

static void
test_shard__assign_covers_everything_once(void **state)
{
    double w[23];
    unsigned out[23], n, k;
    size_t i;

    for (i = 0; i < 23; i++) {
        w[i] = (double)((i * 7) % 5 + 1);
    }
    for (n = 1; n <= 30; n++) {
        size_t seen = 0;

        assert_int_equal(plk_shard_assign(out, w, 23, n), 0);
        for (k = 1; k <= n; k++) {
            for (i = 0; i < 23; i++) {
                seen += out[i] == k;
            }
        }
        for (i = 0; i < 23; i++) {
            assert_true(out[i] >= 1 && out[i] <= n);
        }
        assert_int_equal(seen, 23);
    }
}

static void
test_shard__assign_balances_and_is_deterministic(void **state)
{
    /* One heavy file and many light ones: the heavy one gets a shard to
     * itself, the light ones share the other. */
    double w[] = {1, 1, 10, 1, 1, 1, 1, 1, 1, 1, 1};
    unsigned a[11], b[11], count[3] = {0};
    double load[3] = {0};
    size_t i;

    assert_int_equal(plk_shard_assign(a, w, 11, 2), 0);
    assert_int_equal(plk_shard_assign(b, w, 11, 2), 0);
    assert_memory_equal(a, b, sizeof(a));
    for (i = 0; i < 11; i++) {
        load[a[i]] += w[i];
        count[a[i]]++;
    }
    assert_int_equal(a[2], 1); /* heaviest first, to shard 1 */
    assert_true(load[1] == 10 && load[2] == 10);
    assert_int_equal(count[1], 1);
    /* Equal weights: a round robin in input order. */
    {
        double same[] = {1, 1, 1, 1, 1};
        unsigned o[5];

        assert_int_equal(plk_shard_assign(o, same, 5, 2), 0);
        assert_int_equal(o[0], 1);
        assert_int_equal(o[1], 2);
        assert_int_equal(o[2], 1);
        assert_int_equal(o[3], 2);
        assert_int_equal(o[4], 1);
    }
    /* Zero weights still spread out. */
    {
        double zero[] = {0, 0, 0, 0};
        unsigned o[4];

        assert_int_equal(plk_shard_assign(o, zero, 4, 4), 0);
        assert_int_equal(o[0] + o[1] + o[2] + o[3], 1 + 2 + 3 + 4);
    }
    assert_int_equal(plk_shard_assign(a, w, 11, 0), PLK_EUSAGE);
}

static void
test_shard__durations_from_junit(void **state)
{
    char *path = write_temp(
        "<?xml version=\"1.0\"?>\n<testsuites>\n"
        " <testsuite name=\"tests.test_a\" file=\"tests/test_a.py\">\n"
        "  <testcase classname=\"tests.test_a\" name=\"x\" time=\"1.5\"/>\n"
        "  <testcase classname=\"tests.test_a\" name=\"y\" time=\"0.5\"/>\n"
        " </testsuite>\n"
        " <testsuite name=\"tests.test_b\">\n"
        "  <testcase classname=\"tests.test_b\" name=\"z\" time=\"3\" "
        "file=\"tests/test_b.py\"/>\n"
        "  <testcase name=\"bad\" time=\"oops\"/>\n"
        " </testsuite>\n"
        " <testsuite name=\"tests.test_c\">\n"
        "  <testcase name=\"w\" time=\"2.25\"/>\n"
        " </testsuite>\n"
        "</testsuites>\n");
    plk_durations d;

    assert_int_equal(plk_durations_read(&d, path, NULL), 0);
    assert_true(plk_durations_lookup(&d, "tests/test_a.py", NULL) == 2.0);
    assert_true(plk_durations_lookup(&d, "tests/test_b.py", NULL) == 3.0);
    /* Strict JUnit has no paths: the module name finds it. */
    assert_true(plk_durations_lookup(&d, "tests/test_c.py", "tests.test_c") ==
                2.25);
    assert_true(plk_durations_lookup(&d, "nope.py", "nope") < 0);
    plk_durations_free(&d);
    unlink(path);
    free(path);
}

static void
test_shard__durations_from_json(void **state)
{
    /* Whatever shape the report has, objects with an id and a time
     * count; strings with escapes and nested values do not confuse it. */
    char *path = write_temp(
        "{\"version\": 1, \"summary\": {\"time\": 99.0, \"tests\": 3},\n"
        " \"suites\": [{\"file\": \"tests/test_a.py\", \"time\": 50,\n"
        "   \"tests\": [\n"
        "    {\"id\": \"tests/test_a.py::x\", \"time\": 1.25,\n"
        "     \"metrics\": {\"blocks\": [1, 2, -3e2]}, \"ok\": true},\n"
        "    {\"id\": \"tests/test_a.py::Cls::y\", \"duration\": 0.75,\n"
        "     \"message\": \"a \\\"quoted\\\" \\u00e9 \\ud83d\\ude00 ::\"},\n"
        "    {\"id\": \"mod:callable\", \"file\": \"pkg/mod.py\",\n"
        "     \"time\": 4, \"note\": null}]}]}\n");
    plk_durations d;

    assert_int_equal(plk_durations_read(&d, path, NULL), 0);
    assert_true(plk_durations_lookup(&d, "tests/test_a.py", NULL) == 2.0);
    assert_true(plk_durations_lookup(&d, "pkg/mod.py", NULL) == 4.0);
    plk_durations_free(&d);
    unlink(path);
    free(path);
}

static void
test_shard__bad_reports_are_usage_errors(void **state)
{
    static const char *const bad[] = {
        "not a report at all\n",
        "{\"id\": \"x\", \"time\": 1", /* truncated */
        "[1, 2,, 3]",
        "{\"a\": tru}",
        "<testsuites><testsuite>", /* unclosed XML */
        "",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *path = write_temp(bad[i]);
        plk_durations d;
        plk_error err = {0};

        assert_int_equal(plk_durations_read(&d, path, &err), PLK_EUSAGE);
        assert_non_null(strstr(err.message, "--durations-from"));
        assert_non_null(strstr(err.message, path));
        plk_error_clear(&err);
        unlink(path);
        free(path);
    }
    {
        plk_durations d;
        plk_error err = {0};

        assert_int_equal(plk_durations_read(&d, "/no/such/report.xml", &err),
                         PLK_EUSAGE);
        assert_non_null(strstr(err.message, "/no/such/report.xml"));
        plk_error_clear(&err);
    }
}

static void
test_shard__bad_json_says_where(void **state)
{
    static const char nul[] = "{\"tests\": [{\"id\": \"a.py::t\",\n"
                              "  \"time\": 1}]}\0";
    static const char nul_in_id[] = "{\"id\": \"a.py\0::t\", \"time\": 1}";
    char *deep;

    (void)state;
    /* Truncated: jansson's line and column, and what it expected. */
    expect_refused("{\"id\": \"x\", \"time\": 1", 21,
                   "not valid JSON at line 1, column 21 (byte 21): "
                   "'}' expected near end of file");
    {
        static const char text[] = "{\n  \"tests\": [\n"
                                   "    {\"id\": \"b.py::t\" \"time\": 2}\n"
                                   "  ]\n}\n";

        expect_refused(text, sizeof(text) - 1,
                       "at line 3, column 27 (byte 42): '}' expected near "
                       "'\"time\"'");
    }
    /* A NUL byte is nowhere JSON: said so, where it is. */
    expect_refused(nul, sizeof(nul) - 1,
                   "not valid JSON at line 2, column 15 (byte 44): a NUL "
                   "byte");
    expect_refused(nul_in_id, sizeof(nul_in_id) - 1,
                   "at line 1, column 13 (byte 13): a NUL byte");
    /* 10,000 levels: jansson stops at its own limit, and says so. */
    deep = nested(10000, "");
    expect_refused(deep, strlen(deep), "maximum parsing depth reached");
    free(deep);
    /* The reader keeps its own limit of 200 levels, every value one. */
    deep = nested(201, "");
    expect_refused(deep, strlen(deep), "nested more than 200 levels deep");
    free(deep);
    deep = nested(200, "1");
    expect_refused(deep, strlen(deep), "nested more than 200 levels deep");
    free(deep);
    {
        plk_durations d;
        char *path;

        /* 198 arrays, the object, and its members: 200 levels. */
        deep = nested(198, "{\"id\": \"deep.py::t\", \"time\": 2}");
        path = write_temp(deep);
        assert_int_equal(plk_durations_read(&d, path, NULL), 0);
        assert_true(plk_durations_lookup(&d, "deep.py", NULL) == 2.0);
        plk_durations_free(&d);
        unlink(path);
        free(path);
        free(deep);
    }
}

static void
test_shard__json_edges(void **state)
{
    static const struct {
        const char *name;
        const char *text;
        const char *file; /* looked up; NULL: the report knows none */
        double secs;
        /* clang-format off */
    } rows[] = {
        /* Valid JSON that is not an object: nothing in it, no error. */
        {"array", "[1, 2, 3]", NULL, 0},
        {"empty_array", "[]", NULL, 0},
        {"array_of_tests",
         "[{\"id\": \"a.py::t\", \"time\": 2}, "
         "{\"id\": \"a.py::u\", \"time\": 0.5}]",
         "a.py", 2.5},
        /* \u0000 ends the id where it stands. */
        {"nul_escape", "{\"id\": \"a.py\\u0000::x\", \"time\": 1}",
         "a.py", 1},
        /* Lone surrogates, as Python writes undecodable names, and raw
         * bytes that are not UTF-8 read as U+FFFD. */
        {"lone_surrogate", "{\"id\": \"t\\udcff.py::x\", \"time\": 1}",
         "t\xEF\xBF\xBD.py", 1},
        {"raw_latin1", "{\"id\": \"t\xe9.py::x\", \"time\": 1}",
         "t\xEF\xBF\xBD.py", 1},
        {"pair", "{\"id\": \"t\\ud83d\\ude00.py\", \"time\": 1}",
         "t\xF0\x9F\x98\x80.py", 1},
        /* An integer of any size is a number (too large to count). */
        {"huge_integer",
         "{\"id\": \"a.py::t\", \"time\": 100000000000000000000000}",
         NULL, 0},
        {"negative", "{\"id\": \"a.py::t\", \"time\": -1}", NULL, 0},
        {"string_time", "{\"id\": \"a.py::t\", \"time\": \"1\"}", NULL, 0},
        {"last_of_time_and_duration",
         "{\"id\": \"a.py::t\", \"time\": 1, \"duration\": 2}", "a.py", 2},
    };
    /* clang-format on */
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *path = write_temp(rows[i].text);
        plk_durations d;
        plk_error err = {0};

        if (plk_durations_read(&d, path, &err) != 0) {
            print_error("row %s: %s\n", rows[i].name, err.message);
            fail();
        }
        if (rows[i].file == NULL) {
            assert_int_equal(d.files.count, 0);
        }
        else if (plk_durations_lookup(&d, rows[i].file, NULL) !=
                 rows[i].secs) {
            print_error("row %s: %g\n", rows[i].name,
                        plk_durations_lookup(&d, rows[i].file, NULL));
            fail();
        }
        plk_durations_free(&d);
        unlink(path);
        free(path);
    }
    /* A top-level string or number is not taken for JSON at all. */
    expect_refused("\"a string\"", 10, "neither JUnit XML nor JSON");
    expect_refused("42", 2, "neither JUnit XML nor JSON");
}

static void
test_shard__count_tests(void **state)
{
    char *path = write_temp("import unittest\n\n"
                            "def test_a():\n    pass\n\n"
                            "async def test_b():\n    pass\n\n"
                            "class TestC(unittest.TestCase):\n"
                            "    def test_c(self):\n        pass\n"
                            "    def helper(self):\n        pass\n"
                            "# def test_commented is not a line start\n");
    char *empty = write_temp("X = 1\n");

    assert_true(plk_shard_count_tests(path) == 3);
    assert_true(plk_shard_count_tests(empty) == 1);
    assert_true(plk_shard_count_tests("/no/such/file.py") == 1);
    unlink(path);
    unlink(empty);
    free(path);
    free(empty);
}

static void
test_shard__gitlab_variables(void **state)
{
    static const struct {
        const char *index, *total;
        int rc;
        unsigned k, n;
        /* clang-format off */
    } cases[] = {
        {NULL, NULL, 0, 0, 0},
        {"2", "3", 0, 2, 3},
        {"3", "3", 0, 3, 3},
        {"4", "3", PLK_EUSAGE, 0, 0},
        {"0", "3", PLK_EUSAGE, 0, 0},
        {"abc", "3", PLK_EUSAGE, 0, 0},
        {"1", NULL, PLK_EUSAGE, 0, 0},
        {"-1", "2", PLK_EUSAGE, 0, 0},
    };
    /* clang-format on */
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned k = 9, n = 9;
        plk_error err = {0};

        if (cases[i].index) {
            setenv("CI_NODE_INDEX", cases[i].index, 1);
        }
        else {
            unsetenv("CI_NODE_INDEX");
        }
        if (cases[i].total) {
            setenv("CI_NODE_TOTAL", cases[i].total, 1);
        }
        else {
            unsetenv("CI_NODE_TOTAL");
        }
        assert_int_equal(plk_shard_from_env(&k, &n, &err), cases[i].rc);
        assert_int_equal(k, cases[i].k);
        assert_int_equal(n, cases[i].n);
        if (cases[i].rc != 0) {
            assert_non_null(strstr(err.message, "CI_NODE_"));
        }
        plk_error_clear(&err);
    }
    unsetenv("CI_NODE_INDEX");
    unsetenv("CI_NODE_TOTAL");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard__assign_covers_everything_once),
        cmocka_unit_test(test_shard__assign_balances_and_is_deterministic),
        cmocka_unit_test(test_shard__durations_from_junit),
        cmocka_unit_test(test_shard__durations_from_json),
        cmocka_unit_test(test_shard__bad_reports_are_usage_errors),
        cmocka_unit_test(test_shard__bad_json_says_where),
        cmocka_unit_test(test_shard__json_edges),
        cmocka_unit_test(test_shard__count_tests),
        cmocka_unit_test(test_shard__gitlab_variables),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
