/* The contract between the engine's C and its Python half: the embedded
 * modules loaded from one table, their entry points looked up once, and
 * every answer turned into C types. No other C file calls them. */
#include "engine/contract.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pytext.h"
#include "base/util.h"

extern const char plk_interp_source[];
extern const char plk_harness_source[];
extern const char plk_pyleak_source[];
extern const char plk_legacy_source[];
extern const char plk_keyword_source[];
extern const char plk_pytest_source[];
extern const char plk_diagnose_source[];

/* The modules the contract calls into. */
enum module { MOD_HARNESS, MOD_DIAGNOSE, MOD_GC, MOD__COUNT, MOD_NONE };

/* The embedded Python modules, in import order: each may import the
 * ones before it. `pyleak_ci` is the module tests import for per-test
 * control (the same file pip installs); `_pyleak_legacy` answers the
 * old `import pyleak` when nothing installed does. The diagnosis waits
 * for the first leak a process diagnoses (and takes the module already
 * imported, if any), so that a clean run never imports what only the
 * diagnosis needs. */
static const struct embedded {
    const char *name;
    const char *file;
    const char *source;
    enum module mod; /* the module the contract calls, if it is one */
    int lazy;
} embedded[] = {
    {"_pyleak_interp", "<pyleak-interp>", plk_interp_source, MOD_NONE, 0},
    {"pyleak_ci", "<pyleak_ci>", plk_pyleak_source, MOD_NONE, 0},
    {"_pyleak_legacy", "<pyleak-legacy>", plk_legacy_source, MOD_NONE, 0},
    {"_pyleak_harness", "<pyleak-harness>", plk_harness_source, MOD_HARNESS,
     0},
    {"_pyleak_keyword", "<pyleak-keyword>", plk_keyword_source, MOD_NONE, 0},
    {"_pyleak_pytest", "<pyleak-pytest>", plk_pytest_source, MOD_NONE, 0},
    {"_pyleak_diagnose", "<pyleak-diagnose>", plk_diagnose_source,
     MOD_DIAGNOSE, 1},
};

#define NEMBEDDED (sizeof(embedded) / sizeof(embedded[0]))

/* Every entry point the C side calls, by module. An embedded module's
 * __all__ lists exactly its entries here (tests/test_contract.c). */
#define PLK_CONTRACT_ENTRIES(X)                                               \
    X(HARNESS, collect_file)                                                  \
    X(HARNESS, collect_callable)                                              \
    X(HARNESS, module_setup)                                                  \
    X(HARNESS, module_teardown)                                               \
    X(HARNESS, class_setup)                                                   \
    X(HARNESS, class_teardown)                                                \
    X(HARNESS, rescope)                                                       \
    X(HARNESS, Cleaner)                                                       \
    X(HARNESS, collect)                                                       \
    X(HARNESS, begin_capture)                                                 \
    X(HARNESS, end_capture)                                                   \
    X(HARNESS, mute)                                                          \
    X(HARNESS, unmute)                                                        \
    X(HARNESS, stop_on_sigterm)                                               \
    X(HARNESS, set_reseed)                                                    \
    X(HARNESS, format_exception)                                              \
    X(HARNESS, environment)                                                   \
    X(HARNESS, reap_children)                                                 \
    X(HARNESS, use_tmpdir)                                                    \
    X(DIAGNOSE, run)                                                          \
    X(GC, freeze)                                                             \
    X(GC, unfreeze)

enum entry {
#define PLK_ENTRY_ENUM(mod, name) E_##name,
    PLK_CONTRACT_ENTRIES(PLK_ENTRY_ENUM)
#undef PLK_ENTRY_ENUM
        E__COUNT
};

static const struct entry_row {
    enum module mod;
    const char *name;
} entries[E__COUNT] = {
#define PLK_ENTRY_ROW(mod, name) {MOD_##mod, #name},
    PLK_CONTRACT_ENTRIES(PLK_ENTRY_ROW)
#undef PLK_ENTRY_ROW
};

struct plk_contract {
    PyObject *mod[MOD__COUNT];
    PyObject *fn[E__COUNT];
};

