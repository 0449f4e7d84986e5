/* Starting and stopping the embedded CPython interpreter. */
#ifndef PYLEAK_EMBED_H
#define PYLEAK_EMBED_H

#include <sys/types.h>

#include "base/error.h"

typedef struct plk_embed_options {
    const char *argv0; /* pyleak-ci's own argv[0] */
    /* Interpreter whose environment to reproduce: a venv's bin/python or
     * another installation's python. NULL: the libpython's own prefix. */
    const char *python;
} plk_embed_options;

/* Check that the interpreter at path is the version this binary links
 * (reads pyvenv.cfg for a virtual environment, else asks it). Returns 0,
 * PLK_EVERSION or PLK_ENOTFOUND. */
int plk_embed_check_python(const char *path, plk_error *err);

/* Initialise the interpreter with PyConfig. On PLK_EPYTHON/PLK_EVERSION
 * err says why. */
int plk_embed_init(const plk_embed_options *opt, plk_error *err);
void plk_embed_finalize(void);

/* Version of the linked libpython, "3.11.2". */
const char *plk_embed_version(void);
/* What this build cannot do with the Python it embeds (a version newer
 * than any it knows), as a sentence fragment; NULL when nothing. */
const char *plk_embed_lacks(void);

/* Non-zero when the linked libpython is a debug build (Py_REF_DEBUG). */
int plk_embed_is_debug(void);

/* fork() with the interpreter's own before/after hooks: 0 in the child,
 * the child's pid (or -1) in the parent. */
pid_t plk_embed_fork(void);
/* In a worker: Python tracebacks of a crash or of SIGUSR2 go to fd. */
void plk_embed_faulthandler(int fd);
/* Flush sys.stdout, sys.stderr and C stdio before a worker exits. */
void plk_embed_flush_stdio(void);

/* Import a module once so that forked workers share it; an import error
 * is left for the tests to meet. */
void plk_embed_preload(const char *module);
/* Run pending signal handlers: 1 when that raised (a Ctrl-C came). */
int plk_embed_interrupted(void);

#endif
