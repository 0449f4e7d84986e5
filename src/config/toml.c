/* A TOML 1.0 reader. pyproject.toml is shared by many tools, so the whole
 * file must be read by the rules of the format (a wrong value is worse
 * than a clear error), even the parts pyleak-ci never looks at. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "base/utf8.h"
#include "base/util.h"

/* How a table came to be, which decides what may add to it later. */
enum {
    TF_IMPLICIT = 1, /* a parent of a [header]: a later [header] may
                      * define it once */
    TF_EXPLICIT = 2, /* defined by its own [header] */
    TF_DOTTED = 4,   /* made by a dotted key: only later dotted keys of
                      * the same section may add to it */
    TF_SEALED = 8,   /* inline table or array literal: complete */
    TF_AOT = 16      /* an array of tables made by [[header]] */
};

#define MAX_DEPTH 64

typedef struct parser {
    const char *p;
    const char *end;
    const char *line_start;
    int line;
    int depth;
    int section;  /* the section being read; root is 0 */
    int sections; /* sections so far: headers and inline tables */
    const char *name;
    plk_error *err;
} parser;

static int fail(parser *P, const char *at, const char *fmt, ...)
    PLK_PRINTF(3, 4);

static int
fail(parser *P, const char *at, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = plk_vasprintf(fmt, ap);
    va_end(ap);
    plk_error_set(P->err, PLK_EUSAGE, "%s:%d:%d: %s", P->name, P->line,
                  (int)(at - P->line_start) + 1, msg ? msg : "error");
    free(msg);
    return -1;
}

static int
oom(parser *P)
{
    plk_error_set(P->err, PLK_ENOMEM, "out of memory");
    return -1;
}

const char *
plk_toml_type_name(plk_toml_type t)
{
    switch (t) {
    case PLK_TOML_TABLE:
        return "table";
    case PLK_TOML_ARRAY:
        return "array";
    case PLK_TOML_STRING:
        return "string";
    case PLK_TOML_INTEGER:
        return "integer";
    case PLK_TOML_FLOAT:
        return "float";
    case PLK_TOML_BOOL:
        return "boolean";
    case PLK_TOML_DATETIME:
        return "datetime";
    }
    return "?";
}

void
plk_toml_free(plk_toml_value *v)
{
    size_t i;

    if (v == NULL) {
        return;
    }
    switch (v->type) {
    case PLK_TOML_STRING:
    case PLK_TOML_DATETIME:
        free(v->u.str.s);
        break;
    case PLK_TOML_ARRAY:
        for (i = 0; i < v->u.arr.n; i++) {
            plk_toml_free(v->u.arr.items[i]);
        }
        free(v->u.arr.items);
        break;
    case PLK_TOML_TABLE:
        for (i = 0; i < v->u.tab.n; i++) {
            free(v->u.tab.items[i].key);
            plk_toml_free(v->u.tab.items[i].value);
        }
        free(v->u.tab.items);
        break;
    default:
        break;
    }
    free(v);
}

static plk_toml_value *
new_value(plk_toml_type type, int line)
{
    plk_toml_value *v = calloc(1, sizeof(*v));

    if (v != NULL) {
        v->type = type;
        v->line = line;
    }
    return v;
}

const plk_toml_entry *
plk_toml_find(const plk_toml_value *table, const char *key)
{
    size_t i;

    if (table == NULL || table->type != PLK_TOML_TABLE) {
        return NULL;
    }
    for (i = 0; i < table->u.tab.n; i++) {
        if (strcmp(table->u.tab.items[i].key, key) == 0) {
            return &table->u.tab.items[i];
        }
    }
    return NULL;
}

const plk_toml_value *
plk_toml_get(const plk_toml_value *table, const char *key)
{
    const plk_toml_entry *e = plk_toml_find(table, key);

    return e != NULL ? e->value : NULL;
}

/* Keys may hold NUL bytes through \u0000; such keys are compared by
 * their first part only, which is harmless for lookups of plain names. */
static plk_toml_entry *
find_mut(plk_toml_value *table, const char *key)
{
    return (plk_toml_entry *)plk_toml_find(table, key);
}

/* Add key -> v to table; takes ownership of key and v, also on failure. */
static int
table_add(parser *P, plk_toml_value *table, char *key, int line,
          plk_toml_value *v)
{
    plk_toml_entry *e;

    if (table->u.tab.n == table->u.tab.cap) {
        size_t cap = table->u.tab.cap ? table->u.tab.cap * 2 : 8;
        plk_toml_entry *items =
            realloc(table->u.tab.items, cap * sizeof(*items));

        if (items == NULL) {
            free(key);
            plk_toml_free(v);
            return oom(P);
        }
        table->u.tab.items = items;
        table->u.tab.cap = cap;
    }
    e = &table->u.tab.items[table->u.tab.n++];
    e->key = key;
    e->line = line;
    e->value = v;
    return 0;
}

