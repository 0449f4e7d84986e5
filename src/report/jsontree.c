/* A JSON reader that builds a tree, for reports that lay out the
 * diagnosis the workers send as JSON text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/jsontree.h"
#include "base/util.h"

#define JV_MAX_DEPTH 256

typedef struct {
    const char *s;
    size_t i;
} rd;

static void
skip_ws(rd *r)
{
    while (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' ||
           r->s[r->i] == '\r') {
        r->i++;
    }
}

static int
hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    int k;

    for (k = 0; k < 4; k++) {
        char c = s[k];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (uint32_t)(c - '0');
        }
        else if (c >= 'a' && c <= 'f') {
            v |= (uint32_t)(c - 'a' + 10);
        }
        else if (c >= 'A' && c <= 'F') {
            v |= (uint32_t)(c - 'A' + 10);
        }
        else {
            return -1;
        }
    }
    *out = v;
    return 0;
}

static void
put_utf8(plk_buf *b, uint32_t cp)
{
    char u[4];

    if (cp < 0x80) {
        u[0] = (char)cp;
        plk_buf_append(b, u, 1);
    }
    else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        plk_buf_append(b, u, 2);
    }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        plk_buf_append(b, u, 3);
    }
    else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        plk_buf_append(b, u, 4);
    }
}

/* A string at r->s[r->i] == '"'; *out is a new string. Bytes are kept
 * as they are (the writers sanitise what they print). */
static int
read_string(rd *r, char **out)
{
    plk_buf b = {0};

    r->i++;
    plk_buf_append(&b, "", 0);
    for (;;) {
        unsigned char c = (unsigned char)r->s[r->i];

        if (c == '"') {
            r->i++;
            break;
        }
        if (c == '\0' || c < 0x20) {
            goto fail;
        }
        if (c != '\\') {
            plk_buf_append(&b, r->s + r->i, 1);
            r->i++;
            continue;
        }
        r->i++;
        switch (r->s[r->i]) {
        case '"':
        case '\\':
        case '/':
            plk_buf_append(&b, r->s + r->i, 1);
            break;
        case 'b':
            plk_buf_puts(&b, "\b");
            break;
        case 'f':
            plk_buf_puts(&b, "\f");
            break;
        case 'n':
            plk_buf_puts(&b, "\n");
            break;
        case 'r':
            plk_buf_puts(&b, "\r");
            break;
        case 't':
            plk_buf_puts(&b, "\t");
            break;
        case 'u': {
            uint32_t cp, lo;

            if (hex4(r->s + r->i + 1, &cp) != 0) {
                goto fail;
            }
            r->i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && r->s[r->i + 1] == '\\' &&
                r->s[r->i + 2] == 'u' && hex4(r->s + r->i + 3, &lo) == 0 &&
                lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                r->i += 6;
            }
            else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD; /* a lone surrogate */
            }
            put_utf8(&b, cp);
            break;
        }
        default:
            goto fail;
        }
        r->i++;
    }
    if (b.data == NULL) {
        goto fail;
    }
    *out = plk_buf_detach(&b);
    return 0;
fail:
    plk_buf_free(&b);
    return -1;
}

static int read_value(rd *r, plk_jv *out, int depth);

/* Append an empty slot to a container; NULL when out of memory. */
static plk_jv *
grow(plk_jv *v, size_t *cap, int with_key)
{
    if (v->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        plk_jv *items = realloc(v->items, ncap * sizeof(*items));

        if (items == NULL) {
            return NULL;
        }
        v->items = items;
        if (with_key) {
            char **keys = realloc(v->keys, ncap * sizeof(*keys));

            if (keys == NULL) {
                return NULL;
            }
            v->keys = keys;
        }
        *cap = ncap;
    }
    memset(&v->items[v->n], 0, sizeof(v->items[0]));
    if (with_key) {
        v->keys[v->n] = NULL;
    }
    return &v->items[v->n];
}

static int
read_container(rd *r, plk_jv *out, int depth, char close)
{
    size_t cap = 0;
    int obj = close == '}';

    out->type = obj ? PLK_JV_OBJECT : PLK_JV_ARRAY;
    r->i++;
    skip_ws(r);
    if (r->s[r->i] == close) {
        r->i++;
        return 0;
    }
    for (;;) {
        plk_jv *slot;

        skip_ws(r);
        slot = grow(out, &cap, obj);
        if (slot == NULL) {
            return -1;
        }
        if (obj) {
            if (r->s[r->i] != '"' ||
                read_string(r, &out->keys[out->n]) != 0) {
                return -1;
            }
            out->n++; /* owned from here on, also on failure */
            skip_ws(r);
            if (r->s[r->i] != ':') {
                return -1;
            }
            r->i++;
        }
        else {
            out->n++;
        }
        if (read_value(r, slot, depth + 1) != 0) {
            return -1;
        }
        skip_ws(r);
        if (r->s[r->i] == close) {
            r->i++;
            return 0;
        }
        if (r->s[r->i] != ',') {
            return -1;
        }
        r->i++;
    }
}

