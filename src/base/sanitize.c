/* Making arbitrary bytes safe for XML, terminals and one-line messages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/utf8.h"

#define ESC 0x1b
#define BEL 0x07

/* Output bytes per input byte in the worst case: a control byte becomes
 * the four characters "\xNN". Everything else grows less. */
#define MAX_GROWTH 4

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length of the escape sequence that starts with the ESC at s[i], or 0
 * when that ESC starts none and has to be shown instead. */
static size_t
escape_length(const unsigned char *s, size_t i, size_t len)
{
    size_t j = i + 1;

    if (j >= len) {
        return 0;
    }
    if (s[j] == '[') {
        /* CSI: parameter and intermediate bytes, then one final byte. */
        for (j++; j < len && s[j] >= 0x20 && s[j] <= 0x3f; j++) {
        }
        if (j < len && s[j] >= 0x40 && s[j] <= 0x7e) {
            return j + 1 - i;
        }
        /* Cut short by the end of the text or by a byte no CSI holds:
         * drop what came so far and keep that byte, which may be text. */
        return j - i;
    }
    if (s[j] == ']') {
        /* OSC: a string ended by BEL or ST (ESC \). A title never spans
         * lines, so an unterminated one stops at the line break rather
         * than swallowing the rest of a traceback. */
        for (j++; j < len; j++) {
            if (s[j] == BEL) {
                return j + 1 - i;
            }
            if (s[j] == ESC && j + 1 < len && s[j + 1] == '\\') {
                return j + 2 - i;
            }
            if (s[j] == '\n' || s[j] == '\r') {
                return j - i;
            }
        }
        return j - i;
    }
    /* Two-byte "ESC x", and its form with intermediate bytes ("ESC ( B",
     * which tput sgr0 emits before every reset). */
    for (; j < len && s[j] >= 0x20 && s[j] <= 0x2f; j++) {
    }
    if (j < len && s[j] >= 0x30 && s[j] <= 0x7e) {
        return j + 1 - i;
    }
    return j > i + 1 ? j - i : 0;
}

static size_t
show_byte(char *out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";

    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[c >> 4];
    out[3] = hex[c & 0xf];
    return 4;
}

char *
plk_sanitize(const char *s, size_t len, int oneline)
{
    const unsigned char *in = (const unsigned char *)s;
    char *out;
    char *shrunk;
    size_t i = 0;
    size_t o = 0;
    size_t n;
    size_t bad;
    uint32_t cp;
    int in_break = 0;

    if (s == NULL) {
        len = 0;
    }
    if (len > (SIZE_MAX - 1) / MAX_GROWTH) {
        return NULL;
    }
    out = malloc(len * MAX_GROWTH + 1);
    if (out == NULL) {
        return NULL;
    }
    while (i < len) {
        unsigned char c = in[i];

        if (c == ESC) {
            n = escape_length(in, i, len);
            if (n > 0) {
                /* A removed sequence leaves in_break alone, so line
                 * breaks around a colour reset still collapse into one
                 * space. */
                i += n;
                continue;
            }
        }
        if (oneline && (c == '\t' || c == '\n' || c == '\r')) {
            if (!in_break && o > 0) {
                out[o++] = ' ';
            }
            in_break = 1;
            i++;
            continue;
        }
        in_break = 0;
        if (oneline && c == ' ' && o == 0) {
            i++;
            continue;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            o += show_byte(out + o, c);
            i++;
            continue;
        }
        n = plk_utf8_decode(in + i, len - i, &cp, &bad);
        if (n == 0) {
            memcpy(out + o, replacement, 3);
            o += 3;
            i += bad;
            continue;
        }
        if (cp == 0xfffe || cp == 0xffff) {
            memcpy(out + o, cp == 0xfffe ? "\\uFFFE" : "\\uFFFF", 6);
            o += 6;
        }
        else {
            memcpy(out + o, in + i, n);
            o += n;
        }
        i += n;
    }
    if (oneline) {
        while (o > 0 && out[o - 1] == ' ') {
            o--;
        }
    }
    out[o] = '\0';
    /* The worst-case buffer is four times the input; give the rest back
     * since reports keep thousands of these strings alive. */
    shrunk = realloc(out, o + 1);
    return shrunk != NULL ? shrunk : out;
}

char *
plk_sanitize_utf8(const char *s, size_t len, size_t *outlen)
{
    const unsigned char *in = (const unsigned char *)s;
    char *out;
    size_t i = 0;
    size_t o = 0;

    if (s == NULL) {
        len = 0;
    }
    /* One invalid byte becomes three. */
    if (len > (SIZE_MAX - 1) / 3) {
        return NULL;
    }
    out = malloc(len * 3 + 1);
    if (out == NULL) {
        return NULL;
    }
    while (i < len) {
        uint32_t cp;
        size_t bad = 0;
        size_t n = plk_utf8_decode(in + i, len - i, &cp, &bad);

        if (n == 0) {
            memcpy(out + o, replacement, 3);
            o += 3;
            i += bad;
            continue;
        }
        memcpy(out + o, in + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    if (outlen != NULL) {
        *outlen = o;
    }
    if (o < len * 3) {
        char *shrunk = realloc(out, o + 1);

        if (shrunk != NULL) {
            out = shrunk;
        }
    }
    return out;
}

/* The value of the four hex digits at s, or -1. */
static long
hex4(const char *s)
{
    long v = 0;
    int k;

    for (k = 0; k < 4; k++) {
        char c = s[k];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= c - '0';
        }
        else if (c >= 'a' && c <= 'f') {
            v |= c - 'a' + 10;
        }
        else if (c >= 'A' && c <= 'F') {
            v |= c - 'A' + 10;
        }
        else {
            return -1;
        }
    }
    return v;
}

void
plk_sanitize_json_surrogates(char *text, size_t len)
{
    size_t i = 0;

    /* A backslash always starts an escape, so reading escapes from the
     * left never mistakes an escaped backslash and a 'u' for one. */
    while (i + 1 < len) {
        long cp;

        if (text[i] != '\\') {
            i++;
            continue;
        }
        if (text[i + 1] != 'u' || len - i < 6 ||
            (cp = hex4(text + i + 2)) < 0xd800 || cp > 0xdfff) {
            i += 2;
            continue;
        }
        if (cp < 0xdc00 && len - i >= 12 && text[i + 6] == '\\' &&
            text[i + 7] == 'u') {
            long lo = hex4(text + i + 8);

            if (lo >= 0xdc00 && lo <= 0xdfff) {
                i += 12;
                continue;
            }
        }
        memcpy(text + i + 2, "fffd", 4);
        i += 6;
    }
}

char *
plk_sanitize_str(const char *s, int oneline)
{
    return plk_sanitize(s, s == NULL ? 0 : strlen(s), oneline);
}

void
plk_sanitize_truncate(char *s, size_t max)
{
    size_t keep;

    if (s == NULL || strlen(s) <= max) {
        return;
    }
    if (max < 3) {
        memset(s, '.', max);
        s[max] = '\0';
        return;
    }
    keep = max - 3;
    /* s[keep] is the first byte dropped; it must not be the middle of a
     * character. */
    while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80) {
        keep--;
    }
    memcpy(s + keep, "...", 4);
}
