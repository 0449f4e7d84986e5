/* Text of Python objects as C strings (private to the core). */
#ifndef PYLEAK_PYTEXT_H
#define PYLEAK_PYTEXT_H

#include <Python.h>

/* A new UTF-8 copy of str(o) that the caller frees: undecodable parts
 * escaped, a NUL shown as "\x00", "<unprintable>" when str() fails.
 * NULL for NULL or None (or out of memory). Clears any Python error. */
char *plk__py_text(PyObject *o);

#endif
