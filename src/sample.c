/* Reading every metric into a plain struct, with no allocation at all. */
#define _GNU_SOURCE
/* patchlevel.h stands alone, so the version is known before Python.h
 * decides which internals to declare. */
#include <patchlevel.h>

/* The collector's generation lists are internal to CPython. Walking them
 * is the only way to count tracked objects without building the list
 * gc.get_objects() returns, which would itself be sampled. */
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#define PLK_GC_WALK 1
#ifndef Py_BUILD_CORE_MODULE
#define Py_BUILD_CORE_MODULE 1
#endif
#endif

#include <Python.h>

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef PLK_GC_WALK
#include "internal/pycore_gc.h"
#include "internal/pycore_interp.h"
#endif

#include "pyleak/sample.h"

/* Under AddressSanitizer, malloc is ASan's and glibc's mallinfo2() sees
 * none of it: the heap metric is not available in such a build. */
#if defined(__SANITIZE_ADDRESS__)
#define PLK_NO_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLK_NO_HEAP 1
#endif
#endif

/* Exported by libpython but declared only in an internal header. */
PyAPI_FUNC(Py_ssize_t) _Py_GetAllocatedBlocks(void);

unsigned
plk_sample_available(void)
{
    unsigned m = (1u << PLK_METRIC_BLOCKS) | (1u << PLK_METRIC_RSS) |
                 (1u << PLK_METRIC_FDS) | (1u << PLK_METRIC_THREADS);
#ifndef PLK_NO_HEAP
    m |= 1u << PLK_METRIC_HEAP;
#endif
#ifdef Py_REF_DEBUG
    m |= 1u << PLK_METRIC_REFS;
#endif
#ifdef PLK_GC_WALK
    m |= 1u << PLK_METRIC_OBJECTS;
#endif
    return m;
}

long long
plk_sample_heap(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33) && \
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

#ifdef PLK_GC_WALK
static Py_ssize_t
gc_list_len(PyGC_Head *head)
{
    Py_ssize_t n = 0;
    PyGC_Head *p;

    for (p = _PyGCHead_NEXT(head); p != head; p = _PyGCHead_NEXT(p)) {
        n++;
    }
    return n;
}

static long long
count_tracked(void)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    struct _gc_runtime_state *gcs = &interp->gc;
    long long n = 0;
    int i;

    for (i = 0; i < NUM_GENERATIONS; i++) {
        n += gc_list_len(&gcs->generations[i].head);
    }
    return n + gc_list_len(&gcs->permanent_generation.head);
}
#endif

void
plk_sample_take(plk_sample *out)
{
    memset(out, 0, sizeof(*out));
    /* Heap first: nothing below mallocs, but reading it first keeps the
     * promise even if a libc call ever did. */
#ifndef PLK_NO_HEAP
    out->v[PLK_METRIC_HEAP] = plk_sample_heap();
#endif
    out->v[PLK_METRIC_BLOCKS] = (int64_t)_Py_GetAllocatedBlocks();
#ifdef Py_REF_DEBUG
    out->v[PLK_METRIC_REFS] = (int64_t)_Py_GetRefTotal();
#endif
#ifdef PLK_GC_WALK
    out->v[PLK_METRIC_OBJECTS] = count_tracked();
#endif
    out->v[PLK_METRIC_RSS] = plk_sample_rss();
    /* The descriptor used to list /proc/self/fd is itself in the list;
     * it is there on every reading, so it cancels in the deltas. */
    out->v[PLK_METRIC_FDS] = plk_sample_count_dir("/proc/self/fd");
    out->v[PLK_METRIC_THREADS] = plk_sample_count_dir("/proc/self/task");
}
