/* Report files: checked before a run, replaced atomically after it. */
#ifndef PYLEAK_OUTFILE_H
#define PYLEAK_OUTFILE_H

#include <stddef.h>

#include "base/error.h"

/* Check early (before any test runs) that path can be written: it is not
 * a directory, and its directory exists and is writable. what names the
 * report in messages ("JUnit report"). Returns 0, PLK_EUSAGE for an empty
 * path, or PLK_EIO with a message saying what to do. */
int plk_outfile_check(const char *path, const char *what, plk_error *err);

/* Replace path with data[0..len) atomically: a temporary file beside it,
 * flushed to disk, then rename(), so a reader sees the old file or the
 * whole new one. Returns 0 or PLK_EIO (nothing is left behind). */
int plk_outfile_write(const char *path, const char *what, const char *data,
                      size_t len, plk_error *err);

#endif
