/* A TOML 1.0 reader: a document into a tree of values with line numbers. */
#ifndef PYLEAK_TOML_H
#define PYLEAK_TOML_H

#include <stddef.h>

#include "base/error.h"

typedef enum {
    PLK_TOML_TABLE,
    PLK_TOML_ARRAY,
    PLK_TOML_STRING,
    PLK_TOML_INTEGER,
    PLK_TOML_FLOAT,
    PLK_TOML_BOOL,
    PLK_TOML_DATETIME /* kept as its text: nothing here needs dates */
} plk_toml_type;

typedef struct plk_toml_value plk_toml_value;

typedef struct plk_toml_entry {
    char *key;
    int line; /* where the key (or table header) is */
    plk_toml_value *value;
} plk_toml_entry;

struct plk_toml_value {
    plk_toml_type type;
    int line;    /* where the value starts, 1-based */
    int flags;   /* how a table or array was made (private) */
    int section; /* private: the section that made it */
    union {
        struct {
            char *s; /* NUL-terminated; may hold NULs (\u0000) */
            size_t len;
        } str; /* STRING and DATETIME */
        long long i;
        double f;
        int b;
        struct {
            plk_toml_value **items;
            size_t n, cap;
        } arr;
        struct {
            plk_toml_entry *items; /* in document order */
            size_t n, cap;
        } tab;
    } u;
};

/* Parse text (len bytes, need not be NUL-terminated). name is used in
 * messages: "NAME:LINE:COLUMN: what is wrong". On success *out is the
 * root table, owned by the caller. */
int plk_toml_parse(plk_toml_value **out, const char *text, size_t len,
                   const char *name, plk_error *err);
/* Read and parse a file; PLK_ENOTFOUND when it does not exist. */
int plk_toml_parse_file(plk_toml_value **out, const char *path,
                        plk_error *err);
void plk_toml_free(plk_toml_value *v);

/* The entry for key in table, or NULL (also when table is not a table). */
const plk_toml_entry *plk_toml_find(const plk_toml_value *table,
                                    const char *key);
/* Its value, or NULL. */
const plk_toml_value *plk_toml_get(const plk_toml_value *table,
                                   const char *key);
/* "string", "integer", "float", "boolean", "datetime", "array", "table" */
const char *plk_toml_type_name(plk_toml_type t);

/* Append s as a TOML basic string, quotes included, to a new string. */
char *plk_toml_quote(const char *s);

#endif
