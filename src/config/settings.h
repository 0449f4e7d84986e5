/* The settings table: one row per setting, with its flags, its
 * [tool.pyleak-ci] key, its type and range, where plk_config keeps it,
 * its default and its help. The command line, pyproject.toml, the
 * defaults, `pyleak-ci config`, --help and the man page all read it. */
#ifndef PYLEAK_SETTINGS_H
#define PYLEAK_SETTINGS_H

#include <stddef.h>

#include "config/config.h"

/* What a setting holds, and so how it is parsed, checked and shown. */
typedef enum {
    PLK_KIND_UINT,    /* unsigned in [lo, hi] */
    PLK_KIND_NUMBER,  /* double in lo..hi, ends open or closed */
    PLK_KIND_BOOL,    /* int, 0 or 1 */
    PLK_KIND_STRING,  /* char *, NULL: not set */
    PLK_KIND_PATH,    /* char *; in the file, relative to its folder */
    PLK_KIND_CHOICE,  /* an int-sized enum: the index into choices */
    PLK_KIND_TARGETS, /* plk_strlist of targets (the arguments) */
    PLK_KIND_GLOBS,   /* plk_strlist, appended to; at2: size_t count of
                       * items from the file, at3: int line of its key */
    PLK_KIND_METRICS, /* double[PLK_METRIC__COUNT], at2: plk_source[]
                       * of where each came from */
    PLK_KIND_SHARD    /* K/N: unsigned K at at, unsigned N at at2 */
} plk_kind;

/* One way to give a setting on the command line. */
typedef struct plk_flag {
    const char *name;       /* "--rounds" */
    const char *short_name; /* "-j", or NULL */
    const char *metavar;    /* "N"; NULL: the flag takes no value */
    const char *sets;       /* no value: what it sets, as it would be
                             * typed ("true", "never") */
    /* --help text: lines as they are broken in the help, each wrapped
     * again only if it would pass column 79. {lo}, {hi}, {default}
     * and {choices} stand for the row's values. */
    const char *help;
} plk_flag;

#define PLK_SETTING_MAX_FLAGS 2

typedef struct plk_setting_def {
    plk_setting id;
    const char *key;     /* [tool.pyleak-ci] key; NULL: flag only */
    const char *not_key; /* flag only: why the file does not set it */
    const char *env;     /* the environment variables it is read
                             * from, as documented, or NULL */
    const char *json;    /* name in the JSON report's settings, or
                             * NULL when the report leaves it out */
    plk_kind kind;
    size_t at;                  /* offsetof the value in plk_config */
    size_t at2, at3;            /* more of it, by kind (see plk_kind) */
    double lo, hi;              /* UINT, NUMBER, SHARD (N): the range */
    int lo_open, hi_open;       /* NUMBER: the ends are excluded */
    const char *unit;           /* NUMBER: "milliseconds", for messages */
    const char *const *choices; /* CHOICE: the names, NULL-ended */
    union {
        unsigned u;
        double d;
        int b;                 /* BOOL; CHOICE: the index */
        const char *s;         /* TARGETS: what no target means */
        const double *metrics; /* NULL: 0 for every metric */
    } def;
    /* `pyleak-ci config` adds this after the source, or NULL. */
    const char *(*note)(const plk_config *c);
    plk_flag flags[PLK_SETTING_MAX_FLAGS]; /* name NULL: unused */
} plk_setting_def;

/* A setting's value in a plk_config, by kind: the fields of other
 * kinds are zero. Everything pointed to belongs to the plk_config. */
typedef struct plk_value {
    plk_kind kind;
    unsigned u;            /* UINT; SHARD: K (0: not sharded) */
    unsigned u2;           /* SHARD: N */
    double d;              /* NUMBER */
    int b;                 /* BOOL; CHOICE: the index */
    const char *s;         /* STRING, PATH (NULL: not set); CHOICE: the
                             * name of the choice */
    const double *metrics; /* METRICS: PLK_METRIC__COUNT amounts */
    const plk_source *metric_source; /* METRICS: where each came from */
    const plk_strlist *list;         /* TARGETS, GLOBS */
    size_t from_file; /* GLOBS: the first items came from the file, */
    int file_line;    /* from its key on this line */
} plk_value;

/* Every setting in plk_setting order, the order `pyleak-ci config`
 * prints them in: plk_setting_at(i)->id == i. */
size_t plk_settings_count(void);
const plk_setting_def *plk_setting_at(size_t i);
/* The rows in the order --help lists their flags (the table's order). */
const plk_setting_def *plk_setting_listed(size_t i);

/* The row of a [tool.pyleak-ci] key, or NULL. */
const plk_setting_def *plk_setting_by_key(const char *key);
/* The key, else the first flag without its dashes ("shard"). */
const char *plk_setting_name(const plk_setting_def *s);

/* Parse value as the setting's kind wants it and store it in c. Messages
 * name the setting as label ("--rounds", or "rounds" for the file).
 * src, when not NULL, is recorded for each metric a METRICS value sets;
 * the caller records c->source[s->id]. Returns 0, or PLK_EUSAGE or
 * PLK_ENOMEM with err set. */
int plk_setting_set(plk_config *c, const plk_setting_def *s, const char *label,
                    const char *value, const plk_source *src, plk_error *err);

/* The value of s in c. */
void plk_setting_get(plk_value *out, const plk_setting_def *s,
                     const plk_config *c);

/* The list of a TARGETS or GLOBS setting of c, to change. */
plk_strlist *plk_setting_list(plk_config *c, const plk_setting_def *s);
/* GLOBS: the first n items of the list came from the file's key on
 * line. */
void plk_setting_from_file(plk_config *c, const plk_setting_def *s, size_t n,
                           int line);

/* "an integer from 3 to 100000", "a number of seconds greater than 0":
 * what a UINT or NUMBER setting accepts, as messages say it. A new
 * string, NULL when out of memory. */
char *plk_setting_accepts(const plk_setting_def *s);
/* "auto, always or never": a new string, NULL when out of memory. */
char *plk_setting_choices(const plk_setting_def *s);

/* Every setting of c at its default (c otherwise zeroed), and the
 * release of what the settings of c own, leaving them empty. */
void plk_settings_defaults(plk_config *c);
void plk_settings_free(plk_config *c);

#endif
