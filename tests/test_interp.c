/* Unit tests for the interpreter layer (interp.c and this build's row):
 * its counters move when objects are made and kept, not when they are
 * read, frozen or interned and dropped; and frames read from C name the
 * running Python line. Run against every CPython CI builds with. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/interp.h"
#include "base/metric.h"

static int
setup_python(void **state)
{
    (void)state;
    Py_InitializeEx(0);
    return plk_interp_init(NULL) == 0 ? 0 : -1;
}

static int
teardown_python(void **state)
{
    (void)state;
    plk_interp_fini();
    return Py_FinalizeEx() < 0 ? -1 : 0;
}

static void
run(const char *code)
{
    int rc = PyRun_SimpleString(code);

    assert_int_equal(rc, 0);
}

/* Three collections, as between rounds. */
static void
settle(void)
{
    run("import gc; gc.collect(); gc.collect(); gc.collect()");
}

static void
test_interp__row_matches_the_version(void **state)
{
    char mm[16];

    (void)state;
    snprintf(mm, sizeof(mm), "%d.%d", PY_MAJOR_VERSION, PY_MINOR_VERSION);
    if (strcmp(plk__interp_row.family, "newer") == 0) {
        /* The public-API row: no frames, and it says why. */
        assert_null(plk__interp_row.frames);
        assert_non_null(plk_interp_lacks());
        return;
    }
    /* "3.9-3.10" names both its versions. */
    assert_non_null(strstr(plk__interp_row.family, mm));
    assert_null(plk_interp_lacks());
    assert_null(plk_interp_no_frames());
}

static void
test_interp__metrics(void **state)
{
    unsigned m = plk_interp_metrics();

    (void)state;
    assert_true(m & (1u << PLK_METRIC_BLOCKS));
    assert_true(m & (1u << PLK_METRIC_OBJECTS));
#ifdef Py_REF_DEBUG
    assert_true(m & (1u << PLK_METRIC_REFS));
#else
    assert_false(m & (1u << PLK_METRIC_REFS));
    assert_int_equal(plk_interp_refs(), -1);
#endif
}

static void
test_interp__reading_moves_nothing(void **state)
{
    long long b1, b2, o1, o2, r1, r2;

    (void)state;
    settle();
    o1 = plk_interp_objects();
    r1 = plk_interp_refs();
    b1 = plk_interp_blocks();
    o2 = plk_interp_objects();
    r2 = plk_interp_refs();
    b2 = plk_interp_blocks();
    assert_true(o1 > 0 && b1 > 0);
    assert_int_equal(o1, o2);
    assert_int_equal(r1, r2);
    assert_int_equal(b1, b2);
}

static void
test_interp__kept_objects_are_counted(void **state)
{
    long long b0, o0, b1, o1;

    (void)state;
    run("_kept = []");
    settle();
    o0 = plk_interp_objects();
    b0 = plk_interp_blocks();
    run("_kept.extend([i] for i in range(1000))");
    settle();
    o1 = plk_interp_objects();
    b1 = plk_interp_blocks();
    /* A thousand lists, each at least its object and item array. */
    assert_int_equal(o1 - o0, 1000);
    assert_true(b1 - b0 >= 2000);
    run("del _kept");
    settle();
    assert_int_equal(plk_interp_objects(), o0 - 1);
}

static void
test_interp__freezing_moves_nothing(void **state)
{
    long long o0, o1, o2;

    (void)state;
    settle();
    o0 = plk_interp_objects();
    run("import gc; gc.freeze()");
    o1 = plk_interp_objects();
    run("import gc; gc.unfreeze()");
    o2 = plk_interp_objects();
    assert_int_equal(o0, o1);
    assert_int_equal(o0, o2);
}

static void
test_interp__fresh_interned_strings_dropped_leave_nothing(void **state)
{
    long long b0, b1;

    (void)state;
    /* Warm: the names and code of the statement itself. */
    run("import sys\n"
        "def _intern_fresh(n, base=[0]):\n"
        "    for i in range(n):\n"
        "        sys.intern('plk-fresh-%d' % (base[0] + i))\n"
        "    base[0] += n\n"
        "_intern_fresh(10)");
    settle();
    b0 = plk_interp_blocks();
    run("_intern_fresh(200)");
    settle();
    b1 = plk_interp_blocks();
    /* Mortal interned strings die, immortal ones (3.12) are subtracted:
     * nothing is left either way. */
    assert_int_equal(b1, b0);
}

/* A function Python code calls, to read its frames from C. */
static plk_interp_frame seen[8];
static int seen_depth;

static PyObject *
read_frames(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    seen_depth = plk_interp_frames(seen, 8);
    Py_RETURN_NONE;
}

static PyMethodDef probe_methods[] = {
    {"read_frames", read_frames, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};

static struct PyModuleDef probe_def = {PyModuleDef_HEAD_INIT, "_plk_probe",
                                       NULL, -1, probe_methods};

static void
test_interp__frames_name_the_python_lines(void **state)
{
    PyObject *mod, *code, *globals, *r;

    (void)state;
    if (plk_interp_no_frames() != NULL) {
        assert_int_equal(plk_interp_frames(seen, 8), -1);
        return;
    }
    mod = PyModule_Create(&probe_def);
    assert_non_null(mod);
    assert_int_equal(
        PyDict_SetItemString(PyImport_GetModuleDict(), "_plk_probe", mod), 0);
    Py_DECREF(mod);
    code = Py_CompileString("import _plk_probe\n"
                            "def inner():\n"
                            "    _plk_probe.read_frames()\n"
                            "def outer():\n"
                            "    inner()\n"
                            "outer()\n",
                            "probe_file.py", Py_file_input);
    assert_non_null(code);
    globals = PyDict_New();
    PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
    r = PyEval_EvalCode(code, globals, globals);
    if (r == NULL) {
        PyErr_Print();
    }
    assert_non_null(r);
    Py_DECREF(r);
    Py_DECREF(code);
    Py_DECREF(globals);
    assert_int_equal(seen_depth, 3);
    assert_string_equal(seen[0].file, "probe_file.py");
    assert_int_equal(seen[0].line, 3);
    assert_int_equal(seen[1].line, 5);
    assert_int_equal(seen[2].line, 6);
    /* Outside Python code there is no frame to read. */
    assert_int_equal(plk_interp_frames(seen, 8), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interp__row_matches_the_version),
        cmocka_unit_test(test_interp__metrics),
        cmocka_unit_test(test_interp__reading_moves_nothing),
        cmocka_unit_test(test_interp__kept_objects_are_counted),
        cmocka_unit_test(test_interp__freezing_moves_nothing),
        cmocka_unit_test(
            test_interp__fresh_interned_strings_dropped_leave_nothing),
        cmocka_unit_test(test_interp__frames_name_the_python_lines),
    };

    return cmocka_run_group_tests(tests, setup_python, teardown_python);
}
