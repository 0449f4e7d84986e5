/* The interpreter layer's row for a CPython newer than any this build
 * knows: public and unstable-public API only, so it compiles against
 * headers whose private structures nobody here has read. What that costs
 * is said at start-up (plk_interp_lacks). */
#include <Python.h>

#include "engine/interp.h"

const plk_interp_row plk__interp_row = {
    .family = "newer",
    .interned = PLK_INTERP_INTERNED_MIXED,
    .no_frames = "native call sites of malloc leaks (this build reads "
                 "Python's frames only on the versions it knows, "
                 "3.9 to 3.13)",
};
