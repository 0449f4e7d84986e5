/* Reading every metric into a plain struct, with no allocation at all. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/interp.h"
#include "engine/sample.h"

/* Under AddressSanitizer, malloc is ASan's and glibc's mallinfo2() sees
 * none of it: the heap metric is not available in such a build. */
#if defined(__SANITIZE_ADDRESS__)
#define PLK_NO_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLK_NO_HEAP 1
#endif
#endif

/* The temporary directory the tests of this process use (see
 * plk_sample_set_tmpdir), or "" when there is none to watch. */
static char tmpdir[4096];

void
plk_sample_set_tmpdir(const char *path)
{
    size_t n = path != NULL ? strlen(path) : 0;

    if (n >= sizeof(tmpdir)) {
        n = 0;
    }
    if (n > 0) {
        memcpy(tmpdir, path, n);
    }
    tmpdir[n] = '\0';
}

unsigned
plk_sample_available(void)
{
    unsigned m = plk_interp_metrics() | (1u << PLK_METRIC_RSS) |
                 (1u << PLK_METRIC_FDS) | (1u << PLK_METRIC_THREADS) |
                 (1u << PLK_METRIC_PROCS) | (1u << PLK_METRIC_ENV);

    if (tmpdir[0] != '\0') {
        m |= (1u << PLK_METRIC_TMPFILES) | (1u << PLK_METRIC_TMPBYTES);
    }
#ifndef PLK_NO_HEAP
    m |= 1u << PLK_METRIC_HEAP;
#endif
    return m;
}

long long
plk_sample_heap(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33) &&         \
    !defined(PLK_NO_HEAP)
    struct mallinfo2 mi = mallinfo2();

    /* In-use small chunks plus mmap'd large ones: what malloc handed out
     * and has not had back. */
    return (long long)(mi.uordblks + mi.hblkhd);
#else
    return -1;
#endif
}

long long
plk_sample_rss(void)
{
    char buf[128];
    ssize_t n;
    int fd;
    long long resident = 0;
    char *p;

    fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    /* "size resident shared ...": skip size, read resident; by hand,
     * since sscanf may allocate. */
    p = strchr(buf, ' ');
    if (p == NULL) {
        return -1;
    }
    while (*p == ' ') {
        p++;
    }
    while (*p >= '0' && *p <= '9') {
        resident = resident * 10 + (*p++ - '0');
    }
    return resident * (long long)sysconf(_SC_PAGESIZE);
}

struct plk__dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

long long
plk_sample_count_dir(const char *path)
{
    /* getdents64 on a stack buffer: opendir() would malloc its DIR and
     * show up in the heap metric it is sampled beside. */
    char buf[4096] __attribute__((aligned(8)));
    long long count = 0;
    int fd;

    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
        long off = 0;

        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0) {
            break;
        }
        while (off < n) {
            struct plk__dirent64 *d = (struct plk__dirent64 *)(buf + off);
            const char *name = d->d_name;

            if (!(name[0] == '.' &&
                  (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))) {
                count++;
            }
            off += d->d_reclen;
        }
    }
    close(fd);
    return count;
}

/* Child processes: the pids in each thread's children file, zombies
 * included (a child nobody waited for). The first max go to out (when
 * not NULL); returns how many there are, or -1. */
long long
plk_sample_children(int *out, size_t max)
{
    char buf[4096] __attribute__((aligned(8)));
    char path[64], list[512];
    long long count = 0;
    int fd;

    fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
        long off = 0;

        if (n <= 0) {
            close(fd);
            return n < 0 ? -1 : count;
        }
        for (; off < n;
             off += ((struct plk__dirent64 *)(buf + off))->d_reclen) {
            const char *name = ((struct plk__dirent64 *)(buf + off))->d_name;
            int cfd, pid = -1;
            ssize_t got, i;

            if (name[0] < '0' || name[0] > '9' ||
                strlen(name) > sizeof(path) - sizeof("/children")) {
                continue;
            }
            strcpy(path, name);
            strcat(path, "/children");
            cfd = openat(fd, path, O_RDONLY | O_CLOEXEC);
            if (cfd < 0) {
                continue; /* the thread has just ended */
            }
            while ((got = read(cfd, list, sizeof(list))) > 0) {
                for (i = 0; i < got; i++) {
                    if (list[i] >= '0' && list[i] <= '9') {
                        pid = (pid < 0 ? 0 : pid * 10) + (list[i] - '0');
                        continue;
                    }
                    if (pid >= 0) {
                        if (out != NULL && (size_t)count < max) {
                            out[count] = pid;
                        }
                        count++;
                        pid = -1;
                    }
                }
            }
            if (pid >= 0) {
                if (out != NULL && (size_t)count < max) {
                    out[count] = pid;
                }
                count++;
            }
            close(cfd);
        }
    }
}