static int
read_number(rd *r, plk_jv *out)
{
    const char *start = r->s + r->i;
    char *end = NULL;
    size_t k = r->i;

    /* JSON's grammar, checked before strtod (which takes more). */
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
    if (r->s[k] == '-') {
        k++;
    }
    if (!DIGIT(r->s[k])) {
        return -1;
    }
    if (r->s[k] == '0' && DIGIT(r->s[k + 1])) {
        return -1;
    }
    while (DIGIT(r->s[k])) {
        k++;
    }
    if (r->s[k] == '.') {
        k++;
        if (!DIGIT(r->s[k])) {
            return -1;
        }
        while (DIGIT(r->s[k])) {
            k++;
        }
    }
    if (r->s[k] == 'e' || r->s[k] == 'E') {
        k++;
        if (r->s[k] == '+' || r->s[k] == '-') {
            k++;
        }
        if (!DIGIT(r->s[k])) {
            return -1;
        }
        while (DIGIT(r->s[k])) {
            k++;
        }
    }
#undef DIGIT
    out->number = strtod(start, &end);
    if (end != r->s + k) {
        return -1;
    }
    out->type = PLK_JV_NUMBER;
    r->i = k;
    return 0;
}

static int
read_word(rd *r, const char *word)
{
    size_t n = strlen(word);

    if (strncmp(r->s + r->i, word, n) != 0) {
        return -1;
    }
    r->i += n;
    return 0;
}

static int
read_value(rd *r, plk_jv *out, int depth)
{
    if (depth > JV_MAX_DEPTH) {
        return -1;
    }
    skip_ws(r);
    switch (r->s[r->i]) {
    case '{':
        return read_container(r, out, depth, '}');
    case '[':
        return read_container(r, out, depth, ']');
    case '"':
        out->type = PLK_JV_STRING;
        return read_string(r, &out->string);
    case 't':
        out->type = PLK_JV_BOOL;
        out->boolean = 1;
        return read_word(r, "true");
    case 'f':
        out->type = PLK_JV_BOOL;
        return read_word(r, "false");
    case 'n':
        return read_word(r, "null");
    default:
        return read_number(r, out);
    }
}

int
plk_jv_parse(plk_jv *out, const char *text)
{
    rd r;

    memset(out, 0, sizeof(*out));
    if (text == NULL) {
        return -1;
    }
    r.s = text;
    r.i = 0;
    if (read_value(&r, out, 0) != 0) {
        goto fail;
    }
    skip_ws(&r);
    if (r.s[r.i] != '\0') {
        goto fail;
    }
    return 0;
fail:
    plk_jv_free(out);
    return -1;
}

void
plk_jv_free(plk_jv *v)
{
    size_t i;

    if (v == NULL) {
        return;
    }
    for (i = 0; i < v->n; i++) {
        plk_jv_free(&v->items[i]);
        if (v->keys != NULL) {
            free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    memset(v, 0, sizeof(*v));
}

const plk_jv *
plk_jv_get(const plk_jv *v, const char *key)
{
    size_t i;

    if (v == NULL || v->type != PLK_JV_OBJECT) {
        return NULL;
    }
    for (i = 0; i < v->n; i++) {
        if (v->keys[i] != NULL && strcmp(v->keys[i], key) == 0) {
            return &v->items[i];
        }
    }
    return NULL;
}

const char *
plk_jv_str(const plk_jv *v, const char *key)
{
    const plk_jv *x = plk_jv_get(v, key);

    return x != NULL && x->type == PLK_JV_STRING ? x->string : NULL;
}

double
plk_jv_num(const plk_jv *v, const char *key, double dflt)
{
    const plk_jv *x = plk_jv_get(v, key);

    return x != NULL && x->type == PLK_JV_NUMBER ? x->number : dflt;
}

const plk_jv *
plk_jv_at(const plk_jv *v, size_t i)
{
    if (v == NULL || v->type != PLK_JV_ARRAY || i >= v->n) {
        return NULL;
    }
    return &v->items[i];
}

size_t
plk_jv_len(const plk_jv *v)
{
    return v != NULL && v->type == PLK_JV_ARRAY ? v->n : 0;
}
