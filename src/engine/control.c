/* Reading a test's control (skip, rounds, allowances) from the harness. */
#include "engine/control.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Enough rounds for any honest need; more would only make a typo (an
 * extra zero) cost hours. */
#define PLK_CONTROL_ROUNDS_MAX 100000

/* A new UTF-8 copy of a str object, or NULL when obj is not a str. */
static char *
str_copy(PyObject *obj)
{
    const char *s;
    Py_ssize_t n;

    if (!PyUnicode_Check(obj)) {
        return NULL;
    }
    s = PyUnicode_AsUTF8AndSize(obj, &n);
    if (s == NULL) {
        PyErr_Clear();
        return NULL;
    }
    return plk_strndup(s, (size_t)n);
}

static int
parse_rounds(plk_control *out, PyObject *v, plk_error *err)
{
    long n;

    if (!PyLong_Check(v) || PyBool_Check(v)) {
        return plk_error_set(err, PLK_EUSAGE,
                             "\"rounds\" must be a whole number of measured "
                             "rounds, not %s",
                             Py_TYPE(v)->tp_name);
    }
    n = PyLong_AsLong(v);
    if (n == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        n = PLK_CONTROL_ROUNDS_MAX + 1L;
    }
    if (n < 1 || n > PLK_CONTROL_ROUNDS_MAX) {
        return plk_error_set(err, PLK_EUSAGE,
                             "\"rounds\" must be from 1 to %d, not %ld",
                             PLK_CONTROL_ROUNDS_MAX, n);
    }
    out->rounds = (unsigned)n;
    return 0;
}

/* One (metric, per_call or None, reason) allowance, appended to note. */
static int
parse_allowance(plk_control *out, PyObject *entry, size_t index, plk_buf *note,
                plk_error *err)
{
    PyObject *seq = NULL;
    char *metric = NULL, *reason = NULL;
    double per_call = -1.0;
    int m, rc = 0, shadowed;

    if (!PyTuple_Check(entry) && !PyList_Check(entry)) {
        return plk_error_set(err, PLK_EUSAGE,
                             "\"allow\" entry %zu must be a (metric, "
                             "per_call or None, reason) tuple, not %s",
                             index + 1, Py_TYPE(entry)->tp_name);
    }
    seq = PySequence_Tuple(entry);
    if (seq == NULL || PyTuple_GET_SIZE(seq) != 3) {
        PyErr_Clear();
        rc = plk_error_set(err, PLK_EUSAGE,
                           "\"allow\" entry %zu must have three items: "
                           "metric, per_call or None, reason",
                           index + 1);
        goto done;
    }
    metric = str_copy(PyTuple_GET_ITEM(seq, 0));
    m = metric != NULL ? plk_metric_from_name(metric) : -1;
    if (m < 0) {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "\"allow\" entry %zu names no metric (%s); "
                           "metrics: refs, blocks, objects, heap, rss, "
                           "fds, threads",
                           index + 1, metric != NULL ? metric : "not a str");
        goto done;
    }
    /* The first allowance of a metric wins: the harness lists a test's
     * own before its class's. */
    shadowed = !out->gate[m] || out->threshold[m] >= 0.0;
    if (PyTuple_GET_ITEM(seq, 1) != Py_None) {
        PyObject *v = PyTuple_GET_ITEM(seq, 1);

        if (PyBool_Check(v) || !(PyLong_Check(v) || PyFloat_Check(v))) {
            rc = plk_error_set(err, PLK_EUSAGE,
                               "the per-call amount allowed for %s must be "
                               "a number or None, not %s",
                               metric, Py_TYPE(v)->tp_name);
            goto done;
        }
        per_call = PyFloat_AsDouble(v);
        if (per_call == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            per_call = NAN;
        }
        if (!(per_call >= 0.0) || isinf(per_call)) {
            rc = plk_error_set(err, PLK_EUSAGE,
                               "the per-call amount allowed for %s must be "
                               "a finite number >= 0",
                               metric);
            goto done;
        }
    }
    reason = str_copy(PyTuple_GET_ITEM(seq, 2));
    if (reason == NULL || reason[strspn(reason, " \t\r\n")] == '\0') {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "the allowance for %s needs a reason (a "
                           "non-empty str)",
                           metric);
        goto done;
    }
    if (shadowed) {
        goto done;
    }
    if (per_call < 0.0) {
        out->gate[m] = 0;
        rc = plk_buf_printf(note, "%s%s not gated (%s)", note->len ? "; " : "",
                            metric, reason);
    }
    else {
        out->threshold[m] = per_call;
        rc = plk_buf_printf(note, "%s%s up to %g per call (%s)",
                            note->len ? "; " : "", metric, per_call, reason);
    }
    if (rc != 0) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
done:
    Py_XDECREF(seq);
    free(metric);
    free(reason);
    return rc;
}

static int
parse_allow(plk_control *out, PyObject *v, plk_error *err)
{
    plk_buf note = {0};
    Py_ssize_t i, n;
    int rc = 0;

    if (!PyList_Check(v) && !PyTuple_Check(v)) {
        return plk_error_set(err, PLK_EUSAGE,
                             "\"allow\" must be a list of (metric, "
                             "per_call or None, reason) tuples, not %s",
                             Py_TYPE(v)->tp_name);
    }
    n = PySequence_Fast_GET_SIZE(v);
    for (i = 0; i < n && rc == 0; i++) {
        rc = parse_allowance(out, PySequence_Fast_GET_ITEM(v, i), (size_t)i,
                             &note, err);
    }
    if (rc == 0 && note.len > 0) {
        out->note = plk_buf_detach(&note);
    }
    plk_buf_free(&note);
    return rc;
}

int
plk_control_parse(plk_control *out, PyObject *obj, plk_error *err)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    int m, rc = 0;

    memset(out, 0, sizeof(*out));
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        out->gate[m] = 1;
        out->threshold[m] = -1.0;
    }
    if (obj == NULL || obj == Py_None) {
        return 0;
    }
    out->present = 1;
    if (!PyDict_Check(obj)) {
        return plk_error_set(err, PLK_EUSAGE,
                             "the test's pyleak control must be a dict "
                             "with keys skip, rounds, allow; got %s",
                             Py_TYPE(obj)->tp_name);
    }
    while (rc == 0 && PyDict_Next(obj, &pos, &key, &value)) {
        char *name = str_copy(key);

        if (name != NULL && strcmp(name, "skip") == 0) {
            out->skip = str_copy(value);
            if (out->skip == NULL) {
                rc = plk_error_set(err, PLK_EUSAGE,
                                   "\"skip\" must be a str giving the "
                                   "reason, not %s",
                                   Py_TYPE(value)->tp_name);
            }
        }
        else if (name != NULL && strcmp(name, "rounds") == 0) {
            rc = parse_rounds(out, value, err);
        }
        else if (name != NULL && strcmp(name, "allow") == 0) {
            rc = parse_allow(out, value, err);
        }
        else {
            rc = plk_error_set(err, PLK_EUSAGE,
                               "unknown key %s in the test's pyleak "
                               "control; known keys: skip, rounds, allow",
                               name != NULL ? name : "(not a str)");
        }
        free(name);
    }
    return rc;
}

void
plk_control_clear(plk_control *c)
{
    if (c == NULL) {
        return;
    }
    free(c->skip);
    free(c->note);
    c->skip = NULL;
    c->note = NULL;
}
