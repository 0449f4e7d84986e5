/* Result records: how a worker process streams what it finds to the
 * parent over a pipe.
 *
 * Format, version 1. All integers are little-endian.
 *
 *   stream  := frame*
 *   frame   := u32 length | payload        (length counts the payload,
 *                                            at most PLK_RECORD_MAX)
 *   payload := u8 type | field*
 *   field   := u16 tag | u8 kind | value
 *   value   := kind 1 (string): u32 n | n bytes   (n = 0xffffffff: NULL)
 *            | kind 2 (integer): i64
 *            | kind 3 (real): 8 bytes of an IEEE-754 double
 *            | kind 4 (series): u32 n | n x i64
 *
 * The first frame of a stream is a HELLO record carrying the format
 * version (tag 1, integer) and the worker's pid (tag 2). A reader skips
 * fields whose tag it does not know (their kind says how long they are)
 * and refuses a stream of another major version.
 *
 * Tags of suite and test records come from the field tables in record.c:
 * a field of plk_suite_result or plk_test_result is one table row, so a
 * new field travels once it has a row (tests/test_record.c fails when a
 * field of result.h has none). Per-metric fields use tags
 * 0x1000 + 0x40 * metric + field, so a metric added later keeps the
 * others' tags.
 *
 * Record types and what they carry:
 *   HELLO        version, pid
 *   SUITE_START  suite fields known when the file was collected
 *   COLLECTED    identity of one test about to run (sent for every test
 *                of the file, in run order, before the first one runs)
 *   BEGIN        identity of the test whose code runs now (a heartbeat)
 *   TEST         a test's whole result
 *   SUITE_DONE   suite fields (import errors, time)
 *   ERROR        a run-stopping problem: code, message
 *   END          the worker finished: its return code
 */
#ifndef PYLEAK_RECORD_H
#define PYLEAK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/result.h"
#include "base/util.h"

#define PLK_RECORD_VERSION 1
/* Longest payload accepted: a test's captured output is cut at 64 KiB,
 * its diagnosis is text; anything near this is corruption. */
#define PLK_RECORD_MAX (64u * 1024u * 1024u)

typedef enum {
    PLK_REC_HELLO = 1,
    PLK_REC_SUITE_START = 2,
    PLK_REC_COLLECTED = 3,
    PLK_REC_BEGIN = 4,
    PLK_REC_TEST = 5,
    PLK_REC_SUITE_DONE = 6,
    PLK_REC_ERROR = 7,
    PLK_REC_END = 8
} plk_record_type;

/* A decoded record. Which members are filled depends on type; the
 * record owns them. */
typedef struct plk_record {
    plk_record_type type;
    int64_t version;        /* HELLO */
    int64_t pid;            /* HELLO */
    int64_t code;           /* ERROR, END */
    char *message;          /* ERROR */
    plk_suite_result suite; /* SUITE_START, SUITE_DONE (no tests) */
    plk_test_result test;   /* COLLECTED, BEGIN, TEST */
} plk_record;

/* Append one whole frame to out. For SUITE_* records s is encoded, for
 * COLLECTED/BEGIN/TEST t (BEGIN and COLLECTED carry only the identity:
 * id, classname, name, file, line). */
int plk_record_put_hello(plk_buf *out, int64_t pid);
int plk_record_put_suite(plk_buf *out, plk_record_type type,
                         const plk_suite_result *s);
int plk_record_put_test(plk_buf *out, plk_record_type type,
                        const plk_test_result *t);
int plk_record_put_error(plk_buf *out, int code, const char *message);
int plk_record_put_end(plk_buf *out, int code);

/* Decode the frame at the start of data[0..len). Returns the bytes it
 * took (> 0) and fills *out; 0 when the frame is not complete yet;
 * PLK_EIO (with err set) when the bytes are not a valid record. out is
 * cleared first and must be freed with plk_record_free. */
long plk_record_decode(plk_record *out, const unsigned char *data, size_t len,
                       plk_error *err);
void plk_record_free(plk_record *r);

/* For tests: does the field table cover every byte of the structs in
 * result.h except padding? Returns 0, or names the first gap in *out
 * (owned by the caller). */
int plk_record_check_tables(char **out);

#endif
