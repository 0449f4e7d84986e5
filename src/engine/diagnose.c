/* Diagnosis of leaking tests: asks the Python half (diagnose.py, through
 * the contract), hands it the malloc tracer, and turns its answer into
 * the test record. */
#include "engine/diagnose.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/malloc_trace.h"
#include "report/summary.h"
#include "base/util.h"

/* Seconds the diagnosis of one test aims to stay under. */
#define PLK_DIAGNOSE_BUDGET 30.0

/* -- the malloc tracer as a small Python module ------------------------- */

static PyObject *
tr_available(PyObject *self, PyObject *unused)
{
    return PyBool_FromLong(plk_malloc_trace_available());
}

static PyObject *
tr_why_not(PyObject *self, PyObject *unused)
{
    const char *why = plk_malloc_trace_why_not();

    if (why == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(why);
}

static PyObject *
tr_start(PyObject *self, PyObject *unused)
{
    return PyLong_FromLong(plk_malloc_trace_start());
}

static PyObject *
tr_round(PyObject *self, PyObject *arg)
{
    unsigned long r = PyLong_AsUnsignedLong(arg);

    if (r == (unsigned long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    plk_malloc_trace_round((unsigned)r);
    Py_RETURN_NONE;
}

static PyObject *
tr_stop(PyObject *self, PyObject *unused)
{
    plk_malloc_trace_stop();
    Py_RETURN_NONE;
}

static PyObject *
tr_reset(PyObject *self, PyObject *unused)
{
    plk_malloc_trace_reset();
    Py_RETURN_NONE;
}

static PyObject *
tr_dropped(PyObject *self, PyObject *unused)
{
    return PyLong_FromSize_t(plk_malloc_trace_dropped());
}

typedef struct tally {
    PyObject *by_key; /* (site, round) -> [bytes, blocks] */
    int failed;
} tally;

static void
tally_block(void *ctx, const plk_trace_block *b)
{
    tally *ty = ctx;
    PyObject *key = NULL, *row, *v;
    long long bytes = 0, blocks = 0;

    if (ty->failed) {
        return;
    }
    key = Py_BuildValue("(II)", b->site, b->round);
    if (key == NULL) {
        goto fail;
    }
    row = PyDict_GetItemWithError(ty->by_key, key);
    if (row == NULL && PyErr_Occurred()) {
        goto fail;
    }
    if (row != NULL) {
        bytes = PyLong_AsLongLong(PyList_GET_ITEM(row, 0));
        blocks = PyLong_AsLongLong(PyList_GET_ITEM(row, 1));
    }
    v = Py_BuildValue("[LL]", bytes + (long long)b->size, blocks + 1);
    if (v == NULL || PyDict_SetItem(ty->by_key, key, v) < 0) {
        Py_XDECREF(v);
        goto fail;
    }
    Py_DECREF(v);
    Py_DECREF(key);
    return;
fail:
    Py_XDECREF(key);
    ty->failed = 1;
}

static PyObject *
site_frames(unsigned site)
{
    plk_trace_frame fr[PLK_MALLOC_TRACE_DEPTH];
    int i, n = plk_malloc_trace_site(site, fr, PLK_MALLOC_TRACE_DEPTH);
    PyObject *out = PyTuple_New(n);

    for (i = 0; out != NULL && i < n; i++) {
        PyObject *f = Py_BuildValue("(si)", fr[i].file, fr[i].line);

        if (f == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(out, i, f);
    }
    return out;
}

/* After stop: [(frames, round, bytes, blocks)] per site and round, with
 * frames ((file, line), ...) innermost first. */
static PyObject *
tr_collect(PyObject *self, PyObject *unused)
{
    tally ty = {0};
    PyObject *out = NULL, *key, *row;
    Py_ssize_t pos = 0;

    ty.by_key = PyDict_New();
    if (ty.by_key == NULL) {
        return NULL;
    }
    plk_malloc_trace_foreach(tally_block, &ty);
    if (ty.failed) {
        goto done;
    }
    out = PyList_New(0);
    while (out != NULL && PyDict_Next(ty.by_key, &pos, &key, &row)) {
        unsigned site =
            (unsigned)PyLong_AsUnsignedLong(PyTuple_GET_ITEM(key, 0));
        PyObject *frames = site_frames(site);
        PyObject *item = NULL;

        if (frames != NULL) {
            item = Py_BuildValue("(NOOO)", frames, PyTuple_GET_ITEM(key, 1),
                                 PyList_GET_ITEM(row, 0),
                                 PyList_GET_ITEM(row, 1));
        }
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(item);
    }
done:
    Py_DECREF(ty.by_key);
    return out;
}

static PyMethodDef tracer_methods[] = {
    {"available", tr_available, METH_NOARGS, NULL},
    {"why_not", tr_why_not, METH_NOARGS, NULL},
    {"start", tr_start, METH_NOARGS, NULL},
    {"round", tr_round, METH_O, NULL},
    {"stop", tr_stop, METH_NOARGS, NULL},
    {"collect", tr_collect, METH_NOARGS, NULL},
    {"dropped", tr_dropped, METH_NOARGS, NULL},
    {"reset", tr_reset, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef tracer_def = {
    PyModuleDef_HEAD_INIT, "_pyleak_malloc_trace",
    "pyleak-ci's malloc tracer (see src/malloc_trace.c)", -1, tracer_methods};

/* -- the test record ------------------------------------------------------ */

static void
append_details(plk_test_result *t, const char *text)
{
    char *joined;

    if (text == NULL || *text == '\0') {
        return;
    }
    joined = plk_asprintf("%s%s%s", t->details ? t->details : "",
                          t->details && *t->details ? "\n" : "", text);
    if (joined != NULL) {
        free(t->details);
        t->details = joined;
    }
}

/* Record the pending Python exception in t; PLK_EINTR for Ctrl-C. */
static int
record_trouble(plk_contract *C, plk_test_result *t)
{
    plk_exception exc = {0};
    int rc = plk_contract_exception(C, &exc) == PLK_EINTR ? PLK_EINTR : 0;
    char *msg = plk_asprintf("diagnosis %s:\n%s",
                             rc == PLK_EINTR ? "interrupted" : "failed",
                             exc.text ? exc.text : "(no detail)\n");

    append_details(t, msg);
    free(msg);
    plk_exception_clear(&exc);
    return rc;
}

static void
fill(plk_test_result *t, plk_diagnosis *d)
{
    char *msg;

    free(t->kind);
    free(t->loc_file);
    free(t->top_site);
    free(t->diagnosis);
    t->kind = d->kind;
    t->loc_file = d->loc_file;
    t->top_site = d->top_site;
    t->diagnosis = d->json;
    d->kind = d->loc_file = d->top_site = d->json = NULL;
    t->loc_line = d->loc_line;
    if (t->kind != NULL && *t->kind == '\0') {
        free(t->kind);
        t->kind = NULL;
    }
    msg = plk_diagnose_summary(t, d->bytes_per_call);
    if (msg != NULL) {
        free(t->message);
        t->message = msg;
    }
    append_details(t, d->text);
}

int
plk_diagnose(plk_contract *C, PyObject *call, unsigned k, plk_test_result *t,
             const plk_config *cfg)
{
    plk_diagnosis_ask ask = {0};
    plk_diagnosis d = {0};
    double t0 = plk_now();
    int rc = 0;

    if (!cfg->diagnose) {
        return 0;
    }
    ask.call = call;
    ask.k = k;
    ask.t = t;
    ask.depth = cfg->traceback_depth;
    ask.budget = PLK_DIAGNOSE_BUDGET;
    ask.tracer = PyModule_Create(&tracer_def);
    if (ask.tracer == NULL || plk_contract_diagnose(C, &ask, &d) != 0) {
        rc = record_trouble(C, t);
    }
    else {
        fill(t, &d);
    }
    t->diagnose_time = plk_now() - t0;
    Py_XDECREF(ask.tracer);
    plk_diagnosis_clear(&d);
    return rc;
}

/* -- the one-line message ------------------------------------------------- */

static int
leaks(const plk_test_result *t, plk_metric m)
{
    const plk_metric_result *mr = &t->metrics[m];

    return mr->measured && mr->fit.verdict == PLK_VERDICT_LEAK;
}

/* "1 object/call", "0.33 objects/call": many is the plural, or NULL
 * for one with an "s". */
static void
count_part(plk_buf *b, const char *sep, double v, const char *one,
           const char *many)
{
    double r = floor(v + 0.5);
    int single = fabs(v - r) < 0.05 && r == 1.0;

    if (fabs(v - r) < 0.05) {
        plk_buf_printf(b, "%s%.0f ", sep, r);
    }
    else {
        plk_buf_printf(b, "%s%.2f ", sep, v);
    }
    if (single) {
        plk_buf_printf(b, "%s/call", one);
    }
    else if (many != NULL) {
        plk_buf_printf(b, "%s/call", many);
    }
    else {
        plk_buf_printf(b, "%ss/call", one);
    }
}

char *
plk_diagnose_summary(const plk_test_result *t, double bytes_per_call)
{
    plk_buf b = {0};
    const char *sep = "leaks ";
    char amount[48];
    int bytes_shown = 0;

    if (leaks(t, PLK_METRIC_THREADS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_THREADS].per_call, "thread",
                   NULL);
        sep = ", ";
    }
    if (leaks(t, PLK_METRIC_FDS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_FDS].per_call, "descriptor",
                   NULL);
        sep = ", ";
    }
    if (leaks(t, PLK_METRIC_PROCS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_PROCS].per_call,
                   "child process", "child processes");
        sep = ", ";
    }
    if (leaks(t, PLK_METRIC_TMPFILES)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_TMPFILES].per_call,
                   "temporary file", NULL);
        sep = ", ";
    }
    else if (leaks(t, PLK_METRIC_TMPBYTES)) {
        plk_format_amount(amount, sizeof(amount),
                          t->metrics[PLK_METRIC_TMPBYTES].per_call, "bytes");
        plk_buf_printf(&b, "%s%s/call of temporary files", sep, amount);
        sep = ", ";
    }
    if (leaks(t, PLK_METRIC_ENV)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_ENV].per_call,
                   "environment entry", "environment entries");
        sep = ", ";
    }
    if (leaks(t, PLK_METRIC_OBJECTS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_OBJECTS].per_call, "object",
                   NULL);
        sep = ", ";
    }
    else if (leaks(t, PLK_METRIC_BLOCKS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_BLOCKS].per_call, "block",
                   NULL);
        sep = ", ";
    }
    else if (leaks(t, PLK_METRIC_REFS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_REFS].per_call, "reference",
                   NULL);
        sep = ", ";
    }
    if (b.len == 0 && leaks(t, PLK_METRIC_HEAP)) {
        double heap = t->metrics[PLK_METRIC_HEAP].per_call;
        int native = t->kind != NULL && strstr(t->kind, "native-alloc");

        plk_format_amount(amount, sizeof(amount),
                          bytes_per_call > 0 ? bytes_per_call : heap, "bytes");
        plk_buf_printf(&b, "%s%s/call%s", sep, amount,
                       native ? " of native memory" : "");
        bytes_shown = 1;
    }
    if (b.len == 0) {
        plk_buf_puts(&b, "leaks");
    }
    if (!bytes_shown) {
        double bytes = bytes_per_call;

        if (bytes <= 0 && leaks(t, PLK_METRIC_HEAP)) {
            bytes = t->metrics[PLK_METRIC_HEAP].per_call;
        }
        if (bytes > 0) {
            plk_format_amount(amount, sizeof(amount), bytes, "bytes");
            plk_buf_printf(&b, " (+%s/call)", amount);
        }
    }
    if (t->loc_file != NULL && *t->loc_file != '\0') {
        plk_buf_printf(&b, " at %s", t->loc_file);
        if (t->loc_line > 0) {
            plk_buf_printf(&b, ":%ld", t->loc_line);
        }
    }
    return plk_buf_detach(&b);
}
