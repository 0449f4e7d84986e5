/* Run configuration defaults, and releasing what a configuration owns. */
#include <stdlib.h>
#include <string.h>

#include "pyleak/config.h"

void
plk_config_init(plk_config *c)
{
    memset(c, 0, sizeof(*c));
    c->command = PLK_CMD_NONE;
    c->warmup = 3;
    c->min_rounds = 8;
    c->max_rounds = 64;
    c->max_calls = 100;
    c->round_ms = 2.0;
    c->alpha = 0.01;
    c->color = PLK_COLOR_AUTO;
    c->jobs = 0;
    c->timeout = 300.0;
    c->diagnose = 1;
    c->traceback_depth = 16;

    /* Counts that settle to whole numbers after a full collection still
     * jitter by a fraction of a unit per round on average (a cache slot
     * refilled every few rounds), so only growth above that is a signal.
     * malloc and the kernel work in chunks and pages, hence the much
     * larger floors for heap and rss. */
    c->floor[PLK_METRIC_REFS] = 0.25;
    c->floor[PLK_METRIC_BLOCKS] = 0.25;
    c->floor[PLK_METRIC_OBJECTS] = 0.25;
    c->floor[PLK_METRIC_HEAP] = 256;
    c->floor[PLK_METRIC_RSS] = 262144;
    c->floor[PLK_METRIC_FDS] = 0.5;
    c->floor[PLK_METRIC_THREADS] = 0.5;
    /* threshold[] stays 0: by default any growth above the floor fails. */
}

void
plk_config_free(plk_config *c)
{
    if (c == NULL) {
        return;
    }
    plk_strlist_free(&c->targets);
    plk_strlist_free(&c->ignore);
    free(c->junit_xml);
    free(c->python);
    free(c->json);
    free(c->durations_from);
    free(c->keyword);
    free(c->baseline);
    c->junit_xml = NULL;
    c->python = NULL;
    c->json = NULL;
    c->durations_from = NULL;
    c->keyword = NULL;
    c->baseline = NULL;
}
