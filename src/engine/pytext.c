/* Text of Python objects as C strings, for records and reports. */
#include <Python.h>

#include <string.h>

#include "engine/pytext.h"
#include "base/util.h"

/* A C copy of p[0..n): a NUL in a message or in output would end the
 * string there, so it is shown as "\x00", as reports show other control
 * characters. */
static char *
nul_visible(const char *p, size_t n)
{
    plk_buf b = {0};
    const char *nul;

    while ((nul = memchr(p, '\0', n)) != NULL) {
        if (plk_buf_append(&b, p, (size_t)(nul - p)) != 0 ||
            plk_buf_puts(&b, "\\x00") != 0) {
            plk_buf_free(&b);
            return NULL;
        }
        n -= (size_t)(nul - p) + 1;
        p = nul + 1;
    }
    if (b.data == NULL) {
        return plk_strndup(p, n);
    }
    if (plk_buf_append(&b, p, n) != 0) {
        plk_buf_free(&b);
        return NULL;
    }
    return plk_buf_detach(&b);
}

/* A new UTF-8 copy of str(o); undecodable parts are escaped. */
char *
plk__py_text(PyObject *o)
{
    PyObject *s = NULL, *b = NULL;
    char *out = NULL;

    if (o == NULL || o == Py_None) {
        return NULL;
    }
    s = PyObject_Str(o);
    if (s == NULL) {
        PyErr_Clear();
        return plk_strdup("<unprintable>");
    }
    b = PyUnicode_AsEncodedString(s, "utf-8", "backslashreplace");
    if (b == NULL) {
        PyErr_Clear();
        goto done;
    }
    out = nul_visible(PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b));
done:
    Py_XDECREF(s);
    Py_XDECREF(b);
    return out;
}
