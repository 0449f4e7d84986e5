/* Unit tests for string lists, buffers, errors and metric names. */
#define _GNU_SOURCE 1
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "base/metric.h"
#include "base/path.h"
#include "base/strindex.h"
#include "base/utf8.h"
#include "base/util.h"

static void
test_util__strlist_push(void **state)
{
    plk_strlist list = {0};
    char word[16];
    int i;

    /* Enough items to make the list grow more than once. */
    for (i = 0; i < 100; i++) {
        snprintf(word, sizeof(word), "item%d", i);
        assert_int_equal(plk_strlist_push(&list, word), 0);
    }
    assert_int_equal(list.count, 100);
    assert_true(list.cap >= list.count);
    for (i = 0; i < 100; i++) {
        snprintf(word, sizeof(word), "item%d", i);
        assert_string_equal(list.items[i], word);
    }
    /* push copies: the list must not alias the caller's buffer. */
    assert_ptr_not_equal(list.items[99], word);
    plk_strlist_free(&list);
    assert_null(list.items);
    assert_int_equal(list.count, 0);
    assert_int_equal(list.cap, 0);
}

static void
test_util__strlist_push_owned(void **state)
{
    plk_strlist list = {0};
    char *s = plk_strdup("owned");

    assert_int_equal(plk_strlist_push_owned(&list, s), 0);
    assert_ptr_equal(list.items[0], s);
    /* A NULL string is what a failed allocation looks like. */
    assert_int_equal(plk_strlist_push_owned(&list, NULL), PLK_ENOMEM);
    assert_int_equal(plk_strlist_push(&list, NULL), PLK_ENOMEM);
    assert_int_equal(list.count, 1);
    plk_strlist_free(&list);
}

static void
test_util__strlist_sort(void **state)
{
    static const struct {
        const char *in[6];
        const char *out[6];
    } cases[] = {
        {{NULL}, {NULL}},
        {{"a"}, {"a"}},
        {{"b", "a"}, {"a", "b"}},
        {{"pkg/test_b.py", "pkg/sub/test_a.py", "pkg-x/test.py", "Z", "a",
          "a"},
         {"Z", "a", "a", "pkg-x/test.py", "pkg/sub/test_a.py",
          "pkg/test_b.py"}},
    };
    size_t i, j;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        plk_strlist list = {0};

        for (j = 0; j < 6 && cases[i].in[j] != NULL; j++) {
            assert_int_equal(plk_strlist_push(&list, cases[i].in[j]), 0);
        }
        plk_strlist_sort(&list);
        for (j = 0; j < list.count; j++) {
            assert_string_equal(list.items[j], cases[i].out[j]);
        }
        plk_strlist_free(&list);
    }
}

static void
test_util__strlist_free(void **state)
{
    plk_strlist list = {0};

    plk_strlist_free(NULL);
    plk_strlist_free(&list);
    assert_int_equal(plk_strlist_push(&list, "x"), 0);
    plk_strlist_free(&list);
    plk_strlist_free(&list);
    /* A freed list is empty and usable again. */
    assert_int_equal(plk_strlist_push(&list, "y"), 0);
    assert_int_equal(list.count, 1);
    plk_strlist_free(&list);
}

static void
test_util__strdup(void **state)
{
    char *s;

    assert_null(plk_strdup(NULL));
    assert_null(plk_strndup(NULL, 3));
    s = plk_strdup("");
    assert_string_equal(s, "");
    free(s);
    s = plk_strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
}

static void
test_util__buf_append(void **state)
{
    plk_buf b = {0};
    int i;

    assert_int_equal(plk_buf_append(&b, "abc", 2), 0);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    assert_int_equal(plk_buf_puts(&b, "cd"), 0);
    assert_string_equal(b.data, "abcd");
    assert_int_equal(plk_buf_append(&b, "", 0), 0);
    assert_int_equal(b.len, 4);
    /* Grow past the first allocation, and stay NUL-terminated. */
    for (i = 0; i < 100; i++) {
        assert_int_equal(plk_buf_puts(&b, "0123456789"), 0);
    }
    assert_int_equal(b.len, 1004);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(strlen(b.data), 1004);
    plk_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    plk_buf_free(&b);
    plk_buf_free(NULL);
}

