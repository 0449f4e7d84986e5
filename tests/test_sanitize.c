/* Unit tests for plk_sanitize: escapes, UTF-8 repair, XML legality. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/sanitize.h"

#define FFFD "\xEF\xBF\xBD"
#define ROWS(t) (t), sizeof(t) / sizeof((t)[0])

/* One input and what plk_sanitize must make of it. len 0 means strlen, so
 * rows with embedded NULs give their length. */
typedef struct row {
    const char *name;
    const char *in;
    size_t len;
    int oneline;
    const char *want;
} row;

/* Render bytes with C escapes so a failing row prints readably. */
static void
render(char *dst, size_t size, const char *s)
{
    size_t o = 0;

    for (; *s != '\0' && o + 5 < size; s++) {
        unsigned char c = (unsigned char)*s;

        if (c >= 0x20 && c < 0x7f && c != '\\') {
            dst[o++] = (char)c;
        }
        else {
            o += (size_t)snprintf(dst + o, size - o, "\\%03o", c);
        }
    }
    dst[o] = '\0';
}

static void
check_rows(const row *rows, size_t n)
{
    size_t i;
    int failed = 0;

    for (i = 0; i < n; i++) {
        const row *r = &rows[i];
        size_t len = r->len ? r->len : strlen(r->in);
        char *got = plk_sanitize(r->in, len, r->oneline);

        assert_non_null(got);
        if (strcmp(got, r->want) != 0) {
            char g[512];
            char w[512];

            render(g, sizeof(g), got);
            render(w, sizeof(w), r->want);
            print_error("row %s: got \"%s\", want \"%s\"\n", r->name, g, w);
            failed = 1;
        }
        free(got);
    }
    if (failed) {
        fail();
    }
}

static void
test_sanitize__plain_ascii(void **state)
{
    static const row rows[] = {
        {"empty", "", 0, 0, ""},
        {"word", "hello world", 0, 0, "hello world"},
        {"punctuation", "<&>\"' ~!@#$%^*()[]{}|\\/?", 0, 0,
         "<&>\"' ~!@#$%^*()[]{}|\\/?"},
        {"tab_lf_cr_kept", "a\tb\nc\r\nd", 0, 0, "a\tb\nc\r\nd"},
        {"oneline_plain", "hello world", 0, 1, "hello world"},
    };

    check_rows(ROWS(rows));
}

static void
test_sanitize__utf8_kept(void **state)
{
    static const row rows[] = {
        {"e_acute", "caf\xC3\xA9", 0, 0, "caf\xC3\xA9"},
        {"cjk", "\xE6\xBC\xA2\xE5\xAD\x97", 0, 0, "\xE6\xBC\xA2\xE5\xAD\x97"},
        {"emoji", "ok \xF0\x9F\x98\x80!", 0, 0, "ok \xF0\x9F\x98\x80!"},
        {"last_before_surrogates", "\xED\x9F\xBF", 0, 0, "\xED\x9F\xBF"},
        {"first_after_surrogates", "\xEE\x80\x80", 0, 0, "\xEE\x80\x80"},
        {"max_code_point", "\xF4\x8F\xBF\xBF", 0, 0, "\xF4\x8F\xBF\xBF"},
        {"replacement_char", FFFD, 0, 0, FFFD},
        /* Only U+FFFE and U+FFFF are outside XML's Char production. */
        {"plane1_noncharacter", "\xF0\x9F\xBF\xBE", 0, 0, "\xF0\x9F\xBF\xBE"},
        /* C1 controls are legal XML 1.0 characters. */
        {"c1_control", "\xC2\x85", 0, 0, "\xC2\x85"},
        {"mixed_oneline", "\xC3\xA9\n\xE6\xBC\xA2", 0, 1,
         "\xC3\xA9 \xE6\xBC\xA2"},
    };

    check_rows(ROWS(rows));
}

