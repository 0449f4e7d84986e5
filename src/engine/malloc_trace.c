/* A malloc tracer for the diagnosis re-run: which Python line allocated
 * the native memory that a leaking test never frees.
 *
 * pyleak-ci defines malloc, calloc, realloc, reallocarray and free itself
 * and forwards each to glibc's own entry points (__libc_malloc & co.), so
 * every allocation of the process - libpython, C extensions, ctypes calls
 * - passes through here. While the tracer is off that costs one relaxed
 * atomic load per call. While it is on (only during a diagnosis re-run),
 * each allocation records its size, a round mark and the calling thread's
 * innermost Python frames, read by the interpreter layer straight from
 * that version's frame structures (interp.h); each free drops its
 * record. What is left when the tracer
 * stops is what is still live.
 *
 * Nothing here may call malloc: the tables live in mmap'd memory, the
 * frames are read without creating any object, a per-thread flag stops
 * reentry, and one spin lock (held for a few hundred instructions)
 * serialises threads. In sanitizer builds the sanitizer owns malloc, so
 * none of this is compiled and the tracer reports itself unavailable. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "engine/interp.h"
#include "engine/malloc_trace.h"

#if defined(__SANITIZE_ADDRESS__)
#define PLK_NO_INTERPOSE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLK_NO_INTERPOSE 1
#endif
#endif
#if !defined(__GLIBC__)
#define PLK_NO_INTERPOSE 1
#endif

#ifndef PLK_NO_INTERPOSE

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

/* -- tables --------------------------------------------------------------- */

#define LIVE_INITIAL (1u << 16)
#define SITE_MAX (1u << 16)     /* distinct sites */
#define SITE_SLOTS (1u << 17)   /* site hash slots, > 2 * SITE_MAX */
#define FILE_SLOTS (1u << 13)   /* distinct file names, hashed */
#define STRINGS_SIZE (4u << 20) /* bytes of file names */
#define TOMB ((uintptr_t)1)

typedef struct live_rec {
    uintptr_t ptr; /* 0: empty, TOMB: deleted */
    size_t size;
    uint32_t site;
    uint32_t round;
} live_rec;

typedef struct site_rec {
    uint32_t file[PLK_MALLOC_TRACE_DEPTH]; /* offsets into strings */
    int32_t line[PLK_MALLOC_TRACE_DEPTH];
    uint32_t depth;
    uint32_t hash;
} site_rec;

typedef struct file_slot {
    const void *key; /* the co_filename object, as a fast first check */
    uint32_t off;    /* its text in strings, +1 (0: empty) */
} file_slot;

typedef struct tables {
    live_rec *live;
    size_t live_cap, live_used, live_tombs;
    site_rec *sites;
    uint32_t nsites;
    uint32_t *site_slots; /* site index + 1, 0: empty */
    file_slot *files;
    char *strings;
    size_t strings_len;
    size_t nfiles;
} tables;

static atomic_int g_on;
static atomic_flag g_lock = ATOMIC_FLAG_INIT;
static unsigned g_round;
static size_t g_dropped;
static tables g_t;
static __thread int t_busy;

static void
lock(void)
{
    while (atomic_flag_test_and_set_explicit(&g_lock, memory_order_acquire)) {
        sched_yield();
    }
}

static void
unlock(void)
{
    atomic_flag_clear_explicit(&g_lock, memory_order_release);
}

