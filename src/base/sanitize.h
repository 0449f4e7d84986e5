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

/* Return a newly allocated copy of s[0..len) in which only invalid UTF-8
 * is changed: it becomes U+FFFD, one per maximal invalid subsequence, as
 * in plk_sanitize. Everything else, escapes and control characters and
 * NUL bytes included, is kept. The length of the copy goes to *outlen
 * when outlen is not NULL. Returns NULL only when out of memory; s may be
 * NULL (treated as ""). */
char *plk_sanitize_utf8(const char *s, size_t len, size_t *outlen);

/* In JSON text[0..len), rewrite in place each \u escape of a surrogate
 * that is not half of a pair (\ud800 alone, \udc00 first) as \ufffd,
 * which has the same length. Python's json module writes such escapes
 * for file names that are not UTF-8; RFC 8259 allows them, but they
 * name no character and strict readers refuse them. Nothing else is
 * touched, so text that is not JSON stays not JSON. */
void plk_sanitize_json_surrogates(char *text, size_t len);

#endif
