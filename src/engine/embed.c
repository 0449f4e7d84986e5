/* Starting the embedded interpreter in the user's Python environment. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/interp.h"
#include "engine/embed.h"
#include "base/util.h"

#ifndef PLK_PYTHON_EXECUTABLE
#define PLK_PYTHON_EXECUTABLE ""
#endif
#ifndef PLK_SOURCE_DIR
#define PLK_SOURCE_DIR "<pyleak-ci source>"
#endif

static int initialised;

const char *
plk_embed_version(void)
{
    return PY_VERSION;
}

const char *
plk_embed_lacks(void)
{
    return plk_interp_lacks();
}

int
plk_embed_is_debug(void)
{
#ifdef Py_REF_DEBUG
    return 1;
#else
    return 0;
#endif
}

/* Read "version = X.Y.Z" (or version_info) from a venv's pyvenv.cfg.
 * Returns 1 when found, with major/minor set. */
static int
read_pyvenv_version(const char *cfg, int *major, int *minor)
{
    FILE *f = fopen(cfg, "r");
    char line[512];
    int found = 0;

    if (f == NULL) {
        return 0;
    }
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        char *p = line, *eq;
        size_t klen;

        while (*p == ' ' || *p == '\t') {
            p++;
        }
        eq = strchr(p, '=');
        if (eq == NULL) {
            continue;
        }
        klen = (size_t)(eq - p);
        while (klen > 0 && (p[klen - 1] == ' ' || p[klen - 1] == '\t')) {
            klen--;
        }
        if ((klen == 7 && strncmp(p, "version", 7) == 0) ||
            (klen == 12 && strncmp(p, "version_info", 12) == 0)) {
            if (sscanf(eq + 1, " %d.%d", major, minor) == 2) {
                found = 1;
            }
        }
    }
    fclose(f);
    return found;
}

/* Run "python -c ..." and read its major.minor. */
static int
ask_python_version(const char *python, int *major, int *minor)
{
    int fds[2];
    pid_t pid;
    char buf[64];
    ssize_t n;
    size_t got = 0;
    int status;

    if (pipe(fds) != 0) {
        return 0;
    }
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return 0;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);

        dup2(fds[1], STDOUT_FILENO);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        close(fds[0]);
        close(fds[1]);
        execl(python, python, "-I", "-c",
              "import sys; print('%d.%d' % sys.version_info[:2])",
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while (got < sizeof(buf) - 1 &&
           (n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return sscanf(buf, "%d.%d", major, minor) == 2;
}

int
plk_embed_check_python(const char *path, plk_error *err)
{
    struct stat st;
    char *dir = NULL, *cfg = NULL, *slash;
    int major = 0, minor = 0, found = 0, rc = 0;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
        access(path, X_OK) != 0) {
        return plk_error_set(err, PLK_ENOTFOUND,
                             "%s: no Python interpreter there (%s); give "
                             "the path of a python executable",
                             path, strerror(errno ? errno : ENOENT));
    }
    /* A venv's pyvenv.cfg sits one level above bin/python. */
    dir = plk_strdup(path);
    if (dir == NULL) {
        return PLK_ENOMEM;
    }
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        cfg = plk_asprintf("%s/../pyvenv.cfg", dir);
        if (cfg != NULL) {
            found = read_pyvenv_version(cfg, &major, &minor);
        }
        free(cfg);
        if (!found) {
            cfg = plk_asprintf("%s/pyvenv.cfg", dir);
            if (cfg != NULL) {
                found = read_pyvenv_version(cfg, &major, &minor);
            }
            free(cfg);
        }
    }
    if (!found) {
        found = ask_python_version(path, &major, &minor);
    }
    if (!found) {
        rc = plk_error_set(err, PLK_EVERSION,
                           "%s: could not tell its Python version; it must "
                           "be Python %d.%d, the version pyleak-ci is "
                           "built against",
                           path, PY_MAJOR_VERSION, PY_MINOR_VERSION);
        goto done;
    }
    if (major != PY_MAJOR_VERSION || minor != PY_MINOR_VERSION) {
        /* The embedded libpython decides what the tests can import:
         * a build per minor version, as for any C extension. */
        rc = plk_error_set(err, PLK_EVERSION,
                           "%s is Python %d.%d but pyleak-ci is built "
                           "against libpython %d.%d; use a %d.%d "
                           "environment, or rebuild pyleak-ci for Python "
                           "%d.%d: cmake -S %s -B build-%d.%d "
                           "-DPython_EXECUTABLE=%s && cmake --build "
                           "build-%d.%d (or pip install it into that "
                           "environment)",
                           path, major, minor, PY_MAJOR_VERSION,
                           PY_MINOR_VERSION, PY_MAJOR_VERSION,
                           PY_MINOR_VERSION, major, minor, PLK_SOURCE_DIR,
                           major, minor, path, major, minor);
        goto done;
    }
done:
    free(dir);
    return rc;
}

