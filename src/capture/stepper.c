/*
 * stepper.c — run steps for parsed lines (see stepper.h).
 *
 * The idea: history is append-only and nothing may be overwritten
 * silently, so every line's metrics go to the open step or a later one.
 *
 *   - A line that names its step ("step 100", "global_step=100") goes
 *     there.  A batch ("[ 100/390]", "100/390 [===") is a step too: with a
 *     known epoch and total, epoch_index * total + batch, else the batch.
 *   - Such a step can go back (a batch counter restarting each epoch, a
 *     resumed script): then the line starts a new segment right after the
 *     last step, and later lines keep their spacing from there (offset).
 *   - When both streams name steps, only one stream's steps count: the one
 *     that has named more of them (on a tie, the one that led).  stdout and
 *     stderr are read from two pipes, so a line of one may arrive before
 *     or after lines of the other printed around it ({"step": 0} on
 *     stderr read after stdout's "iter 88"), and a counter of one stream
 *     (a tqdm bar's batch) may restart while the other counts on.  A
 *     line of the other stream is placed like a line without a step, so
 *     neither starts segments nor holds the lead stream's steps back.
 *   - A line without a step joins the open step, unless one of its keys is
 *     there already: then it opens the next step.  Two values of one key
 *     are never one step; the same value printed twice for the same named
 *     step is logged once, and so is a line of the other stream that names
 *     a step (a tqdm bar on stderr whose end is drawn twice).
 *   - "Epoch 3/10" alone on a line is remembered: the next line with
 *     metrics logs `epoch` with them, and its batch counts in that epoch.
 *   - Once the open step is closed (stored), a line that would have joined
 *     it, or that names it, goes to the next step instead; the offset does
 *     not change, so later lines keep the steps they name.
 */
#include "capture/stepper.h"

#include <stdlib.h>
#include <string.h>

#define STEPPER_MAX_FACTOR 2147483647LL /* epoch_index and total above this: use the batch */

void stepper_close(stepper *s)
{
    if (s->started)
        s->closed = 1;
}

void stepper_free(stepper *s)
{
    free(s->open);
    memset(s, 0, sizeof *s);
}

static long find_open(const stepper *s, const char *key)
{
    for (size_t i = 0; i < s->nopen; i++)
        if (s->open[i].key[0] == key[0] && strcmp(s->open[i].key, key) == 0)
            return (long)i;
    return -1;
}

static int remember(stepper *s, const parse_metric *m)
{
    long i = find_open(s, m->key);
    if (i >= 0) {
        s->open[i].value = m->value;
        return 0;
    }
    if (s->nopen == s->capopen) {
        size_t cap = s->capopen ? s->capopen * 2 : 16;
        parse_metric *o = realloc(s->open, cap * sizeof *o);
        if (!o)
            return TALLY_ENOMEM;
        s->open = o;
        s->capopen = cap;
    }
    parse_metric *o = &s->open[s->nopen++];
    memcpy(o->key, m->key, strlen(m->key) + 1); /* the key as long as it is, not the whole array */
    o->value = m->value;
    return 0;
}

static int same_value(double a, double b)
{
    return a == b || (a != a && b != b); /* NaN printed twice is the same print */
}

/* Takes out of r the values the open step holds already (the same print
 * seen twice); returns how many are left. */
static size_t drop_repeats(const stepper *s, parse_result *r)
{
    for (size_t i = 0; i < r->n;) {
        long o = find_open(s, r->v[i].key);
        if (o >= 0 && same_value(s->open[o].value, r->v[i].value))
            parse_result_remove(r, i);
        else
            i++;
    }
    return r->n;
}

/* Does the open step hold one of r's keys already? */
static int clashes(const stepper *s, const parse_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (find_open(s, r->v[i].key) >= 0)
            return 1;
    return 0;
}

/* The step the line names, if any (before the offset). */
static int line_step(const stepper *s, const parse_result *r, int64_t *src)
{
    if (r->has_step) {
        *src = r->step;
        return 1;
    }
    if (!r->has_batch)
        return 0;
    *src = r->batch;
    if (s->has_epoch_index && r->batch_total > 0 && s->epoch_index <= STEPPER_MAX_FACTOR &&
        r->batch_total <= STEPPER_MAX_FACTOR)
        *src = s->epoch_index * r->batch_total + r->batch;
    return 1;
}

int stepper_place(stepper *s, int stream, parse_result *r, int64_t *step)
{
    if (r->has_epoch) {
        s->has_epoch = 1;
        s->epoch = r->epoch;
        s->has_epoch_index = r->has_epoch_index;
        s->epoch_index = r->epoch_index;
        s->epoch_unlogged = 1;
    }
    if (r->n == 0)
        return 0;
    if (s->epoch_unlogged) {
        int rc = parse_result_add(r, "epoch", 5, s->epoch);
        if (rc)
            return rc;
        s->epoch_unlogged = 0;
    }
    int64_t src, cand;
    if (stream < 0 || stream >= STEPPER_STREAMS)
        stream = 0;
    int named = line_step(s, r, &src), own = named;
    if (named) {
        int other = 1 - stream;
        s->named[stream]++;
        if (s->lead == 0 || s->named[stream] > s->named[other])
            s->lead = stream + 1;
        named = s->lead == stream + 1; /* else placed as a line without a step */
    }
    if (named) {
        cand = src + s->offset;
        if (s->started && cand < s->last) {
            s->offset = s->last + 1 - src; /* the counter went back: a new segment */
            cand = s->last + 1;
        } else if (s->started && cand == s->last) {
            if (drop_repeats(s, r) == 0)
                return 0;
            if (clashes(s, r) || s->closed)
                cand = s->last + 1;
        }
    } else {
        /* the other stream's step, or a bar's end drawn twice on it: what
         * the open step holds already was printed twice, and is logged once */
        if (own && s->started && drop_repeats(s, r) == 0)
            return 0;
        cand = !s->started ? 0 : s->closed ? s->last + 1 : s->last;
        if (s->started && cand == s->last && clashes(s, r))
            cand = s->last + 1;
    }
    if (!s->started || cand != s->last) {
        s->nopen = 0;
        s->closed = 0;
    }
    for (size_t i = 0; i < r->n; i++) {
        int rc = remember(s, &r->v[i]);
        if (rc)
            return rc;
    }
    s->started = 1;
    s->last = cand;
    *step = cand;
    return (int)r->n;
}