static void
test_util__buf_printf(void **state)
{
    plk_buf b = {0};
    char *s;

    assert_int_equal(plk_buf_printf(&b, "%s=%d", "rounds", 8), 0);
    assert_int_equal(plk_buf_printf(&b, ", %.2f", 0.25), 0);
    assert_int_equal(plk_buf_printf(&b, "%s", ""), 0);
    assert_string_equal(b.data, "rounds=8, 0.25");
    assert_int_equal(b.len, strlen("rounds=8, 0.25"));
    s = plk_buf_detach(&b);
    assert_string_equal(s, "rounds=8, 0.25");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(s);
}

static void
test_util__buf_detach_empty(void **state)
{
    plk_buf b = {0};
    char *s = plk_buf_detach(&b);

    /* Never NULL, so callers can print the result without a check. */
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    /* Detached, the buffer is empty and usable again. */
    assert_int_equal(plk_buf_puts(&b, "x"), 0);
    s = plk_buf_detach(&b);
    assert_string_equal(s, "x");
    free(s);
}

static void
test_util__asprintf(void **state)
{
    char *s;
    char big[3000];

    s = plk_asprintf("%s/%s", "tests", "test_a.py");
    assert_string_equal(s, "tests/test_a.py");
    free(s);
    s = plk_asprintf("%s", "");
    assert_string_equal(s, "");
    free(s);
    s = plk_asprintf("%d %u %g %%", -3, 7u, 0.5);
    assert_string_equal(s, "-3 7 0.5 %");
    free(s);
    /* Longer than any fixed buffer a caller might guess. */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = plk_asprintf("[%s]", big);
    assert_int_equal(strlen(s), sizeof(big) + 1);
    assert_int_equal(s[0], '[');
    assert_int_equal(s[sizeof(big)], ']');
    free(s);
}

static void
test_util__strerror(void **state)
{
    static const struct {
        int code;
        const char *name;
    } codes[] = {
#define PLK__ERR_ROW(name, value, text) {value, #name},
        PLK_ERRNO_MAP(PLK__ERR_ROW)
#undef PLK__ERR_ROW
    };
    size_t i, j;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *text = plk_strerror(codes[i].code);

        assert_non_null(text);
        if (text[0] == '\0' || strcmp(text, "unknown error") == 0) {
            fail_msg("PLK_%s has no text", codes[i].name);
        }
        assert_true(codes[i].code < 0);
        /* Two codes with one text would make messages ambiguous. */
        for (j = 0; j < i; j++) {
            assert_int_not_equal(codes[i].code, codes[j].code);
            assert_string_not_equal(text, plk_strerror(codes[j].code));
        }
    }
    assert_string_equal(plk_strerror(PLK_EUSAGE), "usage error");
    assert_string_equal(plk_strerror(12345), "unknown error");
    assert_string_equal(plk_strerror(-12345), "unknown error");
    assert_string_not_equal(plk_strerror(0), "unknown error");
}

