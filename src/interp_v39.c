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

#include "interp.h"
#include "interp_pre312.h"

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

const plk_interp_row plk__interp_row = {
    .family = "3.9-3.10",
    .blocks = plk__blocks,
    .tracked = plk__gc_tracked,
    .frames = frames,
    .interned = PLK_INTERP_INTERNED_MORTAL,
};
