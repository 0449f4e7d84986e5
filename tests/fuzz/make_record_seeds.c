/* Write the seed corpus of fuzz_record: streams as workers send them,
 * made with plk_record_put_*, plus torn and corrupt variants.
 *     make_record_seeds DIR
 * Run it again (build/tests/fuzz/make_record_seeds tests/fuzz/record)
 * when the record format changes. Not a test: the seeds are committed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "pool/record.h"

static int failed;

static void
save(const char *dir, const char *name, const plk_buf *b, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(b->data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "make_record_seeds: cannot write %s\n", path);
        failed = 1;
    }
}

static void
check(int rc)
{
    if (rc != 0) {
        fprintf(stderr, "make_record_seeds: encoding failed (%d)\n", rc);
        exit(1);
    }
}

/* A test of the given outcome with the identity set and, for a full
 * result, the figures of two metrics. */
static void
make_test(plk_test_result *t, const char *name, plk_outcome outcome, int full)
{
    char id[128];

    memset(t, 0, sizeof(*t));
    snprintf(id, sizeof(id), "tests/test_app.py::Case::%s", name);
    t->id = plk_strdup(id);
    t->classname = plk_strdup("tests.test_app.Case");
    t->name = plk_strdup(name);
    t->file = plk_strdup("tests/test_app.py");
    t->line = 12;
    if (!full) {
        return;
    }
    t->outcome = outcome;
    t->time = 0.125;
    t->warmup = 2;
    t->rounds = 4;
    t->calls = 10;
    t->total_calls = 61;
    if (outcome == PLK_OUTCOME_FAILED) {
        t->message = plk_strdup("AssertionError: 1 != 2");
        t->exc_type = plk_strdup("AssertionError");
        t->details = plk_strdup("Traceback (most recent call last):\n"
                                "  File \"tests/test_app.py\", line 13\n"
                                "AssertionError: 1 != 2\n");
        t->stdout_text = plk_strdup("printed \x1b[32mgreen\x1b[0m\n");
        t->stderr_text = plk_strdup("");
    }
    if (outcome == PLK_OUTCOME_LEAKED) {
        plk_metric_result *m = &t->metrics[PLK_METRIC_BLOCKS];
        size_t i;

        t->message = plk_strdup("leaks 1.00 blocks/call");
        t->kind = plk_strdup("python-held");
        t->loc_file = plk_strdup("tests/test_app.py");
        t->loc_line = 15;
        t->top_site = plk_strdup("tests/test_app.py:15: cache.append(x)");
        t->diagnosis = plk_strdup("{\"kind\": \"python-held\"}");
        t->note = plk_strdup("allowed: rss");
        t->baseline = PLK_BASELINE_LARGER;
        m->measured = 1;
        m->gating = 1;
        m->n = 5;
        m->series = malloc(m->n * sizeof(*m->series));
        if (m->series == NULL) {
            exit(1);
        }
        for (i = 0; i < m->n; i++) {
            m->series[i] = 1000 + 10 * (int64_t)i;
        }
        m->per_call = 1.0;
        m->fit.n = m->n;
        m->fit.slope = 10;
        m->fit.mk_p = 1e-6;
        m->fit.net = 40;
        m->fit.rises = 4;
        m->fit.verdict = PLK_VERDICT_LEAK;
        t->metrics[PLK_METRIC_FDS].measured = 1;
    }
}