static void
test_util__error_set(void **state)
{
    plk_error err = {0};

    assert_int_equal(
        plk_error_set(&err, PLK_EIO, "cannot read %s: %d", "x.py", 5),
        PLK_EIO);
    assert_int_equal(err.code, PLK_EIO);
    assert_string_equal(err.message, "cannot read x.py: 5");
    assert_null(err.detail);
    /* A second set replaces the first without leaking it. */
    assert_int_equal(plk_error_set(&err, PLK_EUSAGE, "bad %s", "flag"),
                     PLK_EUSAGE);
    assert_int_equal(err.code, PLK_EUSAGE);
    assert_string_equal(err.message, "bad flag");
    plk_error_set_detail(&err, "Traceback ...");
    assert_string_equal(err.detail, "Traceback ...");
    plk_error_set_detail(&err, "Traceback 2");
    assert_string_equal(err.detail, "Traceback 2");
    plk_error_clear(&err);
    assert_int_equal(err.code, 0);
    assert_null(err.message);
    assert_null(err.detail);
    plk_error_clear(&err);
    plk_error_clear(NULL);
    /* A NULL record still yields the code, for "return plk_error_set". */
    assert_int_equal(plk_error_set(NULL, PLK_ENOMEM, "x"), PLK_ENOMEM);
    plk_error_set_detail(NULL, "ignored");
}

static void
test_util__metric_names(void **state)
{
    static const char *const names[PLK_METRIC__COUNT] = {
        [PLK_METRIC_REFS] = "refs",         [PLK_METRIC_BLOCKS] = "blocks",
        [PLK_METRIC_OBJECTS] = "objects",   [PLK_METRIC_HEAP] = "heap",
        [PLK_METRIC_RSS] = "rss",           [PLK_METRIC_FDS] = "fds",
        [PLK_METRIC_THREADS] = "threads",   [PLK_METRIC_PROCS] = "procs",
        [PLK_METRIC_TMPFILES] = "tmpfiles", [PLK_METRIC_TMPBYTES] = "tmpbytes",
        [PLK_METRIC_ENV] = "env",
    };
    int m;

    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        const char *name = plk_metric_name((plk_metric)m);

        assert_string_equal(name, names[m]);
        assert_int_equal(plk_metric_from_name(name), m);
        assert_non_null(plk_metric_unit((plk_metric)m));
        assert_string_not_equal(plk_metric_unit((plk_metric)m), "?");
    }
    assert_string_equal(plk_metric_unit(PLK_METRIC_HEAP), "bytes");
    assert_int_equal(plk_metric_from_name("bogus"), -1);
    assert_int_equal(plk_metric_from_name(""), -1);
    assert_int_equal(plk_metric_from_name("Blocks"), -1);
    assert_int_equal(plk_metric_from_name("block"), -1);
    assert_string_equal(plk_metric_name(PLK_METRIC__COUNT), "?");
    assert_string_equal(plk_metric_unit((plk_metric)-1), "?");
}

static void
test_util__metric_sustained(void **state)
{
    int m;

    (void)state;
    /* Descriptors, threads and processes: judged on a change that stays.
     * The rest, temporary files and the environment too: on a trend. */
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        int want = m == PLK_METRIC_FDS || m == PLK_METRIC_THREADS ||
                   m == PLK_METRIC_PROCS;

        assert_int_equal(plk_metric_sustained((plk_metric)m), want);
    }
}

static void
test_util__remove_tree(void **state)
{
    char root[] = "/tmp/plk-test-tree.XXXXXX";
    char path[256];
    struct stat st;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(root));
    snprintf(path, sizeof(path), "%s/a", root);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/a/b", root);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/a/b/file", root);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("data", f);
    fclose(f);
    /* A link to a folder outside is removed, not followed. */
    snprintf(path, sizeof(path), "%s/link", root);
    assert_int_equal(symlink("/usr", path), 0);
    assert_int_equal(plk_remove_tree(root), 0);
    assert_int_not_equal(lstat(root, &st), 0);
    assert_int_equal(lstat("/usr", &st), 0);
    /* Gone already: not an error. */
    assert_int_equal(plk_remove_tree(root), 0);
}

static void
test_util__now(void **state)
{
    double a = plk_now();
    double b = plk_now();

    assert_true(a > 0);
    assert_true(b >= a);
}

/* Keys map to their values in the order added; unknown keys and NULL
 * find nothing; growth keeps every key. */
