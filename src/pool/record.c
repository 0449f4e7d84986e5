/* Result records: encoding and decoding of what workers send the parent
 * (the format is described in include/pyleak/record.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pool/record.h"

typedef enum {
    K_STR = 1,    /* char *, NULL allowed */
    K_INT = 2,    /* a signed integer or enum of size bytes */
    K_REAL = 3,   /* double */
    K_SERIES = 4, /* int64_t * with a size_t count at aux */
    K_UINT = 5    /* an unsigned integer of size bytes (sent as K_INT) */
} kind;

typedef struct field {
    uint16_t tag;
    uint8_t kind;
    uint8_t size;  /* bytes of the member */
    uint8_t ident; /* part of a test's identity (BEGIN, COLLECTED) */
    size_t offset;
    size_t aux;     /* K_SERIES: offset of the count */
    int64_t lo, hi; /* accepted range of an integer (lo > hi: any
                          * value the member can hold) */
    const char *name;
} field;

#define MEMBER_SIZE(T, f) ((uint8_t)sizeof(((T *)0)->f))
#define F_STR(tag, T, f)                                                      \
    {                                                                         \
        tag, K_STR, MEMBER_SIZE(T, f), 0, offsetof(T, f), 0, 1, 0, #f         \
    }
#define F_ID_STR(tag, T, f)                                                   \
    {                                                                         \
        tag, K_STR, MEMBER_SIZE(T, f), 1, offsetof(T, f), 0, 1, 0, #f         \
    }
#define F_INT(tag, T, f)                                                      \
    {                                                                         \
        tag, K_INT, MEMBER_SIZE(T, f), 0, offsetof(T, f), 0, 1, 0, #f         \
    }
#define F_ENUM(tag, T, f, lo, hi)                                             \
    {                                                                         \
        tag, K_INT, MEMBER_SIZE(T, f), 0, offsetof(T, f), 0, lo, hi, #f       \
    }
#define F_UINT(tag, T, f)                                                     \
    {                                                                         \
        tag, K_UINT, MEMBER_SIZE(T, f), 0, offsetof(T, f), 0, 1, 0, #f        \
    }
#define F_REAL(tag, T, f)                                                     \
    {                                                                         \
        tag, K_REAL, MEMBER_SIZE(T, f), 0, offsetof(T, f), 0, 1, 0, #f        \
    }
#define F_SERIES(tag, T, f, n)                                                \
    {                                                                         \
        tag, K_SERIES, MEMBER_SIZE(T, f), 0, offsetof(T, f), offsetof(T, n),  \
            1, 0, #f                                                          \
    }

/* Every member of plk_test_result but metrics[] (which has its own
 * table). Tags are part of the format: never reuse or renumber one. */
static const field test_fields[] = {
    F_ID_STR(1, plk_test_result, id),
    F_ID_STR(2, plk_test_result, classname),
    F_ID_STR(3, plk_test_result, name),
    F_ID_STR(4, plk_test_result, file),
    {5, K_INT, MEMBER_SIZE(plk_test_result, line), 1,
     offsetof(plk_test_result, line), 0, 1, 0, "line"},
    F_ENUM(6, plk_test_result, outcome, PLK_OUTCOME_PASSED,
           PLK_OUTCOME_SKIPPED),
    F_REAL(7, plk_test_result, time),
    F_STR(8, plk_test_result, message),
    F_STR(9, plk_test_result, exc_type),
    F_STR(10, plk_test_result, details),
    F_STR(11, plk_test_result, stdout_text),
    F_STR(12, plk_test_result, stderr_text),
    F_UINT(13, plk_test_result, warmup),
    F_UINT(14, plk_test_result, rounds),
    F_UINT(15, plk_test_result, calls),
    F_STR(16, plk_test_result, kind),
    F_STR(17, plk_test_result, loc_file),
    F_INT(18, plk_test_result, loc_line),
    F_STR(19, plk_test_result, top_site),
    F_STR(20, plk_test_result, diagnosis),
    F_REAL(21, plk_test_result, diagnose_time),
    F_STR(22, plk_test_result, note),
    F_ENUM(23, plk_test_result, baseline, PLK_BASELINE_NONE,
           PLK_BASELINE_FIXED),
    F_UINT(24, plk_test_result, screened),
    F_UINT(25, plk_test_result, total_calls),
};

