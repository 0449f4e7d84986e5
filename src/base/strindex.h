/* An index of strings: each key maps to the list of values added under
 * it, in the order they were added. Lookups take constant time, so a
 * file of thousands of tests costs its parent no more per record than a
 * file of ten. */
#ifndef PYLEAK_STRINDEX_H
#define PYLEAK_STRINDEX_H

#include <stddef.h>

typedef struct plk_strindex_entry {
    char *key;      /* owned copy */
    size_t *values; /* in the order added */
    size_t n, cap;
} plk_strindex_entry;

typedef struct plk_strindex {
    plk_strindex_entry *entries; /* in the order keys first came */
    size_t nentries, capentries;
    size_t *slots; /* open addressing: entry index + 1, 0 empty */
    size_t nslots; /* a power of two, or 0 */
} plk_strindex;

/* Add value under key (copied). Returns 0 or PLK_ENOMEM (the index is
 * then as it was). A zeroed plk_strindex is an empty index. */
int plk_strindex_add(plk_strindex *ix, const char *key, size_t value);

/* The values added under key, oldest first, and how many (*n); NULL and
 * 0 when key was never added. key NULL finds nothing. */
const size_t *plk_strindex_get(const plk_strindex *ix, const char *key,
                               size_t *n);

/* 1 when key was added at least once. */
int plk_strindex_has(const plk_strindex *ix, const char *key);

void plk_strindex_free(plk_strindex *ix);

#endif
