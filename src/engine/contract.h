/* The contract between the engine's C and its Python half: the only way
 * the C side calls the embedded modules (harness.py, diagnose.py), in C
 * types. */
#ifndef PYLEAK_CONTRACT_H
#define PYLEAK_CONTRACT_H

#include <Python.h>

#include <stddef.h>

#include "base/error.h"
#include "base/result.h"

/* Every function below that returns -1 leaves a Python exception pending:
 * the caller takes it (plk_contract_exception) or drops it
 * (plk_contract_drop). Strings handed out are new and the caller's. */

typedef struct plk_contract plk_contract;

/* Load the embedded modules (all but the diagnosis, which waits for its
 * first use) and look up every entry point. The interpreter must be
 * initialised. Returns 0, or PLK_EINTERNAL with err set (the Python
 * error printed). */
int plk_contract_load(plk_contract **out, plk_error *err);
void plk_contract_free(plk_contract *C);

/* The i-th name the contract looks up and *out_module, the module it is
 * looked up in; NULL past the last. For the test that holds the names
 * against each embedded module's __all__. */
const char *plk__contract_entry(size_t i, const char **out_module);

/* -- exceptions ----------------------------------------------------------- */

/* A Python exception as text. */
typedef struct plk_exception {
    int interrupted; /* KeyboardInterrupt: Ctrl-C, or SIGTERM */
    char *type;      /* its type's __name__; NULL when unknown */
    char *text;      /* its traceback as the harness formats it for users
                      * (str() of it when that fails); NULL: none */
} plk_exception;

/* Take the pending exception; out (may be NULL: nothing is formatted)
 * receives it. Returns PLK_EINTR for KeyboardInterrupt, else
 * PLK_EPYTHON. */
int plk_contract_exception(plk_contract *C, plk_exception *out);
void plk_exception_clear(plk_exception *e);

/* Forget the pending exception, if any. */
void plk_contract_drop(void);

/* -- calls ---------------------------------------------------------------- */

/* How a call of a test or a fixture ended. */
typedef enum plk_call_outcome {
    PLK_CALL_PASSED,
    PLK_CALL_FAILED, /* the test's assertion or exception */
    PLK_CALL_ERROR,  /* anything else: its set-up, pyleak-ci's trouble */
    PLK_CALL_SKIPPED
} plk_call_outcome;

/* A call's outcome with its texts (all NULL when it passed). */
typedef struct plk_call_result {
    plk_call_outcome outcome;
    char *exc_type; /* dotted exception type */
    char *message;  /* one line */
    char *details;  /* the traceback */
} plk_call_result;

void plk_call_result_clear(plk_call_result *r);
/* out = a copy of r; 0 or PLK_ENOMEM. */
int plk_call_result_copy(plk_call_result *out, const plk_call_result *r);

/* Call a test's call wrapper (plk_item.call) up to k times, counting
 * every call made in *made. Returns 0 when all passed; 1 when one did
 * not, with *out saying how (out is cleared first); -1 when an exception
 * escaped the wrapper. Allocates nothing while the calls pass. */
int plk_contract_call(PyObject *call, unsigned k, unsigned long *made,
                      plk_call_result *out);

/* -- collection ----------------------------------------------------------- */

/* One collected test, read once from the harness's item. */
typedef struct plk_item {
    char *id;        /* "tests/test_x.py::Class::name" */
    char *classname; /* dotted: "tests.test_x.Class" */
    char *name;
    char *file;    /* relative to the working directory */
    long line;     /* 0: unknown */
    int malformed; /* the item lacks a skip or a call */
    int skip;      /* 1: skipped as collected, for skip_reason */
    char *skip_reason;
    /* New references, released by plk_collection_clear. */
    PyObject *call;    /* the call wrapper, for plk_contract_call */
    PyObject *control; /* for plk_control_parse; NULL or None: none */
    PyObject *cls;     /* the same object for the tests of one class
                        * (its fixtures' argument); NULL: no class */
    PyObject *obj;     /* the harness's item, for plk_contract_rescope */
} plk_item;

typedef enum plk_collect_kind {
    PLK_COLLECT_OK,    /* module and items */
    PLK_COLLECT_SKIP,  /* the whole file is skipped, for reason */
    PLK_COLLECT_USAGE, /* the target names nothing there: error.message */
    PLK_COLLECT_ERROR  /* collection failed: error */
} plk_collect_kind;

/* What collecting a file or a callable gave. */
typedef struct plk_collection {
    plk_collect_kind kind;
    PyObject *module; /* OK: the module, or a pytest file (borrowed
                          * from result) */
    plk_item *items;  /* OK: in run order */
    size_t nitems;
    char *reason;          /* SKIP */
    plk_call_result error; /* USAGE, ERROR: exc_type, message, details */
    PyObject *result;      /* what the harness returned (owned) */
} plk_collection;

void plk_collection_clear(plk_collection *c);

/* harness.collect_file: a test file by its absolute path, its module
 * name and import root, its path as reported, a selector ("Class::test",
 * "" for all) and a -k expression ("" for all). Returns 0 or -1. */