static int
array_add(parser *P, plk_toml_value *arr, plk_toml_value *v)
{
    if (arr->u.arr.n == arr->u.arr.cap) {
        size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 8;
        plk_toml_value **items =
            realloc(arr->u.arr.items, cap * sizeof(*items));

        if (items == NULL) {
            plk_toml_free(v);
            return oom(P);
        }
        arr->u.arr.items = items;
        arr->u.arr.cap = cap;
    }
    arr->u.arr.items[arr->u.arr.n++] = v;
    return 0;
}

/* -- characters ---------------------------------------------------------- */

static int
at_end(const parser *P)
{
    return P->p >= P->end;
}

static int
peek(const parser *P, size_t ahead)
{
    return P->p + ahead < P->end ? (unsigned char)P->p[ahead] : -1;
}

static int
starts(const parser *P, const char *s)
{
    size_t n = strlen(s);

    return (size_t)(P->end - P->p) >= n && memcmp(P->p, s, n) == 0;
}

static void
skip_ws(parser *P)
{
    while (!at_end(P) && (*P->p == ' ' || *P->p == '\t')) {
        P->p++;
    }
}

/* At a newline (LF or CRLF)? Returns its length, 0 when not. */
static int
newline_len(const parser *P)
{
    if (peek(P, 0) == '\n') {
        return 1;
    }
    if (peek(P, 0) == '\r' && peek(P, 1) == '\n') {
        return 2;
    }
    return 0;
}

static void
take_newline(parser *P, int n)
{
    P->p += n;
    P->line++;
    P->line_start = P->p;
}

/* Control characters other than tab may not appear in comments or
 * strings; a lone CR is one of them. */
