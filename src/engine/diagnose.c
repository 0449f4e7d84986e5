/* Diagnosis of leaking tests: drives the Python half (src/diagnose.py,
 * embedded as _pyleak_diagnose), hands it the malloc tracer, and turns
 * its answer into the test record. */
#include "engine/diagnose.h"
#include "engine/pytext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/malloc_trace.h"
#include "report/summary.h"
#include "base/util.h"

extern const char plk_diagnose_source[];
extern const size_t plk_diagnose_source_len;

#define PLK_DIAGNOSE_MODULE "_pyleak_diagnose"
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
    PyObject *by_key;  /* (site, round) -> [bytes, blocks] */
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
        unsigned site = (unsigned)PyLong_AsUnsignedLong(
            PyTuple_GET_ITEM(key, 0));
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
    "pyleak-ci's malloc tracer (see src/malloc_trace.c)", -1,
    tracer_methods};

/* -- the Python half ------------------------------------------------------ */

static PyObject *
load_module(void)
{
    PyObject *name, *mod, *code;

    name = PyUnicode_FromString(PLK_DIAGNOSE_MODULE);
    if (name == NULL) {
        return NULL;
    }
    mod = PyImport_GetModule(name);
    Py_DECREF(name);
    if (mod != NULL || PyErr_Occurred()) {
        return mod;
    }
    code = Py_CompileString(plk_diagnose_source, "<pyleak-diagnose>",
                            Py_file_input);
    if (code == NULL) {
        return NULL;
    }
    mod = PyImport_ExecCodeModule(PLK_DIAGNOSE_MODULE, code);
    Py_DECREF(code);
    return mod;
}

/* {metric: (verdict, per_call)} of the metrics this build measured. */
static PyObject *
metrics_dict(const plk_test_result *t)
{
    PyObject *d = PyDict_New();
    int m;

    for (m = 0; d != NULL && m < PLK_METRIC__COUNT; m++) {
        const plk_metric_result *mr = &t->metrics[m];
        PyObject *v;

        if (!mr->measured) {
            continue;
        }
        v = Py_BuildValue("(sd)", plk_verdict_name(mr->fit.verdict),
                          isfinite(mr->per_call) ? mr->per_call : 0.0);
        if (v == NULL ||
            PyDict_SetItemString(d, plk_metric_name((plk_metric)m), v) < 0) {
            Py_CLEAR(d);
        }
        Py_XDECREF(v);
    }
    return d;
}

