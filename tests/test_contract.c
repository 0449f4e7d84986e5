/* Unit tests for contract.c: the names it looks up are the embedded
 * modules' __all__, and what the harness answers arrives in C types:
 * outcomes of calls, collected items, fixtures, output, exceptions, a
 * diagnosis. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "engine/contract.h"
#include "engine/interp.h"
#include "base/util.h"

typedef struct fixture {
    plk_contract *C;
    PyObject *ns; /* the callables of calls_text */
    char dir[64];
    char *cases; /* cases_text's file */
} fixture;

/* Call wrappers as the harness makes them: None or a result tuple. */
static const char calls_text[] =
    "def passes(): return None\n"
    "def fails(): return ('failed', 'AssertionError', 'AssertionError: no',"
    " 'Traceback ...')\n"
    "def skips(): return ('skipped', 'unittest.case.SkipTest', 'later', '')\n"
    "def errs(): return ('error', 'ValueError', 'ValueError: v', 'tb')\n"
    "def odd(): return ('unheard-of', 'X', 'm', 'd')\n"
    "def short(): return ('failed', 'X')\n"
    "def number(): return 42\n"
    "n = [0]\n"
    "def third():\n"
    "    n[0] += 1\n"
    "    return None if n[0] < 3 else ('failed', 'E', 'third', '')\n"
    "def boom(): raise ValueError('boom')\n"
    "def stop(): raise KeyboardInterrupt\n";

static const char cases_text[] =
    "import unittest\n"                                  /* 1 */
    "import pyleak_ci\n"                                 /* 2 */
    "\n"                                                 /* 3 */
    "class TestGood(unittest.TestCase):\n"               /* 4 */
    "    @classmethod\n"                                 /* 5 */
    "    def setUpClass(cls):\n"                         /* 6 */
    "        pass\n"                                     /* 7 */
    "    def test_a(self):\n"                            /* 8 */
    "        print('out of a')\n"                        /* 9 */
    "    @unittest.skip('not today')\n"                  /* 10 */
    "    def test_b(self):\n"                            /* 11 */
    "        pass\n"                                     /* 12 */
    "    @pyleak_ci.rounds(7)\n"                         /* 13 */
    "    def test_c(self):\n"                            /* 14 */
    "        self.fail('c is wrong')\n"                  /* 15 */
    "\n"                                                 /* 16 */
    "class TestBroken(unittest.TestCase):\n"             /* 17 */
    "    @classmethod\n"                                 /* 18 */
    "    def setUpClass(cls):\n"                         /* 19 */
    "        raise RuntimeError('class set-up broke')\n" /* 20 */
    "    def test_d(self):\n"                            /* 21 */
    "        pass\n";                                    /* 22 */

