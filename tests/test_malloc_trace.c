/* Unit tests for malloc_trace.c: what is recorded, with which Python
 * line, what is dropped on free and realloc, under many threads, and
 * that nothing is recorded while the tracer is off. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/interp.h"
#include "engine/malloc_trace.h"

/* Sizes no one else allocates while a test runs, to find our blocks. */
#define SIZE_A 12345
#define SIZE_B 54321

typedef struct census {
    size_t size; /* blocks of this size */
    size_t count;
    size_t bytes;
    unsigned round; /* of the last one seen */
    unsigned site;
} census;

static void
count_size(void *ctx, const plk_trace_block *b)
{
    census *c = ctx;

    if (b->size == c->size) {
        c->count++;
        c->bytes += b->size;
        c->round = b->round;
        c->site = b->site;
    }
}

static census
take_census(size_t size)
{
    census c = {0};

    c.size = size;
    plk_malloc_trace_foreach(count_size, &c);
    return c;
}

static int
setup_python(void **state)
{
    Py_InitializeEx(0);
    plk_interp_init(NULL);
    return Py_IsInitialized() ? 0 : -1;
}

static int
teardown_python(void **state)
{
    plk_malloc_trace_reset();
    plk_interp_fini();
    return Py_FinalizeEx() < 0 ? -1 : 0;
}

#define NEED_TRACER()                                                         \
    do {                                                                      \
        if (!plk_malloc_trace_available()) {                                  \
            skip(); /* sanitizer build: the sanitizer owns malloc */          \
        }                                                                     \
    } while (0)

static void
test_malloc_trace__off_records_nothing(void **state)
{
    void *p;

    NEED_TRACER();
    assert_int_equal(plk_malloc_trace_start(), 0);
    plk_malloc_trace_stop();
    p = malloc(SIZE_A);
    assert_non_null(p);
    assert_int_equal(take_census(SIZE_A).count, 0);
    free(p);
    plk_malloc_trace_reset();
    /* Reset tables: nothing to visit. */
    assert_int_equal(take_census(SIZE_A).count, 0);
}

static void
test_malloc_trace__live_block_has_its_python_line(void **state)
{
    plk_trace_frame fr[PLK_MALLOC_TRACE_DEPTH];
    census c;
    int n;

    NEED_TRACER();
    assert_int_equal(plk_malloc_trace_start(), 0);
    plk_malloc_trace_round(3);
    assert_int_equal(
        PyRun_SimpleString("import ctypes\n"
                           "libc = ctypes.CDLL(None)\n"
                           "libc.malloc.restype = ctypes.c_void_p\n"
                           "libc.free.argtypes = [ctypes.c_void_p]\n"
                           "def grab():\n"
                           "    return libc.malloc(12345)\n"
                           "kept = grab()\n"
                           "libc.free(libc.malloc(54321))\n"),
        0);
    plk_malloc_trace_stop();

    c = take_census(SIZE_A);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.round, 3);
    n = plk_malloc_trace_site(c.site, fr, PLK_MALLOC_TRACE_DEPTH);
    assert_int_equal(n, 2); /* grab(), then the module */
    assert_string_equal(fr[0].file, "<string>");
    assert_int_equal(fr[0].line, 6);
    assert_string_equal(fr[1].file, "<string>");
    assert_int_equal(fr[1].line, 7);
    /* Freed again: gone. */
    assert_int_equal(take_census(SIZE_B).count, 0);
    PyRun_SimpleString("libc.free(kept)\n");
    plk_malloc_trace_reset();
}

static void
test_malloc_trace__realloc_moves_the_record(void **state)
{
    char *p;
    census c;

    NEED_TRACER();
    assert_int_equal(plk_malloc_trace_start(), 0);
    p = malloc(SIZE_A);
    assert_non_null(p);
    p = realloc(p, SIZE_B);
    assert_non_null(p);
    plk_malloc_trace_stop();
    assert_int_equal(take_census(SIZE_A).count, 0);
    c = take_census(SIZE_B);
    assert_int_equal(c.count, 1);
    /* No Python frame on this thread's stack: a site of depth 0. */
    {
        plk_trace_frame fr[1];

        assert_int_equal(plk_malloc_trace_site(c.site, fr, 1), 0);
    }
    free(p);
    plk_malloc_trace_reset();

    assert_int_equal(plk_malloc_trace_start(), 0);
    p = calloc(2, SIZE_A);
    assert_non_null(p);
    p = reallocarray(p, 1, SIZE_B);
    assert_non_null(p);
    free(p);
    plk_malloc_trace_stop();
    assert_int_equal(take_census(2 * SIZE_A).count, 0);
    assert_int_equal(take_census(SIZE_B).count, 0);
    plk_malloc_trace_reset();
}

#define THREADS 4
#define KEPT 100
#define CHURN 20000

static void *
churn(void *arg)
{
    void **kept = arg;
    int i;

    for (i = 0; i < CHURN; i++) {
        void *p = malloc((size_t)(i % 200) + 1);

        free(p);
        if (i % (CHURN / KEPT) == 0) {
            kept[i / (CHURN / KEPT)] = malloc(777);
        }
    }
    return NULL;
}

static void
test_malloc_trace__threads(void **state)
{
    static void *kept[THREADS][KEPT];
    pthread_t th[THREADS];
    int i, j;

    NEED_TRACER();
    assert_int_equal(plk_malloc_trace_start(), 0);
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, churn, kept[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    plk_malloc_trace_stop();
    assert_int_equal(take_census(777).count, THREADS * KEPT);
    assert_int_equal(plk_malloc_trace_dropped(), 0);
    for (i = 0; i < THREADS; i++) {
        for (j = 0; j < KEPT; j++) {
            free(kept[i][j]);
        }
    }
    plk_malloc_trace_reset();
}

static void
test_malloc_trace__tables_grow(void **state)
{
    enum { N = 200000 };
    void **blocks;
    census c;
    int i;

    NEED_TRACER();
    blocks = malloc(N * sizeof(void *));
    assert_non_null(blocks);
    assert_int_equal(plk_malloc_trace_start(), 0);
    for (i = 0; i < N; i++) {
        blocks[i] = malloc(33);
    }
    for (i = 0; i < N; i += 2) {
        free(blocks[i]);
    }
    plk_malloc_trace_stop();
    c = take_census(33);
    assert_int_equal(c.count, N / 2);
    assert_int_equal(c.bytes, (size_t)33 * (N / 2));
    for (i = 1; i < N; i += 2) {
        free(blocks[i]);
    }
    free(blocks);
    plk_malloc_trace_reset();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malloc_trace__off_records_nothing),
        cmocka_unit_test(test_malloc_trace__live_block_has_its_python_line),
        cmocka_unit_test(test_malloc_trace__realloc_moves_the_record),
        cmocka_unit_test(test_malloc_trace__threads),
        cmocka_unit_test(test_malloc_trace__tables_grow),
    };

    return cmocka_run_group_tests(tests, setup_python, teardown_python);
}
