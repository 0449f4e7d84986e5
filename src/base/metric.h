/* The metrics pyleak-ci samples after every round: memory, and the
 * resources a test can leave behind that are not memory. */
#ifndef PYLEAK_METRIC_H
#define PYLEAK_METRIC_H

#include <stdint.h>

typedef enum {
    PLK_METRIC_REFS,     /* sys.gettotalrefcount(), debug builds only */
    PLK_METRIC_BLOCKS,   /* allocated pymalloc blocks */
    PLK_METRIC_OBJECTS,  /* GC-tracked objects */
    PLK_METRIC_HEAP,     /* glibc malloc bytes in use */
    PLK_METRIC_RSS,      /* resident set size in bytes */
    PLK_METRIC_FDS,      /* open file descriptors */
    PLK_METRIC_THREADS,  /* threads of the process */
    PLK_METRIC_PROCS,    /* child processes, running or not reaped */
    PLK_METRIC_TMPFILES, /* entries in the worker's temporary directory */
    PLK_METRIC_TMPBYTES, /* bytes of the files in it */
    PLK_METRIC_ENV,      /* size of the process environment (see harness) */
    PLK_METRIC__COUNT
} plk_metric;

/* Short name as used on the command line and in reports ("blocks"). */
const char *plk_metric_name(plk_metric m);
/* Unit in plural form ("blocks", "bytes", "references"). */
const char *plk_metric_unit(plk_metric m);
/* Index of a metric by name, or -1. */
int plk_metric_from_name(const char *name);
/* 1 for the counts judged on a sustained change rather than a trend:
 * descriptors, threads and child processes, which come back exactly
 * when closed, ended or reaped, and of which a leak must be caught
 * before it has made thousands. Temporary files and the environment
 * are judged on a trend, as memory is: a cache folder that fills up to
 * a bound is not a leak. */
int plk_metric_sustained(plk_metric m);

/* One sample of every metric. */
typedef struct plk_sample {
    int64_t v[PLK_METRIC__COUNT];
} plk_sample;

#endif
