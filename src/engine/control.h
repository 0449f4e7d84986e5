/* Per-test control handed over by the harness (Item.control): skip a
 * test, give it more rounds, or allow growth of some metrics. */
#ifndef PYLEAK_CONTROL_H
#define PYLEAK_CONTROL_H

#include <Python.h>

#include "base/error.h"
#include "base/metric.h"

typedef struct plk_control {
    int present;     /* the test carried a control at all */
    char *skip;      /* reason to skip the test; NULL: run it */
    unsigned rounds; /* measured rounds at least; 0: no minimum */
    /* Per metric: 0 when an allowance takes the metric out of the
     * verdict, else 1. */
    int gate[PLK_METRIC__COUNT];
    /* Per metric: growth per call the test may show (replaces the
     * configured threshold), or a negative value: no allowance. */
    double threshold[PLK_METRIC__COUNT];
    char *note; /* the allowances with their reasons, or NULL */
} plk_control;

/* Fill out from the control object obj (None, or a dict with the
 * optional keys "skip": str, "rounds": int >= 1 and "allow": a list of
 * (metric, per_call or None, reason), where the first allowance of a
 * metric wins). out is always initialised, even
 * on failure. Returns 0, or PLK_EUSAGE with err saying which key is
 * wrong and what it must be. */
int plk_control_parse(plk_control *out, PyObject *obj, plk_error *err);

/* Release what a control owns; c may be NULL. */
void plk_control_clear(plk_control *c);

#endif
