/* The interpreter layer's row for CPython 3.13: frames are read through
 * the offsets CPython publishes for out-of-process debuggers
 * (_PyRuntime.debug_offsets), so only the offsets table's own layout is
 * private here; tracked objects and blocks come from public API
 * (interp.c), and only some interned strings are immortal. */
#include <patchlevel.h>

#if PY_VERSION_HEX < 0x030D0000 || PY_VERSION_HEX >= 0x030E0000
#error "interp_v313.c is the row for CPython 3.13 only"
#endif

#define Py_BUILD_CORE_MODULE 1
#include <Python.h>

#include <stdint.h>

#include "internal/pycore_frame.h"
#include "internal/pycore_runtime.h"

#include "engine/interp.h"

#define FIELD(base, off, type) (*(type *)((char *)(base) + (off)))

static int
frames(plk_interp_frame *out, int max)
{
    const _Py_DebugOffsets *d = &_PyRuntime.debug_offsets;
    /* The calling thread's own state, from thread-local storage: it may
     * not hold the GIL, but only it changes its own frames. */
    PyThreadState *ts = PyGILState_GetThisThreadState();
    void *f = NULL;
    int depth = 0;

    if (ts != NULL) {
        f = FIELD(ts, d->thread_state.current_frame, void *);
    }
    for (; f != NULL && depth < max;
         f = FIELD(f, d->interpreter_frame.previous, void *)) {
        PyObject *co = FIELD(f, d->interpreter_frame.executable, PyObject *);
        PyObject *file;

        /* Entry frames belong to C; f_executable may be something other
         * than code (None in shim frames). */
        if (FIELD(f, d->interpreter_frame.owner, char) ==
                FRAME_OWNED_BY_CSTACK ||
            co == NULL || !PyCode_Check(co)) {
            continue;
        }
        file = FIELD(co, d->code_object.filename, PyObject *);
        out[depth].key = file;
        out[depth].file = plk__interp_str_text(file);
        out[depth].line = PyUnstable_InterpreterFrame_GetLine(
            (struct _PyInterpreterFrame *)f);
        depth++;
    }
    return depth;
}

const plk_interp_row plk__interp_row = {
    .family = "3.13",
    .frames = frames,
    .interned = PLK_INTERP_INTERNED_MIXED,
};