static int
status_error(PyStatus status, plk_error *err)
{
    return plk_error_set(err, PLK_EPYTHON, "cannot initialise Python: %s%s%s",
                         status.func ? status.func : "",
                         status.func ? ": " : "",
                         status.err_msg ? status.err_msg : "unknown error");
}

int
plk_embed_init(const plk_embed_options *opt, plk_error *err)
{
    PyConfig config;
    PyStatus status;
    const char *python = opt->python;
    char *argv[2];
    int rc = 0;

    if (initialised) {
        return 0;
    }
    if (python != NULL) {
        rc = plk_embed_check_python(python, err);
        if (rc != 0) {
            return rc;
        }
    }
    else if (PLK_PYTHON_EXECUTABLE[0] != '\0' &&
             access(PLK_PYTHON_EXECUTABLE, X_OK) == 0) {
        /* The interpreter pyleak-ci was built against: sys.executable
         * then names a real python, so tests that start subprocesses
         * with it run Python, not pyleak-ci. */
        python = PLK_PYTHON_EXECUTABLE;
    }

    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    /* Tests are many; their .pyc files are the user's to keep or not,
     * as with their own python. */
    if (python != NULL) {
        /* Setting program_name (not prefix or paths) makes CPython's own
         * path calculation run as it would for that python: it finds a
         * venv's pyvenv.cfg and its site-packages the same way. */
        status =
            PyConfig_SetBytesString(&config, &config.program_name, python);
        if (PyStatus_Exception(status)) {
            rc = status_error(status, err);
            goto done;
        }
    }
    argv[0] = (char *)(opt->argv0 ? opt->argv0 : "pyleak-ci");
    argv[1] = NULL;
    status = PyConfig_SetBytesArgv(&config, 1, argv);
    if (PyStatus_Exception(status)) {
        rc = status_error(status, err);
        goto done;
    }
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status)) {
        rc = status_error(status, err);
        goto done;
    }
    initialised = 1;
    rc = plk_interp_init(err);
done:
    PyConfig_Clear(&config);
    return rc;
}

void
plk_embed_finalize(void)
{
    if (initialised) {
        plk_interp_fini();
        Py_FinalizeEx();
        initialised = 0;
    }
}

/* -- worker processes ----------------------------------------------------- */

pid_t
plk_embed_fork(void)
{
    pid_t pid;

    PyOS_BeforeFork();
    pid = fork();
    if (pid == 0) {
        PyOS_AfterFork_Child();
        return 0;
    }
    PyOS_AfterFork_Parent();
    return pid;
}

void
plk_embed_faulthandler(int fd)
{
    PyObject *fh = PyImport_ImportModule("faulthandler");
    PyObject *r = NULL, *signal = NULL, *usr2 = NULL;

    if (fh == NULL) {
        PyErr_Clear();
        return;
    }
    r = PyObject_CallMethod(fh, "enable", "(ii)", fd, 1);
    Py_XDECREF(r);
    signal = PyImport_ImportModule("signal");
    usr2 = signal ? PyObject_GetAttrString(signal, "SIGUSR2") : NULL;
    r = usr2 ? PyObject_CallMethod(fh, "register", "(Oiii)", usr2, fd, 1, 0)
             : NULL;
    Py_XDECREF(r);
    PyErr_Clear();
    Py_XDECREF(usr2);
    Py_XDECREF(signal);
    Py_DECREF(fh);
}

void
plk_embed_flush_stdio(void)
{
    const char *names[] = {"stdout", "stderr"};
    size_t i;

    for (i = 0; i < 2; i++) {
        PyObject *f = PySys_GetObject(names[i]); /* borrowed */
        PyObject *r = f ? PyObject_CallMethod(f, "flush", NULL) : NULL;

        Py_XDECREF(r);
        PyErr_Clear();
    }
    fflush(NULL);
}

void
plk_embed_preload(const char *module)
{
    PyObject *m = PyImport_ImportModule(module);

    if (m == NULL) {
        int ctrl_c = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);

        PyErr_Clear();
        if (ctrl_c) {
            PyErr_SetInterrupt(); /* for plk_embed_interrupted */
        }
    }
    Py_XDECREF(m);
}

int
plk_embed_interrupted(void)
{
    if (PyErr_CheckSignals() != 0) {
        PyErr_Clear();
        return 1;
    }
    return 0;
}
