/* Paths relative to a folder: see path.h. */
#define _GNU_SOURCE 1
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "base/util.h"

char *
plk_path_relative(const char *path, const char *dir)
{
    plk_buf b = {0};
    size_t n, common = 0, i;

    if (path == NULL || dir == NULL || (path[0] == '/') != (dir[0] == '/')) {
        return NULL;
    }
    if (path[0] != '/') {
        /* Both relative to the same folder: as if it were the root. */
        char *p = plk_asprintf("/%s", path), *d = plk_asprintf("/%s", dir);
        char *rel = p && d ? plk_path_relative(p, d) : NULL;

        free(p);
        free(d);
        return rel;
    }
    n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    if (n == 1) {
        return plk_strdup(path[1] != '\0' ? path + 1 : ".");
    }
    /* The longest prefix of whole components. */
    for (i = 0;; i++) {
        if (i == n && (path[i] == '/' || path[i] == '\0')) {
            common = i;
            break;
        }
        if (path[i] == '\0' && dir[i] == '/') {
            common = i; /* path is a folder above dir */
            break;
        }
        if (i == n || path[i] != dir[i] || path[i] == '\0') {
            break;
        }
        if (dir[i] == '/') {
            common = i;
        }
    }
    for (i = common; i < n; i++) {
        if (dir[i] == '/') {
            plk_buf_puts(&b, "../");
        }
    }
    if (path[common] == '/') {
        plk_buf_puts(&b, path + common + 1);
    }
    else if (b.len > 0) {
        b.len--; /* "../" -> ".." */
        b.data[b.len] = '\0';
    }
    else {
        plk_buf_puts(&b, ".");
    }
    return plk_buf_detach(&b);
}

int
plk_path_climbs(const char *rel)
{
    return rel != NULL && rel[0] == '.' && rel[1] == '.' &&
           (rel[2] == '\0' || rel[2] == '/');
}

char *
plk_path_under(const char *path, const char *base)
{
    char *abs_path = realpath(path, NULL);
    char *abs_base = realpath(base, NULL);
    const char *p = abs_path != NULL ? abs_path : path;
    const char *b = abs_base != NULL ? abs_base : base;
    char *rel = plk_path_relative(p, b);
    char *out;

    if (rel != NULL && !plk_path_climbs(rel)) {
        out = rel;
    }
    else {
        free(rel);
        out = plk_strdup(p);
    }
    free(abs_path);
    free(abs_base);
    return out;
}
