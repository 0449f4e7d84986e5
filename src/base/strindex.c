/* An index of strings: see strindex.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/strindex.h"
#include "base/util.h"

/* FNV-1a over the key's bytes. */
static size_t
hash(const char *key)
{
    uint64_t h = 14695981039346656037ull;

    for (; *key != '\0'; key++) {
        h ^= (unsigned char)*key;
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 32));
}

/* The slot that holds key, or the empty one where it would go. */
static size_t
find_slot(const plk_strindex *ix, const char *key)
{
    size_t mask = ix->nslots - 1, i = hash(key) & mask;

    while (ix->slots[i] != 0 &&
           strcmp(ix->entries[ix->slots[i] - 1].key, key) != 0) {
        i = (i + 1) & mask;
    }
    return i;
}

/* Twice the slots (at least 16), every entry placed again. */
static int
grow_slots(plk_strindex *ix)
{
    size_t n = ix->nslots ? ix->nslots * 2 : 16, e;
    size_t *old = ix->slots;

    if (n > SIZE_MAX / sizeof(size_t) / 2) {
        return PLK_ENOMEM;
    }
    ix->slots = calloc(n, sizeof(size_t));
    if (ix->slots == NULL) {
        ix->slots = old;
        return PLK_ENOMEM;
    }
    ix->nslots = n;
    for (e = 0; e < ix->nentries; e++) {
        ix->slots[find_slot(ix, ix->entries[e].key)] = e + 1;
    }
    free(old);
    return 0;
}

int
plk_strindex_add(plk_strindex *ix, const char *key, size_t value)
{
    plk_strindex_entry *e;
    size_t slot;

    if (key == NULL) {
        return PLK_EUSAGE;
    }
    /* At most half full, so probes stay short. */
    if ((ix->nentries + 1) * 2 > ix->nslots && grow_slots(ix) != 0) {
        return PLK_ENOMEM;
    }
    slot = find_slot(ix, key);
    if (ix->slots[slot] == 0) {
        if (ix->nentries == ix->capentries) {
            size_t cap = ix->capentries ? ix->capentries * 2 : 16;
            plk_strindex_entry *grown;

            grown = cap < SIZE_MAX / sizeof(*grown)
                        ? realloc(ix->entries, cap * sizeof(*grown))
                        : NULL;
            if (grown == NULL) {
                return PLK_ENOMEM;
            }
            ix->entries = grown;
            ix->capentries = cap;
        }
        e = &ix->entries[ix->nentries];
        memset(e, 0, sizeof(*e));
        e->key = plk_strdup(key);
        if (e->key == NULL) {
            return PLK_ENOMEM;
        }
        ix->nentries++;
        ix->slots[slot] = ix->nentries;
    }
    e = &ix->entries[ix->slots[slot] - 1];
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 1;
        size_t *grown = cap < SIZE_MAX / sizeof(size_t)
                            ? realloc(e->values, cap * sizeof(size_t))
                            : NULL;

        if (grown == NULL) {
            return PLK_ENOMEM;
        }
        e->values = grown;
        e->cap = cap;
    }
    e->values[e->n++] = value;
    return 0;
}

const size_t *
plk_strindex_get(const plk_strindex *ix, const char *key, size_t *n)
{
    size_t slot;

    *n = 0;
    if (key == NULL || ix->nslots == 0) {
        return NULL;
    }
    slot = find_slot(ix, key);
    if (ix->slots[slot] == 0) {
        return NULL;
    }
    *n = ix->entries[ix->slots[slot] - 1].n;
    return ix->entries[ix->slots[slot] - 1].values;
}

int
plk_strindex_has(const plk_strindex *ix, const char *key)
{
    size_t n;

    plk_strindex_get(ix, key, &n);
    return n > 0;
}

void
plk_strindex_free(plk_strindex *ix)
{
    size_t e;

    for (e = 0; e < ix->nentries; e++) {
        free(ix->entries[e].key);
        free(ix->entries[e].values);
    }
    free(ix->entries);
    free(ix->slots);
    memset(ix, 0, sizeof(*ix));
}