/* The harness function of each plk_fixture. */
static const enum entry fixture_entry[] = {E_module_setup, E_module_teardown,
                                           E_class_setup, E_class_teardown};

/* -- loading -------------------------------------------------------------- */

/* The import name of module m: an embedded one's, or gc. */
static const char *
module_name(enum module m)
{
    size_t i;

    for (i = 0; i < NEMBEDDED; i++) {
        if (embedded[i].mod == m) {
            return embedded[i].name;
        }
    }
    return "gc";
}

/* Import embedded module i from its source: a new reference, or NULL
 * with the exception pending. */
static PyObject *
load_embedded(size_t i)
{
    PyObject *code, *mod;

    if (embedded[i].lazy) {
        PyObject *name = PyUnicode_FromString(embedded[i].name);

        if (name == NULL) {
            return NULL;
        }
        mod = PyImport_GetModule(name);
        Py_DECREF(name);
        if (mod != NULL || PyErr_Occurred()) {
            return mod;
        }
    }
    code =
        Py_CompileString(embedded[i].source, embedded[i].file, Py_file_input);
    if (code == NULL) {
        return NULL;
    }
    mod = PyImport_ExecCodeModule(embedded[i].name, code);
    Py_DECREF(code);
    return mod;
}

/* Look up the entries of module m, loaded now. 0 or -1. */
static int
look_up(plk_contract *C, enum module m)
{
    size_t i;

    for (i = 0; i < E__COUNT; i++) {
        if (entries[i].mod != m) {
            continue;
        }
        C->fn[i] = PyObject_GetAttrString(C->mod[m], entries[i].name);
        if (C->fn[i] == NULL) {
            return -1;
        }
    }
    return 0;
}

/* Load the embedded modules whose lazy flag is `lazy` and that the
 * contract does not hold yet, keeping those it calls. 0 or -1. */
static int
load_modules(plk_contract *C, int lazy)
{
    size_t i;

    for (i = 0; i < NEMBEDDED; i++) {
        enum module m = embedded[i].mod;
        PyObject *mod;

        if (embedded[i].lazy != lazy || (m != MOD_NONE && C->mod[m] != NULL)) {
            continue;
        }
        mod = load_embedded(i);
        if (mod == NULL) {
            return -1;
        }
        if (m != MOD_NONE) {
            C->mod[m] = mod;
        }
        else {
            Py_DECREF(mod); /* sys.modules keeps it */
        }
    }
    return 0;
}

int
plk_contract_load(plk_contract **out, plk_error *err)
{
    plk_contract *C = calloc(1, sizeof(*C));

    *out = C;
    if (C == NULL) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    if (load_modules(C, 0) != 0) {
        if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
            /* Ctrl-C while the harness imports: an interrupted run. */
            PyErr_Clear();
            return plk_error_set(err, PLK_EINTR, "interrupted");
        }
        PyErr_Print();
        return plk_error_set(err, PLK_EINTERNAL,
                             "cannot load the pyleak-ci harness");
    }
    C->mod[MOD_GC] = PyImport_ImportModule(module_name(MOD_GC));
    if (C->mod[MOD_GC] == NULL || look_up(C, MOD_HARNESS) != 0 ||
        look_up(C, MOD_GC) != 0) {
        PyErr_Print();
        return plk_error_set(err, PLK_EINTERNAL, "cannot set up the harness");
    }
    return 0;
}

void
plk_contract_free(plk_contract *C)
{
    size_t i;

    if (C == NULL) {
        return;
    }
    for (i = 0; i < E__COUNT; i++) {
        Py_XDECREF(C->fn[i]);
    }
    for (i = 0; i < MOD__COUNT; i++) {
        Py_XDECREF(C->mod[i]);
    }
    free(C);
}

const char *
plk__contract_entry(size_t i, const char **out_module)
{
    if (i >= E__COUNT) {
        return NULL;
    }
    *out_module = module_name(entries[i].mod);
    return entries[i].name;
}

/* -- exceptions ----------------------------------------------------------- */

