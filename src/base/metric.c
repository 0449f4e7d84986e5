/* Names and units of the metrics. */
#include <string.h>

#include "base/metric.h"

static const struct {
    const char *name;
    const char *unit;
} metrics[PLK_METRIC__COUNT] = {
    [PLK_METRIC_REFS] = {"refs", "references"},
    [PLK_METRIC_BLOCKS] = {"blocks", "blocks"},
    [PLK_METRIC_OBJECTS] = {"objects", "objects"},
    [PLK_METRIC_HEAP] = {"heap", "bytes"},
    [PLK_METRIC_RSS] = {"rss", "bytes"},
    [PLK_METRIC_FDS] = {"fds", "descriptors"},
    [PLK_METRIC_THREADS] = {"threads", "threads"},
    [PLK_METRIC_PROCS] = {"procs", "processes"},
    [PLK_METRIC_TMPFILES] = {"tmpfiles", "entries"},
    [PLK_METRIC_TMPBYTES] = {"tmpbytes", "bytes"},
    [PLK_METRIC_ENV] = {"env", "entries"},
};

const char *
plk_metric_name(plk_metric m)
{
    return (unsigned)m < PLK_METRIC__COUNT ? metrics[m].name : "?";
}

const char *
plk_metric_unit(plk_metric m)
{
    return (unsigned)m < PLK_METRIC__COUNT ? metrics[m].unit : "?";
}

int
plk_metric_from_name(const char *name)
{
    int i;

    for (i = 0; i < PLK_METRIC__COUNT; i++) {
        if (strcmp(metrics[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

int
plk_metric_sustained(plk_metric m)
{
    return m == PLK_METRIC_FDS || m == PLK_METRIC_THREADS ||
           m == PLK_METRIC_PROCS;
}