static char *
item_text(PyObject *d, const char *key)
{
    PyObject *v = PyDict_GetItemString(d, key);  /* borrowed */

    return plk__py_text(v);
}

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
record_trouble(PyObject *harness, plk_test_result *t)
{
    PyObject *type, *value, *tb, *fmt = NULL;
    char *text = NULL, *msg;
    int rc = 0;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (type != NULL &&
        PyErr_GivenExceptionMatches(type, PyExc_KeyboardInterrupt)) {
        rc = PLK_EINTR;
    }
    if (value != NULL && tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    if (value != NULL && harness != NULL) {
        fmt = PyObject_CallMethod(harness, "format_exception", "O", value);
        if (fmt == NULL) {
            PyErr_Clear();
        }
    }
    text = plk__py_text(fmt != NULL ? fmt : value);
    msg = plk_asprintf("diagnosis %s:\n%s",
                       rc == PLK_EINTR ? "interrupted" : "failed",
                       text ? text : "(no detail)\n");
    append_details(t, msg);
    free(msg);
    free(text);
    Py_XDECREF(fmt);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return rc;
}

static void
fill(plk_test_result *t, PyObject *res)
{
    PyObject *v;
    char *text, *msg;
    double bytes = 0.0;

    free(t->kind);
    free(t->loc_file);
    free(t->top_site);
    free(t->diagnosis);
    t->kind = item_text(res, "kind");
    t->loc_file = item_text(res, "loc_file");
    t->top_site = item_text(res, "top_site");
    t->diagnosis = item_text(res, "json");
    t->loc_line = 0;
    v = PyDict_GetItemString(res, "loc_line");
    if (v != NULL && PyLong_Check(v)) {
        t->loc_line = PyLong_AsLong(v);
        if (t->loc_line < 0) {
            PyErr_Clear(); /* overflow: no line rather than a wrong one */
            t->loc_line = 0;
        }
    }
    v = PyDict_GetItemString(res, "bytes_per_call");
    if (v != NULL && PyFloat_Check(v)) {
        bytes = PyFloat_AS_DOUBLE(v);
    }
    if (t->kind != NULL && *t->kind == '\0') {
        free(t->kind);
        t->kind = NULL;
    }
    msg = plk_diagnose_summary(t, bytes);
    if (msg != NULL) {
        free(t->message);
        t->message = msg;
    }
    text = item_text(res, "text");
    append_details(t, text);
    free(text);
}

int
plk_diagnose(PyObject *harness, PyObject *call, unsigned k,
             plk_test_result *t, const plk_config *cfg)
{
    PyObject *mod = NULL, *tracer = NULL, *info = NULL, *metrics = NULL;
    PyObject *res = NULL;
    double t0 = plk_now();
    int rc = 0;

    if (!cfg->diagnose) {
        return 0;
    }
    mod = load_module();
    if (mod == NULL) {
        goto trouble;
    }
    tracer = PyModule_Create(&tracer_def);
    metrics = metrics_dict(t);
    if (tracer == NULL || metrics == NULL) {
        goto trouble;
    }
    info = Py_BuildValue("{s:O,s:I,s:s,s:l,s:O,s:d}", "metrics", metrics,
                         "depth", cfg->traceback_depth, "test_file",
                         t->file ? t->file : "", "test_line", t->line,
                         "tracer", tracer, "budget", PLK_DIAGNOSE_BUDGET);
    if (info == NULL) {
        goto trouble;
    }
    res = PyObject_CallMethod(mod, "run", "OOIO", harness, call, k, info);
    if (res == NULL || !PyDict_Check(res)) {
        if (res != NULL) {
            PyErr_SetString(PyExc_TypeError,
                            "the diagnosis returned no dict");
        }
        goto trouble;
    }
    fill(t, res);
    goto done;
trouble:
    rc = record_trouble(harness, t);
done:
    t->diagnose_time = plk_now() - t0;
    Py_XDECREF(mod);
    Py_XDECREF(tracer);
    Py_XDECREF(metrics);
    Py_XDECREF(info);
    Py_XDECREF(res);
    return rc;
}

/* -- the one-line message ------------------------------------------------- */

static int
leaks(const plk_test_result *t, plk_metric m)
{
    const plk_metric_result *mr = &t->metrics[m];

    return mr->measured && mr->fit.verdict == PLK_VERDICT_LEAK;
}

/* "1 object/call", "0.33 objects/call". */
static void
count_part(plk_buf *b, const char *sep, double v, const char *one)
{
    double r = floor(v + 0.5);

    if (fabs(v - r) < 0.05) {
        plk_buf_printf(b, "%s%.0f %s%s/call", sep, r, one,
                       r == 1.0 ? "" : "s");
    }
    else {
        plk_buf_printf(b, "%s%.2f %ss/call", sep, v, one);
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
        count_part(&b, sep, t->metrics[PLK_METRIC_THREADS].per_call,
                   "thread");
        sep = ", ";
    }
    if (leaks(t, PLK_METRIC_FDS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_FDS].per_call,
                   "descriptor");
        sep = ", ";
    }
    if (leaks(t, PLK_METRIC_OBJECTS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_OBJECTS].per_call,
                   "object");
        sep = ", ";
    }
    else if (leaks(t, PLK_METRIC_BLOCKS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_BLOCKS].per_call,
                   "block");
        sep = ", ";
    }
    else if (leaks(t, PLK_METRIC_REFS)) {
        count_part(&b, sep, t->metrics[PLK_METRIC_REFS].per_call,
                   "reference");
        sep = ", ";
    }
    if (b.len == 0 && leaks(t, PLK_METRIC_HEAP)) {
        double heap = t->metrics[PLK_METRIC_HEAP].per_call;
        int native = t->kind != NULL && strstr(t->kind, "native-alloc");

        plk_format_amount(amount, sizeof(amount),
                          bytes_per_call > 0 ? bytes_per_call : heap,
                          "bytes");
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