static char *
attr_text(PyObject *o, const char *name)
{
    PyObject *v = PyObject_GetAttrString(o, name);
    char *out;

    if (v == NULL) {
        PyErr_Clear();
        return NULL;
    }
    out = plk__py_text(v);
    Py_DECREF(v);
    return out;
}

int
plk_contract_exception(plk_contract *C, plk_exception *out)
{
    PyObject *type, *value, *tb, *text = NULL;
    int rc = PLK_EPYTHON;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (type != NULL &&
        PyErr_GivenExceptionMatches(type, PyExc_KeyboardInterrupt)) {
        rc = PLK_EINTR;
    }
    if (value != NULL && tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    if (out != NULL) {
        out->type = type ? attr_text(type, "__name__") : NULL;
        out->text = NULL;
        if (value != NULL) {
            text = PyObject_CallOneArg(C->fn[E_format_exception], value);
            if (text == NULL) {
                PyErr_Clear();
            }
            out->text = plk__py_text(text != NULL ? text : value);
        }
    }
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return rc;
}

void
plk_exception_clear(plk_exception *e)
{
    if (e == NULL) {
        return;
    }
    free(e->type);
    free(e->text);
    e->type = e->text = NULL;
}

void
plk_contract_drop(void)
{
    PyErr_Clear();
}

/* -- results of calls ----------------------------------------------------- */

void
plk_call_result_clear(plk_call_result *r)
{
    if (r == NULL) {
        return;
    }
    free(r->exc_type);
    free(r->message);
    free(r->details);
    memset(r, 0, sizeof(*r));
}

int
plk_call_result_copy(plk_call_result *out, const plk_call_result *r)
{
    out->outcome = r->outcome;
    out->exc_type = plk_strdup(r->exc_type);
    out->message = plk_strdup(r->message);
    out->details = plk_strdup(r->details);
    if ((r->exc_type && !out->exc_type) || (r->message && !out->message) ||
        (r->details && !out->details)) {
        plk_call_result_clear(out);
        return PLK_ENOMEM;
    }
    return 0;
}

static int
tuple_of(PyObject *o, Py_ssize_t n)
{
    return PyTuple_Check(o) && PyTuple_GET_SIZE(o) >= n;
}

static char *
item_text(PyObject *tuple, Py_ssize_t i)
{
    return plk__py_text(PyTuple_GET_ITEM(tuple, i));
}

/* A result tuple (outcome, exc_type, message, traceback) into out. */
static void
read_result(PyObject *res, plk_call_result *out)
{
    char *what;

    plk_call_result_clear(out);
    out->outcome = PLK_CALL_ERROR;
    if (!tuple_of(res, 4)) {
        out->message = plk_strdup("harness returned a malformed result");
        return;
    }
    what = item_text(res, 0);
    if (what != NULL && strcmp(what, "skipped") == 0) {
        out->outcome = PLK_CALL_SKIPPED;
    }
    else if (what != NULL && strcmp(what, "failed") == 0) {
        out->outcome = PLK_CALL_FAILED;
    }
    free(what);
    out->exc_type = item_text(res, 1);
    out->message = item_text(res, 2);
    out->details = item_text(res, 3);
}

/* What a call that returns None or a result tuple gave: 0 (None), 1 with
 * *out filled, -1 (r NULL). Consumes r. */
static int
result_of(PyObject *r, plk_call_result *out)
{
    if (r == NULL) {
        return -1;
    }
    if (r == Py_None) {
        Py_DECREF(r);
        return 0;
    }
    read_result(r, out);
    Py_DECREF(r);
    return 1;
}

/* 0 when fn() returned, dropping what it returned; -1 when it raised. */
static int
call_void(PyObject *r)
{
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

int
plk_contract_call(PyObject *call, unsigned k, unsigned long *made,
                  plk_call_result *out)
{
    unsigned i;

    plk_call_result_clear(out);
    for (i = 0; i < k; i++) {
        PyObject *r = PyObject_CallNoArgs(call);

        (*made)++;
        if (r == NULL) {
            return -1;
        }
        if (r != Py_None) {
            return result_of(r, out);
        }
        Py_DECREF(r);
    }
    return 0;
}

/* -- collection ----------------------------------------------------------- */

/* A new reference to o.name, or NULL (no error pending). */
static PyObject *
attr(PyObject *o, const char *name)
{
    PyObject *v = PyObject_GetAttrString(o, name);

    if (v == NULL) {
        PyErr_Clear();
    }
    return v;
}

static void
read_item(PyObject *obj, plk_item *it)
{
    PyObject *line, *skip;

    Py_INCREF(obj);
    it->obj = obj;
    it->id = attr_text(obj, "id");
    it->classname = attr_text(obj, "classname");
    it->name = attr_text(obj, "name");
    it->file = attr_text(obj, "file");
    line = attr(obj, "line");
    if (line != NULL) {
        it->line = PyLong_AsLong(line);
        if (it->line == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            it->line = 0;
        }
        Py_DECREF(line);
    }
    skip = attr(obj, "skip");
    it->call = attr(obj, "call");
    it->control = attr(obj, "control");
    it->cls = attr(obj, "cls");
    if (it->cls == Py_None) {
        Py_CLEAR(it->cls);
    }
    if (skip == NULL || it->call == NULL) {
        it->malformed = 1;
    }
    else if (skip != Py_None) {
        it->skip = 1;
        it->skip_reason = plk__py_text(skip);
    }
    Py_XDECREF(skip);
}

static void
item_clear(plk_item *it)
{
    free(it->id);
    free(it->classname);
    free(it->name);
    free(it->file);
    free(it->skip_reason);
    Py_XDECREF(it->call);
    Py_XDECREF(it->control);
    Py_XDECREF(it->cls);
    Py_XDECREF(it->obj);
}

void
plk_collection_clear(plk_collection *c)
{
    size_t i;

    if (c == NULL) {
        return;
    }
    /* The items' references first: the result then frees them as it
     * would alone. */
    for (i = 0; i < c->nitems; i++) {
        item_clear(&c->items[i]);
    }
    free(c->items);
    free(c->reason);
    plk_call_result_clear(&c->error);
    Py_XDECREF(c->result);
    memset(c, 0, sizeof(*c));
}

static void
malformed_collection(plk_collection *out)
{
    out->kind = PLK_COLLECT_ERROR;
    out->error.outcome = PLK_CALL_ERROR;
    out->error.exc_type = plk_strdup("pyleak.HarnessError");
    out->error.message = plk_strdup("harness returned a malformed result");
}

/* What collect_file and collect_callable return: ("ok", module, items),
 * ("skip", reason), ("usage", type, message, "") or an error result
 * tuple. Consumes res. 0 or -1 (res NULL). */
static int
read_collection(PyObject *res, plk_collection *out)
{
    PyObject *items;
    char *kind;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (res == NULL) {
        return -1;
    }
    out->result = res;
    if (!tuple_of(res, 1)) {
        malformed_collection(out);
        return 0;
    }
    kind = item_text(res, 0);
    if (kind != NULL && strcmp(kind, "ok") == 0 && tuple_of(res, 3) &&
        PyList_Check(PyTuple_GET_ITEM(res, 2))) {
        out->kind = PLK_COLLECT_OK;
        out->module = PyTuple_GET_ITEM(res, 1);
        items = PyTuple_GET_ITEM(res, 2);
        out->items =
            calloc((size_t)PyList_GET_SIZE(items) + 1, sizeof(*out->items));
        if (out->items == NULL) {
            free(kind);
            plk_collection_clear(out);
            PyErr_NoMemory();
            return -1;
        }
        for (i = 0; i < (size_t)PyList_GET_SIZE(items); i++) {
            read_item(PyList_GET_ITEM(items, (Py_ssize_t)i), &out->items[i]);
            out->nitems++;
        }
    }
    else if (kind != NULL && strcmp(kind, "skip") == 0 && tuple_of(res, 2)) {
        out->kind = PLK_COLLECT_SKIP;
        out->reason = item_text(res, 1);
    }
    else if (tuple_of(res, 4)) {
        out->kind = kind != NULL && strcmp(kind, "usage") == 0
                        ? PLK_COLLECT_USAGE
                        : PLK_COLLECT_ERROR;
        out->error.outcome = PLK_CALL_ERROR;
        out->error.exc_type = item_text(res, 1);
        out->error.message = item_text(res, 2);
        out->error.details = item_text(res, 3);
    }
    else {
        malformed_collection(out);
    }
    free(kind);
    return 0;
}

int
plk_contract_collect_file(plk_contract *C, const char *path,
                          const char *module, const char *root,
                          const char *relfile, const char *selector,
                          const char *keyword, plk_collection *out)
{
    return read_collection(PyObject_CallFunction(C->fn[E_collect_file],
                                                 "ssssss", path, module, root,
                                                 relfile, selector, keyword),
                           out);
}

int
plk_contract_collect_callable(plk_contract *C, const char *module,
                              const char *attr_name, plk_collection *out)
{
    return read_collection(PyObject_CallFunction(C->fn[E_collect_callable],
                                                 "ss", module, attr_name),
                           out);
}

char *
plk_contract_file_of(PyObject *module)
{
    return attr_text(module, "__file__");
}

/* -- fixtures ------------------------------------------------------------- */

const char *
plk_contract_fixture_name(plk_fixture f)
{
    return entries[fixture_entry[f]].name;
}

int
plk_contract_fixture(plk_contract *C, plk_fixture f, PyObject *arg,
                     plk_call_result *out)
{
    plk_call_result_clear(out);
    return result_of(PyObject_CallOneArg(C->fn[fixture_entry[f]], arg), out);
}

int
plk_contract_rescope(plk_contract *C, const plk_item *item, PyObject *module,
                     int level, plk_rescoped *out)
{
    PyObject *r =
        PyObject_CallFunction(C->fn[E_rescope], "OOi", item->obj,
                              module != NULL ? module : Py_None, level);

    memset(out, 0, sizeof(*out));
    if (r == NULL) {
        return -1;
    }
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2) {
        Py_DECREF(r);
        return 0;
    }
    out->call = PyTuple_GET_ITEM(r, 0);
    out->restore = PyTuple_GET_ITEM(r, 1);
    Py_INCREF(out->call);
    Py_INCREF(out->restore);
    Py_DECREF(r);
    return 1;
}

int
plk_contract_rescope_restore(const plk_rescoped *r)
{
    return call_void(PyObject_CallNoArgs(r->restore));
}

void
plk_rescoped_clear(plk_rescoped *r)
{
    if (r == NULL) {
        return;
    }
    Py_CLEAR(r->call);
    Py_CLEAR(r->restore);
}

/* -- rounds --------------------------------------------------------------- */

int
plk_contract_cleaner(plk_contract *C, PyObject **out)
{
    *out = PyObject_CallNoArgs(C->fn[E_Cleaner]);
    return *out != NULL ? 0 : -1;
}

int
plk_contract_restore(PyObject *cleaner)
{
    return call_void(PyObject_CallNoArgs(cleaner));
}

int
plk_contract_collect(plk_contract *C)
{
    return call_void(PyObject_CallNoArgs(C->fn[E_collect]));
}

long long
plk_contract_environment(plk_contract *C)
{
    PyObject *r = PyObject_CallNoArgs(C->fn[E_environment]);
    long long n;

    if (r == NULL) {
        return -1;
    }
    n = PyLong_AsLongLong(r);
    Py_DECREF(r);
    return n == -1 && PyErr_Occurred() ? -1 : n;
}

int
plk_contract_reap_children(plk_contract *C)
{
    return call_void(PyObject_CallNoArgs(C->fn[E_reap_children]));
}

int
plk_contract_freeze(plk_contract *C, int on)
{
    return call_void(PyObject_CallNoArgs(C->fn[on ? E_freeze : E_unfreeze]));
}

/* -- output and process state --------------------------------------------- */

int
plk_contract_begin_capture(plk_contract *C)
{
    return call_void(PyObject_CallNoArgs(C->fn[E_begin_capture]));
}

int
plk_contract_end_capture(plk_contract *C, char **out_stdout, char **out_stderr)
{
    PyObject *type, *value, *tb, *r;

    /* The call it ends may have left its exception (Ctrl-C in the test):
     * set aside while the harness runs, which must not see it, then
     * back for the caller. */
    PyErr_Fetch(&type, &value, &tb);
    r = PyObject_CallNoArgs(C->fn[E_end_capture]);
    if (type != NULL) {
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    *out_stdout = *out_stderr = NULL;
    if (r == NULL) {
        return -1;
    }
    if (PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2) {
        *out_stdout = item_text(r, 0);
        *out_stderr = item_text(r, 1);
    }
    Py_DECREF(r);
    return 0;
}

int
plk_contract_mute(plk_contract *C)
{
    return call_void(PyObject_CallNoArgs(C->fn[E_mute]));
}

int
plk_contract_unmute(plk_contract *C)
{
    return call_void(PyObject_CallNoArgs(C->fn[E_unmute]));
}

int
plk_contract_stop_on_sigterm(plk_contract *C)
{
    return call_void(PyObject_CallNoArgs(C->fn[E_stop_on_sigterm]));
}

int
plk_contract_set_reseed(plk_contract *C, int on)
{
    return call_void(PyObject_CallFunction(C->fn[E_set_reseed], "i", on));
}

int
plk_contract_use_tmpdir(plk_contract *C, const char *path)
{
    return call_void(PyObject_CallFunction(C->fn[E_use_tmpdir], "s", path));
}

/* -- diagnosis ------------------------------------------------------------ */

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
key_text(PyObject *d, const char *key)
{
    return plk__py_text(PyDict_GetItemString(d, key)); /* borrowed */
}

static void
read_diagnosis(PyObject *res, plk_diagnosis *out)
{
    PyObject *v;

    out->kind = key_text(res, "kind");
    out->loc_file = key_text(res, "loc_file");
    out->top_site = key_text(res, "top_site");
    out->json = key_text(res, "json");
    v = PyDict_GetItemString(res, "loc_line");
    if (v != NULL && PyLong_Check(v)) {
        out->loc_line = PyLong_AsLong(v);
        if (out->loc_line < 0) {
            PyErr_Clear(); /* overflow: no line rather than a wrong one */
            out->loc_line = 0;
        }
    }
    v = PyDict_GetItemString(res, "bytes_per_call");
    if (v != NULL && PyFloat_Check(v)) {
        out->bytes_per_call = PyFloat_AS_DOUBLE(v);
    }
    out->text = key_text(res, "text");
}

int
plk_contract_diagnose(plk_contract *C, const plk_diagnosis_ask *ask,
                      plk_diagnosis *out)
{
    PyObject *metrics = NULL, *info = NULL, *res = NULL;
    const plk_test_result *t = ask->t;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (C->mod[MOD_DIAGNOSE] == NULL) {
        if (load_modules(C, 1) != 0 || look_up(C, MOD_DIAGNOSE) != 0) {
            /* Tried again at the next diagnosis. */
            Py_CLEAR(C->mod[MOD_DIAGNOSE]);
            return -1;
        }
    }
    metrics = metrics_dict(t);
    if (metrics == NULL) {
        goto done;
    }
    info = Py_BuildValue("{s:O,s:I,s:s,s:l,s:O,s:d}", "metrics", metrics,
                         "depth", ask->depth, "test_file",
                         t->file ? t->file : "", "test_line", t->line,
                         "tracer", ask->tracer, "budget", ask->budget);
    if (info == NULL) {
        goto done;
    }
    res = PyObject_CallFunction(C->fn[E_run], "OOIO", C->mod[MOD_HARNESS],
                                ask->call, ask->k, info);
    if (res == NULL) {
        goto done;
    }
    if (!PyDict_Check(res)) {
        PyErr_SetString(PyExc_TypeError, "the diagnosis returned no dict");
        goto done;
    }
    read_diagnosis(res, out);
    rc = 0;
done:
    Py_XDECREF(metrics);
    Py_XDECREF(info);
    Py_XDECREF(res);
    return rc;
}

void
plk_diagnosis_clear(plk_diagnosis *d)
{
    if (d == NULL) {
        return;
    }
    free(d->kind);
    free(d->loc_file);
    free(d->top_site);
    free(d->json);
    free(d->text);
    memset(d, 0, sizeof(*d));
}
