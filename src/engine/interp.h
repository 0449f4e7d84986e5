/* The interpreter layer: the one place that knows how the CPython that
 * pyleak-ci is built against differs from the others.
 *
 * Each supported version family has one file, interp_<family>.c, chosen
 * by CMake from the version it finds (see the table in CMakeLists.txt).
 * That file fills in one row, plk__interp_row, with what only private
 * structures of that version can give: counting GC-tracked objects,
 * reading the Python frames of the running thread from inside malloc, and
 * how interned strings show in the counters. interp.c holds everything
 * that public or unstable-public API can do on every version, and falls
 * back on it wherever a row leaves a slot empty; a build against a
 * version newer than any row (interp_newer.c) uses public API only and
 * says at start-up what it lacks.
 *
 * The Python half of the per-round restore (which caches each version's
 * own refleak hunter clears) lives in interp.py, embedded as
 * _pyleak_interp. */
#ifndef PYLEAK_INTERP_H
#define PYLEAK_INTERP_H

#include "base/error.h"

/* One Python frame as read from inside an allocation: key identifies the
 * file name object (a hint only, its address may be reused), file is its
 * UTF-8 text, owned by the interpreter. */
typedef struct plk_interp_frame {
    const void *key;
    const char *file;
    int line;
} plk_interp_frame;

/* How interned strings show in the block and reference counters, as the
 * refleak hunter of each version corrects for them. */
typedef enum {
    PLK_INTERP_INTERNED_MORTAL,   /* 3.9-3.11: freed like other objects */
    PLK_INTERP_INTERNED_IMMORTAL, /* 3.12: every interned string lives on:
                                      one block and two references each */
    PLK_INTERP_INTERNED_MIXED     /* 3.13+: only the immortal ones, and
                                      blocks only */
} plk_interp_interned;

/* What one version family provides beyond public API. A NULL slot means
 * the public fallback in interp.c is used. */
typedef struct plk_interp_row {
    const char *family; /* "3.11" */
    /* Allocated pymalloc blocks, without allocating. */
    long long (*blocks)(void);
    /* GC-tracked objects, frozen ones included, without allocating. */
    long long (*tracked)(void);
    /* The calling thread's innermost frames, innermost first; must not
     * allocate, take locks or touch reference counts. */
    int (*frames)(plk_interp_frame *out, int max);
    /* Does now the one-time work the interpreter would otherwise do on
     * its own after a number of calls, so it falls in the warm-up. */
    void (*prime)(void);
    plk_interp_interned interned;
    /* Why frames is NULL, for the report; NULL when frames is set. */
    const char *no_frames;
} plk_interp_row;

extern const plk_interp_row plk__interp_row;

/* Looks up the few interpreter functions the public fallbacks call and
 * probes what this build's collector shows. Call once, after the
 * interpreter is initialised and holding the GIL. */
int plk_interp_init(plk_error *err);
/* Releases what plk_interp_init took; safe to call more than once. */
void plk_interp_fini(void);

/* Called after a test's first calls, before it is screened or warmed
 * up: 3.9 and 3.10 give a function's code its inline caches on its
 * 1024th run, which would otherwise show as a few blocks of growth in
 * whichever round that falls. A no-op on other versions. */
void plk_interp_prime(void);

/* The metrics this interpreter can give, as PLK_METRIC_* bits. */
unsigned plk_interp_metrics(void);

/* Counters for a sample, corrected as the version's refleak hunter
 * corrects them; -1 when not available. None leaves an allocation
 * behind: the public fallbacks' result objects are made after the count
 * is taken and freed before returning. */
long long plk_interp_blocks(void);
long long plk_interp_refs(void);
long long plk_interp_objects(void);

/* Frames for the malloc tracer: the depth read (0 outside Python code),
 * or -1 when this version's frames cannot be read. */
int plk_interp_frames(plk_interp_frame *out, int max);
/* NULL when frames can be read, else why not (a sentence fragment). */
const char *plk_interp_no_frames(void);

/* A sentence naming what this build lacks against a fully supported
 * version, for start-up and --version; NULL when nothing. */
const char *plk_interp_lacks(void);

/* The UTF-8 text of a str object without creating anything, for frame
 * readers; "?" when it has none to hand. */
const char *plk__interp_str_text(const void *str);

#endif
