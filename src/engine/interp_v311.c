/* The interpreter layer's row for CPython 3.11: frames are
 * _PyInterpreterFrames reached through the thread's current C frame. */
#include <patchlevel.h>

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030C0000
#error "interp_v311.c is the row for CPython 3.11 only"
#endif

/* The collector's lists and the frame layout are internal; walking them
 * is the only way to count tracked objects without building
 * gc.get_objects()'s list, or to read frames without creating any. */
#define Py_BUILD_CORE_MODULE 1
#include <Python.h>

#include "internal/pycore_frame.h"
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
    _PyInterpreterFrame *f = NULL;
    int depth = 0;

    if (ts != NULL && ts->cframe != NULL) {
        f = ts->cframe->current_frame;
    }
    for (; f != NULL && depth < max; f = f->previous) {
        PyCodeObject *co = f->f_code;

        /* A frame still copying its arguments has no line yet. */
        if (co == NULL || _PyFrame_IsIncomplete(f)) {
            continue;
        }
        out[depth].key = co->co_filename;
        out[depth].file = plk__interp_str_text(co->co_filename);
        out[depth].line = PyCode_Addr2Line(co, _PyInterpreterFrame_LASTI(f) *
                                                   (int)sizeof(_Py_CODEUNIT));
        depth++;
    }
    return depth;
}

const plk_interp_row plk__interp_row = {
    .family = "3.11",
    .blocks = plk__blocks,
    .tracked = plk__gc_tracked,
    .frames = frames,
    .interned = PLK_INTERP_INTERNED_MORTAL,
};
