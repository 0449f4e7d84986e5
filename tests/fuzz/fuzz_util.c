/* Helpers of the fuzz targets: the scratch folder and aborting checks. */
#define _GNU_SOURCE 1

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char scratch[4096];
static pid_t scratch_owner;
static char path_buf[4096 + 256];

void
fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("fuzz: property violated: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* Remove the scratch folder, one level of subfolders deep: that is all
 * fuzz_write_file and fuzz_make_dir make. */
static void
remove_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char sub[sizeof(path_buf)];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) && depth < 2) {
            remove_tree(sub, depth + 1);
        }
        else {
            unlink(sub);
        }
    }
    closedir(d);
    rmdir(dir);
}

static void
remove_scratch(void)
{
    /* Only the process that made it: a forked child exiting must not
     * pull the folder from under its parent. */
    if (scratch_owner == getpid()) {
        remove_tree(scratch, 0);
    }
}

const char *
fuzz_scratch_dir(void)
{
    const char *tmp;

    if (scratch[0] != '\0') {
        return scratch;
    }
    /* A memory file system when there is one: some readers and writers
     * fsync their files, once per input. */
    tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0') {
        tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    }
    snprintf(scratch, sizeof(scratch), "%s/pyleak-fuzz-XXXXXX", tmp);
    if (mkdtemp(scratch) == NULL) {
        fuzz_fail("cannot make a scratch folder in %s: %s", tmp,
                  strerror(errno));
    }
    scratch_owner = getpid();
    atexit(remove_scratch);
    return scratch;
}

const char *
fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    size_t done = 0;
    int fd;

    snprintf(path_buf, sizeof(path_buf), "%s/%s", fuzz_scratch_dir(), name);
    fd = open(path_buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fuzz_fail("cannot write %s: %s", path_buf, strerror(errno));
    }
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            fuzz_fail("cannot write %s: %s", path_buf, strerror(errno));
        }
        done += (size_t)n;
    }
    if (close(fd) != 0) {
        fuzz_fail("cannot write %s: %s", path_buf, strerror(errno));
    }
    return path_buf;
}

const char *
fuzz_make_dir(const char *name)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", fuzz_scratch_dir(), name);
    if (mkdir(path_buf, 0700) != 0 && errno != EEXIST) {
        fuzz_fail("cannot make %s: %s", path_buf, strerror(errno));
    }
    return path_buf;
}

void
fuzz_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL) {
        fuzz_fail("cannot read %s: %s", path, strerror(errno));
    }
    for (;;) {
        size_t got;

        if (cap - n < 4096) {
            char *grown;

            cap = cap ? cap * 2 : 16384;
            grown = realloc(data, cap + 1);
            if (grown == NULL) {
                fuzz_fail("out of memory reading %s", path);
            }
            data = grown;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fuzz_fail("cannot read %s", path);
    }
    fclose(f);
    data[n] = '\0';
    *out = data;
    *len = n;
}
