/* The interpreter layer's public half: what public or unstable-public API
 * gives on every version, and the fallbacks for the slots a version's row
 * (interp_<family>.c) leaves empty. */
#include <Python.h>

#include <string.h>

#include "engine/interp.h"
#include "base/metric.h"

#ifdef Py_GIL_DISABLED
#error "pyleak-ci does not support free-threaded CPython builds: its \
counters assume one allocator and one collector list per interpreter"
#endif

static struct {
    int ready;
    PyObject *blocks;       /* sys.getallocatedblocks */
    PyObject *refs;         /* sys.gettotalrefcount (debug builds) */
    PyObject *interned;     /* sys.getunicodeinternedsize (3.12+) */
    PyObject *immortal_kw;  /* ("_only_immortal",) for 3.13+ */
    PyObject *freeze_count; /* gc.get_freeze_count */
    int visitor_skips_frozen;
} I;

/* A counter read through a Python function: its result is made after
 * the count and freed here, so the read leaves nothing behind. */
static long long
call_count(PyObject *fn, PyObject *const *args, size_t nargs,
           PyObject *kwnames)
{
    PyObject *r;
    long long v;

    if (fn == NULL) {
        return -1;
    }
    r = PyObject_Vectorcall(fn, args, nargs, kwnames);
    if (r == NULL) {
        PyErr_Clear();
        return -1;
    }
    v = PyLong_AsLongLong(r);
    Py_DECREF(r);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    return v;
}

#if PY_VERSION_HEX >= 0x030C0000
static int
count_one(PyObject *op, void *arg)
{
    (*(long long *)arg)++;
    return 1; /* go on */
}

/* Every tracked object the public visitor reaches. */
static long long
visit_count(void)
{
    long long n = 0;

    PyUnstable_GC_VisitObjects(count_one, &n);
    return n;
}
#endif

/* The public visitor of some releases walks the young and old generations
 * but not the permanent one (objects frozen by gc.freeze()). Freezing
 * everything and counting again tells which kind this one is. Done at
 * start-up, before anything of the user's has frozen the heap. */