static void
test_sanitize__invalid_utf8(void **state)
{
    /* clang-format off */
    static const row rows[] = {
        {"lone_continuation", "a\x80z", 0, 0, "a" FFFD "z"},
        {"two_continuations", "\x80\xBF", 0, 0, FFFD FFFD},
        {"byte_ff", "\xFF", 0, 0, FFFD},
        {"byte_fe", "x\xFEy", 0, 0, "x" FFFD "y"},
        {"overlong_nul", "\xC0\x80", 0, 0, FFFD FFFD},
        {"overlong_c1", "\xC1\xBF", 0, 0, FFFD FFFD},
        {"overlong_3byte", "\xE0\x80\xAF", 0, 0, FFFD FFFD FFFD},
        {"overlong_3byte_max", "\xE0\x9F\xBF", 0, 0, FFFD FFFD FFFD},
        {"overlong_4byte", "\xF0\x8F\xBF\xBF", 0, 0,
         FFFD FFFD FFFD FFFD},
        {"surrogate_high", "\xED\xA0\x80", 0, 0, FFFD FFFD FFFD},
        {"surrogate_low", "\xED\xBF\xBF", 0, 0, FFFD FFFD FFFD},
        {"surrogate_pair", "\xED\xA0\xBD\xED\xB8\x80", 0, 0,
         FFFD FFFD FFFD FFFD FFFD FFFD},
        {"above_10ffff", "\xF4\x90\x80\x80", 0, 0, FFFD FFFD FFFD FFFD},
        {"lead_f5", "\xF5\x80\x80\x80", 0, 0, FFFD FFFD FFFD FFFD},
        {"truncated_at_end", "ab\xE6\xBC", 0, 0, "ab" FFFD},
        {"truncated_2byte_at_end", "a\xC3", 0, 0, "a" FFFD},
        {"truncated_before_ascii", "\xF0\x9F\x98z", 0, 0, FFFD "z"},
        {"truncated_before_lead", "\xC3\xC3\xA9", 0, 0, FFFD "\xC3\xA9"},
        {"latin1_text", "caf\xE9!", 0, 0, "caf" FFFD "!"},
    };
    /* clang-format on */

    check_rows(ROWS(rows));
}

static void
test_sanitize__ansi_csi_removed(void **state)
{
    /* clang-format off */
    static const row rows[] = {
        {"colour", "\x1b[31mred\x1b[0m", 0, 0, "red"},
        {"bold_green", "\x1b[1;32mok\x1b[m done", 0, 0, "ok done"},
        {"erase_line", "\x1b[2K\x1b[1Gprogress", 0, 0, "progress"},
        {"private_mode", "\x1b[?25lhidden\x1b[?25h", 0, 0, "hidden"},
        {"truecolour", "\x1b[38;2;255;0;0mX", 0, 0, "X"},
        {"unterminated_at_end", "abc\x1b[31", 0, 0, "abc"},
        {"cut_by_newline", "a\x1b[3\nb", 0, 0, "a\nb"},
        {"charset_designation", "\x1b(Breset", 0, 0, "reset"},
        {"two_byte", "\x1b" "7save\x1b" "8", 0, 0, "save"},
        {"keypad", "\x1b=x\x1b>", 0, 0, "x"},
        {"oneline", "\x1b[31mE\x1b[0m\n\x1b[31mF\x1b[0m", 0, 1, "E F"},
    };
    /* clang-format on */

    check_rows(ROWS(rows));
}

static void
test_sanitize__ansi_osc_removed(void **state)
{
    static const row rows[] = {
        {"title_bel", "\x1b]0;my title\x07text", 0, 0, "text"},
        {"title_st", "\x1b]2;my title\x1b\\text", 0, 0, "text"},
        {"hyperlink", "\x1b]8;;http://x.y/\x1b\\link\x1b]8;;\x1b\\", 0, 0,
         "link"},
        {"unterminated_at_end", "a\x1b]0;title", 0, 0, "a"},
        {"unterminated_line", "a\x1b]0;title\nb", 0, 0, "a\nb"},
    };

    check_rows(ROWS(rows));
}

static void
test_sanitize__control_characters(void **state)
{
    /* clang-format off */
    static const row rows[] = {
        {"nul", "a\0b", 3, 0, "a\\x00b"},
        {"soh", "a\x01z", 0, 0, "a\\x01z"},
        {"backspace", "\x08", 0, 0, "\\x08"},
        {"vt_ff", "\x0b\x0c", 0, 0, "\\x0B\\x0C"},
        {"unit_separator", "\x1f", 0, 0, "\\x1F"},
        {"bel_alone", "ding\x07", 0, 0, "ding\\x07"},
        {"esc_at_end", "a\x1b", 0, 0, "a\\x1B"},
        {"esc_before_utf8", "\x1b\xC3\xA9", 0, 0, "\\x1B\xC3\xA9"},
        {"esc_before_del", "\x1b\x7f", 0, 0, "\\x1B\x7f"},
        {"esc_esc_csi", "\x1b\x1b[0mx", 0, 0, "\\x1Bx"},
        /* DEL is a legal XML character: keep it. */
        {"del_kept", "a\x7f" "b", 0, 0, "a\x7f" "b"},
        {"oneline_keeps_escapes", "\x01\n\x02", 0, 1, "\\x01 \\x02"},
    };
    /* clang-format on */

    check_rows(ROWS(rows));
}

