/* Unit tests for the result records workers send the parent: round trips
 * of every field, partial frames, and corrupt input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pool/record.h"
#include "base/util.h"

/* A test record with every field set to something distinct. */
static void
fill_test(plk_test_result *t)
{
    int m;

    memset(t, 0, sizeof(*t));
    t->id = plk_strdup("tests/test_x.py::Case::test_\xc3\xa9 [a=1]");
    t->classname = plk_strdup("tests.test_x.Case");
    t->name = plk_strdup("test_\xc3\xa9 [a=1]");
    t->file = plk_strdup("tests/test_x.py");
    t->line = 42;
    t->outcome = PLK_OUTCOME_LEAKED;
    t->time = 1.25;
    t->message = plk_strdup("leaks 3.00 blocks/call");
    t->exc_type = plk_strdup("pyleak.Leak");
    t->details = plk_strdup("line one\nline two\n");
    t->stdout_text = plk_strdup(""); /* empty, not NULL */
    t->stderr_text = plk_strdup("warning\x1b[31m");
    t->warmup = 3;
    t->rounds = 16;
    t->calls = 100;
    t->screened = 12;
    t->total_calls = 5000000000UL; /* more than 32 bits hold */
    t->kind = plk_strdup("python-held,fd");
    t->loc_file = plk_strdup("tests/test_x.py");
    t->loc_line = -7;
    t->top_site = plk_strdup("tests/test_x.py:9: cache.append(x)");
    t->diagnosis = plk_strdup("{\"sites\": []}");
    t->diagnose_time = 0.5;
    t->note = plk_strdup("allowed: heap");
    t->baseline = PLK_BASELINE_LARGER;
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        plk_metric_result *mr = &t->metrics[m];
        size_t i;

        mr->measured = 1;
        mr->gating = m != PLK_METRIC_RSS;
        mr->per_call = 0.25 * m;
        mr->n = (size_t)m + 2;
        mr->series = malloc(mr->n * sizeof(int64_t));
        for (i = 0; i < mr->n; i++) {
            mr->series[i] = (int64_t)(i * 1000) - INT64_C(1) * m +
                            (m == 3 ? INT64_MIN / 2 : 0);
        }
        mr->fit.n = mr->n;
        mr->fit.slope = 1.5 + m;
        mr->fit.intercept = -2.0;
        mr->fit.late_slope = 0.75;
        mr->fit.mk_s = 10;
        mr->fit.mk_z = 2.5;
        mr->fit.mk_p = 1e-9;
        mr->fit.net = -5 * m;
        mr->fit.all_zero = m == 0;
        mr->fit.verdict = (plk_verdict)(m % 3);
        mr->fit.rises = (size_t)m * 3;
        mr->fit.longest_wait = (size_t)m + 1;
        mr->fit.quiet = 7;
        mr->fit.drawdown = 21.5 * m;
        mr->fit.saturated = m % 2;
        mr->fit.irregular = m == 4;
        mr->fit.persisted = m != 1;
    }
}

static void
assert_str_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        assert_ptr_equal(a, b);
    }
    else {
        assert_string_equal(a, b);
    }
}

