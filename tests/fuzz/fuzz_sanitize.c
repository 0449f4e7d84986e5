/* Fuzz target: the text sanitiser (base/sanitize.c), which everything
 * a test prints or raises goes through on its way into a report.
 *
 * What plk_sanitize and plk_sanitize_str return must be valid UTF-8 and
 * legal XML 1.0 character data (no C0 control but TAB, LF and CR, no
 * U+FFFE or U+FFFF, no ESC left of an escape sequence); in one-line
 * form also without TAB, LF, CR and without spaces at either end; and
 * sanitising it again must change nothing. plk_sanitize_truncate must
 * keep all that within its limit, and plk_sanitize_utf8 must return
 * valid UTF-8 of the length it reports that keeps valid input as it
 * was. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/utf8.h"

#include "fuzz.h"

static void
check_xml_text(const char *s, size_t len, int oneline, const char *what)
{
    size_t i = 0, n, bad;
    uint32_t cp;

    FUZZ_CHECK(s[len] == '\0', "%s: not NUL-terminated at its length", what);
    while (i < len) {
        n = plk_utf8_decode((const unsigned char *)s + i, len - i, &cp, &bad);
        FUZZ_CHECK(n > 0, "%s: invalid UTF-8 at byte %zu", what, i);
        FUZZ_CHECK(cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r',
                   "%s: control character U+%04X at byte %zu", what,
                   (unsigned)cp, i);
        FUZZ_CHECK(cp != 0xfffe && cp != 0xffff, "%s: U+%04X at byte %zu",
                   what, (unsigned)cp, i);
        FUZZ_CHECK(!oneline || (cp != '\t' && cp != '\n' && cp != '\r'),
                   "%s: a line break or tab in one-line text", what);
        i += n;
    }
    FUZZ_CHECK(!oneline || len == 0 || (s[0] != ' ' && s[len - 1] != ' '),
               "%s: one-line text with a space at an end", what);
}

static void
check_sanitized(const uint8_t *data, size_t size, int oneline)
{
    const char *what = oneline ? "plk_sanitize(oneline)" : "plk_sanitize";
    char *out = plk_sanitize((const char *)data, size, oneline);
    char *again, *cut;
    size_t len, max;

    FUZZ_CHECK(out != NULL, "%s returned NULL", what);
    len = strlen(out);
    check_xml_text(out, len, oneline, what);
    again = plk_sanitize(out, len, oneline);
    FUZZ_CHECK(again != NULL && strcmp(again, out) == 0,
               "%s is not stable: sanitising its output changes it", what);
    /* Limits around the ones the reports use, and the small ones. */
    for (max = 0; max <= len + 1; max += max < 8 ? 1 : 1 + max / 3) {
        size_t cut_len;

        cut = strdup(out);
        FUZZ_CHECK(cut != NULL, "out of memory");
        plk_sanitize_truncate(cut, max);
        cut_len = strlen(cut);
        FUZZ_CHECK(cut_len <= max, "truncated to %zu, %zu bytes long", max,
                   cut_len);
        FUZZ_CHECK(len > max || strcmp(cut, out) == 0,
                   "truncating to %zu changed a string of %zu", max, len);
        FUZZ_CHECK(len <= max || max < 3 ||
                       strcmp(cut + cut_len - 3, "...") == 0,
                   "a cut string does not end in '...'");
        check_xml_text(cut, cut_len, 0, "plk_sanitize_truncate");
        free(cut);
    }
    free(again);
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *cstr, *out, *valid;
    size_t out_len = 0;

    check_sanitized(data, size, 0);
    check_sanitized(data, size, 1);

    /* The NUL-terminated form stops at the first NUL. */
    cstr = malloc(size + 1);
    FUZZ_CHECK(cstr != NULL, "out of memory");
    memcpy(cstr, data, size);
    cstr[size] = '\0';
    out = plk_sanitize_str(cstr, 0);
    valid = plk_sanitize(cstr, strlen(cstr), 0);
    FUZZ_CHECK(out != NULL && valid != NULL && strcmp(out, valid) == 0,
               "plk_sanitize_str differs from plk_sanitize");
    free(out);
    free(valid);
    free(cstr);

    out = plk_sanitize_utf8((const char *)data, size, &out_len);
    FUZZ_CHECK(out != NULL, "plk_sanitize_utf8 returned NULL");
    FUZZ_CHECK(out[out_len] == '\0', "plk_sanitize_utf8: not terminated");
    FUZZ_CHECK(plk_utf8_valid(out, out_len),
               "plk_sanitize_utf8: invalid UTF-8 out");
    FUZZ_CHECK(!plk_utf8_valid((const char *)data, size) ||
                   (out_len == size && memcmp(out, data, size) == 0),
               "plk_sanitize_utf8 changed valid UTF-8");
    free(out);
    return 0;
}
