/* Diagnosis of a test judged leaking: where the memory was allocated,
 * what holds it, and what kind of leak it is. */
#ifndef PYLEAK_DIAGNOSE_H
#define PYLEAK_DIAGNOSE_H

#include <Python.h>

#include "config/config.h"
#include "base/result.h"
#include "engine/contract.h"

/* Re-run the leaking test (call, k calls per round) under the diagnosis
 * tools and fill t's diagnosis fields: kind, loc_file/loc_line, top_site,
 * diagnosis (a JSON object; its keys are documented in diagnose.py),
 * diagnose_time; t->message becomes the one-line form ("leaks 1
 * object/call (+72 B/call) at tests/test_cache.py:9") and the readable
 * diagnosis is appended to t->details. Expects the collector frozen, as
 * the engine leaves it after the measured rounds, and leaves it frozen.
 * Diagnosis trouble is recorded in t->details, never fails the run.
 * Does nothing when cfg->diagnose is 0. Returns 0, or PLK_EINTR when
 * interrupted. */
int plk_diagnose(plk_contract *C, PyObject *call, unsigned k,
                 plk_test_result *t, const plk_config *cfg);

/* The one-line leak message from t's metric verdicts and diagnosis
 * fields: the main per-call amount, the bytes per call in parentheses
 * (bytes_per_call when positive), and " at loc_file:loc_line" when the
 * location is known. */
char *plk_diagnose_summary(const plk_test_result *t, double bytes_per_call);

#endif