static void
test_util__strindex(void **state)
{
    plk_strindex ix = {0};
    const size_t *v;
    size_t n, i;
    char key[32];

    (void)state;
    assert_null(plk_strindex_get(&ix, "a", &n));
    assert_int_equal(n, 0);
    assert_int_equal(plk_strindex_has(&ix, NULL), 0);
    assert_int_equal(plk_strindex_add(&ix, NULL, 1), PLK_EUSAGE);
    assert_int_equal(plk_strindex_add(&ix, "t.py::a", 7), 0);
    assert_int_equal(plk_strindex_add(&ix, "t.py::b", 8), 0);
    assert_int_equal(plk_strindex_add(&ix, "t.py::a", 9), 0);
    v = plk_strindex_get(&ix, "t.py::a", &n);
    assert_int_equal(n, 2);
    assert_int_equal(v[0], 7);
    assert_int_equal(v[1], 9);
    assert_int_equal(plk_strindex_has(&ix, "t.py::b"), 1);
    assert_int_equal(plk_strindex_has(&ix, "t.py::"), 0);
    assert_int_equal(plk_strindex_has(&ix, ""), 0);
    /* Ten thousand keys: every one still found with its own value. */
    for (i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        assert_int_equal(plk_strindex_add(&ix, key, i), 0);
    }
    for (i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        v = plk_strindex_get(&ix, key, &n);
        assert_int_equal(n, 1);
        assert_int_equal(v[0], i);
    }
    assert_int_equal(ix.nentries, 10002);
    assert_true(ix.nslots >= 2 * ix.nentries);
    plk_strindex_free(&ix);
    assert_int_equal(plk_strindex_has(&ix, "k1"), 0);
    plk_strindex_free(&ix);
}

/* One table for the path rules every report shares. */
static void
test_util__path_relative(void **state)
{
    static const struct {
        const char *path, *dir, *want;
    } rows[] = {
        {"/w/tests/t.py", "/w", "tests/t.py"},
        {"/w/tests/t.py", "/w/", "tests/t.py"},
        {"/w", "/w", "."},
        {"/w/a/t.py", "/w/b", "../a/t.py"},
        {"/usr/lib/x/t.py", "/usr/share", "../lib/x/t.py"},
        {"/wx/t.py", "/w", "../wx/t.py"},
        {"/w", "/w/a/b", "../.."},
        {"/t.py", "/", "t.py"},
        {"/", "/", "."},
        {"pkg/test_a.py", "pkg", "test_a.py"},
        {"pkg/test_a.py", ".", "../pkg/test_a.py"},
        {"pkg", "pkg", "."},
        {"/abs", "rel", NULL},
        {"rel", "/abs", NULL},
    };
    size_t i;
    int bad = 0;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *got = plk_path_relative(rows[i].path, rows[i].dir);

        if ((got == NULL) != (rows[i].want == NULL) ||
            (got != NULL && strcmp(got, rows[i].want) != 0)) {
            print_error("%s from %s: got %s, want %s\n", rows[i].path,
                        rows[i].dir, got ? got : "NULL",
                        rows[i].want ? rows[i].want : "NULL");
            bad++;
        }
        free(got);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(plk_path_climbs(".."), 1);
    assert_int_equal(plk_path_climbs("../x"), 1);
    assert_int_equal(plk_path_climbs("..x"), 0);
    assert_int_equal(plk_path_climbs("."), 0);
    assert_int_equal(plk_path_climbs(NULL), 0);
}

static void
test_util__path_under(void **state)
{
    char *got;

    (void)state;
    got = plk_path_under("/usr/lib", "/usr");
    assert_string_equal(got, "lib");
    free(got);
    got = plk_path_under("/usr/lib", "/usr/lib");
    assert_string_equal(got, ".");
    free(got);
    /* Outside the base: the path as canonical as it could be made. */
    got = plk_path_under("/usr/lib", "/usr/share");
    assert_string_equal(got, "/usr/lib");
    free(got);
    got = plk_path_under("/no/such/x.py", "/usr");
    assert_string_equal(got, "/no/such/x.py");
    free(got);
}

