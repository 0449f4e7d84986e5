/* UTF-8: the one decoder and encoder of pyleak-ci. Valid means what
 * Unicode says: no overlong forms, no surrogates, nothing past
 * U+10FFFF. */
#ifndef PYLEAK_UTF8_H
#define PYLEAK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the character at s[0..avail), avail >= 1. Returns its length
 * in bytes and sets *cp, or returns 0 and sets *bad to the length of the
 * maximal invalid subpart (at least 1), the unit Unicode replaces with
 * one U+FFFD. */
size_t plk_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp,
                       size_t *bad);

/* 1 when s[0..len) is valid UTF-8. */
int plk_utf8_valid(const char *s, size_t len);

/* Encode cp (at most U+10FFFF, not a surrogate) into out; returns the
 * bytes written (1 to 4), or 0 for a code point that has no encoding. */
size_t plk_utf8_encode(uint32_t cp, char out[4]);

#endif