/* Every member of plk_metric_result, the fit included. */
static const field metric_fields[] = {
    F_ENUM(1, plk_metric_result, measured, 0, 1),
    F_ENUM(2, plk_metric_result, gating, 0, 1),
    F_REAL(3, plk_metric_result, per_call),
    F_SERIES(4, plk_metric_result, series, n),
    F_UINT(5, plk_metric_result, fit.n),
    F_REAL(6, plk_metric_result, fit.slope),
    F_REAL(7, plk_metric_result, fit.intercept),
    F_REAL(8, plk_metric_result, fit.late_slope),
    F_REAL(9, plk_metric_result, fit.mk_s),
    F_REAL(10, plk_metric_result, fit.mk_z),
    F_REAL(11, plk_metric_result, fit.mk_p),
    F_INT(12, plk_metric_result, fit.net),
    F_ENUM(13, plk_metric_result, fit.all_zero, 0, 1),
    F_ENUM(14, plk_metric_result, fit.verdict, PLK_VERDICT_CLEAN,
           PLK_VERDICT_LEAK),
    F_UINT(15, plk_metric_result, fit.rises),
    F_UINT(16, plk_metric_result, fit.longest_wait),
    F_UINT(17, plk_metric_result, fit.quiet),
    F_REAL(18, plk_metric_result, fit.drawdown),
    F_ENUM(19, plk_metric_result, fit.saturated, 0, 1),
    F_ENUM(20, plk_metric_result, fit.irregular, 0, 1),
    F_ENUM(21, plk_metric_result, fit.persisted, 0, 1),
};

/* Every member of plk_suite_result but its tests (sent one by one). */
static const field suite_fields[] = {
    F_STR(1, plk_suite_result, name),
    F_STR(2, plk_suite_result, file),
    F_REAL(3, plk_suite_result, time),
    F_STR(4, plk_suite_result, timestamp),
    F_STR(5, plk_suite_result, error_type),
    F_STR(6, plk_suite_result, error_message),
    F_STR(7, plk_suite_result, error_details),
};

/* HELLO, ERROR and END. */
static const field control_fields[] = {
    F_INT(1, plk_record, version),
    F_INT(2, plk_record, pid),
    F_INT(3, plk_record, code),
    F_STR(4, plk_record, message),
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define METRIC_TAG0 0x1000u
#define METRIC_TAGS 0x40u

/* -- writing -------------------------------------------------------------- */

static int
put_bytes(plk_buf *b, const void *p, size_t n)
{
    return plk_buf_append(b, p, n) == 0 ? 0 : PLK_ENOMEM;
}

static int
put_u16(plk_buf *b, uint16_t v)
{
    unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};

    return put_bytes(b, c, 2);
}

static int
put_u32(plk_buf *b, uint32_t v)
{
    unsigned char c[4];
    int i;

    for (i = 0; i < 4; i++) {
        c[i] = (unsigned char)(v >> (8 * i));
    }
    return put_bytes(b, c, 4);
}

static int
put_u64(plk_buf *b, uint64_t v)
{
    unsigned char c[8];
    int i;

    for (i = 0; i < 8; i++) {
        c[i] = (unsigned char)(v >> (8 * i));
    }
    return put_bytes(b, c, 8);
}

static int64_t
load_int(const void *p, size_t size, int is_signed)
{
    switch (size) {
    case 1:
        return is_signed ? (int64_t) * (const int8_t *)p
                         : (int64_t) * (const uint8_t *)p;
    case 2:
        return is_signed ? (int64_t) * (const int16_t *)p
                         : (int64_t) * (const uint16_t *)p;
    case 4:
        return is_signed ? (int64_t) * (const int32_t *)p
                         : (int64_t) * (const uint32_t *)p;
    default:
        return *(const int64_t *)p;
    }
}