/* Every code point that has an encoding decodes back to itself; the
 * surrogates and what lies past U+10FFFF have none. */
static void
test_util__utf8_round_trip(void **state)
{
    uint32_t cp, back;
    size_t n, bad;
    char buf[4];

    (void)state;
    for (cp = 0; cp <= 0x110000; cp++) {
        n = plk_utf8_encode(cp, buf);
        if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
            assert_int_equal(n, 0);
            continue;
        }
        assert_int_equal(n, cp < 0x80      ? 1
                            : cp < 0x800   ? 2
                            : cp < 0x10000 ? 3
                                           : 4);
        assert_int_equal(
            plk_utf8_decode((const unsigned char *)buf, n, &back, &bad), n);
        assert_int_equal(back, cp);
        assert_int_equal(plk_utf8_valid(buf, n), 1);
    }
}

static void
test_util__utf8_invalid(void **state)
{
    static const char *const bad_texts[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, three bytes */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\xff",
        "a\xe2\x82", /* cut short */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++) {
        assert_int_equal(plk_utf8_valid(bad_texts[i], strlen(bad_texts[i])),
                         0);
    }
    assert_int_equal(plk_utf8_valid("caf\xc3\xa9 \xe2\x82\xac", 9), 1);
    assert_int_equal(plk_utf8_valid("", 0), 1);
}

static void
test_util__read_file(void **state)
{
    char path[] = "/tmp/plk-read-XXXXXX";
    plk_buf b = {0};
    int fd = mkstemp(path), e = -1;
    FILE *f;

    (void)state;
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    fwrite("a\0b\n", 1, 4, f);
    fclose(f);
    assert_int_equal(plk_read_file(path, 0, &b, &e), 0);
    assert_int_equal(e, 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "a\0b\n", 5);
    /* Past the limit: an error, and the buffer as it was. */
    assert_int_equal(plk_read_file(path, 3, &b, &e), PLK_EIO);
    assert_int_equal(e, EFBIG);
    assert_int_equal(b.len, 4);
    unlink(path);
    assert_int_equal(plk_read_file(path, 0, &b, &e), PLK_ENOTFOUND);
    assert_int_equal(e, ENOENT);
    assert_int_equal(plk_read_file("/", 0, &b, &e), PLK_EIO);
    assert_int_equal(b.len, 4);
    plk_buf_free(&b);
    /* An empty file still gives a string. */
    memcpy(path + strlen(path) - 6, "XXXXXX", 6);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(plk_read_file(path, 0, &b, NULL), 0);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    unlink(path);
    plk_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util__strlist_push),
        cmocka_unit_test(test_util__strlist_push_owned),
        cmocka_unit_test(test_util__strlist_sort),
        cmocka_unit_test(test_util__strlist_free),
        cmocka_unit_test(test_util__strdup),
        cmocka_unit_test(test_util__buf_append),
        cmocka_unit_test(test_util__buf_printf),
        cmocka_unit_test(test_util__buf_detach_empty),
        cmocka_unit_test(test_util__asprintf),
        cmocka_unit_test(test_util__strerror),
        cmocka_unit_test(test_util__error_set),
        cmocka_unit_test(test_util__metric_names),
        cmocka_unit_test(test_util__metric_sustained),
        cmocka_unit_test(test_util__remove_tree),
        cmocka_unit_test(test_util__now),
        cmocka_unit_test(test_util__strindex),
        cmocka_unit_test(test_util__path_relative),
        cmocka_unit_test(test_util__path_under),
        cmocka_unit_test(test_util__utf8_round_trip),
        cmocka_unit_test(test_util__utf8_invalid),
        cmocka_unit_test(test_util__read_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