static void *
map(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

static void
unmap(void *p, size_t n)
{
    if (p != NULL) {
        munmap(p, n);
    }
}

static size_t
hash_ptr(uintptr_t p)
{
    /* Blocks are 16-byte aligned: mix the high bits down. */
    p ^= p >> 33;
    p *= 0xff51afd7ed558ccdULL;
    p ^= p >> 33;
    return (size_t)p;
}

static void tables_free(tables *t);

static int
tables_init(tables *t)
{
    memset(t, 0, sizeof(*t));
    t->live_cap = LIVE_INITIAL;
    t->live = map(t->live_cap * sizeof(live_rec));
    t->sites = map((size_t)SITE_MAX * sizeof(site_rec));
    t->site_slots = map((size_t)SITE_SLOTS * sizeof(uint32_t));
    t->files = map((size_t)FILE_SLOTS * sizeof(file_slot));
    t->strings = map(STRINGS_SIZE);
    if (t->live == NULL || t->sites == NULL || t->site_slots == NULL ||
        t->files == NULL || t->strings == NULL) {
        tables_free(t);
        return -1;
    }
    return 0;
}

static void
tables_free(tables *t)
{
    unmap(t->live, t->live_cap * sizeof(live_rec));
    unmap(t->sites, (size_t)SITE_MAX * sizeof(site_rec));
    unmap(t->site_slots, (size_t)SITE_SLOTS * sizeof(uint32_t));
    unmap(t->files, (size_t)FILE_SLOTS * sizeof(file_slot));
    unmap(t->strings, STRINGS_SIZE);
    memset(t, 0, sizeof(*t));
}

/* Double the live table once it is half full (tombstones count). */
static int
live_grow(tables *t)
{
    size_t cap = t->live_cap * 2, i;
    live_rec *nl = map(cap * sizeof(live_rec));

    if (nl == NULL) {
        return -1;
    }
    for (i = 0; i < t->live_cap; i++) {
        live_rec *r = &t->live[i];
        size_t j;

        if (r->ptr == 0 || r->ptr == TOMB) {
            continue;
        }
        for (j = hash_ptr(r->ptr) & (cap - 1); nl[j].ptr != 0;
             j = (j + 1) & (cap - 1)) {
        }
        nl[j] = *r;
    }
    unmap(t->live, t->live_cap * sizeof(live_rec));
    t->live = nl;
    t->live_cap = cap;
    t->live_tombs = 0;
    return 0;
}

static void
live_put(tables *t, uintptr_t p, size_t size, uint32_t site, uint32_t round)
{
    size_t j, cap;

    if ((t->live_used + t->live_tombs + 1) * 2 > t->live_cap &&
        live_grow(t) != 0) {
        g_dropped++;
        return;
    }
    cap = t->live_cap;
    for (j = hash_ptr(p) & (cap - 1);; j = (j + 1) & (cap - 1)) {
        live_rec *r = &t->live[j];

        if (r->ptr == 0 || r->ptr == TOMB) {
            if (r->ptr == TOMB) {
                t->live_tombs--;
            }
            r->ptr = p;
            r->size = size;
            r->site = site;
            r->round = round;
            t->live_used++;
            return;
        }
        if (r->ptr == p) {
            /* A block freed behind the tracer's back (a libc path that
             * does not come through free()) came back: replace it. */
            r->size = size;
            r->site = site;
            r->round = round;
            return;
        }
    }
}

/* Remove p's record; returns 1 and fills *out when there was one. */
static int
live_take(tables *t, uintptr_t p, live_rec *out)
{
    size_t j, cap = t->live_cap;

    for (j = hash_ptr(p) & (cap - 1); t->live[j].ptr != 0;
         j = (j + 1) & (cap - 1)) {
        if (t->live[j].ptr == p) {
            if (out != NULL) {
                *out = t->live[j];
            }
            t->live[j].ptr = TOMB;
            t->live_used--;
            t->live_tombs++;
            return 1;
        }
    }
    return 0;
}

/* -- reading Python frames ---------------------------------------------- */

/* Offset+1 of file name object f's text in the string table, 0 when the
 * table is full. The object address is only a hint: the text decides,
 * since a name freed during the run may have its address reused. */
static uint32_t
intern_file(tables *t, const void *f, const char *text)
{
    size_t h = hash_ptr((uintptr_t)f), j, n;

    for (j = h & (FILE_SLOTS - 1); t->files[j].off != 0;
         j = (j + 1) & (FILE_SLOTS - 1)) {
        if (t->files[j].key == f &&
            strcmp(t->strings + t->files[j].off - 1, text) == 0) {
            return t->files[j].off;
        }
    }
    n = strlen(text) + 1;
    /* Full (the slots kept at most half used, so probes stay short):
     * the frame goes without a name rather than unrecorded. */
    if (t->strings_len + n > STRINGS_SIZE || t->nfiles * 2 >= FILE_SLOTS) {
        return 0;
    }
    t->nfiles++;
    memcpy(t->strings + t->strings_len, text, n);
    t->files[j].key = f;
    t->files[j].off = (uint32_t)t->strings_len + 1;
    t->strings_len += n;
    return t->files[j].off;
}

/* The site of the calling thread's current Python frames; SITE_MAX when
 * the site table is full. */
static uint32_t
current_site(tables *t)
{
    site_rec s;
    uint32_t h = 2166136261u, j;

    memset(&s, 0, sizeof(s));
    {
        plk_interp_frame fr[PLK_MALLOC_TRACE_DEPTH];
        int i, n = plk_interp_frames(fr, PLK_MALLOC_TRACE_DEPTH);

        for (i = 0; i < n; i++) {
            s.file[i] = intern_file(t, fr[i].key, fr[i].file);
            s.line[i] = fr[i].line;
        }
        s.depth = n > 0 ? (uint32_t)n : 0;
    }
    for (j = 0; j < s.depth; j++) {
        h = (h ^ s.file[j]) * 16777619u;
        h = (h ^ (uint32_t)s.line[j]) * 16777619u;
    }
    s.hash = h;
    for (j = h & (SITE_SLOTS - 1); t->site_slots[j] != 0;
         j = (j + 1) & (SITE_SLOTS - 1)) {
        site_rec *o = &t->sites[t->site_slots[j] - 1];

        if (o->hash == s.hash && o->depth == s.depth &&
            memcmp(o->file, s.file, sizeof(s.file)) == 0 &&
            memcmp(o->line, s.line, sizeof(s.line)) == 0) {
            return t->site_slots[j] - 1;
        }
    }
    if (t->nsites >= SITE_MAX) {
        return SITE_MAX;
    }
    t->sites[t->nsites] = s;
    t->site_slots[j] = ++t->nsites;
    return t->nsites - 1;
}

/* -- recording ------------------------------------------------------------ */

static void
note_alloc(void *p, size_t n)
{
    uint32_t site;

    if (t_busy) {
        return;
    }
    t_busy = 1;
    lock();
    /* Checked again under the lock: stop() and reset() take it too, so
     * nothing is recorded into tables being read or unmapped. */
    if (atomic_load_explicit(&g_on, memory_order_relaxed)) {
        site = current_site(&g_t);
        if (site == SITE_MAX) {
            g_dropped++;
        }
        else {
            live_put(&g_t, (uintptr_t)p, n, site, g_round);
        }
    }
    unlock();
    t_busy = 0;
}

static int
note_free(void *p, live_rec *out)
{
    int had = 0;

    if (t_busy) {
        return 0;
    }
    t_busy = 1;
    lock();
    if (atomic_load_explicit(&g_on, memory_order_relaxed)) {
        had = live_take(&g_t, (uintptr_t)p, out);
    }
    unlock();
    t_busy = 0;
    return had;
}

static inline int
tracing(void)
{
    return __builtin_expect(atomic_load_explicit(&g_on, memory_order_relaxed),
                            0);
}

void *
malloc(size_t n)
{
    void *p = __libc_malloc(n);

    if (tracing() && p != NULL) {
        note_alloc(p, n);
    }
    return p;
}

void *
calloc(size_t n, size_t size)
{
    void *p = __libc_calloc(n, size);

    if (tracing() && p != NULL) {
        note_alloc(p, n * size);
    }
    return p;
}

void *
realloc(void *old, size_t n)
{
    live_rec was;
    int had = 0;
    void *p;

    if (!tracing()) {
        return __libc_realloc(old, n);
    }
    /* The old record goes first: once glibc has the old block back it
     * may hand that address to another thread, whose record must stay. */
    if (old != NULL) {
        had = note_free(old, &was);
    }
    p = __libc_realloc(old, n);
    if (p != NULL) {
        note_alloc(p, n);
    }
    else if (had && n != 0) {
        /* Failed: the old block is still the caller's. */
        note_alloc(old, was.size);
    }
    return p;
}

void *
reallocarray(void *old, size_t n, size_t size)
{
    size_t bytes;

    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, bytes);
}

