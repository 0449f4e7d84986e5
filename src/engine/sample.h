/* Sampling every metric without creating Python objects. */
#ifndef PYLEAK_SAMPLE_H
#define PYLEAK_SAMPLE_H

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

#endif
