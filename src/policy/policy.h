/* The rules of the gate, apart from the calls that carry them out.
 *
 * A test measured alone, or a group of tests screened together, gives a
 * series of samples: one before its measured rounds, one after each
 * round of calls. The engine makes the calls and takes the samples; the
 * functions here decide, from the series and the calls behind it, what
 * comes next: another round (perhaps of more calls), a clean stop, a
 * leak, a closer look at a group. They see no Python, read no clock and
 * allocate only before a measurement's first sample, so that running
 * out of memory is an error of the engine's, never a verdict. */
#ifndef PYLEAK_POLICY_H
#define PYLEAK_POLICY_H

#include <stddef.h>

#include "base/fit.h"
#include "base/metric.h"
#include "base/result.h"

/* A test that keeps looking suspicious gets more rounds, but never past
 * this much wall time for its measured rounds. */
#define PLK_TEST_BUDGET_S 60.0
/* A test (or a screened group) whose gating metrics stayed exactly flat
 * over its first PLK_EARLY_ROUNDS measured rounds is clean and stops
 * there. Three: two flat rounds happen by chance to tests that allocate
 * and free in step; three in a row in every metric did not, on CPython's
 * own test modules, precede later growth. The rounds must also span
 * PLK_EARLY_CALLS calls, so a leak every second, third or fourth call
 * cannot fall between them when a slow test is called once per round. */
#define PLK_EARLY_ROUNDS 3
#define PLK_EARLY_CALLS 4
/* A test that screening calls more than once per round (one of a
 * quarter of --round-ms or less) is screened a third of this many times
 * per round at least, so that the PLK_EARLY_ROUNDS flat rounds of an
 * early stop hold this many calls: a leak every 50th call cannot fall
 * between them. Slower tests keep the PLK_EARLY_CALLS guarantee. */
#define PLK_EARLY_SPARSE_CALLS 64
/* Screening calls each test an eighth of its calibrated calls per round
 * (at least once) and divides the floors by as much, so a group's series
 * is as sensitive per call as a test's own rounds, for an eighth of the
 * calls. Its verdict rests mostly on exact zeros, which one kept
 * allocation per round breaks whatever the calls; a group that is not
 * clean costs a closer look, never a verdict. */
#define PLK_SCREEN_DIVISOR 8
/* Steady growth is a leak only once the test has been called this many
 * times in all: a cache capped at up to about 1,300 entries that fills one
 * entry per call has then been full for the last third of the rounds.
 * Within the budget, a test that needs more calls than --max-rounds
 * rounds hold gets more calls per round (see plk_measure_add). */
#define PLK_PERSIST_CALLS 2048
/* Groups smaller than this are not split again: their tests are
 * measured alone. */
#define PLK_SCREEN_SPLIT_MIN 4
/* How far a test that fails when repeated one call at a time is widened
 * (1: its class's fixtures around every call, 2: its module's too). */
#define PLK_RESCOPE_LEVELS 2

/* The settings the rules read (from the run's configuration). */
typedef struct plk_policy {
    unsigned min_rounds; /* measured rounds before a first verdict */
    unsigned max_rounds; /* rounds before calls per round double */
    unsigned max_calls;  /* calls per round at most */
    double round_ms;     /* a round's target length */
    double alpha;        /* significance of the trend test */
    double floor[PLK_METRIC__COUNT];     /* noise per round */
    double threshold[PLK_METRIC__COUNT]; /* growth per call allowed */
    unsigned available; /* bit (1u << metric) per metric sampled */
    int thorough;       /* no early stop */
    double budget_s;    /* wall time for a test's measured rounds */
} plk_policy;

/* What one test's control changes. */
typedef struct plk_test_limits {
    unsigned rounds;  /* measured rounds at least; 0: no minimum */
    unsigned ungated; /* bit (1u << metric): out of the verdict */
    /* Growth per call allowed, replacing the policy's; < 0: none. */
    double threshold[PLK_METRIC__COUNT];
} plk_test_limits;

/* Limits that change nothing. */
void plk_test_limits_none(plk_test_limits *lim);

/* 1 when a metric's verdict can fail a test: resident memory moves in
 * pages and with the allocator's moods, so it corroborates the others
 * but never fails a test alone. */
int plk_policy_gating(plk_metric m);

/* Calls per round for a test that takes dt seconds per call. */
unsigned plk_policy_calls_for(const plk_policy *p, double dt);

/* 1 when a test whose first call took first_dt seconds should be timed
 * by a second call; 0 when screening would call it once per round
 * anyway. */
int plk_policy_second_call(const plk_policy *p, double first_dt);

/* Calls per round while screening, for a test calibrated at k. */
unsigned plk_policy_screen_calls(unsigned k);

/* Flat rounds in a row that stop a test early at k calls per round:
 * PLK_EARLY_ROUNDS, and enough to hold PLK_EARLY_CALLS calls (under
 * --thorough: --min-rounds, so no early stop). */
unsigned plk_policy_early_rounds(const plk_policy *p, unsigned k);

