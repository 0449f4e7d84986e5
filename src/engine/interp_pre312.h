/* What the interpreter layer's rows for CPython 3.9-3.11 share: the
 * exported block counter, and counting GC-tracked objects by walking the
 * collector's lists (there is no public visitor before 3.12). Include
 * after the internal GC headers. */
#ifndef PYLEAK_INTERP_PRE312_H
#define PYLEAK_INTERP_PRE312_H

/* Exported by libpython but declared only in an internal header. */
PyAPI_FUNC(Py_ssize_t) _Py_GetAllocatedBlocks(void);

static long long
plk__blocks(void)
{
    return (long long)_Py_GetAllocatedBlocks();
}

static long long
plk__gc_list_len(PyGC_Head *head)
{
    long long n = 0;
    PyGC_Head *p;

    for (p = _PyGCHead_NEXT(head); p != head; p = _PyGCHead_NEXT(p)) {
        n++;
    }
    return n;
}

/* Every generation and the permanent one (gc.freeze()), so freezing
 * moves objects without changing the count. */
static long long
plk__gc_tracked(void)
{
    struct _gc_runtime_state *gcs = &PyInterpreterState_Get()->gc;
    long long n = plk__gc_list_len(&gcs->permanent_generation.head);
    int i;

    for (i = 0; i < NUM_GENERATIONS; i++) {
        n += plk__gc_list_len(&gcs->generations[i].head);
    }
    return n;
}

#endif
