/* Error codes and the error record every fallible pyleak-ci call fills. */
#ifndef PYLEAK_ERROR_H
#define PYLEAK_ERROR_H

#include <stdarg.h>

#if defined(__GNUC__)
#define PLK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PLK_PRINTF(fmt, args)
#endif

/* X(name, value, description): one table generates the enum and
 * plk_strerror(), so a code can never lack its text. */
#define PLK_ERRNO_MAP(X)                                                      \
    X(EUSAGE, -1, "usage error")                                              \
    X(ENOMEM, -2, "out of memory")                                            \
    X(EIO, -3, "input/output error")                                          \
    X(EPYTHON, -4, "Python error")                                            \
    X(EVERSION, -5, "Python version mismatch")                                \
    X(ENOTFOUND, -6, "not found")                                             \
    X(ECOLLECT, -7, "collection error")                                       \
    X(EINTR, -8, "interrupted")                                               \
    X(EINTERNAL, -9, "internal error")

typedef enum {
#define PLK__ERR_ENUM(name, value, text) PLK_##name = value,
    PLK_ERRNO_MAP(PLK__ERR_ENUM)
#undef PLK__ERR_ENUM
} plk_errno;

/* Detail of the last failure: a one-line message for the user and, when
 * Python was involved, the formatted traceback. Both owned by the record. */
typedef struct plk_error {
    int code;
    char *message;
    char *detail;
} plk_error;

const char *plk_strerror(int code);

/* Set err (which may be NULL) and return code, so callers can write
 * `return plk_error_set(err, PLK_EIO, "...")`. */
int plk_error_set(plk_error *err, int code, const char *fmt, ...)
    PLK_PRINTF(3, 4);
int plk_error_setv(plk_error *err, int code, const char *fmt, va_list ap)
    PLK_PRINTF(3, 0);
/* Replace the detail text (a copy is taken). */
void plk_error_set_detail(plk_error *err, const char *detail);
/* Free what the record owns and reset it; accepts NULL. */
void plk_error_clear(plk_error *err);

#endif
