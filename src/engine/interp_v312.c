/* The interpreter layer's row for CPython 3.12: frames are
 * _PyInterpreterFrames reached through the thread's current C frame;
 * tracked objects and blocks come from public API (interp.c), and every
 * interned string is immortal. */
#include <patchlevel.h>

#if PY_VERSION_HEX < 0x030C0000 || PY_VERSION_HEX >= 0x030D0000
#error "interp_v312.c is the row for CPython 3.12 only"
#endif

/* The frame layout is internal; reading it is the only way to see frames
 * without creating frame objects. */
#define Py_BUILD_CORE_MODULE 1
#include <Python.h>

#include "internal/pycore_frame.h"

#include "engine/interp.h"

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

        /* Entry frames belong to C; a frame still copying its arguments
         * has no line yet. */
        if (co == NULL || f->owner == FRAME_OWNED_BY_CSTACK ||
            _PyFrame_IsIncomplete(f)) {
            continue;
        }
        out[depth].key = co->co_filename;
        out[depth].file = plk__interp_str_text(co->co_filename);
        out[depth].line = PyUnstable_InterpreterFrame_GetLine(f);
        depth++;
    }
    return depth;
}

const plk_interp_row plk__interp_row = {
    .family = "3.12",
    .frames = frames,
    .interned = PLK_INTERP_INTERNED_IMMORTAL,
};
