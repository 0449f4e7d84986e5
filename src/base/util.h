/* Small owned-memory helpers shared by every module. */
#ifndef PYLEAK_UTIL_H
#define PYLEAK_UTIL_H

#include <stddef.h>
#include <stdarg.h>

#include "base/error.h"

/* A growable array of owned strings. */
typedef struct plk_strlist {
    char **items;
    size_t count;
    size_t cap;
} plk_strlist;

int plk_strlist_push(plk_strlist *list, const char *s);
/* Takes ownership of s (which must come from malloc). */
int plk_strlist_push_owned(plk_strlist *list, char *s);
void plk_strlist_sort(plk_strlist *list);
void plk_strlist_free(plk_strlist *list);

/* strdup that accepts NULL (returning NULL). */
char *plk_strdup(const char *s);
char *plk_strndup(const char *s, size_t n);
/* Formatted allocation; NULL when out of memory. */
char *plk_asprintf(const char *fmt, ...) PLK_PRINTF(1, 2);
char *plk_vasprintf(const char *fmt, va_list ap) PLK_PRINTF(1, 0);

/* Monotonic time in seconds. */
double plk_now(void);

/* A growable byte buffer, always NUL-terminated when data is non-NULL. */
typedef struct plk_buf {
    char *data;
    size_t len;
    size_t cap;
} plk_buf;

int plk_buf_append(plk_buf *b, const char *s, size_t n);
int plk_buf_puts(plk_buf *b, const char *s);
int plk_buf_printf(plk_buf *b, const char *fmt, ...) PLK_PRINTF(2, 3);
/* Hand the contents to the caller (never NULL: "" when empty). */
char *plk_buf_detach(plk_buf *b);
void plk_buf_free(plk_buf *b);

/* Append the whole file at path to out (NUL-terminated after its data,
 * which may hold NULs of its own). Returns 0, PLK_ENOTFOUND (no such
 * file), PLK_EIO (unreadable, or larger than max bytes when max > 0) or
 * PLK_ENOMEM; *errno_out (when not NULL) is the errno of the failure,
 * EFBIG for a file past max. out keeps what it had on failure. */
int plk_read_file(const char *path, size_t max, plk_buf *out, int *errno_out);

/* Remove path and everything under it, not following symbolic links.
 * 0, or -1 with errno set when something could not be removed (what
 * could be is gone all the same); a path that does not exist is 0. */
int plk_remove_tree(const char *path);

#endif
