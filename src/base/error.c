/* Error codes, their texts, and the error record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"

const char *
plk_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define PLK__ERR_TEXT(name, value, text)                                      \
    case value:                                                               \
        return text;
        PLK_ERRNO_MAP(PLK__ERR_TEXT)
#undef PLK__ERR_TEXT
    default:
        return "unknown error";
    }
}

int
plk_error_setv(plk_error *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL) {
        return code;
    }
    free(err->message);
    err->code = code;
    err->message = plk_vasprintf(fmt, ap);
    return code;
}

int
plk_error_set(plk_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    plk_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void
plk_error_set_detail(plk_error *err, const char *detail)
{
    if (err == NULL) {
        return;
    }
    free(err->detail);
    err->detail = plk_strdup(detail);
}

void
plk_error_clear(plk_error *err)
{
    if (err == NULL) {
        return;
    }
    free(err->message);
    free(err->detail);
    err->message = NULL;
    err->detail = NULL;
    err->code = 0;
}