static void
store_int(void *p, size_t size, int64_t v)
{
    switch (size) {
    case 1:
        *(uint8_t *)p = (uint8_t)v;
        break;
    case 2:
        *(uint16_t *)p = (uint16_t)v;
        break;
    case 4:
        *(uint32_t *)p = (uint32_t)v;
        break;
    default:
        *(int64_t *)p = v;
        break;
    }
}

static int
put_field(plk_buf *b, const field *f, uint16_t tag, const void *base)
{
    const char *p = (const char *)base + f->offset;
    int rc;

    rc = put_u16(b, tag);
    if (rc != 0) {
        return rc;
    }
    switch (f->kind) {
    case K_STR: {
        const char *s = *(char *const *)p;
        size_t n = s ? strlen(s) : 0;

        if (n >= 0xffffffffu || n > PLK_RECORD_MAX / 2) {
            n = PLK_RECORD_MAX / 2; /* cut: no single text is that big */
        }
        rc = put_bytes(b, "\1", 1);
        if (rc == 0) {
            rc = put_u32(b, s ? (uint32_t)n : 0xffffffffu);
        }
        if (rc == 0 && s != NULL) {
            rc = put_bytes(b, s, n);
        }
        return rc;
    }
    case K_INT:
    case K_UINT:
        rc = put_bytes(b, "\2", 1);
        return rc ? rc
                  : put_u64(b,
                            (uint64_t)load_int(p, f->size, f->kind == K_INT));
    case K_REAL: {
        uint64_t bits;

        memcpy(&bits, p, sizeof(bits));
        rc = put_bytes(b, "\3", 1);
        return rc ? rc : put_u64(b, bits);
    }
    case K_SERIES: {
        const int64_t *v = *(int64_t *const *)p;
        size_t n = v ? *(const size_t *)((const char *)base + f->aux) : 0;
        size_t i;

        rc = put_bytes(b, "\4", 1);
        if (rc == 0) {
            rc = put_u32(b, (uint32_t)n);
        }
        for (i = 0; rc == 0 && i < n; i++) {
            rc = put_u64(b, (uint64_t)v[i]);
        }
        return rc;
    }
    }
    return PLK_EINTERNAL;
}

/* Fields of table that are set (NULL strings and zero numbers are left
 * out: the reader starts from zero). */
static int
put_table(plk_buf *b, const field *table, size_t n, uint16_t tag0,
          const void *base, int ident_only)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        const field *f = &table[i];
        const char *p = (const char *)base + f->offset;
        static const char zero[16];

        if (ident_only && !f->ident) {
            continue;
        }
        if (f->kind == K_STR || f->kind == K_SERIES) {
            if (*(char *const *)p == NULL) {
                continue;
            }
        }
        else if (f->size <= sizeof(zero) && memcmp(p, zero, f->size) == 0) {
            continue;
        }
        rc = put_field(b, f, (uint16_t)(tag0 + f->tag), base);
    }
    return rc;
}

/* Start a frame: a length to fill in later and the type. Returns the
 * offset of the length. */
static int
begin_frame(plk_buf *b, plk_record_type type, size_t *at)
{
    *at = b->len;
    if (put_u32(b, 0) != 0) {
        return PLK_ENOMEM;
    }
    return put_bytes(b, &(unsigned char){(unsigned char)type}, 1);
}

static int
end_frame(plk_buf *b, size_t at, int rc)
{
    size_t n = b->len - at - 4;
    int i;

    if (rc != 0) {
        b->len = at; /* drop the half-written frame */
        if (b->data != NULL) {
            b->data[at] = '\0';
        }
        return rc;
    }
    if (n > PLK_RECORD_MAX) {
        b->len = at;
        b->data[at] = '\0';
        return PLK_EIO;
    }
    for (i = 0; i < 4; i++) {
        b->data[at + (size_t)i] = (char)(unsigned char)(n >> (8 * i));
    }
    return 0;
}