static char *
dir_file(const fixture *f, const char *name, const char *text)
{
    char *path = plk_asprintf("%s/%s", f->dir, name);

    assert_non_null(path);
    write_file(path, text);
    return path;
}

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    plk_error err = {0};
    PyObject *r;

    if (f == NULL) {
        return -1;
    }
    *state = f;
    /* Outside the repository, whose pyproject.toml would send the files
     * to pytest. */
    snprintf(f->dir, sizeof(f->dir), "/tmp/plk-contract.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    Py_InitializeEx(0);
    plk_interp_init(NULL);
    if (plk_contract_load(&f->C, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        plk_error_clear(&err);
        return -1;
    }
    f->ns = PyDict_New();
    if (f->ns == NULL || PyDict_SetItemString(f->ns, "__builtins__",
                                              PyEval_GetBuiltins()) != 0) {
        return -1;
    }
    r = PyRun_String(calls_text, Py_file_input, f->ns, f->ns);
    if (r == NULL) {
        PyErr_Print();
        return -1;
    }
    Py_DECREF(r);
    f->cases = dir_file(f, "contract_cases.py", cases_text);
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;
    char *cmd;

    Py_XDECREF(f->ns);
    plk_contract_free(f->C);
    plk_interp_fini();
    Py_FinalizeEx();
    cmd = plk_asprintf("rm -rf '%s'", f->dir);
    if (cmd != NULL && system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", f->dir);
    }
    free(cmd);
    free(f->cases);
    free(f);
    return 0;
}

static PyObject *
callable(const fixture *f, const char *name)
{
    PyObject *fn = PyDict_GetItemString(f->ns, name); /* borrowed */

    assert_non_null(fn);
    return fn;
}

/* -- the names ------------------------------------------------------------ */

/* Is name among the entries the contract looks up in module? */
static int
looked_up(const char *module, const char *name)
{
    const char *mod, *entry;
    size_t i;

    for (i = 0; (entry = plk__contract_entry(i, &mod)) != NULL; i++) {
        if (strcmp(mod, module) == 0 && strcmp(entry, name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* module.__all__ names exactly the entries the contract looks up in it. */
static void
expect_all_is_entries(const char *module)
{
    PyObject *name = PyUnicode_FromString(module), *mod, *all;
    const char *mod_of, *entry;
    size_t i, entries = 0;
    Py_ssize_t j;

    mod = PyImport_GetModule(name);
    Py_DECREF(name);
    if (mod == NULL) {
        fail_msg("%s is not loaded", module);
    }
    all = PyObject_GetAttrString(mod, "__all__");
    assert_non_null(all);
    assert_true(PyList_Check(all));
    for (i = 0; (entry = plk__contract_entry(i, &mod_of)) != NULL; i++) {
        entries += strcmp(mod_of, module) == 0;
    }
    for (j = 0; j < PyList_GET_SIZE(all); j++) {
        const char *s = PyUnicode_AsUTF8(PyList_GET_ITEM(all, j));

        assert_non_null(s);
        if (!looked_up(module, s)) {
            fail_msg("%s.__all__ has %s, which the C side never calls", module,
                     s);
        }
    }
    if ((size_t)PyList_GET_SIZE(all) != entries) {
        fail_msg("%s.__all__ has %zd names; the C side calls %zu of its "
                 "functions",
                 module, PyList_GET_SIZE(all), entries);
    }
    Py_DECREF(all);
    Py_DECREF(mod);
}

static void
test_contract__all_is_what_c_calls(void **state)
{
    fixture *f = *state;
    plk_diagnosis_ask ask = {0};
    plk_diagnosis d = {0};
    plk_test_result t;
    const char *mod, *entry;
    size_t i;
    int harness = 0, diagnose = 0;

    /* The diagnosis module is loaded by its first use. */
    memset(&t, 0, sizeof(t));
    ask.call = callable(f, "passes");
    ask.k = 1;
    ask.t = &t;
    ask.depth = 5;
    ask.budget = 0.001;
    ask.tracer = Py_None;
    assert_int_equal(plk_contract_diagnose(f->C, &ask, &d), 0);
    assert_non_null(d.json);
    assert_non_null(d.text);
    plk_diagnosis_clear(&d);
    for (i = 0; (entry = plk__contract_entry(i, &mod)) != NULL; i++) {
        harness += strcmp(mod, "_pyleak_harness") == 0;
        diagnose += strcmp(mod, "_pyleak_diagnose") == 0;
    }
    assert_true(harness > 0);
    assert_true(diagnose > 0);
    expect_all_is_entries("_pyleak_harness");
    expect_all_is_entries("_pyleak_diagnose");
}

/* -- calls ---------------------------------------------------------------- */

static void
test_contract__call_outcomes(void **state)
{
    static const struct {
        const char *fn;
        int st;
        plk_call_outcome outcome;
        const char *exc_type, *message, *details;
        /* clang-format off */
    } cases[] = {
        {"passes", 0, PLK_CALL_PASSED, NULL, NULL, NULL},
        {"fails", 1, PLK_CALL_FAILED, "AssertionError",
         "AssertionError: no", "Traceback ..."},
        {"skips", 1, PLK_CALL_SKIPPED, "unittest.case.SkipTest", "later",
         ""},
        {"errs", 1, PLK_CALL_ERROR, "ValueError", "ValueError: v", "tb"},
        {"odd", 1, PLK_CALL_ERROR, "X", "m", "d"},
        {"short", 1, PLK_CALL_ERROR, NULL,
         "harness returned a malformed result", NULL},
        {"number", 1, PLK_CALL_ERROR, NULL,
         "harness returned a malformed result", NULL},
    };
    /* clang-format on */
    fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        plk_call_result r = {0};
        unsigned long made = 0;
        int st = plk_contract_call(callable(f, cases[i].fn), 3, &made, &r);

        assert_int_equal(st, cases[i].st);
        assert_int_equal(made, st == 0 ? 3 : 1);
        assert_int_equal(r.outcome, cases[i].outcome);
#define EXPECT_TEXT(field)                                                    \
    if (cases[i].field == NULL) {                                             \
        assert_null(r.field);                                                 \
    }                                                                         \
    else {                                                                    \
        assert_string_equal(r.field, cases[i].field);                         \
    }
        EXPECT_TEXT(exc_type)
        EXPECT_TEXT(message)
        EXPECT_TEXT(details)
#undef EXPECT_TEXT
        plk_call_result_clear(&r);
        assert_false(PyErr_Occurred());
    }
}

static void
test_contract__call_counts_until_one_stops(void **state)
{
    fixture *f = *state;
    plk_call_result r = {0}, copy = {0};
    unsigned long made = 10;

    assert_int_equal(plk_contract_call(callable(f, "third"), 5, &made, &r), 1);
    assert_int_equal(made, 13);
    assert_int_equal(r.outcome, PLK_CALL_FAILED);
    assert_int_equal(plk_call_result_copy(&copy, &r), 0);
    plk_call_result_clear(&r);
    assert_int_equal(copy.outcome, PLK_CALL_FAILED);
    assert_string_equal(copy.message, "third");
    assert_string_equal(copy.details, "");
    plk_call_result_clear(&copy);
}

static void
test_contract__exceptions(void **state)
{
    fixture *f = *state;
    plk_call_result r = {0};
    plk_exception exc = {0};
    unsigned long made = 0;

    assert_int_equal(plk_contract_call(callable(f, "boom"), 2, &made, &r), -1);
    assert_int_equal(made, 1);
    assert_true(PyErr_Occurred() != NULL);
    assert_int_equal(plk_contract_exception(f->C, &exc), PLK_EPYTHON);
    assert_false(PyErr_Occurred());
    assert_string_equal(exc.type, "ValueError");
    assert_non_null(strstr(exc.text, "Traceback (most recent call last)"));
    assert_non_null(strstr(exc.text, "ValueError: boom\n"));
    plk_exception_clear(&exc);

    assert_int_equal(plk_contract_call(callable(f, "stop"), 1, &made, &r), -1);
    assert_int_equal(plk_contract_exception(f->C, &exc), PLK_EINTR);
    assert_string_equal(exc.type, "KeyboardInterrupt");
    plk_exception_clear(&exc);

    /* Without out: taken, not formatted. */
    assert_int_equal(plk_contract_call(callable(f, "boom"), 1, &made, &r), -1);
    assert_int_equal(plk_contract_exception(f->C, NULL), PLK_EPYTHON);
    assert_false(PyErr_Occurred());
    assert_int_equal(plk_contract_call(callable(f, "boom"), 1, &made, &r), -1);
    plk_contract_drop();
    assert_false(PyErr_Occurred());
    plk_call_result_clear(&r);
}

/* -- collection and fixtures ---------------------------------------------- */

static void
collect_cases(fixture *f, plk_collection *col)
{
    assert_int_equal(plk_contract_collect_file(f->C, f->cases,
                                               "contract_cases", f->dir,
                                               "cases.py", "", "", col),
                     0);
    assert_int_equal(col->kind, PLK_COLLECT_OK);
    assert_non_null(col->module);
    assert_int_equal(col->nitems, 4);
}

static void
test_contract__collected_items(void **state)
{
    fixture *f = *state;
    plk_collection col;
    const plk_item *it;
    char *file;

    collect_cases(f, &col);
    it = &col.items[0];
    assert_string_equal(it->id, "cases.py::TestGood::test_a");
    assert_string_equal(it->classname, "contract_cases.TestGood");
    assert_string_equal(it->name, "test_a");
    assert_string_equal(it->file, "cases.py");
    assert_int_equal(it->line, 8);
    assert_false(it->malformed);
    assert_false(it->skip);
    assert_non_null(it->call);
    assert_non_null(it->cls);
    assert_true(it->control == NULL || it->control == Py_None);
    it = &col.items[1];
    assert_string_equal(it->name, "test_b");
    assert_true(it->skip);
    assert_string_equal(it->skip_reason, "not today");
    it = &col.items[2];
    assert_string_equal(it->name, "test_c");
    assert_true(PyDict_Check(it->control));
    /* One class, one object; the next class, another. */
    assert_ptr_equal(col.items[0].cls, col.items[2].cls);
    assert_ptr_not_equal(col.items[0].cls, col.items[3].cls);
    assert_string_equal(col.items[3].id, "cases.py::TestBroken::test_d");
    file = plk_contract_file_of(col.module);
    assert_string_equal(file, f->cases);
    free(file);
    plk_collection_clear(&col);
    assert_false(PyErr_Occurred());
}

static void
test_contract__collect_skip_error_usage(void **state)
{
    fixture *f = *state;
    plk_collection col;
    char *skip = dir_file(f, "contract_skip.py",
                          "import unittest\n"
                          "raise unittest.SkipTest('no module today')\n");
    char *broken = dir_file(f, "contract_broken.py", "def (:\n");
    char *cmd;

    assert_int_equal(plk_contract_collect_file(f->C, skip, "contract_skip",
                                               f->dir, "skip.py", "", "",
                                               &col),
                     0);
    assert_int_equal(col.kind, PLK_COLLECT_SKIP);
    assert_non_null(strstr(col.reason, "no module today"));
    plk_collection_clear(&col);

    assert_int_equal(plk_contract_collect_file(f->C, broken, "contract_broken",
                                               f->dir, "broken.py", "", "",
                                               &col),
                     0);
    assert_int_equal(col.kind, PLK_COLLECT_ERROR);
    assert_string_equal(col.error.exc_type, "SyntaxError");
    assert_non_null(strstr(col.error.message, "cannot import broken.py"));
    assert_non_null(col.error.details);
    plk_collection_clear(&col);

    cmd = plk_asprintf("import sys; sys.path.insert(0, '%s')", f->dir);
    assert_int_equal(PyRun_SimpleString(cmd), 0);
    free(cmd);
    assert_int_equal(plk_contract_collect_callable(f->C, "contract_cases",
                                                   "TestNothing", &col),
                     0);
    assert_int_equal(col.kind, PLK_COLLECT_USAGE);
    assert_string_equal(col.error.exc_type, "pyleak.NotFound");
    assert_non_null(strstr(col.error.message, "has no attribute"));
    plk_collection_clear(&col);
    free(skip);
    free(broken);
    assert_false(PyErr_Occurred());
}

static void
test_contract__fixtures_and_calls(void **state)
{
    fixture *f = *state;
    plk_collection col;
    plk_call_result r = {0};
    plk_rescoped rs;
    unsigned long made = 0;
    char *out = NULL, *err = NULL;

    collect_cases(f, &col);
    assert_int_equal(
        plk_contract_fixture(f->C, PLK_FIXTURE_MODULE_SETUP, col.module, &r),
        0);
    assert_int_equal(plk_contract_fixture(f->C, PLK_FIXTURE_CLASS_SETUP,
                                          col.items[0].cls, &r),
                     0);
    /* The first call's output, captured. */
    assert_int_equal(plk_contract_begin_capture(f->C), 0);
    assert_int_equal(plk_contract_call(col.items[0].call, 1, &made, &r), 0);
    assert_int_equal(plk_contract_end_capture(f->C, &out, &err), 0);
    assert_string_equal(out, "out of a\n");
    assert_string_equal(err, "");
    free(out);
    free(err);
    /* Later calls' output, nowhere. */
    assert_int_equal(plk_contract_mute(f->C), 0);
    assert_int_equal(plk_contract_call(col.items[2].call, 1, &made, &r), 1);
    assert_int_equal(plk_contract_unmute(f->C), 0);
    assert_int_equal(r.outcome, PLK_CALL_FAILED);
    assert_string_equal(r.exc_type, "AssertionError");
    assert_non_null(strstr(r.message, "c is wrong"));
    plk_call_result_clear(&r);
    /* Measured again with its class's fixtures around every call; its
     * module has none. */
    assert_int_equal(
        plk_contract_rescope(f->C, &col.items[0], col.module, 1, &rs), 1);
    assert_int_equal(plk_contract_mute(f->C), 0);
    assert_int_equal(plk_contract_call(rs.call, 2, &made, &r), 0);
    assert_int_equal(plk_contract_unmute(f->C), 0);
    assert_int_equal(plk_contract_rescope_restore(&rs), 0);
    plk_rescoped_clear(&rs);
    assert_int_equal(
        plk_contract_rescope(f->C, &col.items[0], col.module, 2, &rs), 0);
    assert_int_equal(plk_contract_fixture(f->C, PLK_FIXTURE_CLASS_TEARDOWN,
                                          col.items[0].cls, &r),
                     0);
    /* A setUpClass that raises: an error result naming it. */
    assert_int_equal(plk_contract_fixture(f->C, PLK_FIXTURE_CLASS_SETUP,
                                          col.items[3].cls, &r),
                     1);
    assert_int_equal(r.outcome, PLK_CALL_ERROR);
    assert_string_equal(r.exc_type, "RuntimeError");
    assert_non_null(strstr(r.message, "TestBroken.setUpClass failed: "
                                      "RuntimeError: class set-up broke"));
    plk_call_result_clear(&r);
    assert_int_equal(plk_contract_fixture(f->C, PLK_FIXTURE_MODULE_TEARDOWN,
                                          col.module, &r),
                     0);
    assert_string_equal(plk_contract_fixture_name(PLK_FIXTURE_CLASS_SETUP),
                        "class_setup");
    plk_collection_clear(&col);
    assert_false(PyErr_Occurred());
}

static void
test_contract__rounds(void **state)
{
    fixture *f = *state;
    PyObject *cleaner = NULL;

    assert_int_equal(plk_contract_stop_on_sigterm(f->C), 0);
    assert_int_equal(plk_contract_set_reseed(f->C, 1), 0);
    assert_int_equal(plk_contract_cleaner(f->C, &cleaner), 0);
    assert_non_null(cleaner);
    assert_int_equal(plk_contract_restore(cleaner), 0);
    assert_int_equal(plk_contract_collect(f->C), 0);
    assert_int_equal(plk_contract_freeze(f->C, 1), 0);
    assert_int_equal(plk_contract_freeze(f->C, 0), 0);
    Py_DECREF(cleaner);
    assert_false(PyErr_Occurred());
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract__all_is_what_c_calls),
        cmocka_unit_test(test_contract__call_outcomes),
        cmocka_unit_test(test_contract__call_counts_until_one_stops),
        cmocka_unit_test(test_contract__exceptions),
        cmocka_unit_test(test_contract__collected_items),
        cmocka_unit_test(test_contract__collect_skip_error_usage),
        cmocka_unit_test(test_contract__fixtures_and_calls),
        cmocka_unit_test(test_contract__rounds),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
