/* Unit tests for control.c: reading a test's control from a Python
 * object, and the errors a bad one gets. */
#include <Python.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/control.h"

static int
setup_python(void **state)
{
    (void)state;
    Py_InitializeEx(0);
    return Py_IsInitialized() ? 0 : -1;
}

static int
teardown_python(void **state)
{
    (void)state;
    return Py_FinalizeEx() < 0 ? -1 : 0;
}

/* Evaluate a Python expression; a new reference. */
static PyObject *
eval(const char *expr)
{
    PyObject *globals = PyDict_New(), *out;

    assert_non_null(globals);
    out = PyRun_String(expr, Py_eval_input, globals, globals);
    Py_DECREF(globals);
    if (out == NULL) {
        PyErr_Print();
    }
    assert_non_null(out);
    return out;
}

/* Parse expr; returns the code and leaves the result in out and err. */
static int
parse(plk_control *out, plk_error *err, const char *expr)
{
    PyObject *obj = eval(expr);
    int rc = plk_control_parse(out, obj, err);

    Py_DECREF(obj);
    return rc;
}

static void
test_control__none_is_no_control(void **state)
{
    plk_control c;
    plk_error err = {0};
    int m;

    (void)state;
    assert_int_equal(parse(&c, &err, "None"), 0);
    assert_int_equal(c.present, 0);
    assert_null(c.skip);
    assert_int_equal(c.rounds, 0);
    assert_null(c.note);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        assert_int_equal(c.gate[m], 1);
        assert_true(c.threshold[m] < 0.0);
    }
    plk_control_clear(&c);
    plk_error_clear(&err);
}

static void
test_control__every_key(void **state)
{
    plk_control c;
    plk_error err = {0};

    (void)state;
    assert_int_equal(
        parse(&c, &err,
              "{'skip': 'needs a server', 'rounds': 20, 'allow': ["
              "('heap', None, 'an arena kept on purpose'),"
              " ('blocks', 2.5, 'a small cache'),"
              " ['fds', 0, 'no descriptors at all']]}"),
        0);
    assert_int_equal(c.present, 1);
    assert_string_equal(c.skip, "needs a server");
    assert_int_equal(c.rounds, 20);
    assert_int_equal(c.gate[PLK_METRIC_HEAP], 0);
    assert_int_equal(c.gate[PLK_METRIC_BLOCKS], 1);
    assert_true(c.threshold[PLK_METRIC_BLOCKS] == 2.5);
    assert_true(c.threshold[PLK_METRIC_FDS] == 0.0);
    assert_true(c.threshold[PLK_METRIC_OBJECTS] < 0.0);
    assert_string_equal(c.note,
                        "heap not gated (an arena kept on purpose); "
                        "blocks up to 2.5 per call (a small cache); "
                        "fds up to 0 per call (no descriptors at all)");
    plk_control_clear(&c);
    plk_control_clear(&c); /* twice is harmless */
    plk_control_clear(NULL);
    plk_error_clear(&err);
}

static void
test_control__first_allowance_of_a_metric_wins(void **state)
{
    plk_control c;
    plk_error err = {0};

    (void)state;
    /* A method's own allowance comes before its class's. */
    assert_int_equal(parse(&c, &err,
                           "{'allow': [('heap', 64, 'own'),"
                           " ('heap', None, 'class-wide'),"
                           " ('fds', None, 'class-wide')]}"),
                     0);
    assert_int_equal(c.gate[PLK_METRIC_HEAP], 1);
    assert_true(c.threshold[PLK_METRIC_HEAP] == 64.0);
    assert_int_equal(c.gate[PLK_METRIC_FDS], 0);
    assert_string_equal(c.note, "heap up to 64 per call (own); "
                                "fds not gated (class-wide)");
    plk_control_clear(&c);
    plk_error_clear(&err);
}

static const struct {
    const char *expr;
    const char *message; /* a part of the error message */
} bad_controls[] = {
    {"['skip']", "must be a dict"},
    {"{'round': 3}", "unknown key round"},
    {"{1: 3}", "unknown key (not a str)"},
    {"{'skip': 3}", "\"skip\" must be a str"},
    {"{'rounds': 0}", "from 1 to"},
    {"{'rounds': 10**30}", "from 1 to"},
    {"{'rounds': True}", "whole number"},
    {"{'rounds': 2.0}", "whole number"},
    {"{'allow': 'heap'}", "must be a list"},
    {"{'allow': ['heap']}", "entry 1 must be a (metric"},
    {"{'allow': [('heap', None)]}", "three items"},
    {"{'allow': [('bytes', None, 'x')]}", "names no metric (bytes)"},
    {"{'allow': [(3, None, 'x')]}", "names no metric (not a str)"},
    {"{'allow': [('heap', -1, 'x')]}", "finite number >= 0"},
    {"{'allow': [('heap', float('inf'), 'x')]}", "finite number >= 0"},
    {"{'allow': [('heap', float('nan'), 'x')]}", "finite number >= 0"},
    {"{'allow': [('heap', '5', 'x')]}", "a number or None"},
    {"{'allow': [('heap', True, 'x')]}", "a number or None"},
    {"{'allow': [('heap', None, '  ')]}", "needs a reason"},
    {"{'allow': [('heap', None, None)]}", "needs a reason"},
};

static void
test_control__bad_controls_say_what_is_wrong(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_controls) / sizeof(bad_controls[0]); i++) {
        plk_control c;
        plk_error err = {0};
        int rc = parse(&c, &err, bad_controls[i].expr);

        if (rc != PLK_EUSAGE || err.message == NULL ||
            strstr(err.message, bad_controls[i].message) == NULL) {
            fail_msg("%s: rc %d, message '%s', expected '%s'",
                     bad_controls[i].expr, rc,
                     err.message ? err.message : "(none)",
                     bad_controls[i].message);
        }
        assert_false(PyErr_Occurred());
        plk_control_clear(&c);
        plk_error_clear(&err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control__none_is_no_control),
        cmocka_unit_test(test_control__every_key),
        cmocka_unit_test(test_control__first_allowance_of_a_metric_wins),
        cmocka_unit_test(test_control__bad_controls_say_what_is_wrong),
    };

    return cmocka_run_group_tests(tests, setup_python, teardown_python);
}
