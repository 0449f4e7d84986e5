/* Fuzz target: the TOML reader (config/toml.c) on arbitrary bytes.
 *
 * Beyond not crashing: a document either parses into a tree or fails
 * with a located message and no tree; every string in a tree is valid
 * UTF-8 of its recorded length, every line number lies in the
 * document, and plk_toml_quote of a string reads back as the same
 * string. */
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/util.h"
#include "config/toml.h"

#include "fuzz.h"

#define NAME "fuzz.toml"

static void check_value(const plk_toml_value *v, int lines);

static void
check_quote(const plk_toml_value *v)
{
    plk_toml_value *root = NULL;
    plk_error err = {0};
    const plk_toml_value *back;
    char *quoted, *doc;

    if (strlen(v->u.str.s) != v->u.str.len) {
        return; /* \u0000 inside: plk_toml_quote takes C strings */
    }
    quoted = plk_toml_quote(v->u.str.s);
    doc = quoted ? plk_asprintf("k = %s\n", quoted) : NULL;
    FUZZ_CHECK(doc != NULL, "out of memory");
    FUZZ_CHECK(plk_toml_parse(&root, doc, strlen(doc), "quoted", &err) == 0,
               "quoted string does not parse: %s: %s", doc, err.message);
    back = plk_toml_get(root, "k");
    FUZZ_CHECK(back != NULL && back->type == PLK_TOML_STRING &&
                   back->u.str.len == v->u.str.len &&
                   memcmp(back->u.str.s, v->u.str.s, v->u.str.len) == 0,
               "quoted string reads back differently: %s", doc);
    plk_toml_free(root);
    free(doc);
    free(quoted);
}

static void
check_value(const plk_toml_value *v, int lines)
{
    size_t i;

    FUZZ_CHECK(v != NULL, "NULL value in the tree");
    FUZZ_CHECK(v->line >= 1 && v->line <= lines, "value at line %d of %d",
               v->line, lines);
    switch (v->type) {
    case PLK_TOML_STRING:
    case PLK_TOML_DATETIME:
        FUZZ_CHECK(v->u.str.s != NULL && v->u.str.s[v->u.str.len] == '\0',
                   "string not NUL-terminated at its length");
        FUZZ_CHECK(plk_utf8_valid(v->u.str.s, v->u.str.len),
                   "string is not valid UTF-8");
        if (v->type == PLK_TOML_STRING) {
            check_quote(v);
        }
        else {
            FUZZ_CHECK(v->u.str.len > 0, "empty datetime");
        }
        break;
    case PLK_TOML_ARRAY:
        FUZZ_CHECK(v->u.arr.n <= v->u.arr.cap, "array count past capacity");
        for (i = 0; i < v->u.arr.n; i++) {
            check_value(v->u.arr.items[i], lines);
        }
        break;
    case PLK_TOML_TABLE:
        FUZZ_CHECK(v->u.tab.n <= v->u.tab.cap, "table count past capacity");
        for (i = 0; i < v->u.tab.n; i++) {
            const plk_toml_entry *e = &v->u.tab.items[i];

            FUZZ_CHECK(e->key != NULL, "NULL key");
            FUZZ_CHECK(plk_utf8_valid(e->key, strlen(e->key)),
                       "key is not valid UTF-8");
            FUZZ_CHECK(e->line >= 1 && e->line <= lines,
                       "key at line %d of %d", e->line, lines);
            FUZZ_CHECK(plk_toml_find(v, e->key) != NULL,
                       "key '%s' is not found in its table", e->key);
            check_value(e->value, lines);
        }
        break;
    case PLK_TOML_INTEGER:
    case PLK_TOML_FLOAT:
    case PLK_TOML_BOOL:
        break;
    default:
        fuzz_fail("value of unknown type %d", (int)v->type);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plk_toml_value *root = NULL;
    plk_error err = {0};
    int lines = 1;
    size_t i;
    int rc;

    /* Lines as the reader counts them: LF, or CR LF. */
    for (i = 0; i < size; i++) {
        lines += data[i] == '\n';
    }
    rc = plk_toml_parse(&root, (const char *)data, size, NAME, &err);
    if (rc == 0) {
        FUZZ_CHECK(root != NULL && root->type == PLK_TOML_TABLE,
                   "success without a root table");
        check_value(root, lines);
    }
    else {
        FUZZ_CHECK(root == NULL, "a tree left behind on failure");
        FUZZ_CHECK(rc == PLK_EUSAGE || rc == PLK_ENOMEM, "rc %d", rc);
        FUZZ_CHECK(err.message != NULL, "failure without a message");
        FUZZ_CHECK(rc != PLK_EUSAGE ||
                       strncmp(err.message, NAME ":", strlen(NAME) + 1) == 0,
                   "message does not name the file: %s", err.message);
    }
    plk_toml_free(root);
    plk_error_clear(&err);
    return 0;
}