static int
put_control(plk_buf *out, plk_record_type type, const plk_record *r)
{
    size_t at;
    int rc = begin_frame(out, type, &at);

    if (rc == 0) {
        rc = put_table(out, control_fields, NFIELDS(control_fields), 0, r, 0);
    }
    return end_frame(out, at, rc);
}

int
plk_record_put_hello(plk_buf *out, int64_t pid)
{
    plk_record r = {0};

    r.version = PLK_RECORD_VERSION;
    r.pid = pid;
    return put_control(out, PLK_REC_HELLO, &r);
}

int
plk_record_put_error(plk_buf *out, int code, const char *message)
{
    plk_record r = {0};

    r.code = code;
    r.message = (char *)message;
    return put_control(out, PLK_REC_ERROR, &r);
}

int
plk_record_put_end(plk_buf *out, int code)
{
    plk_record r = {0};

    r.code = code;
    return put_control(out, PLK_REC_END, &r);
}

int
plk_record_put_suite(plk_buf *out, plk_record_type type,
                     const plk_suite_result *s)
{
    size_t at;
    int rc = begin_frame(out, type, &at);

    if (rc == 0) {
        rc = put_table(out, suite_fields, NFIELDS(suite_fields), 0, s, 0);
    }
    return end_frame(out, at, rc);
}

int
plk_record_put_test(plk_buf *out, plk_record_type type,
                    const plk_test_result *t)
{
    int ident_only = type != PLK_REC_TEST;
    size_t at;
    int m, rc = begin_frame(out, type, &at);

    if (rc == 0) {
        rc = put_table(out, test_fields, NFIELDS(test_fields), 0, t,
                       ident_only);
    }
    for (m = 0; rc == 0 && !ident_only && m < PLK_METRIC__COUNT; m++) {
        rc = put_table(out, metric_fields, NFIELDS(metric_fields),
                       (uint16_t)(METRIC_TAG0 + METRIC_TAGS * (unsigned)m),
                       &t->metrics[m], 0);
    }
    return end_frame(out, at, rc);
}

/* -- reading -------------------------------------------------------------- */

typedef struct reader {
    const unsigned char *p;
    size_t left;
} reader;

static int
get(reader *r, void *out, size_t n)
{
    if (r->left < n) {
        return -1;
    }
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return 0;
}

static uint32_t
le32(const unsigned char *c)
{
    return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 |
           (uint32_t)c[3] << 24;
}

static uint64_t
le64(const unsigned char *c)
{
    return (uint64_t)le32(c) | (uint64_t)le32(c + 4) << 32;
}

/* The table row for tag, and the struct it lands in, for this record. */
static const field *
lookup(plk_record *rec, unsigned tag, void **base)
{
    const field *table = NULL;
    size_t n = 0, i;

    switch (rec->type) {
    case PLK_REC_HELLO:
    case PLK_REC_ERROR:
    case PLK_REC_END:
        table = control_fields;
        n = NFIELDS(control_fields);
        *base = rec;
        break;
    case PLK_REC_SUITE_START:
    case PLK_REC_SUITE_DONE:
        table = suite_fields;
        n = NFIELDS(suite_fields);
        *base = &rec->suite;
        break;
    case PLK_REC_COLLECTED:
    case PLK_REC_BEGIN:
    case PLK_REC_TEST:
        if (tag >= METRIC_TAG0) {
            unsigned m = (tag - METRIC_TAG0) / METRIC_TAGS;

            if (m >= PLK_METRIC__COUNT) {
                return NULL; /* a metric this build does not know */
            }
            table = metric_fields;
            n = NFIELDS(metric_fields);
            *base = &rec->test.metrics[m];
            tag = (tag - METRIC_TAG0) % METRIC_TAGS;
        }
        else {
            table = test_fields;
            n = NFIELDS(test_fields);
            *base = &rec->test;
        }
        break;
    }
    for (i = 0; i < n; i++) {
        if (table[i].tag == tag) {
            return &table[i];
        }
    }
    return NULL;
}