static void
test_sanitize__noncharacters(void **state)
{
    /* clang-format off */
    static const row rows[] = {
        {"fffe", "a\xEF\xBF\xBE" "b", 0, 0, "a\\uFFFEb"},
        {"ffff", "\xEF\xBF\xBF", 0, 0, "\\uFFFF"},
        {"fffd_kept", "\xEF\xBF\xBD", 0, 0, FFFD},
    };
    /* clang-format on */

    check_rows(ROWS(rows));
}

static void
test_sanitize__cdata_end_unchanged(void **state)
{
    /* Escaping "]]>" is the XML writer's job; sanitising must not alter
     * it or the writer would escape an already changed text. */
    static const row rows[] = {
        {"bare", "]]>", 0, 0, "]]>"},
        {"in_cdata", "<![CDATA[x]]>", 0, 0, "<![CDATA[x]]>"},
        {"oneline", "a]]>\nb", 0, 1, "a]]> b"},
    };

    check_rows(ROWS(rows));
}

static void
test_sanitize__oneline(void **state)
{
    static const row rows[] = {
        {"lf", "a\nb", 0, 1, "a b"},
        {"crlf_tab_run", "a\r\n\tb", 0, 1, "a b"},
        {"blank_lines", "a\n\n\nb", 0, 1, "a b"},
        {"trim", "  lead and trail \n", 0, 1, "lead and trail"},
        {"trim_breaks", "\n\tx\r\n", 0, 1, "x"},
        {"only_breaks", "\n\r\t\n", 0, 1, ""},
        {"only_spaces", "   ", 0, 1, ""},
        {"spaces_kept_inside", "a  b", 0, 1, "a  b"},
        /* Only the CR/LF/TAB run collapses; spaces beside it stay. */
        {"spaces_around_break", "a \n b", 0, 1, "a   b"},
        {"break_across_escape", "a\n\x1b[0m\nb", 0, 1, "a b"},
        {"multiline_untouched", " a\n\tb ", 0, 0, " a\n\tb "},
    };

    check_rows(ROWS(rows));
}

static void
test_sanitize__null_input(void **state)
{
    char *s;

    s = plk_sanitize(NULL, 5, 0);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    s = plk_sanitize_str(NULL, 1);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    s = plk_sanitize("", 0, 1);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    s = plk_sanitize_str("x\ny", 1);
    assert_non_null(s);
    assert_string_equal(s, "x y");
    free(s);
    /* Only the first len bytes count. */
    s = plk_sanitize("abcdef", 3, 0);
    assert_non_null(s);
    assert_string_equal(s, "abc");
    free(s);
    plk_sanitize_truncate(NULL, 3);
}

static void
test_sanitize__utf8_only(void **state)
{
    static const row rows[] = {
        /* Repaired exactly as plk_sanitize repairs it ... */
        {"lone_continuation", "a\x80z", 0, 0, "a" FFFD "z"},
        {"overlong_nul", "\xC0\x80", 0, 0, FFFD FFFD},
        {"surrogate_high", "\xED\xA0\x80", 0, 0, FFFD FFFD FFFD},
        {"above_10ffff", "\xF4\x90\x80\x80", 0, 0, FFFD FFFD FFFD FFFD},
        {"truncated_at_end", "ab\xE6\xBC", 0, 0, "ab" FFFD},
        {"truncated_before_lead", "\xC3\xC3\xA9", 0, 0, FFFD "\xC3\xA9"},
        {"latin1_text", "caf\xE9!", 0, 0, "caf" FFFD "!"},
        /* ... and nothing else touched. */
        {"escape_kept", "\x1b[31mred\x1b[0m", 0, 0, "\x1b[31mred\x1b[0m"},
        {"controls_kept", "a\x01\tb\n\r", 0, 0, "a\x01\tb\n\r"},
        {"nonchar_kept", "\xEF\xBF\xBE", 0, 0, "\xEF\xBF\xBE"},
        {"valid_kept", "\xE6\xBC\xA2 \xF0\x9F\x98\x80", 0, 0,
         "\xE6\xBC\xA2 \xF0\x9F\x98\x80"},
    };
    size_t i;
    size_t n;
    char *s;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        s = plk_sanitize_utf8(rows[i].in, strlen(rows[i].in), &n);
        assert_non_null(s);
        if (strcmp(s, rows[i].want) != 0) {
            print_error("row %s\n", rows[i].name);
            free(s);
            fail();
        }
        assert_int_equal(n, strlen(rows[i].want));
        free(s);
    }
    /* NUL bytes are kept and counted; NULL is "". */
    s = plk_sanitize_utf8("a\0\xff", 3, &n);
    assert_non_null(s);
    assert_int_equal(n, 5);
    assert_memory_equal(s, "a\0" FFFD, 5);
    free(s);
    s = plk_sanitize_utf8(NULL, 4, NULL);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