int
main(int argc, char **argv)
{
    plk_buf b = {0};
    plk_suite_result s = {0};
    plk_test_result t;
    const char *dir;
    size_t whole;

    if (argc != 2) {
        fprintf(stderr, "usage: make_record_seeds DIR\n");
        return 2;
    }
    dir = argv[1];

    check(plk_record_put_hello(&b, 4242));
    save(dir, "hello", &b, b.len);

    /* A worker's whole stream for one file. */
    s.name = plk_strdup("tests.test_app");
    s.file = plk_strdup("tests/test_app.py");
    s.timestamp = plk_strdup("2024-05-01T12:00:00");
    check(plk_record_put_suite(&b, PLK_REC_SUITE_START, &s));
    make_test(&t, "test_leaks", PLK_OUTCOME_LEAKED, 0);
    check(plk_record_put_test(&b, PLK_REC_COLLECTED, &t));
    plk_test_result_free(&t);
    make_test(&t, "test_fails", PLK_OUTCOME_FAILED, 0);
    check(plk_record_put_test(&b, PLK_REC_COLLECTED, &t));
    check(plk_record_put_test(&b, PLK_REC_BEGIN, &t));
    plk_test_result_free(&t);
    make_test(&t, "test_fails", PLK_OUTCOME_FAILED, 1);
    check(plk_record_put_test(&b, PLK_REC_TEST, &t));
    plk_test_result_free(&t);
    make_test(&t, "test_leaks", PLK_OUTCOME_LEAKED, 1);
    check(plk_record_put_test(&b, PLK_REC_BEGIN, &t));
    check(plk_record_put_test(&b, PLK_REC_TEST, &t));
    plk_test_result_free(&t);
    s.time = 0.5;
    check(plk_record_put_suite(&b, PLK_REC_SUITE_DONE, &s));
    check(plk_record_put_end(&b, 0));
    save(dir, "stream", &b, b.len);
    whole = b.len;

    /* Killed mid-write: in the last frame but one (END is 5 bytes), and
     * in END's length. */
    save(dir, "torn-frame", &b, whole - 7);
    save(dir, "torn-length", &b, whole - 3);

    /* A file that did not import, then a run-stopping error. */
    b.len = 0;
    check(plk_record_put_hello(&b, 7));
    plk_suite_result_free(&s);
    memset(&s, 0, sizeof(s));
    s.name = plk_strdup("tests.test_broken");
    s.file = plk_strdup("tests/test_broken.py");
    s.error_type = plk_strdup("ModuleNotFoundError");
    s.error_message = plk_strdup("No module named 'nope'");
    s.error_details = plk_strdup("Traceback (most recent call last):\n");
    check(plk_record_put_suite(&b, PLK_REC_SUITE_DONE, &s));
    check(plk_record_put_error(&b, PLK_EPYTHON, "the harness failed"));
    check(plk_record_put_end(&b, 3));
    save(dir, "import-error", &b, b.len);
    plk_suite_result_free(&s);

    /* A field this build does not know (a newer worker), a string sent
     * as NULL, and a metric past the last one. */
    b.len = 0;
    check(plk_record_put_hello(&b, 1));
    {
        static const unsigned char unknown[] = {
            /* length 40, TEST */
            40, 0, 0, 0, 5,
            /* tag 999, string "new" */
            0xe7, 0x03, 1, 3, 0, 0, 0, 'n', 'e', 'w',
            /* tag 8 (message), NULL string */
            8, 0, 1, 0xff, 0xff, 0xff, 0xff,
            /* tag 0x1000 + 0x40 * 63 + 3 (per_call of metric 63) */
            0xc3, 0x1f, 3, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
            /* tag 6 (outcome), 4 (skipped) */
            6, 0, 2, 4, 0, 0, 0, 0, 0, 0, 0};

        if (plk_buf_append(&b, (const char *)unknown, sizeof(unknown)) != 0) {
            return 1;
        }
    }
    save(dir, "unknown-fields", &b, b.len);

    /* Refused: a newer major version, a frame too long. */
    b.len = 0;
    check(plk_record_put_hello(&b, 1));
    b.data[4 + 1 + 3] = 2; /* the version field's value */
    save(dir, "version-2", &b, b.len);
    b.len = 0;
    check(plk_record_put_end(&b, 0));
    b.data[3] = 0x7f;
    save(dir, "too-long", &b, b.len);

    plk_buf_free(&b);
    return failed;
}