static void
assert_test_equal(const plk_test_result *a, const plk_test_result *b)
{
    int m;

    assert_str_same(a->id, b->id);
    assert_str_same(a->classname, b->classname);
    assert_str_same(a->name, b->name);
    assert_str_same(a->file, b->file);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->outcome, b->outcome);
    assert_true(a->time == b->time);
    assert_str_same(a->message, b->message);
    assert_str_same(a->exc_type, b->exc_type);
    assert_str_same(a->details, b->details);
    assert_str_same(a->stdout_text, b->stdout_text);
    assert_str_same(a->stderr_text, b->stderr_text);
    assert_int_equal(a->warmup, b->warmup);
    assert_int_equal(a->rounds, b->rounds);
    assert_int_equal(a->calls, b->calls);
    assert_int_equal(a->screened, b->screened);
    assert_int_equal(a->total_calls, b->total_calls);
    assert_str_same(a->kind, b->kind);
    assert_str_same(a->loc_file, b->loc_file);
    assert_int_equal(a->loc_line, b->loc_line);
    assert_str_same(a->top_site, b->top_site);
    assert_str_same(a->diagnosis, b->diagnosis);
    assert_true(a->diagnose_time == b->diagnose_time);
    assert_str_same(a->note, b->note);
    assert_int_equal(a->baseline, b->baseline);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        const plk_metric_result *x = &a->metrics[m], *y = &b->metrics[m];

        assert_int_equal(x->measured, y->measured);
        assert_int_equal(x->gating, y->gating);
        assert_true(x->per_call == y->per_call);
        assert_int_equal(x->n, y->n);
        if (x->n > 0) {
            assert_memory_equal(x->series, y->series, x->n * sizeof(int64_t));
        }
        assert_int_equal(x->fit.n, y->fit.n);
        assert_true(x->fit.slope == y->fit.slope);
        assert_true(x->fit.intercept == y->fit.intercept);
        assert_true(x->fit.late_slope == y->fit.late_slope);
        assert_true(x->fit.mk_s == y->fit.mk_s);
        assert_true(x->fit.mk_z == y->fit.mk_z);
        assert_true(x->fit.mk_p == y->fit.mk_p);
        assert_int_equal(x->fit.net, y->fit.net);
        assert_int_equal(x->fit.all_zero, y->fit.all_zero);
        assert_int_equal(x->fit.verdict, y->fit.verdict);
        assert_int_equal(x->fit.rises, y->fit.rises);
        assert_int_equal(x->fit.longest_wait, y->fit.longest_wait);
        assert_int_equal(x->fit.quiet, y->fit.quiet);
        assert_true(x->fit.drawdown == y->fit.drawdown);
        assert_int_equal(x->fit.saturated, y->fit.saturated);
        assert_int_equal(x->fit.irregular, y->fit.irregular);
        assert_int_equal(x->fit.persisted, y->fit.persisted);
    }
}

static void
test_record__tables_cover_result_h(void **state)
{
    char *gap = NULL;
    int rc = plk_record_check_tables(&gap);

    if (rc != 0) {
        fail_msg("%s", gap);
    }
    free(gap);
}

static void
test_record__test_round_trip(void **state)
{
    plk_test_result t;
    plk_record r;
    plk_buf b = {0};
    plk_error err = {0};
    long used;

    fill_test(&t);
    assert_int_equal(plk_record_put_test(&b, PLK_REC_TEST, &t), 0);
    used = plk_record_decode(&r, (unsigned char *)b.data, b.len, &err);
    assert_int_equal(used, (long)b.len);
    assert_int_equal(r.type, PLK_REC_TEST);
    assert_test_equal(&t, &r.test);
    plk_record_free(&r);
    plk_test_result_free(&t);
    plk_buf_free(&b);
}

static void
test_record__empty_test_round_trip(void **state)
{
    plk_test_result t = {0};
    plk_record r;
    plk_buf b = {0};

    assert_int_equal(plk_record_put_test(&b, PLK_REC_TEST, &t), 0);
    assert_int_equal(b.len, 5); /* length and type: zero fields are left out */
    assert_int_equal(
        plk_record_decode(&r, (unsigned char *)b.data, b.len, NULL), 5);
    assert_test_equal(&t, &r.test);
    plk_record_free(&r);
    plk_buf_free(&b);
}

static void
test_record__begin_carries_identity_only(void **state)
{
    plk_test_result t;
    plk_record r;
    plk_buf b = {0};

    fill_test(&t);
    assert_int_equal(plk_record_put_test(&b, PLK_REC_BEGIN, &t), 0);
    assert_true(plk_record_decode(&r, (unsigned char *)b.data, b.len, NULL) >
                0);
    assert_int_equal(r.type, PLK_REC_BEGIN);
    assert_string_equal(r.test.id, t.id);
    assert_string_equal(r.test.classname, t.classname);
    assert_string_equal(r.test.name, t.name);
    assert_string_equal(r.test.file, t.file);
    assert_int_equal(r.test.line, 42);
    assert_null(r.test.message);
    assert_null(r.test.metrics[PLK_METRIC_BLOCKS].series);
    assert_int_equal(r.test.outcome, PLK_OUTCOME_PASSED);
    plk_record_free(&r);
    plk_test_result_free(&t);
    plk_buf_free(&b);
}

