/* Unit tests for the JSON report: string quoting, reading JSON text, and
 * the rendered document. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
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

#include "report/json.h"
#include "base/result.h"
#include "base/sanitize.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define FFFD "\xEF\xBF\xBD"

static void
test_json__quote(void **state)
{
    static const struct {
        const char *name;
        const char *in;
        size_t len; /* 0: strlen(in) */
        const char *want;
        /* clang-format off */
    } rows[] = {
        {"plain", "abc", 0, "\"abc\""},
        {"empty", "", 0, "\"\""},
        {"quote_backslash", "a\"b\\c", 0, "\"a\\\"b\\\\c\""},
        {"named_controls", "\n\r\t\b\f", 0, "\"\\n\\r\\t\\b\\f\""},
        {"other_controls", "\x01\x1b[0m\x1f", 0,
         "\"\\u0001\\u001b[0m\\u001f\""},
        {"nul_inside", "a\0b", 3, "\"a\\u0000b\""},
        {"multibyte", "\xE6\xBC\xA2 \xF0\x9F\x98\x80", 0,
         "\"\xE6\xBC\xA2 \xF0\x9F\x98\x80\""},
        {"bad_byte", "a\xff" "b", 0, "\"a" FFFD "b\""},
        {"overlong", "\xc0\x80", 0, "\"" FFFD FFFD "\""},
        {"surrogate", "\xed\xa0\x80", 0, "\"" FFFD FFFD FFFD "\""},
        {"truncated", "x\xe6\xbc", 0, "\"x" FFFD "\""},
        {"slash_and_del", "a/b\x7f", 0, "\"a/b\x7f\""},
    };
    /* clang-format on */
    size_t i;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        plk_buf b = {0};
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);

        assert_int_equal(plk_json_quote(&b, rows[i].in, len), 0);
        if (strcmp(b.data, rows[i].want) != 0) {
            print_error("row %s: got %s want %s\n", rows[i].name, b.data,
                        rows[i].want);
            plk_buf_free(&b);
            fail();
        }
        assert_true(plk_json_valid(b.data));
        plk_buf_free(&b);
    }
    {
        plk_buf b = {0};

        assert_int_equal(plk_json_quote(&b, NULL, 5), 0);
        assert_string_equal(b.data, "\"\"");
        plk_buf_free(&b);
    }
}

static void
test_json__valid(void **state)
{
    static const struct {
        const char *text;
        int want;
    } rows[] = {
        {"{}", 1},
        {" {\"a\": [1, -2.5e+3, true, false, null, \"x\"]} \n", 1},
        {"[]", 1},
        {"\"\\u00e9\\n\"", 1},
        {"0", 1},
        {"-0.0E-1", 1},
        {"{\"k\": {\"n\": {}}}", 1},
        {"", 0},
        {"{", 0},
        {"{\"a\" 1}", 0},
        {"{\"a\": 1,}", 0},
        {"[1,]", 0},
        {"[01]", 0},
        {"[1.]", 0},
        {"[.5]", 0},
        {"[NaN]", 0},
        {"[Infinity]", 0},
        {"{'a': 1}", 0},
        {"\"raw\nnewline\"", 0},
        {"\"bad \\x escape\"", 0},
        {"\"\\u12\"", 0},
        {"\"\xff\"", 0},
        {"{} {}", 0},
        {"[tru]", 0},
        {"{1: 2}", 0},
    };
    char deep[700];
    size_t i;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        if (plk_json_valid(rows[i].text) != rows[i].want) {
            print_error("row %zu (%s): want %d\n", i, rows[i].text,
                        rows[i].want);
            fail();
        }
    }
    assert_false(plk_json_valid(NULL));
    /* Nesting deeper than 256 is refused rather than recursed into. */
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    deep[600] = '\0';
    assert_false(plk_json_valid(deep));
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    deep[400] = '\0';
    assert_true(plk_json_valid(deep));
}

/* The reader of diagnosis text the HTML report lays out (as it reads
 * it: every number a double). */
