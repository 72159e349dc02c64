/*
 * summary.c — running summaries.
 *
 * By default a key's summary is its last value, stored flat ("loss": 0.1).
 * With rules from tally_define_metric() it is an object holding the asked
 * aggregates ("val/loss": {"min": 0.08, "last": 0.1}), as wandb nests them.
 * min, max and mean skip NaN and infinities; first and last are as logged.
 */
#include "core/summary.h"

#include <math.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "tally.h"

int summary_add_json(summary_state *s, const char *json)
{
    /* Reuses the buffer while the value fits: a string logged every step
     * must not cost an allocation for its summary. */
    size_t len = strlen(json);
    char *copy = s->last_json;
    if (!copy || malloc_usable_size(copy) <= len) {
        copy = malloc(len + 16);
        if (!copy)
            return -1;
        free(s->last_json);
        s->last_json = copy;
    }
    memcpy(copy, json, len + 1);
    s->has_override = 0;
    return 0;
}

void summary_set(summary_state *s, double v)
{
    s->has_override = 1;
    s->last = v;
}

void summary_free(summary_state *s)
{
    free(s->last_json);
    s->last_json = NULL;
}

static void put_field(buf *out, int *first, const char *name, double v)
{
    buf_puts(out, *first ? "{" : ",");
    *first = 0;
    json_string(out, name);
    buf_putc(out, ':');
    json_number(out, v, JSON_BARE_NONFINITE);
}

int summary_json(const summary_state *s, unsigned rules, buf *out)
{
    buf_reset(out);
    if (s->has_override) {
        json_number(out, s->last, JSON_BARE_NONFINITE);
        return 0;
    }
    if (s->last_json) {
        if (rules & TALLY_SUMMARY_NONE)
            return 1;
        buf_puts(out, s->last_json);
        return 0;
    }
    if (!s->seen || (rules & TALLY_SUMMARY_NONE))
        return 1;
    unsigned agg = rules & (TALLY_SUMMARY_MIN | TALLY_SUMMARY_MAX | TALLY_SUMMARY_MEAN |
                            TALLY_SUMMARY_LAST | TALLY_SUMMARY_FIRST);
    if (agg == 0) {
        json_number(out, s->last, JSON_BARE_NONFINITE);
        return 0;
    }
    int first = 1;
    double none = NAN;
    if (agg & TALLY_SUMMARY_MIN)
        put_field(out, &first, "min", s->finite ? s->min : none);
    if (agg & TALLY_SUMMARY_MAX)
        put_field(out, &first, "max", s->finite ? s->max : none);
    if (agg & TALLY_SUMMARY_MEAN)
        put_field(out, &first, "mean", s->finite ? s->sum / (double)s->finite : none);
    if (agg & TALLY_SUMMARY_FIRST)
        put_field(out, &first, "first", s->first);
    if (agg & TALLY_SUMMARY_LAST)
        put_field(out, &first, "last", s->last);
    buf_putc(out, '}');
    return 0;
}
