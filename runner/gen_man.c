/* pyleak-ci-man: write the pyleak-ci(1) man page from the settings table,
 * or check that a committed copy is still in step with it.
 *
 *   pyleak-ci-man              the page on stdout
 *   pyleak-ci-man -o FILE      the page into FILE
 *   pyleak-ci-man --check FILE exit 1 (saying where) unless FILE is the
 *                              page this build makes */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyleak.h"

static char *
render(size_t *len_out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (f == NULL) {
        return NULL;
    }
    plk_cli_man(f, PLK_VERSION);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    *len_out = len;
    return text;
}

static char *
slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    plk_buf b = {0};
    char chunk[4096];
    size_t n;

    if (f == NULL) {
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        plk_buf_append(&b, chunk, n);
    }
    fclose(f);
    *len_out = b.len;
    return plk_buf_detach(&b);
}

/* 1-based number of the first line where a and b differ. */
static size_t
first_difference(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t line = 1;
    size_t i;

    for (i = 0; i < alen && i < blen && a[i] == b[i]; i++) {
        line += a[i] == '\n';
    }
    return line;
}

static int
check(const char *path, const char *page, size_t len)
{
    size_t have_len = 0;
    char *have = slurp(path, &have_len);
    int rc = 0;

    if (have == NULL) {
        fprintf(stderr, "pyleak-ci-man: cannot read %s\n", path);
        return 1;
    }
    if (have_len != len || memcmp(have, page, len) != 0) {
        fprintf(stderr,
                "pyleak-ci-man: %s:%zu: the man page is out of step with "
                "the settings table (src/config/settings.c) or the help "
                "(src/config/help.c); regenerate it with\n"
                "    cmake --build build --target man\n",
                path, first_difference(have, have_len, page, len));
        rc = 1;
    }
    free(have);
    return rc;
}

int
main(int argc, char **argv)
{
    size_t len = 0;
    char *page = render(&len);
    FILE *f;
    int rc = 0;

    if (page == NULL) {
        fputs("pyleak-ci-man: out of memory\n", stderr);
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "--check") == 0) {
        rc = check(argv[2], page, len);
    }
    else if (argc == 3 && strcmp(argv[1], "-o") == 0) {
        f = fopen(argv[2], "wb");
        if (f == NULL) {
            rc = 1;
        }
        else {
            rc = fwrite(page, 1, len, f) != len;
            rc |= fclose(f) != 0;
        }
        if (rc != 0) {
            fprintf(stderr, "pyleak-ci-man: cannot write %s\n", argv[2]);
        }
    }
    else if (argc == 1) {
        rc = fwrite(page, 1, len, stdout) == len ? 0 : 1;
    }
    else {
        fputs("usage: pyleak-ci-man [-o FILE | --check FILE]\n", stderr);
        rc = 2;
    }
    free(page);
    return rc;
}