static void
test_json__parse_values(void **state)
{
    json_t *v;
    const json_t *x;

    (void)state;
    v = plk_json_parse(" {\"a\": [1, -2.5e1, true, false, null, "
                       "\"s\\n\\u00e9\\ud83d\\ude00\\udc00\\/\"], "
                       "\"b\": {}} ",
                       JSON_DECODE_INT_AS_REAL);
    assert_non_null(v);
    assert_true(json_is_object(v));
    x = json_object_get(v, "a");
    assert_int_equal(json_array_size(x), 6);
    assert_true(json_number_value(json_array_get(x, 0)) == 1.0);
    assert_true(json_number_value(json_array_get(x, 1)) == -25.0);
    assert_true(json_is_true(json_array_get(x, 2)));
    assert_true(json_is_false(json_array_get(x, 3)));
    assert_true(json_is_null(json_array_get(x, 4)));
    /* A lone surrogate escape reads as U+FFFD. */
    assert_string_equal(json_string_value(json_array_get(x, 5)),
                        "s\n\xc3\xa9\xf0\x9f\x98\x80" FFFD "/");
    assert_null(json_array_get(x, 6));
    assert_true(json_is_object(json_object_get(v, "b")));
    assert_null(json_object_get(v, "c"));
    assert_null(json_string_value(json_object_get(v, "a")));
    assert_int_equal(json_array_size(v), 0); /* not an array */
    json_decref(v);
    /* Integers too large for jansson's integers still read. */
    v = plk_json_parse("[18446744073709551616]", JSON_DECODE_INT_AS_REAL);
    assert_non_null(v);
    assert_true(json_number_value(json_array_get(v, 0)) == 0x1p64);
    json_decref(v);
    /* \u0000 is allowed; a C string of it ends there. */
    v = plk_json_parse("\"a\\u0000b\"", 0);
    assert_non_null(v);
    assert_int_equal(json_string_length(v), 3);
    assert_string_equal(json_string_value(v), "a");
    json_decref(v);
}

static void
test_json__parse_rejects(void **state)
{
    static const char *bad[] = {
        "",        "{",           "[1,]", "{\"a\" 1}", "{\"a\": 1,}",
        "01",      "-",           "1.",   "\"open",    "\"tab\there\"",
        "\"\\x\"", "\"\\u12g4\"", "tru",  "[1] [2]",   "{1: 2}",
        "nul",
    };
    char deep[601];
    size_t i;

    (void)state;
    for (i = 0; i < NELEM(bad); i++) {
        if (plk_json_parse(bad[i], JSON_DECODE_INT_AS_REAL) != NULL) {
            print_error("took %s\n", bad[i]);
            fail();
        }
    }
    assert_null(plk_json_parse(NULL, 0));
    /* 300 levels: more than the reader takes. */
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    deep[600] = '\0';
    assert_null(plk_json_parse(deep, JSON_DECODE_INT_AS_REAL));
    /* 200 levels are fine. */
    {
        json_t *v;

        memset(deep, 0, sizeof(deep));
        memset(deep, '[', 200);
        memset(deep + 200, ']', 200);
        v = plk_json_parse(deep, JSON_DECODE_INT_AS_REAL);
        assert_non_null(v);
        json_decref(v);
    }
}

