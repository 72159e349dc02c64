/*
 * fuzz_parse.c — a fuzz target for what `tally run` reads from a child:
 * the input is split into lines (of stdout and stderr in turn), each goes
 * through parse_line (every mode), the user patterns and the stepper, as
 * cmd_run.c does; then the whole input once more as one line.  Checks
 * what must always hold: no crash, no error but ENOMEM, keys non-empty
 * and short enough to log, steps that never go back, and a reading
 * replayed from a shape seen before (shapes.c) the same as a full one,
 * bit for bit: for each line, and for the line with its digits changed
 * (the same shape, other values).  Built by `make fuzz` with libFuzzer
 * when clang has it, else with fuzz_driver.c (tests/fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/parse.h"
#include "capture/pattern.h"
#include "capture/stepper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pattern_set *patterns(void)
{
    static pattern_set *ps;
    if (!ps) {
        char err[256];
        if (pattern_set_new(&ps) != 0)
            abort();
        if (pattern_add_template(ps, "iter {step}: loss {loss} {{x}}", err, sizeof err) != 0 ||
            pattern_add_regex(ps, "(?<epoch>\\d+)/(?<a>\\S+)\\s+(?<b>[-+.e0-9]+)", err, sizeof err) != 0)
            abort();
    }
    return ps;
}

static void check(const parse_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        size_t n = strnlen(r->v[i].key, TALLY_KEY_MAX + 1);
        if (n == 0 || n > TALLY_KEY_MAX)
            abort();
    }
}

static int same_value(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b);
}

/* r's reading (rc) is what a full reading of the line gives: full reads
 * every line r reads, in the same order (a table's rows are read with the
 * lines before them), but never from a shape. */
static void check_replay(const char *s, size_t n, parse_mode mode, const parse_result *r, int rc,
                         parse_result *full)
{
    int frc = parse_line(s, n, mode, full);
    if (rc == TALLY_ENOMEM || frc == TALLY_ENOMEM)
        return;
    if (frc != rc || full->n != r->n || full->has_step != r->has_step ||
        full->has_epoch != r->has_epoch || full->has_epoch_index != r->has_epoch_index ||
        full->has_batch != r->has_batch || (r->has_step && full->step != r->step) ||
        (r->has_epoch && !same_value(full->epoch, r->epoch)) ||
        (r->has_epoch_index && full->epoch_index != r->epoch_index) ||
        (r->has_batch && (full->batch != r->batch || full->batch_total != r->batch_total)))
        abort();
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(full->v[i].key, r->v[i].key) != 0 ||
            !same_value(full->v[i].value, r->v[i].value))
            abort();
}

/* The line with each digit changed: the same shape, other values. */
static void check_variant(const char *s, size_t n, parse_mode mode, parse_result *r,
                          parse_result *full)
{
    char *v = malloc(n + 1);
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = s[i] >= '0' && s[i] <= '9' ? (char)('0' + (s[i] - '0' + 7) % 10) : s[i];
    check_replay(v, n, mode, r, parse_line(v, n, mode, r), full);
    free(v);
}

/* One line of stream, read into that stream's r (and full), as cmd_run.c
 * keeps a parse_result a stream. */
static void one_line(const char *s, size_t n, int stream, stepper *st, parse_result *r,
                     parse_result *full, int64_t *last)
{
    static const parse_mode modes[] = {PARSE_AUTO, PARSE_JSON, PARSE_KV, PARSE_NONE};
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
        check_variant(s, n, modes[m], r, full);
        int rc = parse_line(s, n, modes[m], r);
        if (rc < 0 && rc != TALLY_ENOMEM)
            abort();
        check_replay(s, n, modes[m], r, rc, full);
        check(r);
        if (modes[m] != PARSE_AUTO)
            continue;
        int64_t step;
        rc = stepper_place(st, stream, r, &step);
        if (rc < 0 && rc != TALLY_ENOMEM)
            abort();
        if (rc > 0) {
            if (step < *last)
                abort(); /* history is append-only */
            *last = step;
        }
        check(r);
    }
    char *clean = malloc(n + 1);
    if (!clean)
        return;
    size_t cl = parse_clean(s, n, clean);
    if (cl > n)
        abort();
    parse_result_reset(r);
    if (pattern_match(patterns(), clean, cl, r) < 0)
        abort();
    check(r);
    free(clean);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    stepper st = {0};
    parse_result r[2] = {{0}}, full[2] = {{.no_shapes = 1}, {.no_shapes = 1}};
    int64_t last = 0;
    size_t lines = 0;
    for (size_t i = 0; i < size;) {
        const char *nl = memchr(s + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - s) : size;
        int stream = (int)(lines++ & 1); /* stdout, stderr in turn */
        one_line(s + i, end - i, stream, &st, &r[stream], &full[stream], &last);
        i = end + 1;
    }
    one_line(s, size, 0, &st, &r[0], &full[0], &last);
    for (int k = 0; k < 2; k++) {
        parse_result_free(&r[k]);
        parse_result_free(&full[k]);
    }
    stepper_free(&st);
    return 0;
}