void
free(void *p)
{
    if (tracing() && p != NULL) {
        note_free(p, NULL);
    }
    __libc_free(p);
}

/* -- control -------------------------------------------------------------- */

/* Whether calls to malloc really come here: under valgrind (or with
 * another allocator preloaded) they go elsewhere and nothing would be
 * recorded. Called with the tracer on; the pointer is volatile so the
 * compiler cannot drop the malloc/free pair. */
static int
interposed(void)
{
    void *(*volatile alloc)(size_t) = malloc;
    void (*volatile release)(void *) = free;
    void *p = alloc(1);
    int seen;

    if (p == NULL) {
        return 0;
    }
    lock();
    seen = live_take(&g_t, (uintptr_t)p, NULL);
    unlock();
    release(p);
    return seen;
}

static int
start(int probe_only)
{
    tables t;
    int ok;

    plk_malloc_trace_stop();
    plk_malloc_trace_reset();
    if (tables_init(&t) != 0) {
        return -1;
    }
    lock();
    g_t = t;
    g_round = 0;
    g_dropped = 0;
    atomic_store_explicit(&g_on, 1, memory_order_relaxed);
    unlock();
    ok = interposed();
    if (!ok || probe_only) {
        plk_malloc_trace_stop();
        plk_malloc_trace_reset();
    }
    return ok ? 0 : -1;
}