static void
build_result(plk_run_result *r)
{
    static const int64_t series[] = {10, 13, 16, 19, 22};
    plk_suite_result *s;
    plk_test_result *t;
    plk_metric_result *m;

    memset(r, 0, sizeof(*r));
    r->timestamp = xstrdup("2024-05-01T12:00:00");
    r->time = 1.25;
    s = plk_run_result_add_suite(r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_app");
    s->file = xstrdup("tests/test_app.py");

    t = plk_suite_result_add_test(s);
    assert_non_null(t);
    t->id = xstrdup("tests/test_app.py::test_\"leak\"\n\x1b[1m");
    t->name = xstrdup("test_leak");
    t->outcome = PLK_OUTCOME_LEAKED;
    t->message = xstrdup("leaks 3 blocks/call \xff");
    t->calls = 1;
    t->rounds = 4;
    m = &t->metrics[PLK_METRIC_BLOCKS];
    m->measured = 1;
    m->gating = 1;
    m->series = malloc(sizeof(series));
    assert_non_null(m->series);
    memcpy(m->series, series, sizeof(series));
    m->n = NELEM(series);
    m->per_call = 3;
    m->fit.slope = 3;
    m->fit.mk_p = NAN;
    m->fit.verdict = PLK_VERDICT_LEAK;
    m->fit.rises = 4;
    m->fit.drawdown = 2.5;
    m->fit.persisted = 1;
    t->loc_file = xstrdup("app/cache.py");
    t->loc_line = 7;
    t->diagnosis = xstrdup("{\"sites\": [{\"file\": \"app/cache.py\", "
                           "\"bytes_per_round\": 72}]}");
    t->stdout_text = xstrdup("out\n");
    t->stderr_text = xstrdup("warn\x01\n");

    t = plk_suite_result_add_test(s);
    assert_non_null(t);
    t->name = xstrdup("test_bad_diagnosis");
    t->outcome = PLK_OUTCOME_LEAKED;
    t->diagnosis = xstrdup("{\"unterminated\": ");

    /* Passed once and failed when repeated: a skip of its own kind. */
    t = plk_suite_result_add_test(s);
    assert_non_null(t);
    t->name = xstrdup("test_only_once");
    t->outcome = PLK_OUTCOME_SKIPPED;
    t->exc_type = xstrdup(PLK_NOT_REPEATABLE);
    t->message = xstrdup("not repeatable: passed once, failed on call 2: "
                         "AssertionError");

    s = plk_run_result_add_suite(r);
    assert_non_null(s);
    s->name = xstrdup("tests.test_broken");
    s->error_type = xstrdup("ImportError");
    s->error_message = xstrdup("No module named 'nope'");
}

static void
test_json__render(void **state)
{
    plk_run_result r;
    plk_json_meta meta = {"9.9.9", "3.11.2", 1, NULL};
    char *text = NULL;

    (void)state;
    build_result(&r);
    assert_int_equal(plk_json_render(&text, &r, &meta), 0);
    assert_non_null(text);
    assert_true(plk_json_valid(text));
    assert_non_null(strstr(text, "\"format\": \"" PLK_JSON_FORMAT "\""));
    assert_non_null(strstr(text, "\"version\": \"9.9.9\""));
    assert_non_null(strstr(text, "\"debug\": true"));
    assert_non_null(strstr(text, "\"leaked\": 2"));
    assert_non_null(strstr(text, "\"errors\": 1"));
    assert_non_null(strstr(text, "\"skipped\": 1"));
    assert_non_null(strstr(text, "\"not_repeatable\": 1"));
    assert_non_null(strstr(text, "\"exc_type\": \"pyleak.NotRepeatable\""));
    assert_non_null(strstr(text,
                           "\"id\": \"tests/test_app.py::test_\\\"leak\\\"\\n"
                           "\\u001b[1m\""));
    assert_non_null(
        strstr(text, "\"message\": \"leaks 3 blocks/call " FFFD "\""));
    assert_non_null(strstr(text, "\"series\": [10, 13, 16, 19, 22]"));
    assert_non_null(strstr(text, "\"deltas\": [3, 3, 3, 3]"));
    assert_non_null(strstr(text, "\"growth\": {"));
    assert_non_null(strstr(text, "\"rises\": 4,"));
    assert_non_null(strstr(text, "\"drawdown\": 2.5,"));
    assert_non_null(strstr(text, "\"saturated\": false,"));
    assert_non_null(strstr(text, "\"persisted\": true\n"));
    /* NaN has no JSON form. */
    assert_non_null(strstr(text, "\"p\": null"));
    assert_non_null(strstr(text, "\"location\": {"));
    assert_non_null(strstr(text, "\"line\": 7"));
    /* A valid diagnosis is embedded as it is, a broken one as text. */
    assert_non_null(strstr(text, "\"diagnosis\": {\"sites\": [{\"file\""));
    assert_non_null(strstr(text, "\"diagnosis\": null,"));
    assert_non_null(strstr(text, "\"diagnosis_text\": \"{\\\"unterminated"
                                 "\\\": \""));
    assert_non_null(strstr(text, "\"stderr\": \"warn\\u0001\\n\""));
    assert_non_null(strstr(text, "\"type\": \"ImportError\""));
    /* No settings without a configuration. */
    assert_null(strstr(text, "\"settings\""));
    free(text);
    plk_run_result_free(&r);
}

static void
test_json__render_empty_and_settings(void **state)
{
    plk_run_result r = {0};
    plk_config cfg;
    plk_json_meta meta = {"1", "3", 0, &cfg};
    char *text = NULL;

    (void)state;
    plk_config_init(&cfg);
    assert_int_equal(plk_json_render(&text, &r, &meta), 0);
    assert_true(plk_json_valid(text));
    assert_non_null(strstr(text, "\"suites\": []"));
    assert_non_null(strstr(text, "\"timestamp\": null"));
    assert_non_null(strstr(text, "\"settings\": {"));
    assert_non_null(strstr(text, "\"threshold\": {"));
    assert_non_null(strstr(text, "\"reseed\": true"));
    assert_non_null(strstr(text, "\"fail_not_repeatable\": false"));
    free(text);
    assert_int_equal(plk_json_render(&text, &r, NULL), 0);
    assert_true(plk_json_valid(text));
    free(text);
    plk_config_free(&cfg);
}

/* The test's object in a rendered one-suite, one-test document. */
static json_t *
only_test(json_t *doc)
{
    json_t *suites = json_object_get(doc, "suites");

    return json_array_get(json_object_get(json_array_get(suites, 0), "tests"),
                          0);
}

static void
test_json__render_repairs_text(void **state)
{
    /* Bytes that are not UTF-8 reach the writer in test names, output
     * and messages; each maximal invalid subsequence becomes one U+FFFD
     * and the document stays valid for a strict reader. */
    static const struct {
        const char *in;
        const char *want;
    } rows[] = {
        {"test_\xff", "test_" FFFD},
        {"caf\xe9", "caf" FFFD},
        {"\xc0\x80", FFFD FFFD},
        {"\xed\xa0\x80", FFFD FFFD FFFD},
        {"x\xe6\xbc", "x" FFFD},
        {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD},
        {"ok \xe6\xbc\xa2 \x1b[1m\x01", "ok \xe6\xbc\xa2 \x1b[1m\x01"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < NELEM(rows); i++) {
        plk_run_result r = {0};
        plk_suite_result *s = plk_run_result_add_suite(&r);
        plk_test_result *t;
        char *text = NULL;
        json_t *doc;
        json_error_t e;

        assert_non_null(s);
        t = plk_suite_result_add_test(s);
        assert_non_null(t);
        t->name = xstrdup(rows[i].in);
        t->stdout_text = xstrdup(rows[i].in);
        assert_int_equal(plk_json_render(&text, &r, NULL), 0);
        doc = json_loads(text, 0, &e);
        if (doc == NULL) {
            print_error("row %zu: %s at %d:%d\n", i, e.text, e.line, e.column);
            fail();
        }
        assert_string_equal(
            json_string_value(json_object_get(only_test(doc), "name")),
            rows[i].want);
        assert_string_equal(
            json_string_value(json_object_get(
                json_object_get(only_test(doc), "output"), "stdout")),
            rows[i].want);
        json_decref(doc);
        free(text);
        plk_run_result_free(&r);
    }
}

static void
test_json__render_diagnosis(void **state)
{
    /* What becomes of the diagnosis text: embedded when it is one JSON
     * value, else null with the text beside it. */
    static const struct {
        const char *name;
        const char *text;
        const char *embedded; /* the diagnosis as written; NULL: text */
    } rows[] = {
        {"object", "{\"a\": [1, 2.5, 72.0, -0.0, true, null]}",
         "\"diagnosis\": {\"a\": [1, 2.5, 72.0, -0.0, true, null]},"},
        {"not_an_object", "[1, 2]", "\"diagnosis\": [1, 2],"},
        {"lone_surrogate", "{\"path\": \"t\\udcff.py\"}",
         "\"diagnosis\": {\"path\": \"t" FFFD ".py\"},"},
        {"nul_escape", "{\"s\": \"a\\u0000b\"}",
         "\"diagnosis\": {\"s\": \"a\\u0000b\"},"},
        {"not_json", "Traceback (most recent call last):", NULL},
        {"python_repr", "{'a': 1}", NULL},
        {"empty", "", NULL},
        {"trailing", "{\"a\": 1} {}", NULL},
        {"unterminated", "{\"a\": [1, ", NULL},
        {"nan", "{\"a\": NaN}", NULL},
        {"bad_utf8", "{\"a\": \"\xff\"}", NULL},
    };
    char deep[700];
    size_t i;

    (void)state;
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    deep[600] = '\0';
    for (i = 0; i < NELEM(rows) + 1; i++) {
        plk_run_result r = {0};
        plk_suite_result *s = plk_run_result_add_suite(&r);
        plk_test_result *t;
        const char *in = i < NELEM(rows) ? rows[i].text : deep;
        const char *embedded = i < NELEM(rows) ? rows[i].embedded : NULL;
        char *text = NULL;
        json_t *doc;
        json_t *got;
        char *fixed;

        assert_non_null(s);
        t = plk_suite_result_add_test(s);
        assert_non_null(t);
        t->diagnosis = xstrdup(in);
        assert_int_equal(plk_json_render(&text, &r, NULL), 0);
        doc = json_loads(text, JSON_ALLOW_NUL, NULL);
        assert_non_null(doc);
        got = json_object_get(only_test(doc), "diagnosis_text");
        if (embedded != NULL) {
            if (strstr(text, embedded) == NULL) {
                print_error("row %s: no %s in\n%s\n", rows[i].name, embedded,
                            text);
                fail();
            }
            assert_null(got);
        }
        else {
            assert_true(
                json_is_null(json_object_get(only_test(doc), "diagnosis")));
            fixed = plk_sanitize_utf8(in, strlen(in), NULL);
            assert_non_null(fixed);
            assert_string_equal(json_string_value(got), fixed);
            free(fixed);
        }
        json_decref(doc);
        free(text);
        plk_run_result_free(&r);
    }
}

static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void
test_json__write_and_check_path(void **state)
{
    plk_run_result r;
    plk_error err = {0};
    char dir[] = "/tmp/plk_json_XXXXXX";
    char path[256];
    char bad[256];
    char buf[64];
    FILE *f;
    size_t n;

    (void)state;
    assert_non_null(mkdtemp(dir));
    build_result(&r);
    snprintf(path, sizeof(path), "%s/r.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("old", f);
    fclose(f);
    assert_int_equal(plk_json_check_path(path, &err), 0);
    assert_int_equal(plk_json_write(&r, NULL, path, &err), 0);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "\"format\""));
    /* Replaced, with no temporary left beside it. */
    assert_int_equal(count_entries(dir), 1);

    snprintf(bad, sizeof(bad), "%s/missing/r.json", dir);
    assert_int_equal(plk_json_check_path(bad, &err), PLK_EIO);
    assert_non_null(strstr(err.message, "JSON report"));
    assert_non_null(strstr(err.message, "does not exist"));
    plk_error_clear(&err);
    assert_int_equal(plk_json_write(&r, NULL, bad, &err), PLK_EIO);
    assert_non_null(strstr(err.message, bad));
    plk_error_clear(&err);
    assert_int_equal(plk_json_check_path(dir, &err), PLK_EIO);
    assert_non_null(strstr(err.message, "is a directory"));
    plk_error_clear(&err);
    assert_int_equal(plk_json_check_path("", &err), PLK_EUSAGE);
    plk_error_clear(&err);
    /* rename() onto a directory fails; nothing may be left behind. */
    snprintf(bad, sizeof(bad), "%s/sub", dir);
    assert_int_equal(mkdir(bad, 0700), 0);
    assert_int_equal(plk_json_write(&r, NULL, bad, &err), PLK_EIO);
    plk_error_clear(&err);
    assert_int_equal(count_entries(dir), 2);
    rmdir(bad);
    unlink(path);
    rmdir(dir);
    plk_run_result_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json__quote),
        cmocka_unit_test(test_json__valid),
        cmocka_unit_test(test_json__parse_values),
        cmocka_unit_test(test_json__parse_rejects),
        cmocka_unit_test(test_json__render),
        cmocka_unit_test(test_json__render_empty_and_settings),
        cmocka_unit_test(test_json__render_repairs_text),
        cmocka_unit_test(test_json__render_diagnosis),
        cmocka_unit_test(test_json__write_and_check_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