static void
test_sanitize__json_surrogates(void **state)
{
    static const struct {
        const char *name;
        const char *in;
        const char *want;
        /* clang-format off */
    } rows[] = {
        {"lone_high", "[\"\\ud800\"]", "[\"\\ufffd\"]"},
        {"lone_low", "\"a\\uDFFFb\"", "\"a\\ufffdb\""},
        {"pair_kept", "\"\\ud83d\\ude00\"", "\"\\ud83d\\ude00\""},
        {"pair_upper_kept", "\"\\uD83D\\uDE00\"", "\"\\uD83D\\uDE00\""},
        {"high_high", "\"\\ud800\\ud800\\udc00\"",
         "\"\\ufffd\\ud800\\udc00\""},
        {"low_then_high", "\"\\udc00\\ud800\"", "\"\\ufffd\\ufffd\""},
        {"high_then_other", "\"\\ud800\\u0041\"", "\"\\ufffd\\u0041\""},
        {"high_then_text", "\"\\ud800x\"", "\"\\ufffdx\""},
        {"escaped_backslash", "\"\\\\ud800\"", "\"\\\\ud800\""},
        {"backslash_then_escape", "\"\\\\\\ud800\"",
         "\"\\\\\\ufffd\""},
        {"other_escapes", "\"\\n\\u00e9\\\"\"", "\"\\n\\u00e9\\\"\""},
        {"short_at_end", "\"\\ud8", "\"\\ud8"},
        {"not_hex", "\"\\udxyz\"", "\"\\udxyz\""},
        {"trailing_backslash", "x\\", "x\\"},
    };
    /* clang-format on */
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[64];

        snprintf(buf, sizeof(buf), "%s", rows[i].in);
        plk_sanitize_json_surrogates(buf, strlen(buf));
        if (strcmp(buf, rows[i].want) != 0) {
            print_error("row %s: got %s want %s\n", rows[i].name, buf,
                        rows[i].want);
            fail();
        }
    }
    /* A high surrogate cut off by the end of the text is still lone; the
     * length given is what counts, not the NUL. */
    {
        char buf[] = "\\ud800\\udc00";

        plk_sanitize_json_surrogates(buf, 10);
        assert_string_equal(buf, "\\ufffd\\udc00");
    }
    plk_sanitize_json_surrogates(NULL, 0);
}

typedef struct trow {
    const char *name;
    const char *in;
    size_t max;
    const char *want;
} trow;

static void
test_sanitize__truncate(void **state)
{
    static const trow rows[] = {
        {"short", "hello", 10, "hello"},
        {"exact", "hello", 5, "hello"},
        {"ascii_cut", "hello world", 8, "hello..."},
        {"max_3", "hello", 3, "..."},
        {"max_2", "hello", 2, ".."},
        {"max_0", "hello", 0, ""},
        {"empty", "", 0, ""},
        {"empty_large_max", "", 5, ""},
        /* "h\xC3\xA9llo": byte 2 is inside the é, so the cut moves back. */
        {"two_byte_boundary", "h\xC3\xA9llo", 5, "h..."},
        {"two_byte_after", "h\xC3\xA9llo world", 6, "h\xC3\xA9..."},
        {"cjk_all_cut", "\xE6\xBC\xA2\xE5\xAD\x97", 5, "..."},
        {"cjk_fits", "\xE6\xBC\xA2\xE5\xAD\x97", 6,
         "\xE6\xBC\xA2\xE5\xAD\x97"},
        {"cjk_one_kept", "\xE6\xBC\xA2\xE5\xAD\x97x", 6, "\xE6\xBC\xA2..."},
        {"emoji_inside", "ab\xF0\x9F\x98\x80zz", 7, "ab..."},
        {"emoji_kept", "ab\xF0\x9F\x98\x80zzzz", 9, "ab\xF0\x9F\x98\x80..."},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[64];

        strcpy(buf, rows[i].in);
        plk_sanitize_truncate(buf, rows[i].max);
        if (strcmp(buf, rows[i].want) != 0) {
            print_error("row %s: got \"%s\"\n", rows[i].name, buf);
            fail();
        }
        /* Never longer than max, whatever the input. */
        assert_true(strlen(buf) <= rows[i].max);
    }
}