static int
probe_visitor(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *r = NULL;
    long long before, after, frozen;
    int skips = 1;

    if (gc == NULL) {
        PyErr_Clear();
        return 1;
    }
    frozen = call_count(I.freeze_count, NULL, 0, NULL);
    if (frozen != 0) {
        /* Someone froze the heap already: leave it so and assume the
         * visitor of the releases this was first written for. */
        Py_DECREF(gc);
        return 1;
    }
    before = visit_count();
    r = PyObject_CallMethod(gc, "freeze", NULL);
    if (r != NULL) {
        Py_DECREF(r);
        after = visit_count();
        skips = after < before / 2;
        r = PyObject_CallMethod(gc, "unfreeze", NULL);
    }
    if (r == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(r);
    Py_DECREF(gc);
    return skips;
#else
    return 0;
#endif
}

int
plk_interp_init(plk_error *err)
{
    PyObject *gc;

    if (I.ready) {
        return 0;
    }
    I.blocks = PySys_GetObject("getallocatedblocks");
    I.refs = PySys_GetObject("gettotalrefcount");
    I.interned = PySys_GetObject("getunicodeinternedsize");
    Py_XINCREF(I.blocks);
    Py_XINCREF(I.refs);
    Py_XINCREF(I.interned);
    if (plk__interp_row.interned == PLK_INTERP_INTERNED_MIXED) {
        I.immortal_kw = Py_BuildValue("(s)", "_only_immortal");
    }
    gc = PyImport_ImportModule("gc");
    if (gc != NULL) {
        I.freeze_count = PyObject_GetAttrString(gc, "get_freeze_count");
        Py_DECREF(gc);
    }
    if (I.blocks == NULL || I.freeze_count == NULL ||
        (plk__interp_row.interned != PLK_INTERP_INTERNED_MORTAL &&
         I.interned == NULL) ||
        (plk__interp_row.interned == PLK_INTERP_INTERNED_MIXED &&
         I.immortal_kw == NULL)) {
        PyErr_Clear();
        plk_interp_fini();
        return plk_error_set(err, PLK_EPYTHON,
                             "Python %s lacks the counters pyleak-ci "
                             "reads (sys.getallocatedblocks, "
                             "gc.get_freeze_count%s)",
                             PY_VERSION,
                             plk__interp_row.interned ==
                                     PLK_INTERP_INTERNED_MORTAL
                                 ? ""
                                 : ", sys.getunicodeinternedsize");
    }
    if (plk__interp_row.tracked == NULL) {
        I.visitor_skips_frozen = probe_visitor();
    }
    I.ready = 1;
    return 0;
}

void
plk_interp_fini(void)
{
    Py_CLEAR(I.blocks);
    Py_CLEAR(I.refs);
    Py_CLEAR(I.interned);
    Py_CLEAR(I.immortal_kw);
    Py_CLEAR(I.freeze_count);
    I.ready = 0;
}

void
plk_interp_prime(void)
{
    if (plk__interp_row.prime != NULL) {
        plk__interp_row.prime();
    }
}

unsigned
plk_interp_metrics(void)
{
    unsigned m = 1u << PLK_METRIC_BLOCKS;

#ifdef Py_REF_DEBUG
    m |= 1u << PLK_METRIC_REFS;
#endif
#if PY_VERSION_HEX >= 0x030C0000
    m |= 1u << PLK_METRIC_OBJECTS;
#else
    if (plk__interp_row.tracked != NULL) {
        m |= 1u << PLK_METRIC_OBJECTS;
    }
#endif
    return m;
}

/* Interned strings as the version's own refleak hunter subtracts them:
 * strings interned by a test stay (immortal) whatever the test does. */
static long long
interned_now(void)
{
    switch (plk__interp_row.interned) {
    case PLK_INTERP_INTERNED_IMMORTAL:
        return call_count(I.interned, NULL, 0, NULL);
    case PLK_INTERP_INTERNED_MIXED: {
        PyObject *args[1] = {Py_True};

        return call_count(I.interned, args, 0, I.immortal_kw);
    }
    default:
        return 0;
    }
}

long long
plk_interp_blocks(void)
{
    long long interned = interned_now(), blocks;

    if (interned < 0) {
        return -1;
    }
    if (plk__interp_row.blocks != NULL) {
        blocks = plk__interp_row.blocks();
    }
    else {
        blocks = call_count(I.blocks, NULL, 0, NULL);
    }
    return blocks < 0 ? -1 : blocks - interned;
}

long long
plk_interp_refs(void)
{
#ifdef Py_REF_DEBUG
    long long refs;

#if PY_VERSION_HEX < 0x030E0000
    /* Exported by every debug build of the versions with a row. */
    refs = (long long)_Py_GetRefTotal();
#else
    refs = call_count(I.refs, NULL, 0, NULL);
#endif
    if (plk__interp_row.interned == PLK_INTERP_INTERNED_IMMORTAL) {
        long long interned = interned_now();

        if (refs < 0 || interned < 0) {
            return -1;
        }
        refs -= 2 * interned;
    }
    return refs;
#else
    return -1;
#endif
}

long long
plk_interp_objects(void)
{
    long long n;

    if (plk__interp_row.tracked != NULL) {
        return plk__interp_row.tracked();
    }
#if PY_VERSION_HEX >= 0x030C0000
    n = visit_count();
    if (I.visitor_skips_frozen) {
        long long frozen = call_count(I.freeze_count, NULL, 0, NULL);

        if (frozen < 0) {
            return -1;
        }
        n += frozen;
    }
    return n;
#else
    (void)n;
    return -1;
#endif
}

int
plk_interp_frames(plk_interp_frame *out, int max)
{
    if (plk__interp_row.frames == NULL) {
        return -1;
    }
    return plk__interp_row.frames(out, max);
}

const char *
plk_interp_no_frames(void)
{
    return plk__interp_row.frames == NULL ? plk__interp_row.no_frames : NULL;
}

const char *
plk_interp_lacks(void)
{
    if (plk__interp_row.frames == NULL) {
        return plk__interp_row.no_frames;
    }
    return NULL;
}

const char *
plk__interp_str_text(const void *str)
{
    PyObject *s = (PyObject *)str;

    if (s == NULL || !PyUnicode_Check(s)) {
        return "?";
    }
    /* Compact ASCII strings hold their text inline; others only once
     * someone asked for their UTF-8 form. */
    if (PyUnicode_IS_COMPACT_ASCII(s)) {
        return (const char *)(((PyASCIIObject *)s) + 1);
    }
    if (PyUnicode_IS_COMPACT(s) && ((PyCompactUnicodeObject *)s)->utf8) {
        return ((PyCompactUnicodeObject *)s)->utf8;
    }
    return "<non-ASCII file name>";
}