/* Entries and file bytes under the directory open as dirfd, to a depth
 * of 32; closes dirfd. */
static void
walk_tree(int dirfd, int depth, long long *entries, long long *bytes)
{
    char buf[2048] __attribute__((aligned(8)));

    for (;;) {
        long n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));
        long off;

        if (n <= 0) {
            break;
        }
        for (off = 0; off < n;
             off += ((struct plk__dirent64 *)(buf + off))->d_reclen) {
            struct plk__dirent64 *d = (struct plk__dirent64 *)(buf + off);
            const char *name = d->d_name;
            unsigned char type = d->d_type;
            struct stat st;

            if (name[0] == '.' &&
                (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) {
                continue;
            }
            (*entries)++;
            if (type == DT_UNKNOWN || type == DT_REG) {
                if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                    continue;
                }
                type = S_ISDIR(st.st_mode)   ? DT_DIR
                       : S_ISREG(st.st_mode) ? DT_REG
                                             : DT_UNKNOWN;
                if (type == DT_REG) {
                    *bytes += (long long)st.st_size;
                }
            }
            if (type == DT_DIR && depth < 32) {
                int sub =
                    openat(dirfd, name,
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (sub >= 0) {
                    walk_tree(sub, depth + 1, entries, bytes);
                }
            }
        }
    }
    close(dirfd);
}

int
plk_sample_tree(const char *path, long long *entries, long long *bytes)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    *entries = *bytes = 0;
    if (fd < 0) {
        return -1;
    }
    walk_tree(fd, 0, entries, bytes);
    return 0;
}

void
plk_sample_take(plk_sample *out)
{
    unsigned metrics = plk_interp_metrics();

    memset(out, 0, sizeof(*out));
    /* Heap first: nothing below mallocs, but reading it first keeps the
     * promise even if a libc call ever did. */
#ifndef PLK_NO_HEAP
    out->v[PLK_METRIC_HEAP] = plk_sample_heap();
#endif
    /* Objects and references before blocks: on versions where a counter
     * is read through a Python function, its result is freed before the
     * block count is taken. */
    if (metrics & (1u << PLK_METRIC_OBJECTS)) {
        out->v[PLK_METRIC_OBJECTS] = plk_interp_objects();
    }
    if (metrics & (1u << PLK_METRIC_REFS)) {
        out->v[PLK_METRIC_REFS] = plk_interp_refs();
    }
    out->v[PLK_METRIC_BLOCKS] = plk_interp_blocks();
    out->v[PLK_METRIC_RSS] = plk_sample_rss();
    /* The descriptor used to list /proc/self/fd is itself in the list;
     * it is there on every reading, so it cancels in the deltas. */
    out->v[PLK_METRIC_FDS] = plk_sample_count_dir("/proc/self/fd");
    out->v[PLK_METRIC_THREADS] = plk_sample_count_dir("/proc/self/task");
    out->v[PLK_METRIC_PROCS] = plk_sample_children(NULL, 0);
    if (tmpdir[0] != '\0') {
        long long entries, bytes;

        if (plk_sample_tree(tmpdir, &entries, &bytes) == 0) {
            out->v[PLK_METRIC_TMPFILES] = entries;
            out->v[PLK_METRIC_TMPBYTES] = bytes;
        }
    }
}
