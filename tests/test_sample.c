/* Unit tests for sample.c: every metric moves when it should, and
 * sampling itself moves none of them. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/interp.h"
#include "engine/sample.h"

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
    plk_interp_fini();
    return Py_FinalizeEx() < 0 ? -1 : 0;
}

static void
test_sample__available(void **state)
{
    unsigned m = plk_sample_available();

    assert_true(m & (1u << PLK_METRIC_BLOCKS));
    assert_true(m & (1u << PLK_METRIC_FDS));
    assert_true(m & (1u << PLK_METRIC_THREADS));
    assert_true(m & (1u << PLK_METRIC_RSS));
#ifdef Py_REF_DEBUG
    assert_true(m & (1u << PLK_METRIC_REFS));
#else
    assert_false(m & (1u << PLK_METRIC_REFS));
#endif
}

static void
test_sample__sampling_moves_nothing(void **state)
{
    plk_sample a, b, c;
    int m;

    plk_sample_take(&a);
    plk_sample_take(&b);
    plk_sample_take(&c);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        if (m == PLK_METRIC_RSS) {
            continue; /* pages can be faulted in by anything */
        }
        assert_int_equal(a.v[m], b.v[m]);
        assert_int_equal(b.v[m], c.v[m]);
    }
    assert_true(a.v[PLK_METRIC_BLOCKS] > 0);
    if (plk_sample_available() & (1u << PLK_METRIC_HEAP)) {
        assert_true(a.v[PLK_METRIC_HEAP] > 0);
    }
    assert_true(a.v[PLK_METRIC_RSS] > 0);
    assert_true(a.v[PLK_METRIC_FDS] >= 3);
    assert_true(a.v[PLK_METRIC_THREADS] >= 1);
}

static void
test_sample__fds_counted(void **state)
{
    plk_sample a, b, c;
    int fd1, fd2;

    plk_sample_take(&a);
    fd1 = open("/dev/null", O_RDONLY);
    fd2 = open("/dev/null", O_RDONLY);
    assert_true(fd1 >= 0 && fd2 >= 0);
    plk_sample_take(&b);
    close(fd1);
    close(fd2);
    plk_sample_take(&c);
    assert_int_equal(b.v[PLK_METRIC_FDS] - a.v[PLK_METRIC_FDS], 2);
    assert_int_equal(c.v[PLK_METRIC_FDS], a.v[PLK_METRIC_FDS]);
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *
parked(void *arg)
{
    pthread_mutex_lock(&gate);
    pthread_mutex_unlock(&gate);
    return arg;
}

static void
test_sample__threads_counted(void **state)
{
    plk_sample a, b, c;
    pthread_t th;

    plk_sample_take(&a);
    pthread_mutex_lock(&gate);
    assert_int_equal(pthread_create(&th, NULL, parked, NULL), 0);
    plk_sample_take(&b);
    pthread_mutex_unlock(&gate);
    pthread_join(th, NULL);
    plk_sample_take(&c);
    assert_int_equal(b.v[PLK_METRIC_THREADS] - a.v[PLK_METRIC_THREADS], 1);
    assert_int_equal(c.v[PLK_METRIC_THREADS], a.v[PLK_METRIC_THREADS]);
}

static void
test_sample__heap_sees_malloc(void **state)
{
    plk_sample a, b, c;
    size_t size = 4u << 20;
    char *volatile p;

    if (!(plk_sample_available() & (1u << PLK_METRIC_HEAP))) {
        skip(); /* sanitizer build: malloc is not glibc's */
    }
    plk_sample_take(&a);
    p = malloc(size);
    assert_non_null(p);
    memset(p, 1, size);
    plk_sample_take(&b);
    free(p);
    plk_sample_take(&c);
    assert_true(b.v[PLK_METRIC_HEAP] - a.v[PLK_METRIC_HEAP] >= (int64_t)size);
    assert_int_equal(c.v[PLK_METRIC_HEAP], a.v[PLK_METRIC_HEAP]);
}

static void
test_sample__python_objects_counted(void **state)
{
    plk_sample a, b, c;
    PyObject *sets[5]; /* sets: no freelist to hide them */
    int i;

    plk_sample_take(&a);
    for (i = 0; i < 5; i++) {
        sets[i] = PySet_New(NULL);
        assert_non_null(sets[i]);
    }
    plk_sample_take(&b);
    for (i = 0; i < 5; i++) {
        Py_DECREF(sets[i]);
    }
    plk_sample_take(&c);
    assert_int_equal(b.v[PLK_METRIC_BLOCKS] - a.v[PLK_METRIC_BLOCKS], 5);
    assert_int_equal(c.v[PLK_METRIC_BLOCKS], a.v[PLK_METRIC_BLOCKS]);
    if (plk_sample_available() & (1u << PLK_METRIC_OBJECTS)) {
        assert_int_equal(b.v[PLK_METRIC_OBJECTS] - a.v[PLK_METRIC_OBJECTS], 5);
        assert_int_equal(c.v[PLK_METRIC_OBJECTS], a.v[PLK_METRIC_OBJECTS]);
    }
#ifdef Py_REF_DEBUG
    assert_int_equal(b.v[PLK_METRIC_REFS] - a.v[PLK_METRIC_REFS], 5);
    assert_int_equal(c.v[PLK_METRIC_REFS], a.v[PLK_METRIC_REFS]);
#endif
}

static void
test_sample__count_dir(void **state)
{
    char tmpl[] = "/tmp/plk-sample-XXXXXX";
    char path[64];
    int i;

    assert_non_null(mkdtemp(tmpl));
    assert_int_equal(plk_sample_count_dir(tmpl), 0);
    for (i = 0; i < 3; i++) {
        int fd;

        snprintf(path, sizeof(path), "%s/f%d", tmpl, i);
        fd = open(path, O_CREAT | O_WRONLY, 0600);
        assert_true(fd >= 0);
        close(fd);
    }
    assert_int_equal(plk_sample_count_dir(tmpl), 3);
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/f%d", tmpl, i);
        unlink(path);
    }
    rmdir(tmpl);
    assert_int_equal(plk_sample_count_dir(tmpl), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample__available),
        cmocka_unit_test(test_sample__sampling_moves_nothing),
        cmocka_unit_test(test_sample__fds_counted),
        cmocka_unit_test(test_sample__threads_counted),
        cmocka_unit_test(test_sample__heap_sees_malloc),
        cmocka_unit_test(test_sample__python_objects_counted),
        cmocka_unit_test(test_sample__count_dir),
    };

    return cmocka_run_group_tests(tests, setup_python, teardown_python);
}
