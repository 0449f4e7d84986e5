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
#include <sys/stat.h>
#include <sys/wait.h>
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
test_sample__children_counted(void **state)
{
    plk_sample a, b, c, d;
    int pids[4] = {0};
    pid_t pid;
    int fds[2];
    char byte = 0;

    plk_sample_take(&a);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Wait for the parent's word, then exit. */
        close(fds[1]);
        (void)!read(fds[0], &byte, 1);
        _exit(0);
    }
    close(fds[0]);
    plk_sample_take(&b);
    assert_int_equal(plk_sample_children(pids, 4), 1);
    assert_int_equal(pids[0], pid);
    /* Exited and not waited for: still a child. */
    close(fds[1]);
    for (int i = 0; i < 200; i++) {
        siginfo_t info = {0};

        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == 0) {
            break;
        }
    }
    plk_sample_take(&c);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    plk_sample_take(&d);
    assert_int_equal(b.v[PLK_METRIC_PROCS] - a.v[PLK_METRIC_PROCS], 1);
    assert_int_equal(c.v[PLK_METRIC_PROCS] - a.v[PLK_METRIC_PROCS], 1);
    assert_int_equal(d.v[PLK_METRIC_PROCS], a.v[PLK_METRIC_PROCS]);
}

static void
test_sample__tmp_tree(void **state)
{
    char root[] = "/tmp/plk-sample-tree.XXXXXX";
    char path[256];
    long long entries = -1, bytes = -1;
    plk_sample a, b;
    FILE *f;

    assert_non_null(mkdtemp(root));
    assert_int_equal(plk_sample_tree(root, &entries, &bytes), 0);
    assert_int_equal(entries, 0);
    assert_int_equal(bytes, 0);
    assert_false(plk_sample_available() & (1u << PLK_METRIC_TMPFILES));
    plk_sample_set_tmpdir(root);
    assert_true(plk_sample_available() & (1u << PLK_METRIC_TMPFILES));
    assert_true(plk_sample_available() & (1u << PLK_METRIC_TMPBYTES));
    plk_sample_take(&a);
    snprintf(path, sizeof(path), "%s/sub", root);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/sub/f", root);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("12345", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/link", root);
    assert_int_equal(symlink("/usr", path), 0);
    plk_sample_take(&b);
    /* The folder, its file and the link (not followed). */
    assert_int_equal(b.v[PLK_METRIC_TMPFILES] - a.v[PLK_METRIC_TMPFILES], 3);
    assert_int_equal(b.v[PLK_METRIC_TMPBYTES] - a.v[PLK_METRIC_TMPBYTES], 5);
    plk_sample_set_tmpdir(NULL);
    assert_false(plk_sample_available() & (1u << PLK_METRIC_TMPFILES));
    assert_int_equal(plk_sample_tree("/nonexistent/plk", &entries, &bytes),
                     -1);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sub/f", root);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sub", root);
    rmdir(path);
    rmdir(root);
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
        cmocka_unit_test(test_sample__children_counted),
        cmocka_unit_test(test_sample__tmp_tree),
        cmocka_unit_test(test_sample__heap_sees_malloc),
        cmocka_unit_test(test_sample__python_objects_counted),
        cmocka_unit_test(test_sample__count_dir),
    };

    return cmocka_run_group_tests(tests, setup_python, teardown_python);
}
