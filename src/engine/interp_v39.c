/* The interpreter layer's row for CPython 3.9 and 3.10: frames are
 * PyFrameObjects linked from the thread state, and the collector's
 * generation lists sit in the interpreter state. */
#include <patchlevel.h>

#if PY_VERSION_HEX < 0x03090000 || PY_VERSION_HEX >= 0x030B0000
#error "interp_v39.c is the row for CPython 3.9 and 3.10 only"
#endif

/* The collector's lists are internal; walking them is the only way to
 * count tracked objects without building gc.get_objects()'s list. */
#define Py_BUILD_CORE_MODULE 1
#include <Python.h>
#include <frameobject.h>

#include "internal/pycore_gc.h"
#include "internal/pycore_interp.h"

#include "engine/interp.h"
#include "engine/interp_pre312.h"

static int
frames(plk_interp_frame *out, int max)
{
    /* The calling thread's own state, from thread-local storage: it may
     * not hold the GIL, but only it changes its own frames. */
    PyThreadState *ts = PyGILState_GetThisThreadState();
    PyFrameObject *f = ts != NULL ? ts->frame : NULL;
    int depth = 0;

    for (; f != NULL && depth < max; f = f->f_back) {
        PyCodeObject *co = f->f_code;

        if (co == NULL) {
            continue;
        }
        out[depth].key = co->co_filename;
        out[depth].file = plk__interp_str_text(co->co_filename);
#if PY_VERSION_HEX >= 0x030A0000
        /* f_lasti counts code units here, bytes in 3.9. */
        out[depth].line = PyCode_Addr2Line(co, f->f_lasti * 2);
#else
        out[depth].line = PyCode_Addr2Line(co, f->f_lasti);
#endif
        depth++;
    }
    return depth;
}

/* The run of a code object on which 3.9 and 3.10 give it inline caches
 * (OPCACHE_MIN_RUNS, opcache_min_runs in Python/ceval.c). */
#define OPCACHE_MIN_RUNS 1024

static void
prime_list(PyGC_Head *head)
{
    PyGC_Head *p;

    for (p = _PyGCHead_NEXT(head); p != head; p = _PyGCHead_NEXT(p)) {
        /* The object follows its collector header. */
        PyObject *op = (PyObject *)(p + 1);
        PyCodeObject *co;

        if (!PyFunction_Check(op)) {
            continue;
        }
        co = (PyCodeObject *)PyFunction_GET_CODE(op);
        /* Code that has run and has no caches yet gets them on its next
         * run, not somewhere in the middle of the measured rounds. */
        if (co != NULL && co->co_opcache == NULL && co->co_opcache_flag > 0 &&
            co->co_opcache_flag < OPCACHE_MIN_RUNS - 1) {
            co->co_opcache_flag = OPCACHE_MIN_RUNS - 1;
        }
    }
}

static void
prime(void)
{
    struct _gc_runtime_state *gcs = &PyInterpreterState_Get()->gc;
    int i;

    for (i = 0; i < NUM_GENERATIONS; i++) {
        prime_list(&gcs->generations[i].head);
    }
    prime_list(&gcs->permanent_generation.head);
}

const plk_interp_row plk__interp_row = {
    .family = "3.9-3.10",
    .blocks = plk__blocks,
    .tracked = plk__gc_tracked,
    .frames = frames,
    .prime = prime,
    .interned = PLK_INTERP_INTERNED_MORTAL,
};