int plk_contract_collect_file(plk_contract *C, const char *path,
                              const char *module, const char *root,
                              const char *relfile, const char *selector,
                              const char *keyword, plk_collection *out);

/* harness.collect_callable: module:attr. Returns 0 or -1. */
int plk_contract_collect_callable(plk_contract *C, const char *module,
                                  const char *attr, plk_collection *out);

/* The module's __file__, or NULL. */
char *plk_contract_file_of(PyObject *module);

/* -- fixtures around the rounds ------------------------------------------- */

typedef enum plk_fixture {
    PLK_FIXTURE_MODULE_SETUP,
    PLK_FIXTURE_MODULE_TEARDOWN,
    PLK_FIXTURE_CLASS_SETUP,
    PLK_FIXTURE_CLASS_TEARDOWN
} plk_fixture;

/* The harness function of f ("class_setup", ...). */
const char *plk_contract_fixture_name(plk_fixture f);

/* Run f for arg (a collection's module, or an item's cls). Returns 0
 * when it went well; 1 when not, with *out saying how; -1. */
int plk_contract_fixture(plk_contract *C, plk_fixture f, PyObject *arg,
                         plk_call_result *out);

/* A test measured again with its fixtures around every call: call (a
 * call wrapper) and restore (sets the fixtures up again after). */
typedef struct plk_rescoped {
    PyObject *call;    /* new reference */
    PyObject *restore; /* new reference */
} plk_rescoped;

/* harness.rescope(item, module, level): 1 with *out set; 0 when the test
 * has no fixtures at that level; -1. module may be NULL. */
int plk_contract_rescope(plk_contract *C, const plk_item *item,
                         PyObject *module, int level, plk_rescoped *out);
/* Set the fixtures up again; what that reports is not kept. 0 or -1. */
int plk_contract_rescope_restore(const plk_rescoped *r);
void plk_rescoped_clear(plk_rescoped *r);

/* -- rounds --------------------------------------------------------------- */

/* A harness.Cleaner: a snapshot of the caches a round may change, as a
 * new reference in *out. 0 or -1. */
int plk_contract_cleaner(plk_contract *C, PyObject **out);
/* Put back what the snapshot holds. 0 or -1. */
int plk_contract_restore(PyObject *cleaner);
/* harness.collect: three full collections. 0 or -1. */
int plk_contract_collect(plk_contract *C);
/* harness.environment: reap the children subprocess has finished with,
 * then the size of the environment (the env metric). The count, or -1
 * with a Python exception set. */
long long plk_contract_environment(plk_contract *C);
/* harness.reap_children: wait for the children of the Popen objects
 * already gone that have exited. 0 or -1. */
int plk_contract_reap_children(plk_contract *C);
/* gc.freeze (on) or gc.unfreeze. 0 or -1. */
int plk_contract_freeze(plk_contract *C, int on);

/* -- output and process state --------------------------------------------- */

/* Capture the first call's stdout, stderr and warnings. 0 or -1. */
int plk_contract_begin_capture(plk_contract *C);
/* Stop capturing; *out_stdout and *out_stderr receive what was
 * captured (NULL when the harness said nothing usable). 0 or -1. An
 * exception pending on entry (the captured call's) is pending on return,
 * whatever the harness did. */
int plk_contract_end_capture(plk_contract *C, char **out_stdout,
                             char **out_stderr);
/* Send the output of later calls nowhere, and back. 0 or -1. */
int plk_contract_mute(plk_contract *C);
int plk_contract_unmute(plk_contract *C);
/* SIGTERM raises KeyboardInterrupt unless someone handles it. 0 or -1. */
int plk_contract_stop_on_sigterm(plk_contract *C);
/* Reset the random state before every call (on) or not. 0 or -1. */
int plk_contract_set_reseed(plk_contract *C, int on);
/* Make path the temporary directory of this process's tests: TMPDIR and
 * tempfile's. 0 or -1. */
int plk_contract_use_tmpdir(plk_contract *C, const char *path);

/* -- diagnosis ------------------------------------------------------------ */

/* What the diagnosis of a leaking test is given. */
typedef struct plk_diagnosis_ask {
    PyObject *call;           /* its call wrapper */
    unsigned k;               /* calls per round */
    const plk_test_result *t; /* its metrics' verdicts, file and line */
    unsigned depth;           /* frames kept per traceback */
    double budget;            /* seconds to aim for */
    PyObject *tracer;         /* the malloc tracer as a module */
} plk_diagnosis_ask;

/* What it found (see diagnose.py's run()). */
typedef struct plk_diagnosis {
    char *kind;     /* comma-separated kinds, "" for none */
    char *loc_file; /* the leak's location, or NULL */
    long loc_line;  /* 0: unknown */
    char *top_site; /* "path:line: source", or NULL */
    double bytes_per_call;
    char *json; /* the whole diagnosis */
    char *text; /* the readable report */
} plk_diagnosis;

/* diagnose.run, its module loaded on the first call. 0 or -1. */
int plk_contract_diagnose(plk_contract *C, const plk_diagnosis_ask *ask,
                          plk_diagnosis *out);
void plk_diagnosis_clear(plk_diagnosis *d);

#endif
