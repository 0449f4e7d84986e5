/* Diagnosis of a test judged leaking: where the memory was allocated,
 * what holds it, and what kind of leak it is. */
#ifndef PYLEAK_DIAGNOSE_H
#define PYLEAK_DIAGNOSE_H

#include <Python.h>

#include "pyleak/config.h"
#include "pyleak/result.h"

/* Re-run the leaking test (call, k calls per round) under the diagnosis
 * tools and fill t's diagnosis fields. Diagnosis trouble is recorded in
 * t, never fails the run. Returns 0, or PLK_EINTR when interrupted. */
int plk_diagnose(PyObject *harness, PyObject *call, unsigned k,
                 plk_test_result *t, const plk_config *cfg);

#endif
