/* Sampling every metric without creating Python objects. */
#ifndef PYLEAK_SAMPLE_H
#define PYLEAK_SAMPLE_H

#include <stddef.h>

#include "base/metric.h"

/* Bit (1u << metric) set for each metric this build can sample. */
unsigned plk_sample_available(void);

/* Fill out with one reading of every available metric (others are 0).
 * Needs the GIL. Makes no Python object and no heap allocation, so two
 * calls in a row read the same values. */
void plk_sample_take(plk_sample *out);

/* The process-level readers, usable without Python. Each returns -1 when
 * the source cannot be read. */
long long plk_sample_heap(void);
long long plk_sample_rss(void);
long long plk_sample_count_dir(const char *path);
/* Child processes of this process, running or not yet reaped: the count
 * (or -1), with the first max pids in out when out is not NULL. */
long long plk_sample_children(int *out, size_t max);
/* Entries (files, folders, links...) and bytes of regular files in the
 * tree under path, which is not counted; -1 when path cannot be read. */
int plk_sample_tree(const char *path, long long *entries, long long *bytes);

/* The folder whose tree the tmpfiles and tmpbytes metrics count (copied;
 * NULL or "" for none: the metrics are then not available). */
void plk_sample_set_tmpdir(const char *path);

#endif
