/* Small helpers the cmocka tests share: copies and whole files that
 * fail the test, not the process, when something goes wrong. Include
 * after <cmocka.h>. */
#ifndef PYLEAK_TESTUTIL_H
#define PYLEAK_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline char *
xstrdup(const char *s)
{
    char *copy = strdup(s);

    assert_non_null(copy);
    return copy;
}

static inline void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The whole file, NUL-terminated; the caller frees it. */
static inline char *
read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long size;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    data[size] = '\0';
    fclose(f);
    return data;
}

#endif
