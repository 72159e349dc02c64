/*
 * runquery.h — the runs browser's filter expressions and the values of
 * its summary and config columns.  Pure: no store, no screen.
 *
 * An expression is terms separated by spaces; a run matches when every
 * term does:
 *   lr>1e-3  val/loss<0.3  state=finished  name~^sweep  tag=baseline  resnet
 *   KEY OP VALUE  OP is = != < <= > >= ~ (regex) !~ (no match)
 *   KEY           state name project id group job_type notes tag, or a
 *                 summary / config key (summary first); summary.KEY and
 *                 config.KEY say which.  Nested keys: optimizer.lr, and
 *                 val/loss.min for one rule of a summary.
 *   VALUE         a number compares as a number, else as text (case-
 *                 insensitive; * and ? glob with = and !=); "quoted" values
 *                 may hold spaces.  A run without the key never matches.
 *   WORD          a regular expression (a glob with * or ?) searched in the
 *                 name, project, id, group, tags, notes and state; !WORD:
 *                 runs where it is not found.
 */
#ifndef TALLY_TUI_RUNQUERY_H
#define TALLY_TUI_RUNQUERY_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* One run as queries and columns see it (all borrowed). */
typedef struct runquery_run {
    const char *name, *project, *id, *group, *job_type, *notes, *state;
    const cJSON *tags;             /* array of strings, or NULL */
    const cJSON *summary, *config; /* objects, or NULL */
} runquery_run;

typedef struct runquery runquery;

/* Parses an expression (empty: matches every run).  NULL on a bad one,
 * with a one-line reason naming the term in err. */
runquery *runquery_parse(const char *text, char *err, size_t errsize);
int runquery_match(const runquery *q, const runquery_run *run);
/* Terms in the expression. */
size_t runquery_terms(const runquery *q);
void runquery_free(runquery *q);

/* Whether regcomp() would need memory exponential in the pattern (stacked
 * quantifiers such as "a+++", nested large bounds): any regex a user types
 * in a prompt is checked first. */
int runquery_regex_too_costly(const char *pattern);

/* The value at key in obj: the key itself, else a path through nested
 * objects split at '.' or '/' ("optimizer.lr", "val/loss.min").  NULL when
 * none. */
const cJSON *runquery_lookup(const cJSON *obj, const char *key);
/* A summary value as one number or text: a number, string or bool as is;
 * an object of summary rules ({"min":..,"last":..}) reads as its only
 * value, else "last", else the first of min, max, mean, first.  NULL when
 * there is no scalar. */
const cJSON *runquery_scalar(const cJSON *v);

/* Calls fn for every column key of obj: each leaf (nested objects joined
 * with '.'), and for an object of summary rules the object itself too. */
typedef void (*runquery_key_fn)(void *ctx, const char *key);
void runquery_keys(const cJSON *obj, runquery_key_fn fn, void *ctx);

/* Keys collected by the callbacks above: runquery_keylist_add is a
 * runquery_key_fn over a runquery_keylist, keeping each key once. */
typedef struct runquery_keylist {
    char **keys; /* malloc'd */
    size_t n, cap;
} runquery_keylist;
void runquery_keylist_add(void *list, const char *key);
void runquery_keylist_free(runquery_keylist *list);

/* Calls fn, in first-seen order, for each leaf key of the objects (config
 * of the runs in compare) whose value is not the same in all n of them; a
 * key some lack differs too. */
void runquery_diff_keys(const cJSON *const *objs, size_t n, runquery_key_fn fn, void *ctx);

#endif
