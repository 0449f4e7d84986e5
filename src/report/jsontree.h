/* Reading a JSON text into a tree: the diagnosis the workers send is
 * JSON, and the HTML report lays it out. */
#ifndef PYLEAK_JSONTREE_H
#define PYLEAK_JSONTREE_H

#include <stddef.h>

typedef enum {
    PLK_JV_NULL,
    PLK_JV_BOOL,
    PLK_JV_NUMBER,
    PLK_JV_STRING,
    PLK_JV_ARRAY,
    PLK_JV_OBJECT
} plk_jv_type;

typedef struct plk_jv {
    plk_jv_type type;
    int boolean;           /* BOOL */
    double number;         /* NUMBER */
    char *string;          /* STRING: UTF-8, escapes resolved; owned */
    char **keys;           /* OBJECT: n keys, owned */
    struct plk_jv *items;  /* ARRAY items or OBJECT values, n of them */
    size_t n;
} plk_jv;

/* Parse text (one JSON value, at most 256 levels deep) into *out, which
 * the caller frees with plk_jv_free. \u escapes become UTF-8, a lone
 * surrogate U+FFFD. Returns 0, or -1 (out left as null) when text is not
 * JSON or memory ran out. */
int plk_jv_parse(plk_jv *out, const char *text);
void plk_jv_free(plk_jv *v);

/* The value of key in an object; NULL when v is not an object or has no
 * such key. */
const plk_jv *plk_jv_get(const plk_jv *v, const char *key);
/* The string at key, or NULL when absent or not a string. */
const char *plk_jv_str(const plk_jv *v, const char *key);
/* The number at key, or dflt when absent or not a number. */
double plk_jv_num(const plk_jv *v, const char *key, double dflt);
/* The n-th item of an array (NULL past the end or for a non-array), and
 * the number of items (0 for a non-array). */
const plk_jv *plk_jv_at(const plk_jv *v, size_t i);
size_t plk_jv_len(const plk_jv *v);

#endif