/* 1 when a test screened at ks calls per round needs more rounds for its
 * early stop than the others and so is screened in a group of its own
 * kind. */
int plk_policy_slow(const plk_policy *p, unsigned ks);

/* A group of n tests that did not screen clean: how many of them to
 * screen as its first half (the rest are the second), or 0 when the
 * group is too small to split and its tests are measured alone. */
size_t plk_policy_split(size_t n);

typedef enum plk_narrow {
    PLK_NARROW_DONE,   /* both halves clean: nothing left to find */
    PLK_NARROW_FIRST,  /* look closer at the first half */
    PLK_NARROW_SECOND, /* ... at the second */
    PLK_NARROW_ALONE   /* both dirty: leaks are many, measure each */
} plk_narrow;

/* What follows the screening of both halves of a dirty group. */
plk_narrow plk_policy_narrow(int clean_first, int clean_second);

/* 1 when a test whose call number calls ended in outcome is measured
 * again with wider fixtures (it passed its first call): a first call
 * that fails is a failure, whatever the fixtures. */
int plk_policy_rescope(plk_outcome outcome, unsigned long calls);

/* Buffers for a measurement's series, kept from one test to the next. */
typedef struct plk_rounds {
    plk_sample *samples; /* cap + 1 */
    int64_t *y;          /* cap + 1 */
    double *scratch;     /* the fits' scratch for cap + 1 samples */
    unsigned cap;
} plk_rounds;

/* Rounds a series may hold at most (a control may ask for more rounds
 * than --max-rounds allows; not this many). */
#define PLK_ROUNDS_LIMIT 1000000u

/* Room for n rounds after the first sample. Returns 0 or PLK_ENOMEM
 * (the buffers are then as they were), also for n > PLK_ROUNDS_LIMIT. */
int plk_rounds_reserve(plk_rounds *b, unsigned n);
void plk_rounds_free(plk_rounds *b);

/* Why a measurement stopped. */
typedef enum plk_stop {
    PLK_STOP_NONE,   /* it has not */
    PLK_STOP_EARLY,  /* flat lately and clean: before --min-rounds */
    PLK_STOP_JUDGED, /* clean, or a leak that has persisted */
    PLK_STOP_DIRTY,  /* a screened group that is not clean */
    PLK_STOP_BUDGET, /* the time budget is spent */
    PLK_STOP_CAP     /* rounds and calls per round are at their caps */
} plk_stop;

const char *plk_stop_name(plk_stop s);

/* One measurement: a test alone, or a group screened together. */
typedef struct plk_measure {
    const plk_policy *p;
    plk_rounds *buf;
    plk_metric_result *out; /* the fits of the last judgement go here */
    plk_test_limits lim;
    int group;            /* a screened group: floors divided, no
                             * thresholds, no persistence */
    unsigned least, most; /* rounds */
    unsigned k;           /* calls per round of the next round */
    unsigned lowest;      /* a group's fewest calls per round by one
                             * test (the early stop's span) */
    unsigned target;      /* rounds the series is to reach */
    unsigned have;        /* rounds in the series */
    unsigned long before; /* calls before the first sample */
    unsigned long made;   /* calls since */
    double last_dt;       /* seconds per call in the latest round */
    double last_elapsed;  /* elapsed at the latest sample */
    plk_verdict verdict;  /* once stopped */
    plk_stop stop;
} plk_measure;

/* A test measured alone with lim (NULL: none), its fits into out[]
 * (PLK_METRIC__COUNT of them). Reserves buf's rounds, so call it before
 * the series' first sample is taken. Returns 0 or PLK_ENOMEM. */
int plk_measure_alone(plk_measure *m, plk_rounds *buf, const plk_policy *p,
                      const plk_test_limits *lim, plk_metric_result *out);

/* A group screened together: every round calls each of its tests, total
 * calls in all and lowest by the test called least. Reserves as above. */
int plk_measure_group(plk_measure *m, plk_rounds *buf, const plk_policy *p,
                      unsigned lowest, unsigned total, plk_metric_result *out);

/* The first sample, taken with k calls per round to come (a group's
 * total: ignored) and before calls of the test made so far (they count
 * towards persistence). Returns 1: make a round of m->k calls and pass
 * its sample to plk_measure_add; 0: stopped (m->verdict, m->stop). */
int plk_measure_start(plk_measure *m, const plk_sample *first, unsigned k,
                      unsigned long before);

/* The sample after a round of m->k calls; elapsed is the seconds since
 * the first measured round began. Returns as plk_measure_start. Once
 * stopped, m->have is the measured rounds and m->k the calls per round
 * of the series as kept (more calls per round thin it to every other
 * sample). */
int plk_measure_add(plk_measure *m, const plk_sample *s, double elapsed);

/* Copy the series as kept into the measured metrics of out[] (a new
 * array each; on failure of one allocation, that series is left empty). */
void plk_measure_keep(const plk_measure *m, plk_metric_result *out);

#endif