static int
in_range(const field *f, int64_t v)
{
    if (f->lo <= f->hi) {
        return v >= f->lo && v <= f->hi;
    }
    switch (f->size) {
    case 1:
        return f->kind == K_INT ? v >= INT8_MIN && v <= INT8_MAX
                                : v >= 0 && v <= UINT8_MAX;
    case 2:
        return f->kind == K_INT ? v >= INT16_MIN && v <= INT16_MAX
                                : v >= 0 && v <= UINT16_MAX;
    case 4:
        return f->kind == K_INT ? v >= INT32_MIN && v <= INT32_MAX
                                : v >= 0 && v <= (int64_t)UINT32_MAX;
    default:
        return f->kind == K_INT || v >= 0;
    }
}

/* Read one field into rec. Returns 0, or a message saying what is wrong
 * (a static string). */
static const char *
get_field(reader *r, plk_record *rec)
{
    unsigned char h[3], w[8];
    unsigned tag, k;
    const field *f;
    void *base = NULL;
    char *p;

    if (get(r, h, 3) != 0) {
        return "truncated field header";
    }
    tag = (unsigned)h[0] | (unsigned)h[1] << 8;
    k = h[2];
    f = lookup(rec, tag, &base);
    if (f != NULL && !(f->kind == k || (f->kind == K_UINT && k == K_INT))) {
        return "field of the wrong kind";
    }
    p = f ? (char *)base + f->offset : NULL;
    switch (k) {
    case K_STR: {
        uint32_t n;
        char *s;

        if (get(r, w, 4) != 0) {
            return "truncated string";
        }
        n = le32(w);
        if (n == 0xffffffffu) {
            s = NULL;
        }
        else if (n > r->left) {
            return "string longer than its record";
        }
        else if (f == NULL) {
            r->p += n;
            r->left -= n;
            return NULL;
        }
        else {
            s = plk_strndup((const char *)r->p, n);
            if (s == NULL) {
                return "out of memory";
            }
            r->p += n;
            r->left -= n;
        }
        if (f != NULL) {
            free(*(char **)p);
            *(char **)p = s;
        }
        return NULL;
    }
    case K_INT:
    case K_REAL: {
        uint64_t v;

        if (get(r, w, 8) != 0) {
            return "truncated number";
        }
        v = le64(w);
        if (f == NULL) {
            return NULL;
        }
        if (f->kind == K_REAL) {
            memcpy(p, &v, sizeof(double));
        }
        else if (!in_range(f, (int64_t)v)) {
            return "number out of range";
        }
        else {
            store_int(p, f->size, (int64_t)v);
        }
        return NULL;
    }
    case K_SERIES: {
        uint32_t n, i;
        int64_t *v;

        if (get(r, w, 4) != 0) {
            return "truncated series";
        }
        n = le32(w);
        if ((uint64_t)n * 8 > r->left) {
            return "series longer than its record";
        }
        if (f == NULL) {
            r->p += (size_t)n * 8;
            r->left -= (size_t)n * 8;
            return NULL;
        }
        v = malloc((n ? n : 1) * sizeof(*v));
        if (v == NULL) {
            return "out of memory";
        }
        for (i = 0; i < n; i++) {
            v[i] = (int64_t)le64(r->p);
            r->p += 8;
            r->left -= 8;
        }
        free(*(int64_t **)p);
        *(int64_t **)p = v;
        *(size_t *)((char *)base + f->aux) = n;
        return NULL;
    }
    }
    return "unknown field kind";
}

