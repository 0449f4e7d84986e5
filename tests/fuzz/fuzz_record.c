/* Fuzz target: the decoder of worker records (pool/record.c), the input
 * being what a worker wrote to its pipe: whole frames, torn ones, or
 * garbage.
 *
 * The stream is decoded twice: from one buffer, and as the parent reads
 * it, a few bytes at a time into a growing buffer (the chunk sizes come
 * from the input's length, so each input is read one fixed way). Both
 * must give the same records and stop at the same byte with the same
 * outcome: a frame that is not complete yet is never data. Each record
 * must carry in-range values, and encoding it must give a frame that
 * decodes whole and encodes again to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "pool/record.h"

#include "fuzz.h"

static void
check_ranges(const plk_record *r)
{
    const plk_test_result *t = &r->test;
    int m;

    FUZZ_CHECK(r->type >= PLK_REC_HELLO && r->type <= PLK_REC_END,
               "record type %d", (int)r->type);
    FUZZ_CHECK(r->type != PLK_REC_HELLO || r->version == PLK_RECORD_VERSION,
               "HELLO of version %lld", (long long)r->version);
    FUZZ_CHECK((int)t->outcome >= PLK_OUTCOME_PASSED &&
                   t->outcome <= PLK_OUTCOME_SKIPPED,
               "outcome %d", (int)t->outcome);
    FUZZ_CHECK((int)t->baseline >= PLK_BASELINE_NONE &&
                   t->baseline <= PLK_BASELINE_FIXED,
               "baseline state %d", (int)t->baseline);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        const plk_metric_result *mr = &t->metrics[m];

        FUZZ_CHECK((int)mr->fit.verdict >= PLK_VERDICT_CLEAN &&
                       mr->fit.verdict <= PLK_VERDICT_LEAK,
                   "verdict %d", (int)mr->fit.verdict);
        FUZZ_CHECK(mr->n == 0 || mr->series != NULL,
                   "%zu samples without a series", mr->n);
    }
}

static int
encode(plk_buf *out, const plk_record *r)
{
    switch (r->type) {
    case PLK_REC_HELLO:
        return plk_record_put_hello(out, r->pid);
    case PLK_REC_SUITE_START:
    case PLK_REC_SUITE_DONE:
        return plk_record_put_suite(out, r->type, &r->suite);
    case PLK_REC_COLLECTED:
    case PLK_REC_BEGIN:
    case PLK_REC_TEST:
        return plk_record_put_test(out, r->type, &r->test);
    case PLK_REC_ERROR:
        return plk_record_put_error(out, (int)r->code, r->message);
    case PLK_REC_END:
        return plk_record_put_end(out, (int)r->code);
    }
    fuzz_fail("no encoder for type %d", (int)r->type);
}

/* encode(r) decodes whole, and encodes again to the same bytes. */
static void
check_reencode(const plk_record *r)
{
    plk_buf once = {0}, twice = {0};
    plk_record back;
    plk_error err = {0};
    long used;

    FUZZ_CHECK(encode(&once, r) == 0, "a decoded record does not encode");
    used = plk_record_decode(&back, (const unsigned char *)once.data, once.len,
                             &err);
    FUZZ_CHECK(used == (long)once.len,
               "an encoded record decodes to %ld of %zu bytes: %s", used,
               once.len, err.message ? err.message : "");
    FUZZ_CHECK(back.type == r->type, "type %d comes back as %d", (int)r->type,
               (int)back.type);
    FUZZ_CHECK(encode(&twice, &back) == 0, "a record does not re-encode");
    FUZZ_CHECK(
        twice.len == once.len && memcmp(twice.data, once.data, once.len) == 0,
        "encoding is not stable (%zu then %zu bytes)", once.len, twice.len);
    plk_record_free(&back);
    plk_buf_free(&once);
    plk_buf_free(&twice);
}

/* What one way of reading saw. */
typedef struct outcome {
    size_t records;
    size_t consumed; /* bytes of whole frames */
    int failed;      /* the stream is corrupt at consumed */
    plk_buf trace;   /* type and length of each record */
} outcome;

static void
note(outcome *o, const plk_record *r, long used)
{
    FUZZ_CHECK(plk_buf_printf(&o->trace, "%d:%ld ", (int)r->type, used) == 0,
               "out of memory");
    o->records++;
    o->consumed += (size_t)used;
}

static void
read_whole(outcome *o, const uint8_t *data, size_t size)
{
    for (;;) {
        plk_record r;
        plk_error err = {0};
        long used = plk_record_decode(&r, data + o->consumed,
                                      size - o->consumed, &err);

        if (used == 0) {
            plk_record_free(&r);
            return;
        }
        if (used < 0) {
            FUZZ_CHECK(used == PLK_EIO && err.message != NULL,
                       "failure %ld without a message", used);
            o->failed = 1;
            plk_record_free(&r);
            plk_error_clear(&err);
            return;
        }
        FUZZ_CHECK((size_t)used <= size - o->consumed && used >= 5,
                   "a record of %ld bytes from %zu", used, size - o->consumed);
        check_ranges(&r);
        check_reencode(&r);
        note(o, &r, used);
        plk_record_free(&r);
    }
}

/* As the parent does: read a chunk, decode the whole frames, keep the
 * rest for the next read. */
static void
read_chunked(outcome *o, const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    size_t have = 0, fed = 0, start = 0;
    size_t step = 1 + size % 7;

    FUZZ_CHECK(buf != NULL, "out of memory");
    while (fed < size && !o->failed) {
        size_t n = step < size - fed ? step : size - fed;

        memcpy(buf + have, data + fed, n);
        have += n;
        fed += n;
        step = step * 3 % 17 + 1;
        for (;;) {
            plk_record r;
            plk_error err = {0};
            long used = plk_record_decode(&r, buf + start, have - start, &err);

            if (used <= 0) {
                o->failed = used < 0;
                plk_record_free(&r);
                plk_error_clear(&err);
                break;
            }
            note(o, &r, used);
            plk_record_free(&r);
            start += (size_t)used;
        }
    }
    free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    outcome whole = {0}, chunked = {0};

    read_whole(&whole, data, size);
    read_chunked(&chunked, data, size);
    FUZZ_CHECK(whole.records == chunked.records &&
                   whole.consumed == chunked.consumed &&
                   whole.failed == chunked.failed,
               "whole: %zu records, %zu bytes%s; in chunks: %zu records, "
               "%zu bytes%s",
               whole.records, whole.consumed, whole.failed ? ", corrupt" : "",
               chunked.records, chunked.consumed,
               chunked.failed ? ", corrupt" : "");
    FUZZ_CHECK(whole.records == 0 ||
                   strcmp(whole.trace.data, chunked.trace.data) == 0,
               "records differ: %s / %s", whole.trace.data,
               chunked.trace.data);
    plk_buf_free(&whole.trace);
    plk_buf_free(&chunked.trace);
    return 0;
}