/* Is s valid UTF-8 made only of characters XML 1.0 allows? */
static int
xml_safe(const unsigned char *s)
{
    while (*s != '\0') {
        uint32_t cp;
        size_t n;
        size_t k;

        if (*s < 0x80) {
            cp = *s;
            n = 1;
        }
        else if (*s >= 0xc2 && *s <= 0xdf) {
            cp = *s & 0x1f;
            n = 2;
        }
        else if (*s >= 0xe0 && *s <= 0xef) {
            cp = *s & 0x0f;
            n = 3;
        }
        else if (*s >= 0xf0 && *s <= 0xf4) {
            cp = *s & 0x07;
            n = 4;
        }
        else {
            return 0;
        }
        for (k = 1; k < n; k++) {
            if ((s[k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
            cp == 0xffff ||
            (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')) {
            return 0;
        }
        s += n;
    }
    return 1;
}

static void
test_sanitize__random_bytes_are_safe(void **state)
{
    /* A fixed generator so a failure reproduces. Bytes are drawn mostly
     * from the troublesome ranges. */
    static const unsigned char pool[] = {
        0x00, 0x01, 0x07, 0x09, 0x0a, 0x0d, 0x1b, 0x1b, '[',  ']',  '\\', ';',
        '3',  'm',  ' ',  'a',  0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xa9, 0xe0, 0xed,
        0xa0, 0xef, 0xbf, 0xbe, 0xf0, 0x9f, 0xf4, 0x90, 0xf5, 0xff, '(',  'B'};
    uint32_t seed = 12345;
    int iter;

    for (iter = 0; iter < 20000; iter++) {
        unsigned char in[48];
        size_t len;
        size_t i;
        int oneline = iter & 1;
        char *out;
        size_t olen;

        seed = seed * 1103515245u + 12345u;
        len = (seed >> 16) % sizeof(in);
        for (i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = pool[(seed >> 16) % sizeof(pool)];
        }
        out = plk_sanitize((const char *)in, len, oneline);
        assert_non_null(out);
        olen = strlen(out);
        assert_true(olen <= len * 4);
        assert_true(xml_safe((const unsigned char *)out));
        assert_null(strchr(out, 0x1b));
        if (oneline) {
            assert_null(strpbrk(out, "\r\n\t"));
            assert_true(olen == 0 || (out[0] != ' ' && out[olen - 1] != ' '));
        }
        /* Sanitising is idempotent once no escape sequence is left. */
        {
            char *again = plk_sanitize_str(out, oneline);

            assert_non_null(again);
            assert_string_equal(again, out);
            free(again);
        }
        free(out);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize__plain_ascii),
        cmocka_unit_test(test_sanitize__utf8_kept),
        cmocka_unit_test(test_sanitize__invalid_utf8),
        cmocka_unit_test(test_sanitize__ansi_csi_removed),
        cmocka_unit_test(test_sanitize__ansi_osc_removed),
        cmocka_unit_test(test_sanitize__control_characters),
        cmocka_unit_test(test_sanitize__noncharacters),
        cmocka_unit_test(test_sanitize__cdata_end_unchanged),
        cmocka_unit_test(test_sanitize__oneline),
        cmocka_unit_test(test_sanitize__null_input),
        cmocka_unit_test(test_sanitize__truncate),
        cmocka_unit_test(test_sanitize__utf8_only),
        cmocka_unit_test(test_sanitize__json_surrogates),
        cmocka_unit_test(test_sanitize__random_bytes_are_safe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