int
plk_malloc_trace_available(void)
{
    static int known = -1;

    if (plk_interp_no_frames() != NULL) {
        return 0;
    }
    if (known < 0) {
        known = start(1) == 0;
    }
    return known;
}

const char *
plk_malloc_trace_why_not(void)
{
    const char *why = plk_interp_no_frames();

    if (why != NULL) {
        return why;
    }
    if (!plk_malloc_trace_available()) {
        return "malloc does not reach pyleak-ci in this process (a run "
               "under valgrind or with a preloaded allocator)";
    }
    return NULL;
}

int
plk_malloc_trace_start(void)
{
    if (!plk_malloc_trace_available()) {
        return -1;
    }
    return start(0);
}

void
plk_malloc_trace_round(unsigned r)
{
    lock();
    g_round = r;
    unlock();
}

void
plk_malloc_trace_stop(void)
{
    lock();
    atomic_store_explicit(&g_on, 0, memory_order_relaxed);
    unlock();
}

size_t
plk_malloc_trace_foreach(plk_trace_visit fn, void *ctx)
{
    size_t i, n = 0;

    if (atomic_load(&g_on) || g_t.live == NULL) {
        return 0;
    }
    for (i = 0; i < g_t.live_cap; i++) {
        const live_rec *r = &g_t.live[i];
        plk_trace_block b;

        if (r->ptr == 0 || r->ptr == TOMB) {
            continue;
        }
        b.size = r->size;
        b.round = r->round;
        b.site = r->site;
        fn(ctx, &b);
        n++;
    }
    return n;
}

int
plk_malloc_trace_site(unsigned site, plk_trace_frame *out, int max)
{
    const site_rec *s;
    int i, n;

    if (atomic_load(&g_on) || g_t.sites == NULL || site >= g_t.nsites) {
        return 0;
    }
    s = &g_t.sites[site];
    n = (int)s->depth < max ? (int)s->depth : max;
    for (i = 0; i < n; i++) {
        out[i].file = s->file[i] ? g_t.strings + s->file[i] - 1 : "?";
        out[i].line = s->line[i];
    }
    return n;
}

size_t
plk_malloc_trace_dropped(void)
{
    return g_dropped;
}

void
plk_malloc_trace_reset(void)
{
    tables t;

    lock();
    if (atomic_load_explicit(&g_on, memory_order_relaxed)) {
        unlock();
        return;
    }
    t = g_t;
    memset(&g_t, 0, sizeof(g_t));
    unlock();
    tables_free(&t);
}

#else /* PLK_NO_INTERPOSE */

int
plk_malloc_trace_available(void)
{
    return 0;
}

const char *
plk_malloc_trace_why_not(void)
{
    return "this build's sanitizer owns malloc";
}

int
plk_malloc_trace_start(void)
{
    return -1;
}

void
plk_malloc_trace_round(unsigned r)
{
    (void)r;
}

void
plk_malloc_trace_stop(void)
{
}

size_t
plk_malloc_trace_foreach(plk_trace_visit fn, void *ctx)
{
    (void)fn;
    (void)ctx;
    return 0;
}

int
plk_malloc_trace_site(unsigned site, plk_trace_frame *out, int max)
{
    (void)site;
    (void)out;
    (void)max;
    return 0;
}

size_t
plk_malloc_trace_dropped(void)
{
    return 0;
}

void
plk_malloc_trace_reset(void)
{
}

#endif
