/* Recording which Python line each malloc'd block came from, while a
 * leaking test is re-run for its diagnosis. */
#ifndef PYLEAK_MALLOC_TRACE_H
#define PYLEAK_MALLOC_TRACE_H

#include <stddef.h>

/* Python frames kept per allocation, innermost first. */
#define PLK_MALLOC_TRACE_DEPTH 8

typedef struct plk_trace_frame {
    const char *file; /* the code object's co_filename; owned by the tracer */
    int line;         /* 1-based, 0 when unknown */
} plk_trace_frame;

/* One block still live when the tracer was stopped. */
typedef struct plk_trace_block {
    size_t size;
    unsigned round; /* the round mark current when it was allocated */
    unsigned site;  /* index for plk_malloc_trace_site() */
} plk_trace_block;

typedef void (*plk_trace_visit)(void *ctx, const plk_trace_block *b);

/* 1 when this build interposes malloc, calls to malloc really reach it,
 * and it can read Python frames; 0 in sanitizer builds (the sanitizer
 * owns malloc there), under valgrind (which replaces malloc too), and on
 * Python versions whose frame layout it does not know. */
int plk_malloc_trace_available(void);
/* NULL when the tracer is available, else why not (for the report). */
const char *plk_malloc_trace_why_not(void);

/* Start recording every malloc/calloc/realloc of every thread, with the
 * calling thread's Python frames, until plk_malloc_trace_stop(). Drops
 * what an earlier run recorded. Returns 0, or -1 when not available or
 * out of memory. */
int plk_malloc_trace_start(void);
/* Tag the blocks allocated from now on with round r. */
void plk_malloc_trace_round(unsigned r);
void plk_malloc_trace_stop(void);
/* After stop: visit every block still live; returns how many. */
size_t plk_malloc_trace_foreach(plk_trace_visit fn, void *ctx);
/* After stop: the frames of a site, innermost first; returns how many
 * (at most max). The file strings live until plk_malloc_trace_reset(). */
int plk_malloc_trace_site(unsigned site, plk_trace_frame *out, int max);
/* Blocks that could not be recorded (tables full, no memory). */
size_t plk_malloc_trace_dropped(void);
/* Free the tracer's tables (after stop). */
void plk_malloc_trace_reset(void);

#endif
