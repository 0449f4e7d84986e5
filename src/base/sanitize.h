/* Making arbitrary text safe for XML, terminals and one-line messages. */
#ifndef PYLEAK_SANITIZE_H
#define PYLEAK_SANITIZE_H

#include <stddef.h>
#include <stdint.h>

#include "base/utf8.h"

/* Return a newly allocated copy of s[0..len) that is valid UTF-8 and legal
 * XML 1.0 character data:
 *   - ANSI/VT100 escape sequences (CSI "ESC [ ... final", OSC "ESC ] ...
 *     BEL|ST", and two-byte "ESC x") are removed;
 *   - invalid UTF-8 (bad bytes, overlongs, truncated sequences, encoded
 *     surrogates U+D800..U+DFFF, code points above U+10FFFF) becomes
 *     U+FFFD, one per maximal invalid subsequence;
 *   - other characters XML 1.0 forbids (C0 controls except TAB, LF, CR;
 *     U+FFFE, U+FFFF) are made visible as the text "\xNN" (or "\uFFFE");
 *   - when oneline is non-zero, runs of CR/LF/TAB become one space and
 *     leading/trailing whitespace is trimmed.
 * Returns NULL only when out of memory; s may be NULL (treated as ""). */
char *plk_sanitize(const char *s, size_t len, int oneline);
/* Same for a NUL-terminated string. */
char *plk_sanitize_str(const char *s, int oneline);
/* Shorten a sanitized string in place to at most max bytes, cutting on a
 * UTF-8 boundary and appending "..." when cut. */
void plk_sanitize_truncate(char *s, size_t max);

/* The decoder the sanitiser uses, under its earlier name. */
#define plk_sanitize_utf8_decode plk_utf8_decode

#endif
