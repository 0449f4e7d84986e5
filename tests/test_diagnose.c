/* Unit tests for diagnose.c: the one-line message, and the diagnosis of
 * real leaking Python functions run through the real harness: kind,
 * location, JSON that parses, trouble recorded, Ctrl-C passed on. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/contract.h"
#include "engine/interp.h"
#include "engine/diagnose.h"
#include "engine/malloc_trace.h"
#include "base/util.h"

/* -- the message ---------------------------------------------------------- */

static void
set_leak(plk_test_result *t, plk_metric m, double per_call)
{
    t->metrics[m].measured = 1;
    t->metrics[m].gating = 1;
    t->metrics[m].fit.verdict = PLK_VERDICT_LEAK;
    t->metrics[m].per_call = per_call;
}

static void
test_diagnose__summary(void **state)
{
    static const struct {
        int objects, blocks, heap, fds, threads, refs;
        double per_call, bytes;
        const char *kind, *file;
        long line;
        const char *want;
    } cases[] = {
        {1, 1, 0, 0, 0, 0, 1.0, 72, "python-held", "tests/test_cache.py", 9,
         "leaks 1 object/call (+72 B/call) at tests/test_cache.py:9"},
        {1, 0, 0, 0, 0, 0, 0.333, 40, NULL, NULL, 0,
         "leaks 0.33 objects/call (+40 B/call)"},
        {0, 1, 0, 0, 0, 0, 2.0, 0, NULL, "a.py", 0,
         "leaks 2 blocks/call at a.py"},
        {0, 0, 1, 0, 0, 0, 4096, 4096, "native-alloc", "t.py", 3,
         "leaks 4.0 KiB/call of native memory at t.py:3"},
        {0, 0, 1, 0, 0, 0, 300, 0, "python-held", "t.py", 3,
         "leaks 300 B/call at t.py:3"},
        {0, 0, 0, 1, 0, 0, 1.0, 0, "fd", "t.py", 7,
         "leaks 1 descriptor/call at t.py:7"},
        {1, 1, 0, 0, 1, 0, 1.0, 2048, "thread", "t.py", 8,
         "leaks 1 thread/call, 1 object/call (+2.0 KiB/call) at t.py:8"},
        {0, 0, 0, 0, 0, 1, 1.0, 0, "native-ref", "t.py", 2,
         "leaks 1 reference/call at t.py:2"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        plk_test_result t;
        char *msg;

        memset(&t, 0, sizeof(t));
        if (cases[i].objects) {
            set_leak(&t, PLK_METRIC_OBJECTS, cases[i].per_call);
        }
        if (cases[i].blocks) {
            set_leak(&t, PLK_METRIC_BLOCKS, cases[i].per_call);
        }
        if (cases[i].heap) {
            set_leak(&t, PLK_METRIC_HEAP, cases[i].per_call);
        }
        if (cases[i].fds) {
            set_leak(&t, PLK_METRIC_FDS, cases[i].per_call);
        }
        if (cases[i].threads) {
            set_leak(&t, PLK_METRIC_THREADS, cases[i].per_call);
        }
        if (cases[i].refs) {
            set_leak(&t, PLK_METRIC_REFS, cases[i].per_call);
        }
        t.kind = (char *)cases[i].kind;
        t.loc_file = (char *)cases[i].file;
        t.loc_line = cases[i].line;
        msg = plk_diagnose_summary(&t, cases[i].bytes);
        assert_string_equal(msg, cases[i].want);
        free(msg);
    }
}

/* -- diagnosing real functions ------------------------------------------- */

typedef struct fixture {
    plk_contract *C;
    PyObject *harness; /* for its call wrapper */
    PyObject *mod;     /* the test module below */
    char dir[64];
} fixture;

static const char module_text[] =
    "import ctypes, gc\n"                         /* 1 */
    "_HELD = []\n"                                /* 2 */
    "def leak_list():\n"                          /* 3 */
    "    _HELD.append([len(_HELD)])\n"            /* 4 */
    "_incref = ctypes.pythonapi['Py_IncRef']\n"   /* 5 */
    "_incref.argtypes = [ctypes.py_object]\n"     /* 6 */
    "_incref.restype = None\n"                    /* 7 */
    "def leak_ref():\n"                           /* 8 */
    "    _incref([1, 2])\n"                       /* 9 */
    "_libc = ctypes.CDLL(None)\n"                 /* 10 */
    "_malloc = _libc['malloc']\n"                 /* 11 */
    "_malloc.argtypes = [ctypes.c_size_t]\n"      /* 12 */
    "_malloc.restype = ctypes.c_void_p\n"         /* 13 */
    "def leak_malloc():\n"                        /* 14 */
    "    _malloc(3000)\n"                         /* 15 */
    "def raises():\n"                             /* 16 */
    "    raise RuntimeError('harness trouble')\n" /* 17 */
    "def interrupt():\n"                          /* 18 */
    "    raise KeyboardInterrupt\n";              /* 19 */

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    plk_error err = {0};
    char path[128];
    FILE *fp;

    if (f == NULL) {
        return -1;
    }
    *state = f;
    /* The module lives under the working directory: the user's
     * project, as far as the diagnosis can tell. */
    snprintf(f->dir, sizeof(f->dir), "diagtest.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/diag_mod.py", f->dir);
    fp = fopen(path, "w");
    if (fp == NULL) {
        return -1;
    }
    fputs(module_text, fp);
    fclose(fp);
    Py_InitializeEx(0);
    plk_interp_init(NULL);
    if (plk_contract_load(&f->C, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        plk_error_clear(&err);
        return -1;
    }
    f->harness = PyImport_ImportModule("_pyleak_harness");
    {
        char *cmd =
            plk_asprintf("import sys; sys.path.insert(0, '%s')", f->dir);

        PyRun_SimpleString(cmd);
        free(cmd);
    }
    f->mod = PyImport_ImportModule("diag_mod");
    if (f->harness == NULL || f->mod == NULL) {
        PyErr_Print();
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;
    char *cmd;

    Py_XDECREF(f->harness);
    Py_XDECREF(f->mod);
    plk_contract_free(f->C);
    plk_interp_fini();
    Py_FinalizeEx();
    cmd = plk_asprintf("rm -rf '%s'", f->dir);
    if (cmd != NULL && system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", f->dir);
    }
    free(cmd);
    free(f);
    return 0;
}

/* Run fn of the test module k times per round through the harness's
 * wrapper, as the engine does, freeze, and diagnose with t as judged. */
static int
diagnose(fixture *f, const char *fn, int wrap, plk_test_result *t,
         const plk_config *cfg)
{
    PyObject *body, *call, *gc, *r;
    unsigned i, k = 20;
    int rc;

    body = PyObject_GetAttrString(f->mod, fn);
    assert_non_null(body);
    call = wrap ? PyObject_CallMethod(f->harness, "_guarded_call", "O", body)
                : (Py_INCREF(body), body);
    assert_non_null(call);
    for (i = 0; wrap && i < 3 * k; i++) {
        r = PyObject_CallNoArgs(call);
        assert_non_null(r);
        Py_DECREF(r);
    }
    gc = PyImport_ImportModule("gc");
    assert_int_equal(plk_contract_collect(f->C), 0);
    r = PyObject_CallMethod(gc, "freeze", NULL);
    Py_XDECREF(r);
    t->file = plk_strdup("diag_mod.py");
    t->line = 1;
    rc = plk_diagnose(f->C, call, k, t, cfg);
    assert_false(PyErr_Occurred());
    /* The collector is left frozen, as it was found. */
    r = PyObject_CallMethod(gc, "get_freeze_count", NULL);
    assert_non_null(r);
    assert_true(PyLong_AsLong(r) > 0);
    Py_DECREF(r);
    r = PyObject_CallMethod(gc, "unfreeze", NULL);
    Py_XDECREF(r);
    Py_DECREF(gc);
    Py_DECREF(call);
    Py_DECREF(body);
    return rc;
}

/* The value of key in the diagnosis JSON, as Python's json reads it. */
static PyObject *
json_get(const plk_test_result *t, const char *key)
{
    PyObject *json = PyImport_ImportModule("json");
    PyObject *doc, *v;

    assert_non_null(json);
    assert_non_null(t->diagnosis);
    doc = PyObject_CallMethod(json, "loads", "s", t->diagnosis);
    if (doc == NULL) {
        PyErr_Print();
    }
    assert_non_null(doc);
    assert_true(PyDict_Check(doc));
    v = PyDict_GetItemString(doc, key);
    Py_XINCREF(v);
    Py_DECREF(doc);
    Py_DECREF(json);
    return v;
}

static void
expect_ends(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);

    if (n < m || strcmp(s + n - m, tail) != 0) {
        fail_msg("'%s' does not end with '%s'", s, tail);
    }
}

static void
test_diagnose__python_held(void **state)
{
    fixture *f = *state;
    plk_test_result t;
    plk_config cfg;
    PyObject *v;

    memset(&t, 0, sizeof(t));
    plk_config_init(&cfg);
    set_leak(&t, PLK_METRIC_OBJECTS, 1.0);
    set_leak(&t, PLK_METRIC_BLOCKS, 3.0);
    t.details = plk_strdup("fit report\n");
    assert_int_equal(diagnose(f, "leak_list", 1, &t, &cfg), 0);
    assert_string_equal(t.kind, "python-held");
    expect_ends(t.loc_file, "/diag_mod.py");
    assert_int_equal(t.loc_line, 4);
    assert_non_null(strstr(t.top_site, "diag_mod.py:4: "
                                       "_HELD.append([len(_HELD)])"));
    assert_non_null(strstr(t.message, "leaks 1 object/call (+"));
    expect_ends(t.message, "/diag_mod.py:4");
    assert_true(strncmp(t.details, "fit report\n", 11) == 0);
    assert_non_null(strstr(t.details, "diagnosis ("));
    assert_non_null(strstr(t.details, ": _HELD (list) -> item ["));
    assert_true(t.diagnose_time > 0);
    /* The JSON parses and carries what the text says. */
    v = json_get(&t, "kind");
    assert_true(PyList_Check(v) && PyList_GET_SIZE(v) == 1);
    assert_string_equal(PyUnicode_AsUTF8(PyList_GET_ITEM(v, 0)),
                        "python-held");
    Py_DECREF(v);
    v = json_get(&t, "sites");
    assert_true(PyList_Check(v) && PyList_GET_SIZE(v) >= 1);
    Py_DECREF(v);
    v = json_get(&t, "holders");
    assert_true(PyList_Check(v) && PyList_GET_SIZE(v) >= 1);
    Py_DECREF(v);
    v = json_get(&t, "location");
    assert_true(PyDict_Check(v));
    assert_int_equal(PyLong_AsLong(PyDict_GetItemString(v, "line")), 4);
    Py_DECREF(v);
    plk_test_result_free(&t);
    plk_config_free(&cfg);
}

static void
test_diagnose__native_ref(void **state)
{
    fixture *f = *state;
    plk_test_result t;
    plk_config cfg;

    memset(&t, 0, sizeof(t));
    plk_config_init(&cfg);
    set_leak(&t, PLK_METRIC_OBJECTS, 1.0);
    assert_int_equal(diagnose(f, "leak_ref", 1, &t, &cfg), 0);
    assert_string_equal(t.kind, "native-ref");
    assert_int_equal(t.loc_line, 9);
    assert_non_null(strstr(t.details, "(no Python object refers to it) "
                                      "list"));
    plk_test_result_free(&t);
    plk_config_free(&cfg);
}

static void
test_diagnose__native_alloc(void **state)
{
    fixture *f = *state;
    plk_test_result t;
    plk_config cfg;

    if (!plk_malloc_trace_available()) {
        skip(); /* sanitizer build: no malloc tracer */
    }
    memset(&t, 0, sizeof(t));
    plk_config_init(&cfg);
    set_leak(&t, PLK_METRIC_HEAP, 3000.0);
    assert_int_equal(diagnose(f, "leak_malloc", 1, &t, &cfg), 0);
    assert_string_equal(t.kind, "native-alloc");
    assert_int_equal(t.loc_line, 15);
    assert_non_null(strstr(t.message, "of native memory at "));
    assert_non_null(strstr(t.details, "(malloc tracer)"));
    plk_test_result_free(&t);
    plk_config_free(&cfg);
}

static void
test_diagnose__trouble_is_recorded(void **state)
{
    fixture *f = *state;
    plk_test_result t;
    plk_config cfg;

    memset(&t, 0, sizeof(t));
    plk_config_init(&cfg);
    set_leak(&t, PLK_METRIC_OBJECTS, 1.0);
    /* Unwrapped: the exception escapes the test call itself. */
    assert_int_equal(diagnose(f, "raises", 0, &t, &cfg), 0);
    assert_non_null(strstr(t.details, "RuntimeError: harness trouble"));
    assert_non_null(t.diagnosis); /* partial, but there */
    plk_test_result_free(&t);

    memset(&t, 0, sizeof(t));
    set_leak(&t, PLK_METRIC_OBJECTS, 1.0);
    assert_int_equal(diagnose(f, "interrupt", 0, &t, &cfg), PLK_EINTR);
    assert_non_null(strstr(t.details, "diagnosis interrupted"));
    plk_test_result_free(&t);
    plk_config_free(&cfg);
}

static void
test_diagnose__off(void **state)
{
    fixture *f = *state;
    plk_test_result t;
    plk_config cfg;

    memset(&t, 0, sizeof(t));
    plk_config_init(&cfg);
    cfg.diagnose = 0;
    set_leak(&t, PLK_METRIC_OBJECTS, 1.0);
    assert_int_equal(diagnose(f, "leak_list", 1, &t, &cfg), 0);
    assert_null(t.kind);
    assert_null(t.diagnosis);
    assert_null(t.message);
    plk_test_result_free(&t);
    plk_config_free(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diagnose__summary),
        cmocka_unit_test(test_diagnose__python_held),
        cmocka_unit_test(test_diagnose__native_ref),
        cmocka_unit_test(test_diagnose__native_alloc),
        cmocka_unit_test(test_diagnose__trouble_is_recorded),
        cmocka_unit_test(test_diagnose__off),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