static int
is_control(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static int
skip_comment(parser *P)
{
    if (peek(P, 0) != '#') {
        return 0;
    }
    while (!at_end(P) && *P->p != '\n') {
        if (*P->p == '\r' && peek(P, 1) == '\n') {
            break;
        }
        if (is_control((unsigned char)*P->p)) {
            return fail(P, P->p, "control character U+%04X in a comment",
                        (unsigned char)*P->p);
        }
        P->p++;
    }
    return 0;
}

/* Whitespace, comments and newlines, as allowed inside arrays. */
static int
skip_ws_nl(parser *P)
{
    for (;;) {
        int n;

        skip_ws(P);
        if (skip_comment(P) != 0) {
            return -1;
        }
        n = newline_len(P);
        if (n == 0) {
            return 0;
        }
        take_newline(P, n);
    }
}

/* After a key/value pair or a header: only a comment, then a newline. */
static int
end_of_line(parser *P)
{
    int n;

    skip_ws(P);
    if (skip_comment(P) != 0) {
        return -1;
    }
    if (at_end(P)) {
        return 0;
    }
    n = newline_len(P);
    if (n == 0) {
        return fail(P, P->p, "expected a newline or a comment, found '%c'",
                    *P->p);
    }
    take_newline(P, n);
    return 0;
}

/* Length of the UTF-8 sequence at s (at most left bytes), 0 if invalid:
 * TOML documents must be valid UTF-8. */
static int
utf8_len(const unsigned char *s, size_t left)
{
    uint32_t cp;
    size_t bad;

    return (int)plk_utf8_decode(s, left, &cp, &bad);
}

static int
check_utf8(parser *P)
{
    const char *s = P->p;
    int line = 1;
    const char *ls = s;

    while (s < P->end) {
        int n = utf8_len((const unsigned char *)s, (size_t)(P->end - s));

        if (n == 0) {
            P->line = line;
            P->line_start = ls;
            return fail(P, s,
                        "invalid UTF-8 (byte 0x%02X); TOML files "
                        "must be UTF-8",
                        (unsigned char)*s);
        }
        if (*s == '\n') {
            line++;
            ls = s + 1;
        }
        s += n;
    }
    return 0;
}

/* -- strings ------------------------------------------------------------- */

static int
buf_add_cp(plk_buf *b, unsigned cp)
{
    char u[4];
    size_t n = plk_utf8_encode(cp, u);

    return n > 0 ? plk_buf_append(b, u, n) : PLK_EUSAGE;
}

static int
hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static int
escape(parser *P, plk_buf *b)
{
    const char *at = P->p;
    int c = peek(P, 1);
    unsigned cp = 0;
    int digits, i;

    P->p += 2;
    switch (c) {
    case 'b':
        return plk_buf_append(b, "\b", 1);
    case 't':
        return plk_buf_append(b, "\t", 1);
    case 'n':
        return plk_buf_append(b, "\n", 1);
    case 'f':
        return plk_buf_append(b, "\f", 1);
    case 'r':
        return plk_buf_append(b, "\r", 1);
    case '"':
        return plk_buf_append(b, "\"", 1);
    case '\\':
        return plk_buf_append(b, "\\", 1);
    case 'u':
        digits = 4;
        break;
    case 'U':
        digits = 8;
        break;
    default:
        if (c < 0x20 || c >= 0x7f) {
            return fail(P, at, "invalid escape sequence");
        }
        return fail(P, at,
                    "invalid escape '\\%c' (valid: \\b \\t \\n \\f "
                    "\\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)",
                    c);
    }
    for (i = 0; i < digits; i++) {
        int d = hex_digit(peek(P, 0));

        if (d < 0) {
            return fail(P, at, "\\%c needs %d hex digits", c, digits);
        }
        cp = cp * 16 + (unsigned)d;
        P->p++;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return fail(P, at, "\\%c%.*s is not a Unicode scalar value", c, digits,
                    at + 2);
    }
    return buf_add_cp(b, cp);
}

/* A string of any of the four kinds, P->p at its first quote. The
 * result goes to *out (owned) and *out_len. */
static int
parse_string(parser *P, char **out, size_t *out_len, int allow_multi)
{
    const char *open = P->p;
    char q = *P->p;
    int literal = q == '\'';
    int multi = 0;
    plk_buf b = {0};
    int n;

    *out = NULL;
    if (allow_multi && starts(P, literal ? "'''" : "\"\"\"")) {
        multi = 1;
        P->p += 3;
        /* A newline right after the opening quotes is not content. */
        n = newline_len(P);
        if (n > 0) {
            take_newline(P, n);
        }
    }
    else {
        P->p++;
    }
    if (plk_buf_append(&b, "", 0) != 0) {
        return oom(P);
    }
    for (;;) {
        int c = peek(P, 0);

        if (c < 0) {
            plk_buf_free(&b);
            P->p = open;
            return fail(P, open, "unterminated string");
        }
        if (c == q) {
            if (!multi) {
                P->p++;
                break;
            }
            if (peek(P, 1) == q && peek(P, 2) == q) {
                /* Up to two more quotes right before the closing three
                 * belong to the content. */
                int extra = 0;

                while (extra < 2 && peek(P, 3 + extra) == q) {
                    extra++;
                }
                if (plk_buf_append(&b, P->p, (size_t)extra) != 0) {
                    goto nomem;
                }
                P->p += 3 + extra;
                break;
            }
            if (plk_buf_append(&b, P->p, 1) != 0) {
                goto nomem;
            }
            P->p++;
            continue;
        }
        n = newline_len(P);
        if (n > 0) {
            if (!multi) {
                plk_buf_free(&b);
                return fail(P, P->p,
                            "newline in a single-line string "
                            "(use \"\"\" for multi-line strings)");
            }
            if (plk_buf_append(&b, "\n", 1) != 0) {
                goto nomem;
            }
            take_newline(P, n);
            continue;
        }
        if (c == '\\' && !literal) {
            if (multi) {
                /* A backslash ending a line joins it with the next
                 * non-blank text. */
                const char *s = P->p + 1;

                while (s < P->end && (*s == ' ' || *s == '\t')) {
                    s++;
                }
                if (s < P->end &&
                    (*s == '\n' ||
                     (*s == '\r' && s + 1 < P->end && s[1] == '\n'))) {
                    P->p = s;
                    for (;;) {
                        skip_ws(P);
                        n = newline_len(P);
                        if (n == 0) {
                            break;
                        }
                        take_newline(P, n);
                    }
                    continue;
                }
            }
            if (escape(P, &b) != 0) {
                plk_buf_free(&b);
                return -1;
            }
            continue;
        }
        if (is_control(c)) {
            plk_buf_free(&b);
            return fail(P, P->p,
                        "control character U+%04X in a string "
                        "(write it as an escape)",
                        c);
        }
        if (plk_buf_append(&b, P->p, 1) != 0) {
            goto nomem;
        }
        P->p++;
    }
    *out_len = b.len;
    *out = plk_buf_detach(&b);
    return 0;

nomem:
    plk_buf_free(&b);
    return oom(P);
}

/* -- keys ---------------------------------------------------------------- */

typedef struct key_path {
    char *parts[MAX_DEPTH];
    size_t n;
} key_path;

static void
key_path_free(key_path *k)
{
    size_t i;

    for (i = 0; i < k->n; i++) {
        free(k->parts[i]);
    }
    k->n = 0;
}

static int
is_bare(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* key = simple-key *( ws "." ws simple-key ) */
static int
parse_key(parser *P, key_path *out)
{
    out->n = 0;
    for (;;) {
        char *part = NULL;
        size_t len;
        int c;

        skip_ws(P);
        c = peek(P, 0);
        if (out->n == MAX_DEPTH) {
            key_path_free(out);
            return fail(P, P->p, "key has more than %d parts", MAX_DEPTH);
        }
        if (c == '"' || c == '\'') {
            if (parse_string(P, &part, &len, 0) != 0) {
                key_path_free(out);
                return -1;
            }
        }
        else if (c >= 0 && is_bare(c)) {
            const char *s = P->p;

            while (!at_end(P) && is_bare((unsigned char)*P->p)) {
                P->p++;
            }
            part = plk_strndup(s, (size_t)(P->p - s));
            if (part == NULL) {
                key_path_free(out);
                return oom(P);
            }
        }
        else {
            key_path_free(out);
            if (c < 0 || c == '\n' || c == '\r') {
                return fail(P, P->p, "expected a key");
            }
            return fail(P, P->p,
                        "expected a key, found '%c' (keys are "
                        "A-Za-z0-9_- or quoted)",
                        c);
        }
        out->parts[out->n++] = part;
        skip_ws(P);
        if (peek(P, 0) != '.') {
            return 0;
        }
        P->p++;
    }
}

/* -- numbers and dates --------------------------------------------------- */

static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Digits in base, with single underscores between digits. Copies the
 * digits (without underscores) to dst. Returns the count, -1 if bad. */
static int
digits(const char **s, const char *end, int base, char *dst, size_t cap,
       size_t *used)
{
    const char *p = *s;
    int count = 0;

    for (;;) {
        int c = p < end ? (unsigned char)*p : -1;
        int d = hex_digit(c);

        if (d >= 0 && d < base) {
            if (*used + 1 >= cap) {
                return -1;
            }
            dst[(*used)++] = (char)c;
            count++;
            p++;
            continue;
        }
        if (c == '_' && count > 0 && p + 1 < end &&
            hex_digit((unsigned char)p[1]) >= 0 &&
            hex_digit((unsigned char)p[1]) < base) {
            p++;
            continue;
        }
        break;
    }
    *s = p;
    return count;
}

/* The token of a bare value: up to a delimiter. */
static const char *
token_end(const parser *P)
{
    const char *s = P->p;

    while (s < P->end && strchr(" \t\r\n,]}#", *s) == NULL) {
        s++;
    }
    return s;
}

static int
parse_number(parser *P, plk_toml_value **out, int line)
{
    const char *start = P->p;
    const char *end = token_end(P);
    const char *s = start;
    char buf[128];
    size_t used = 0;
    int sign = 0;
    int is_float = 0;
    int n;
    plk_toml_value *v;

    if (s < end && (*s == '+' || *s == '-')) {
        sign = *s;
        buf[used++] = *s;
        s++;
    }
    if ((size_t)(end - s) == 3 &&
        (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0)) {
        v = new_value(PLK_TOML_FLOAT, line);
        if (v == NULL) {
            return oom(P);
        }
        v->u.f = s[0] == 'i' ? (sign == '-' ? -INFINITY : INFINITY) : NAN;
        P->p = end;
        *out = v;
        return 0;
    }
    if (s + 1 < end && s[0] == '0' && strchr("xob", s[1]) != NULL) {
        int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
        unsigned long long u;

        if (sign) {
            return fail(P, start,
                        "a sign is not allowed on hex, octal "
                        "or binary integers");
        }
        s += 2;
        if (digits(&s, end, base, buf, sizeof(buf), &used) <= 0 || s != end) {
            return fail(P, start, "invalid %s integer '%.*s'",
                        base == 16  ? "hex"
                        : base == 8 ? "octal"
                                    : "binary",
                        (int)(end - start), start);
        }
        buf[used] = '\0';
        errno = 0;
        u = strtoull(buf, NULL, base);
        if (errno != 0 || u > (unsigned long long)INT64_MAX) {
            return fail(P, start, "integer '%.*s' is out of range",
                        (int)(end - start), start);
        }
        v = new_value(PLK_TOML_INTEGER, line);
        if (v == NULL) {
            return oom(P);
        }
        v->u.i = (long long)u;
        P->p = end;
        *out = v;
        return 0;
    }
    n = digits(&s, end, 10, buf, sizeof(buf), &used);
    if (n <= 0) {
        goto bad;
    }
    if (n > 1 && buf[used - (size_t)n] == '0') {
        return fail(P, start, "leading zeros are not allowed in '%.*s'",
                    (int)(end - start), start);
    }
    if (s < end && *s == '.') {
        is_float = 1;
        buf[used++] = '.';
        s++;
        if (digits(&s, end, 10, buf, sizeof(buf), &used) <= 0) {
            goto bad;
        }
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        is_float = 1;
        buf[used++] = 'e';
        s++;
        if (s < end && (*s == '+' || *s == '-')) {
            buf[used++] = *s;
            s++;
        }
        if (digits(&s, end, 10, buf, sizeof(buf), &used) <= 0) {
            goto bad;
        }
    }
    if (s != end) {
        goto bad;
    }
    buf[used] = '\0';
    if (is_float) {
        double d;

        errno = 0;
        d = strtod(buf, NULL);
        if (errno == ERANGE && isinf(d)) {
            return fail(P, start, "float '%.*s' is out of range",
                        (int)(end - start), start);
        }
        v = new_value(PLK_TOML_FLOAT, line);
        if (v == NULL) {
            return oom(P);
        }
        v->u.f = d;
    }
    else {
        long long i;

        errno = 0;
        i = strtoll(buf, NULL, 10);
        if (errno != 0) {
            return fail(P, start, "integer '%.*s' is out of range (64 bits)",
                        (int)(end - start), start);
        }
        v = new_value(PLK_TOML_INTEGER, line);
        if (v == NULL) {
            return oom(P);
        }
        v->u.i = i;
    }
    P->p = end;
    *out = v;
    return 0;

bad:
    if (end == start) {
        return fail(P, start, "expected a value");
    }
    return fail(P, start, "invalid value '%.*s' (strings need quotes)",
                (int)(end - start), start);
}

static int
two_digits(const char *s, const char *end, int lo, int hi)
{
    int v;

    if (end - s < 2 || !is_digit(s[0]) || !is_digit(s[1])) {
        return -1;
    }
    v = (s[0] - '0') * 10 + (s[1] - '0');
    return v >= lo && v <= hi ? v : -1;
}

/* HH:MM:SS[.fraction] at s; returns its end or NULL. */
static const char *
scan_time(const char *s, const char *end)
{
    if (two_digits(s, end, 0, 23) < 0 || end - s < 8 || s[2] != ':' ||
        two_digits(s + 3, end, 0, 59) < 0 || s[5] != ':' ||
        two_digits(s + 6, end, 0, 60) < 0) {
        return NULL;
    }
    s += 8;
    if (s < end && *s == '.') {
        const char *d = ++s;

        while (s < end && is_digit(*s)) {
            s++;
        }
        if (s == d) {
            return NULL;
        }
    }
    return s;
}

static int
parse_datetime(parser *P, plk_toml_value **out, int line)
{
    const char *start = P->p;
    const char *s = start;
    const char *e = P->end;
    plk_toml_value *v;

    if (e - s >= 10 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
        is_digit(s[3]) && s[4] == '-') {
        int month = two_digits(s + 5, e, 1, 12);
        int day = two_digits(s + 8, e, 1, 31);

        int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
                   (s[2] - '0') * 10 + (s[3] - '0');
        static const int mdays[] = {31, 29, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};

        if (month < 0 || s[7] != '-' || day < 0 || day > mdays[month - 1] ||
            (month == 2 && day == 29 &&
             !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))) {
            goto bad;
        }
        s += 10;
        /* "T" or "t", or a space followed by a time. */
        if (s < e && (*s == 'T' || *s == 't' ||
                      (*s == ' ' && scan_time(s + 1, e) != NULL))) {
            s = scan_time(s + 1, e);
            if (s == NULL) {
                goto bad;
            }
            if (s < e && (*s == 'Z' || *s == 'z')) {
                s++;
            }
            else if (s < e && (*s == '+' || *s == '-')) {
                if (two_digits(s + 1, e, 0, 23) < 0 || e - s < 6 ||
                    s[3] != ':' || two_digits(s + 4, e, 0, 59) < 0) {
                    goto bad;
                }
                s += 6;
            }
        }
    }
    else {
        s = scan_time(s, e);
        if (s == NULL) {
            goto bad;
        }
    }
    if (s < e && strchr(" \t\r\n,]}#", *s) == NULL) {
        goto bad;
    }
    v = new_value(PLK_TOML_DATETIME, line);
    if (v == NULL ||
        (v->u.str.s = plk_strndup(start, (size_t)(s - start))) == NULL) {
        free(v);
        return oom(P);
    }
    v->u.str.len = (size_t)(s - start);
    P->p = s;
    *out = v;
    return 0;

bad:
    return fail(P, start, "invalid date or time '%.*s'",
                (int)(token_end(P) - start), start);
}

/* -- values -------------------------------------------------------------- */

static int parse_value(parser *P, plk_toml_value **out);
static int parse_inline_table(parser *P, plk_toml_value **out);

static int
parse_array(parser *P, plk_toml_value **out)
{
    plk_toml_value *arr = new_value(PLK_TOML_ARRAY, P->line);
    const char *open = P->p;
    const char *open_ls = P->line_start;
    int open_line = P->line;

    if (arr == NULL) {
        return oom(P);
    }
    arr->flags = TF_SEALED;
    P->p++;
    for (;;) {
        plk_toml_value *item = NULL;

        if (skip_ws_nl(P) != 0) {
            goto fail;
        }
        if (peek(P, 0) == ']') {
            P->p++;
            break;
        }
        if (at_end(P)) {
            goto unterminated;
        }
        if (parse_value(P, &item) != 0) {
            goto fail;
        }
        if (array_add(P, arr, item) != 0) {
            goto fail;
        }
        if (skip_ws_nl(P) != 0) {
            goto fail;
        }
        if (peek(P, 0) == ',') {
            P->p++;
            continue;
        }
        if (peek(P, 0) == ']') {
            P->p++;
            break;
        }
        if (at_end(P)) {
            goto unterminated;
        }
        fail(P, P->p, "expected ',' or ']' in the array, found '%c'", *P->p);
        goto fail;
    }
    *out = arr;
    return 0;

unterminated:
    P->line = open_line;
    P->line_start = open_ls;
    fail(P, open, "array is not closed with ']'");
fail:
    plk_toml_free(arr);
    return -1;
}

static int
parse_value(parser *P, plk_toml_value **out)
{
    int c = peek(P, 0);
    int line = P->line;
    plk_toml_value *v;

    if (++P->depth > MAX_DEPTH) {
        return fail(P, P->p, "values nested more than %d deep", MAX_DEPTH);
    }
    *out = NULL;
    if (c == '"' || c == '\'') {
        char *s;
        size_t len;

        if (parse_string(P, &s, &len, 1) != 0) {
            return -1;
        }
        v = new_value(PLK_TOML_STRING, line);
        if (v == NULL) {
            free(s);
            return oom(P);
        }
        v->u.str.s = s;
        v->u.str.len = len;
        *out = v;
    }
    else if (c == '[') {
        if (parse_array(P, out) != 0) {
            return -1;
        }
    }
    else if (c == '{') {
        if (parse_inline_table(P, out) != 0) {
            return -1;
        }
    }
    else if (starts(P, "true") || starts(P, "false")) {
        size_t n = c == 't' ? 4 : 5;

        if (P->p + n < P->end && is_bare((unsigned char)P->p[n])) {
            return fail(P, P->p,
                        "invalid value '%.*s' (strings need "
                        "quotes)",
                        (int)(token_end(P) - P->p), P->p);
        }
        v = new_value(PLK_TOML_BOOL, line);
        if (v == NULL) {
            return oom(P);
        }
        v->u.b = c == 't';
        P->p += n;
        *out = v;
    }
    else if (is_digit(c) && ((is_digit(peek(P, 1)) && is_digit(peek(P, 2)) &&
                              is_digit(peek(P, 3)) && peek(P, 4) == '-') ||
                             (is_digit(peek(P, 1)) && peek(P, 2) == ':'))) {
        if (parse_datetime(P, out, line) != 0) {
            return -1;
        }
    }
    else if (c == '+' || c == '-' || is_digit(c) || c == 'i' || c == 'n') {
        if (parse_number(P, out, line) != 0) {
            return -1;
        }
    }
    else if (c < 0 || c == '\n' || c == '\r' || c == '#') {
        return fail(P, P->p, "expected a value");
    }
    else {
        return fail(P, P->p, "invalid value '%.*s' (strings need quotes)",
                    (int)(token_end(P) - P->p > 0 ? token_end(P) - P->p : 1),
                    P->p);
    }
    P->depth--;
    return 0;
}

/* -- tables -------------------------------------------------------------- */

static const char *
describe(const plk_toml_value *v)
{
    if (v->type == PLK_TOML_ARRAY && (v->flags & TF_AOT)) {
        return "an array of tables";
    }
    switch (v->type) {
    case PLK_TOML_TABLE:
        return (v->flags & TF_SEALED) ? "an inline table" : "a table";
    case PLK_TOML_ARRAY:
        return "an array";
    default:
        return "a value";
    }
}

/* Store value at path (relative to table), creating dotted tables on the
 * way. Takes ownership of value. */
static int
assign(parser *P, plk_toml_value *table, key_path *k, int line,
       plk_toml_value *value, const char *at)
{
    plk_toml_value *t = table;
    plk_toml_entry *e;
    size_t i;
    char *key;

    for (i = 0; i + 1 < k->n; i++) {
        e = find_mut(t, k->parts[i]);
        if (e == NULL) {
            plk_toml_value *sub = new_value(PLK_TOML_TABLE, line);

            if (sub == NULL) {
                plk_toml_free(value);
                return oom(P);
            }
            sub->flags = TF_DOTTED;
            sub->section = P->section;
            key = plk_strdup(k->parts[i]);
            if (key == NULL) {
                plk_toml_free(sub);
                plk_toml_free(value);
                return oom(P);
            }
            if (table_add(P, t, key, line, sub) != 0) {
                plk_toml_free(value);
                return -1;
            }
            t = sub;
            continue;
        }
        if (e->value->type != PLK_TOML_TABLE ||
            (e->value->flags & (TF_SEALED | TF_EXPLICIT)) ||
            ((e->value->flags & TF_DOTTED) &&
             e->value->section != P->section)) {
            plk_toml_free(value);
            return fail(P, at,
                        "cannot add '%s' to '%s': it is %s defined "
                        "at line %d",
                        k->parts[i + 1], k->parts[i], describe(e->value),
                        e->value->line);
        }
        if (e->value->flags & TF_IMPLICIT) {
            e->value->flags = TF_DOTTED;
            e->value->section = P->section;
        }
        t = e->value;
    }
    e = find_mut(t, k->parts[k->n - 1]);
    if (e != NULL) {
        plk_toml_free(value);
        return fail(P, at, "duplicate key '%s' (first defined at line %d)",
                    k->parts[k->n - 1], e->line);
    }
    key = k->parts[k->n - 1];
    k->parts[k->n - 1] = NULL;
    k->n--;
    return table_add(P, t, key, line, value);
}

static int
parse_inline_table(parser *P, plk_toml_value **out)
{
    plk_toml_value *t = new_value(PLK_TOML_TABLE, P->line);
    int outer = P->section;
    int first = 1;

    if (t == NULL) {
        return oom(P);
    }
    P->p++;
    /* Each inline table is a section of its own for dotted keys. */
    P->section = ++P->sections;
    for (;;) {
        key_path k = {0};
        plk_toml_value *v = NULL;
        const char *at;
        int line;

        skip_ws(P);
        if (peek(P, 0) == '}' && first) {
            P->p++;
            break;
        }
        if (newline_len(P) > 0 || at_end(P)) {
            fail(P, P->p,
                 "inline table is not closed with '}' on its "
                 "line (inline tables are one line)");
            goto fail;
        }
        at = P->p;
        line = P->line;
        if (parse_key(P, &k) != 0) {
            goto fail;
        }
        if (peek(P, 0) != '=') {
            key_path_free(&k);
            fail(P, P->p, "expected '=' after the key");
            goto fail;
        }
        P->p++;
        skip_ws(P);
        if (parse_value(P, &v) != 0 || assign(P, t, &k, line, v, at) != 0) {
            key_path_free(&k);
            goto fail;
        }
        key_path_free(&k);
        first = 0;
        skip_ws(P);
        if (peek(P, 0) == ',') {
            P->p++;
            skip_ws(P);
            if (peek(P, 0) == '}') {
                fail(P, P->p, "trailing comma in an inline table");
                goto fail;
            }
            continue;
        }
        if (peek(P, 0) == '}') {
            P->p++;
            break;
        }
        if (newline_len(P) > 0 || at_end(P)) {
            fail(P, P->p,
                 "inline table is not closed with '}' on its "
                 "line (inline tables are one line)");
        }
        else {
            fail(P, P->p,
                 "expected ',' or '}' in the inline table, found "
                 "'%c'",
                 *P->p);
        }
        goto fail;
    }
    /* Sealing goes deep: nothing may add to its subtables either. */
    {
        plk_toml_value *stack[MAX_DEPTH * 2];
        size_t top = 0;

        stack[top++] = t;
        while (top > 0) {
            plk_toml_value *x = stack[--top];
            size_t i;

            x->flags = TF_SEALED;
            for (i = 0; x->type == PLK_TOML_TABLE && i < x->u.tab.n; i++) {
                plk_toml_value *c = x->u.tab.items[i].value;

                if (c->type == PLK_TOML_TABLE && top < MAX_DEPTH * 2) {
                    stack[top++] = c;
                }
            }
        }
    }
    P->section = outer;
    *out = t;
    return 0;

fail:
    plk_toml_free(t);
    return -1;
}

/* [a.b.c] or [[a.b.c]]: make the current table. */
static int
open_header(parser *P, plk_toml_value *root, key_path *k, int array, int line,
            const char *at, plk_toml_value **current)
{
    plk_toml_value *t = root;
    plk_toml_entry *e;
    plk_toml_value *sub;
    char *key;
    size_t i;

    for (i = 0; i + 1 < k->n; i++) {
        e = find_mut(t, k->parts[i]);
        if (e == NULL) {
            sub = new_value(PLK_TOML_TABLE, line);
            key = plk_strdup(k->parts[i]);
            if (sub == NULL || key == NULL) {
                free(key);
                plk_toml_free(sub);
                return oom(P);
            }
            sub->flags = TF_IMPLICIT;
            if (table_add(P, t, key, line, sub) != 0) {
                return -1;
            }
            t = sub;
            continue;
        }
        sub = e->value;
        if (sub->type == PLK_TOML_ARRAY && (sub->flags & TF_AOT)) {
            t = sub->u.arr.items[sub->u.arr.n - 1];
            continue;
        }
        if (sub->type != PLK_TOML_TABLE || (sub->flags & TF_SEALED)) {
            return fail(P, at,
                        "cannot open a table inside '%s': it is %s "
                        "defined at line %d",
                        k->parts[i], describe(sub), sub->line);
        }
        t = sub;
    }
    key = k->parts[k->n - 1];
    e = find_mut(t, key);
    if (array) {
        plk_toml_value *arr;

        if (e == NULL) {
            char *copy = plk_strdup(key);

            arr = new_value(PLK_TOML_ARRAY, line);
            if (arr == NULL || copy == NULL) {
                free(copy);
                plk_toml_free(arr);
                return oom(P);
            }
            arr->flags = TF_AOT;
            if (table_add(P, t, copy, line, arr) != 0) {
                return -1;
            }
        }
        else if (e->value->type != PLK_TOML_ARRAY ||
                 !(e->value->flags & TF_AOT)) {
            return fail(P, at,
                        "cannot make '%s' an array of tables: it is "
                        "%s defined at line %d",
                        key, describe(e->value), e->value->line);
        }
        else {
            arr = e->value;
        }
        sub = new_value(PLK_TOML_TABLE, line);
        if (sub == NULL) {
            return oom(P);
        }
        sub->flags = TF_EXPLICIT;
        if (array_add(P, arr, sub) != 0) {
            return -1;
        }
        *current = sub;
        return 0;
    }
    if (e != NULL) {
        sub = e->value;
        if (sub->type != PLK_TOML_TABLE || !(sub->flags & TF_IMPLICIT)) {
            return fail(P, at,
                        "table '%s' is already defined (as %s at "
                        "line %d)",
                        key, describe(sub), sub->line);
        }
        sub->flags = TF_EXPLICIT;
        sub->line = line;
        e->line = line;
        *current = sub;
        return 0;
    }
    sub = new_value(PLK_TOML_TABLE, line);
    key = plk_strdup(key);
    if (sub == NULL || key == NULL) {
        free(key);
        plk_toml_free(sub);
        return oom(P);
    }
    sub->flags = TF_EXPLICIT;
    if (table_add(P, t, key, line, sub) != 0) {
        return -1;
    }
    *current = sub;
    return 0;
}

static int
parse_header(parser *P, plk_toml_value *root, plk_toml_value **current)
{
    const char *at = P->p;
    int array = starts(P, "[[");
    key_path k = {0};
    int rc;

    P->p += array ? 2 : 1;
    P->section = ++P->sections;
    if (parse_key(P, &k) != 0) {
        return -1;
    }
    if (array ? !starts(P, "]]") : peek(P, 0) != ']') {
        key_path_free(&k);
        return fail(P, P->p, "expected '%s' to close the table header",
                    array ? "]]" : "]");
    }
    P->p += array ? 2 : 1;
    rc = open_header(P, root, &k, array, P->line, at, current);
    key_path_free(&k);
    if (rc != 0) {
        return -1;
    }
    return end_of_line(P);
}

static int
parse_document(parser *P, plk_toml_value *root)
{
    plk_toml_value *current = root;

    if (starts(P, "\xef\xbb\xbf")) {
        P->p += 3; /* a byte order mark */
        P->line_start = P->p;
    }
    for (;;) {
        int n;

        skip_ws(P);
        if (skip_comment(P) != 0) {
            return -1;
        }
        if (at_end(P)) {
            return 0;
        }
        n = newline_len(P);
        if (n > 0) {
            take_newline(P, n);
            continue;
        }
        if (*P->p == '[') {
            if (parse_header(P, root, &current) != 0) {
                return -1;
            }
        }
        else {
            key_path k = {0};
            plk_toml_value *v = NULL;
            const char *at = P->p;
            int line = P->line;

            if (parse_key(P, &k) != 0) {
                return -1;
            }
            if (peek(P, 0) != '=') {
                key_path_free(&k);
                if (at_end(P) || newline_len(P) > 0) {
                    return fail(P, P->p, "expected '=' after the key");
                }
                return fail(P, P->p,
                            "expected '=' after the key, found "
                            "'%c'",
                            *P->p);
            }
            P->p++;
            skip_ws(P);
            P->depth = 0;
            if (parse_value(P, &v) != 0 ||
                assign(P, current, &k, line, v, at) != 0) {
                key_path_free(&k);
                return -1;
            }
            key_path_free(&k);
            if (end_of_line(P) != 0) {
                return -1;
            }
        }
    }
}

int
plk_toml_parse(plk_toml_value **out, const char *text, size_t len,
               const char *name, plk_error *err)
{
    parser P = {0};
    plk_toml_value *root;

    *out = NULL;
    P.p = text;
    P.end = text + len;
    P.line_start = text;
    P.line = 1;
    P.name = name != NULL ? name : "<toml>";
    P.err = err;
    if (check_utf8(&P) != 0) {
        return PLK_EUSAGE;
    }
    root = new_value(PLK_TOML_TABLE, 1);
    if (root == NULL) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    root->flags = TF_EXPLICIT;
    if (parse_document(&P, root) != 0) {
        plk_toml_free(root);
        return err != NULL && err->code != 0 ? err->code : PLK_EUSAGE;
    }
    *out = root;
    return 0;
}

int
plk_toml_parse_file(plk_toml_value **out, const char *path, plk_error *err)
{
    plk_buf b = {0};
    int rc, e;

    *out = NULL;
    rc = plk_read_file(path, 0, &b, &e);
    if (rc == PLK_ENOMEM) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    else if (rc != 0) {
        rc = plk_error_set(err, rc, "cannot read %s: %s", path, strerror(e));
    }
    else {
        rc = plk_toml_parse(out, b.data, b.len, path, err);
    }
    plk_buf_free(&b);
    return rc;
}

char *
plk_toml_quote(const char *s)
{
    plk_buf b = {0};

    plk_buf_puts(&b, "\"");
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        switch (c) {
        case '"':
            plk_buf_puts(&b, "\\\"");
            break;
        case '\\':
            plk_buf_puts(&b, "\\\\");
            break;
        case '\n':
            plk_buf_puts(&b, "\\n");
            break;
        case '\t':
            plk_buf_puts(&b, "\\t");
            break;
        case '\r':
            plk_buf_puts(&b, "\\r");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                plk_buf_printf(&b, "\\u%04x", c);
            }
            else {
                plk_buf_append(&b, s, 1);
            }
        }
    }
    plk_buf_puts(&b, "\"");
    return plk_buf_detach(&b);
}