long
plk_record_decode(plk_record *out, const unsigned char *data, size_t len,
                  plk_error *err)
{
    reader r;
    uint32_t n;
    const char *why = NULL;

    memset(out, 0, sizeof(*out));
    if (len < 4) {
        return 0;
    }
    n = le32(data);
    if (n == 0 || n > PLK_RECORD_MAX) {
        return plk_error_set(err, PLK_EIO, "bad result record: length %lu",
                             (unsigned long)n);
    }
    if (len - 4 < n) {
        return 0;
    }
    out->type = (plk_record_type)data[4];
    if (out->type < PLK_REC_HELLO || out->type > PLK_REC_END) {
        out->type = 0;
        return plk_error_set(err, PLK_EIO, "bad result record: type %d",
                             (int)data[4]);
    }
    r.p = data + 5;
    r.left = n - 1;
    while (r.left > 0 && why == NULL) {
        why = get_field(&r, out);
    }
    if (why == NULL && out->type == PLK_REC_HELLO &&
        out->version != PLK_RECORD_VERSION) {
        plk_record_free(out);
        return plk_error_set(err, PLK_EIO,
                             "result records of version %lld, expected %d",
                             (long long)out->version, PLK_RECORD_VERSION);
    }
    if (why != NULL) {
        plk_record_free(out);
        return plk_error_set(err, PLK_EIO, "bad result record: %s", why);
    }
    return (long)n + 4;
}

void
plk_record_free(plk_record *r)
{
    if (r == NULL) {
        return;
    }
    free(r->message);
    plk_suite_result_free(&r->suite);
    plk_test_result_free(&r->test);
    memset(r, 0, sizeof(*r));
}

/* -- table coverage ------------------------------------------------------- */

/* Mark the bytes of a struct that table rows cover. Uncovered bytes must
 * be padding: exactly what rounds their start up to the alignment of the
 * member that follows (taken as its size, at most 8; 8 at the end). */
static void
cover(unsigned char *mark, unsigned char *align, size_t offset, size_t size)
{
    memset(mark + offset, 1, size);
    align[offset] = (unsigned char)(size < 8 ? size : 8);
}

static int
check_table(char **out, const char *sname, size_t size, const field *table,
            size_t n, const size_t (*extra)[2], size_t nextra)
{
    unsigned char *mark = calloc(size, 1), *align = calloc(size, 1);
    size_t i, j, start, a, up;
    int rc = 0;

    if (mark == NULL || align == NULL) {
        *out = plk_strdup("out of memory");
        rc = PLK_ENOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        cover(mark, align, table[i].offset, table[i].size);
        if (table[i].kind == K_SERIES) {
            cover(mark, align, table[i].aux, sizeof(size_t));
        }
    }
    for (i = 0; i < nextra; i++) {
        cover(mark, align, extra[i][0], extra[i][1]);
    }
    for (i = 0; i < size; i = j) {
        if (mark[i]) {
            j = i + 1;
            continue;
        }
        start = i;
        for (j = i; j < size && !mark[j]; j++) {
        }
        a = j == size ? 8 : align[j];
        up = a ? (start + a - 1) / a * a : start;
        if (up != j) {
            *out = plk_asprintf("%s: bytes %zu..%zu are not in the record "
                                "field table (a new field needs a row in "
                                "src/record.c)",
                                sname, start, j - 1);
            rc = PLK_EINTERNAL;
            goto done;
        }
    }
done:
    free(mark);
    free(align);
    return rc;
}

int
plk_record_check_tables(char **out)
{
    static const size_t test_extra[][2] = {
        {offsetof(plk_test_result, metrics),
         sizeof(((plk_test_result *)0)->metrics)},
    };
    static const size_t suite_extra[][2] = {
        {offsetof(plk_suite_result, tests), sizeof(plk_test_result *)},
        {offsetof(plk_suite_result, ntests), sizeof(size_t)},
        {offsetof(plk_suite_result, cap), sizeof(size_t)},
    };
    int rc;

    *out = NULL;
    rc = check_table(out, "plk_test_result", sizeof(plk_test_result),
                     test_fields, NFIELDS(test_fields), test_extra, 1);
    if (rc == 0) {
        rc = check_table(out, "plk_metric_result", sizeof(plk_metric_result),
                         metric_fields, NFIELDS(metric_fields), NULL, 0);
    }
    if (rc == 0) {
        rc = check_table(out, "plk_suite_result", sizeof(plk_suite_result),
                         suite_fields, NFIELDS(suite_fields), suite_extra, 3);
    }
    return rc;
}
