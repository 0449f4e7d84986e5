/* leaky: a small C extension with the two classic native leaks, for
 * pyleak-ci to find (see README.md next to this file). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>

/* wrap(x) -> [x]. The list gets one reference too many (a Py_INCREF
 * "for the cache" with no cache and no Py_DECREF), so every list this
 * returns outlives its last user: a reference leak. */
static PyObject *
leaky_wrap(PyObject *self, PyObject *arg)
{
    PyObject *list = PyList_New(1);

    if (list == NULL) {
        return NULL;
    }
    Py_INCREF(arg);
    PyList_SET_ITEM(list, 0, arg);
    Py_INCREF(list);
    return list;
}

/* The sum of the bytes of data, computed in a scratch copy. */
static PyObject *
checksum(PyObject *arg, int release_scratch)
{
    Py_buffer view;
    unsigned char *scratch;
    unsigned long sum = 0;
    Py_ssize_t i;

    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    /* Room for the data and a 1 KiB header, as a real codec might. */
    scratch = malloc((size_t)view.len + 1024);
    if (scratch == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    memset(scratch, 0, 1024);
    memcpy(scratch + 1024, view.buf, (size_t)view.len);
    for (i = 0; i < view.len; i++) {
        sum += scratch[1024 + i];
    }
    PyBuffer_Release(&view);
    if (release_scratch) {
        free(scratch);
    }
    return PyLong_FromUnsignedLong(sum);
}

/* checksum(data) -> int. Forgets to free its scratch buffer: a native
 * allocation leak of len(data) + 1 KiB per call. */
static PyObject *
leaky_checksum(PyObject *self, PyObject *arg)
{
    return checksum(arg, 0);
}

/* checksum_fixed(data) -> int. The same, with the free. */
static PyObject *
leaky_checksum_fixed(PyObject *self, PyObject *arg)
{
    return checksum(arg, 1);
}

static PyMethodDef leaky_methods[] = {
    {"wrap", leaky_wrap, METH_O, "wrap(x) -> [x]; leaks the list."},
    {"checksum", leaky_checksum, METH_O,
     "checksum(data) -> int; leaks a scratch buffer."},
    {"checksum_fixed", leaky_checksum_fixed, METH_O,
     "checksum_fixed(data) -> int; does not leak."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef leaky_module = {
    PyModuleDef_HEAD_INIT, "leaky", "Functions with deliberate native leaks.",
    -1, leaky_methods};

PyMODINIT_FUNC
PyInit_leaky(void)
{
    return PyModule_Create(&leaky_module);
}