static void
test_record__suite_and_control_round_trip(void **state)
{
    plk_suite_result s = {0};
    plk_record r;
    plk_buf b = {0};
    size_t at = 0;
    long used;

    s.name = plk_strdup("tests.test_x");
    s.file = plk_strdup("tests/test_x.py");
    s.time = 3.5;
    s.timestamp = plk_strdup("2024-01-02T03:04:05");
    s.error_type = plk_strdup("SyntaxError");
    s.error_message = plk_strdup("cannot import tests/test_x.py");
    s.error_details = plk_strdup("  File ...\n");
    assert_int_equal(plk_record_put_hello(&b, 1234), 0);
    assert_int_equal(plk_record_put_suite(&b, PLK_REC_SUITE_DONE, &s), 0);
    assert_int_equal(plk_record_put_error(&b, PLK_EUSAGE, "no test 'x'"), 0);
    assert_int_equal(plk_record_put_end(&b, PLK_EINTR), 0);

    used = plk_record_decode(&r, (unsigned char *)b.data, b.len, NULL);
    assert_true(used > 0);
    assert_int_equal(r.type, PLK_REC_HELLO);
    assert_int_equal(r.version, PLK_RECORD_VERSION);
    assert_int_equal(r.pid, 1234);
    plk_record_free(&r);
    at += (size_t)used;

    used =
        plk_record_decode(&r, (unsigned char *)b.data + at, b.len - at, NULL);
    assert_true(used > 0);
    assert_int_equal(r.type, PLK_REC_SUITE_DONE);
    assert_string_equal(r.suite.name, s.name);
    assert_string_equal(r.suite.file, s.file);
    assert_true(r.suite.time == 3.5);
    assert_string_equal(r.suite.timestamp, s.timestamp);
    assert_string_equal(r.suite.error_type, s.error_type);
    assert_string_equal(r.suite.error_message, s.error_message);
    assert_string_equal(r.suite.error_details, s.error_details);
    assert_int_equal(r.suite.ntests, 0);
    plk_record_free(&r);
    at += (size_t)used;

    used =
        plk_record_decode(&r, (unsigned char *)b.data + at, b.len - at, NULL);
    assert_int_equal(r.type, PLK_REC_ERROR);
    assert_int_equal(r.code, PLK_EUSAGE);
    assert_string_equal(r.message, "no test 'x'");
    plk_record_free(&r);
    at += (size_t)used;

    used =
        plk_record_decode(&r, (unsigned char *)b.data + at, b.len - at, NULL);
    assert_int_equal(r.type, PLK_REC_END);
    assert_int_equal(r.code, PLK_EINTR);
    plk_record_free(&r);
    at += (size_t)used;
    assert_int_equal(at, b.len);

    plk_suite_result_free(&s);
    plk_buf_free(&b);
}

/* Every strict prefix of a frame is "not complete yet", never an error
 * and never a read past the end (the sanitizers would see one). */
static void
test_record__partial_frames_wait_for_more(void **state)
{
    plk_test_result t;
    plk_record r;
    plk_buf b = {0};
    size_t n;

    fill_test(&t);
    assert_int_equal(plk_record_put_test(&b, PLK_REC_TEST, &t), 0);
    for (n = 0; n < b.len; n++) {
        unsigned char *copy = malloc(n ? n : 1);

        memcpy(copy, b.data, n);
        assert_int_equal(plk_record_decode(&r, copy, n, NULL), 0);
        plk_record_free(&r);
        free(copy);
    }
    plk_test_result_free(&t);
    plk_buf_free(&b);
}

/* Frames built by hand, to say exactly what is wrong with them. */
static size_t
frame(unsigned char *out, unsigned char type, const unsigned char *fields,
      size_t n)
{
    uint32_t len = (uint32_t)n + 1;

    out[0] = (unsigned char)len;
    out[1] = (unsigned char)(len >> 8);
    out[2] = (unsigned char)(len >> 16);
    out[3] = (unsigned char)(len >> 24);
    out[4] = type;
    memcpy(out + 5, fields, n);
    return n + 5;
}

static void
test_record__corrupt_input_is_an_error(void **state)
{
    static const struct {
        const char *what;
        unsigned char type;
        unsigned char fields[24];
        size_t n;
        /* clang-format off */
    } cases[] = {
        {"unknown type", 99, {0}, 0},
        {"string longer than the record", PLK_REC_TEST,
         {1, 0, 1, 200, 0, 0, 0, 'a', 'b'}, 9},
        {"truncated field header", PLK_REC_TEST, {1, 0}, 2},
        {"truncated number", PLK_REC_TEST, {5, 0, 2, 1, 2, 3}, 6},
        {"wrong kind for id", PLK_REC_TEST,
         {1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0}, 11},
        {"outcome out of range", PLK_REC_TEST,
         {6, 0, 2, 77, 0, 0, 0, 0, 0, 0, 0}, 11},
        {"negative outcome", PLK_REC_TEST,
         {6, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 11},
        {"warmup past unsigned", PLK_REC_TEST,
         {13, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0}, 11},
        {"series longer than the record", PLK_REC_TEST,
         {0x44, 0x10, 4, 9, 0, 0, 0, 1, 2, 3}, 10},
        {"unknown field kind", PLK_REC_TEST, {1, 0, 9, 0}, 4},
        {"verdict out of range", PLK_REC_TEST,
         {0x4e, 0x10, 2, 3, 0, 0, 0, 0, 0, 0, 0}, 11},
        {"hello of another version", PLK_REC_HELLO,
         {1, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0}, 11},
        {"hello without a version", PLK_REC_HELLO, {0}, 0},
    };
    /* clang-format on */
    unsigned char buf[64];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        plk_record r;
        plk_error err = {0};
        size_t n = frame(buf, cases[i].type, cases[i].fields, cases[i].n);
        long rc = plk_record_decode(&r, buf, n, &err);

        if (rc != PLK_EIO) {
            fail_msg("%s: decode returned %ld", cases[i].what, rc);
        }
        assert_non_null(err.message);
        assert_int_equal(r.type, 0); /* nothing half-filled is left */
        assert_null(r.test.id);
        plk_error_clear(&err);
    }
}

