/* Owned strings, string lists, buffers and the clock. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/util.h"

char *
plk_strdup(const char *s)
{
    return s == NULL ? NULL : plk_strndup(s, strlen(s));
}

char *
plk_strndup(const char *s, size_t n)
{
    char *copy;

    if (s == NULL) {
        return NULL;
    }
    copy = malloc(n + 1);
    if (copy == NULL) {
        return NULL;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *
plk_vasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    char *out;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return NULL;
    }
    out = malloc((size_t)n + 1);
    if (out == NULL) {
        return NULL;
    }
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    return out;
}

char *
plk_asprintf(const char *fmt, ...)
{
    va_list ap;
    char *out;

    va_start(ap, fmt);
    out = plk_vasprintf(fmt, ap);
    va_end(ap);
    return out;
}

int
plk_strlist_push_owned(plk_strlist *list, char *s)
{
    if (s == NULL) {
        return PLK_ENOMEM;
    }
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        char **items = realloc(list->items, cap * sizeof(*items));
        if (items == NULL) {
            free(s);
            return PLK_ENOMEM;
        }
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = s;
    return 0;
}

int
plk_strlist_push(plk_strlist *list, const char *s)
{
    return plk_strlist_push_owned(list, plk_strdup(s));
}

static int
strlist_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
plk_strlist_sort(plk_strlist *list)
{
    if (list->count > 1) {
        qsort(list->items, list->count, sizeof(char *), strlist_cmp);
    }
}

void
plk_strlist_free(plk_strlist *list)
{
    size_t i;

    if (list == NULL) {
        return;
    }
    for (i = 0; i < list->count; i++) {
        free(list->items[i]);
    }
    free(list->items);
    list->items = NULL;
    list->count = list->cap = 0;
}

double
plk_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
buf_grow(plk_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap;
    char *data;

    if (need <= b->cap) {
        return 0;
    }
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    data = realloc(b->data, cap);
    if (data == NULL) {
        return PLK_ENOMEM;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

int
plk_buf_append(plk_buf *b, const char *s, size_t n)
{
    if (buf_grow(b, n) != 0) {
        return PLK_ENOMEM;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
plk_buf_puts(plk_buf *b, const char *s)
{
    return plk_buf_append(b, s, strlen(s));
}

int
plk_buf_printf(plk_buf *b, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int rc;

    va_start(ap, fmt);
    s = plk_vasprintf(fmt, ap);
    va_end(ap);
    if (s == NULL) {
        return PLK_ENOMEM;
    }
    rc = plk_buf_puts(b, s);
    free(s);
    return rc;
}

char *
plk_buf_detach(plk_buf *b)
{
    char *data = b->data;

    if (data == NULL) {
        data = plk_strdup("");
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return data;
}

void
plk_buf_free(plk_buf *b)
{
    if (b == NULL) {
        return;
    }
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int
plk_read_file(const char *path, size_t max, plk_buf *out, int *errno_out)
{
    size_t start = out->len, n;
    char chunk[65536];
    int e = 0, rc = 0;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        e = errno;
        rc = e == ENOENT ? PLK_ENOTFOUND : PLK_EIO;
        goto done;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (max > 0 && out->len - start + n > max) {
            e = EFBIG;
            rc = PLK_EIO;
            break;
        }
        if (plk_buf_append(out, chunk, n) != 0) {
            e = ENOMEM;
            rc = PLK_ENOMEM;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        e = errno ? errno : EIO;
        rc = PLK_EIO;
    }
    fclose(f);
    if (rc == 0 && out->data == NULL && plk_buf_append(out, "", 0) != 0) {
        e = ENOMEM;
        rc = PLK_ENOMEM;
    }
done:
    if (rc != 0 && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    if (errno_out != NULL) {
        *errno_out = e;
    }
    return rc;
}

/* Empty the directory open as fd (which this closes), to a depth of 64. */
static int
empty_dir(int fd, int depth)
{
    DIR *d = fdopendir(fd);
    struct dirent *e;
    int rc = 0, saved = 0;

    if (d == NULL) {
        close(fd);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;

        if (name[0] == '.' &&
            (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) {
            continue;
        }
        if (unlinkat(dirfd(d), name, 0) == 0) {
            continue;
        }
        if ((errno == EISDIR || errno == EPERM) && depth < 64) {
            int sub = openat(dirfd(d), name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

            if (sub >= 0 && empty_dir(sub, depth + 1) == 0 &&
                unlinkat(dirfd(d), name, AT_REMOVEDIR) == 0) {
                continue;
            }
        }
        if (errno != ENOENT) {
            rc = -1;
            saved = errno;
        }
    }
    closedir(d);
    if (rc != 0) {
        errno = saved;
    }
    return rc;
}

int
plk_remove_tree(const char *path)
{
    int fd;

    if (unlink(path) == 0 || errno == ENOENT) {
        return 0;
    }
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? 0 : -1;
    }
    if (empty_dir(fd, 0) != 0) {
        return -1;
    }
    return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
}