static void
test_record__bad_lengths(void **state)
{
    unsigned char zero[8] = {0, 0, 0, 0, 5};
    unsigned char huge[8] = {0xff, 0xff, 0xff, 0x7f, 5};
    plk_record r;
    plk_error err = {0};

    assert_int_equal(plk_record_decode(&r, zero, sizeof(zero), &err), PLK_EIO);
    plk_error_clear(&err);
    assert_int_equal(plk_record_decode(&r, huge, sizeof(huge), &err), PLK_EIO);
    assert_non_null(strstr(err.message, "length"));
    plk_error_clear(&err);
}

/* Fields of a newer writer (an unknown tag, an unknown metric) are
 * skipped by their kind; the rest of the record still reads. */
static void
test_record__unknown_fields_are_skipped(void **state)
{
    static const unsigned char fields[] = {
        0x99, 0x00, 1, 3, 0, 0, 0, 'n', 'e', 'w',    /* tag 153 str */
        0x01, 0x1f, 2, 1, 0, 0, 0, 0,   0,   0,   0, /* metric 60 */
        0x77, 0x00, 4, 1, 0, 0, 0, 1,   0,   0,   0, 0, 0, 0, 0, /* series */
        0x03, 0x00, 1, 2, 0, 0, 0, 'o', 'k',                     /* name */
    };
    unsigned char buf[128];
    size_t n = frame(buf, PLK_REC_TEST, fields, sizeof(fields));
    plk_record r;

    assert_int_equal(plk_record_decode(&r, buf, n, NULL), (long)n);
    assert_string_equal(r.test.name, "ok");
    plk_record_free(&r);
}

/* Flip each byte of a valid record in turn: every result is either a
 * record or an error, and nothing is read out of bounds or leaked. */
static void
test_record__flipped_bytes_never_crash(void **state)
{
    plk_test_result t;
    plk_buf b = {0};
    size_t i;
    int errors = 0;

    fill_test(&t);
    assert_int_equal(plk_record_put_test(&b, PLK_REC_TEST, &t), 0);
    for (i = 0; i < b.len; i++) {
        static const unsigned char flips[] = {0xff, 0x80, 0x01};
        size_t f;

        for (f = 0; f < sizeof(flips); f++) {
            unsigned char *copy = malloc(b.len);
            plk_record r;
            plk_error err = {0};
            long rc;

            memcpy(copy, b.data, b.len);
            copy[i] ^= flips[f];
            rc = plk_record_decode(&r, copy, b.len, &err);
            assert_true(rc == PLK_EIO || rc >= 0);
            if (rc == PLK_EIO) {
                errors++;
            }
            else if (rc > 0) {
                assert_true(r.test.outcome <= PLK_OUTCOME_SKIPPED);
                assert_true(rc <= (long)b.len);
            }
            plk_record_free(&r);
            plk_error_clear(&err);
            free(copy);
        }
    }
    assert_true(errors > 0);
    plk_test_result_free(&t);
    plk_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record__tables_cover_result_h),
        cmocka_unit_test(test_record__test_round_trip),
        cmocka_unit_test(test_record__empty_test_round_trip),
        cmocka_unit_test(test_record__begin_carries_identity_only),
        cmocka_unit_test(test_record__suite_and_control_round_trip),
        cmocka_unit_test(test_record__partial_frames_wait_for_more),
        cmocka_unit_test(test_record__corrupt_input_is_an_error),
        cmocka_unit_test(test_record__bad_lengths),
        cmocka_unit_test(test_record__unknown_fields_are_skipped),
        cmocka_unit_test(test_record__flipped_bytes_never_crash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
