/*
 * test_capture_shapes.c — a replayed reading (shapes.c) is the full one.
 *
 * Every line of the corpus (tests/unit/data/capture_corpus.txt) and of a
 * list of lines whose reading hangs on a value, and many variants of
 * each (its digit runs rewritten: other digits, other lengths, zeros),
 * go through one parse_result that keeps shapes, as `tally run` reads a
 * program's output, and through one that never replays; both readings
 * must be the same, bit for bit.  The test also checks that replays did
 * happen, so that it compares something.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/parse.h"
#include "capture/shapes.h"

#include "testutil.h"

#define VARIANTS 60
#define LINE_CAP 8192

/* Lines whose reading depends on a value or on a digit count. */
static const char *const edge_lines[] = {
    "step 1.0: loss 0.5",
    "step 1.5: loss 0.5",
    "step 12345678901234567: loss 0.5",
    "step -3: loss 0.5",
    "Epoch [2/5], Step [100/600], Loss: 0.3412",
    "Epoch [2/5], Step [100/0], Loss: 0.3412",
    "Epoch 0/10 loss 0.5 acc 0.7",
    "Epoch 1.5 loss 0.5",
    "{\"step\": 1.0, \"loss\": 0.5}",
    "{\"step\": 7, \"loss\": NaN, \"acc\": Infinity}",
    "{'top1': 0.5, 'layer.0.weight': 0.25, '1st': 3}",
    "top1: 0.71, top5: 0.93, f1=0.66",
    "layer.0.weight: 0.25 layer.1.bias: 0.125",
    "processed 1,234,567 tokens, loss 1.25",
    "tokens: 1,234 loss: 0.5",
    "lr 1e-4 loss 2.5e+00 grad 3E5",
    "loss: nan acc: -inf val: inf",
    "iter 100: loss 2.3456, time 12.34ms, mfu 4.56%",
    "train: 3 [ 100/390 ( 26%)]  Loss: 2.345 (2.401)",
    "batch 3/40 loss=0.5,acc=0.9",
    "  5/10 [=====>....] - ETA: 1s - loss: 0.4 - acc: 0.8",
    "Epoch 3:  42%|####      | 5/12 [00:01<00:02,  3.10it/s, loss=1.42, v_num=0]",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
    "x 0000000000000000000001 loss 00.500",
};

static tu_rng rng = {0x2545f4914f6cdd1du};

static unsigned next(unsigned bound)
{
    return (unsigned)tu_rng_below(&rng, bound);
}

/* The line with its digit runs rewritten: most keep their length (a
 * replay), some change it (perhaps another shape), some become zeros. */
static size_t variant(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 40 < cap;) {
        if (s[i] < '0' || s[i] > '9') {
            out[o++] = s[i++];
            continue;
        }
        size_t j = i;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++;
        unsigned pick = next(10);
        size_t len = pick < 6 ? j - i : pick < 9 ? 1 + next(18) : j - i;
        for (size_t k = 0; k < len; k++)
            out[o++] = pick == 9 ? '0' : (char)('0' + next(10));
        i = j;
    }
    return o;
}

static void same_reading(const parse_result *a, int na, const parse_result *b, int nb,
                         const char *line, size_t len)
{
    int ok = na == nb && a->n == b->n && a->has_step == b->has_step &&
             a->has_epoch == b->has_epoch && a->has_epoch_index == b->has_epoch_index &&
             a->has_batch == b->has_batch;
    if (ok && a->has_step)
        ok = a->step == b->step;
    if (ok && a->has_epoch)
        ok = memcmp(&a->epoch, &b->epoch, sizeof a->epoch) == 0;
    if (ok && a->has_epoch_index)
        ok = a->epoch_index == b->epoch_index;
    if (ok && a->has_batch)
        ok = a->batch == b->batch && a->batch_total == b->batch_total;
    for (size_t i = 0; ok && i < a->n; i++)
        ok = strcmp(a->v[i].key, b->v[i].key) == 0 &&
             (memcmp(&a->v[i].value, &b->v[i].value, sizeof(double)) == 0 ||
              (isnan(a->v[i].value) && isnan(b->v[i].value)));
    if (!ok) {
        printf("readings differ on: %.*s\n", (int)len, line);
        for (size_t i = 0; i < a->n; i++)
            printf("  replayed %s = %.17g\n", a->v[i].key, a->v[i].value);
        for (size_t i = 0; i < b->n; i++)
            printf("  full     %s = %.17g\n", b->v[i].key, b->v[i].value);
        printf("  step %d %lld / %d %lld, batch %d %lld/%lld / %d %lld/%lld\n", a->has_step,
               (long long)a->step, b->has_step, (long long)b->step, a->has_batch,
               (long long)a->batch, (long long)a->batch_total, b->has_batch,
               (long long)b->batch, (long long)b->batch_total);
    }
    assert_true(ok);
}

typedef struct pair {
    parse_result shaped, full;
    size_t lines;
} pair;

static void both(pair *p, const char *line, size_t len, parse_mode mode)
{
    int a = parse_line(line, len, mode, &p->shaped);
    int b = parse_line(line, len, mode, &p->full);
    same_reading(&p->shaped, a, &p->full, b, line, len);
    p->lines++;
}

/* The line, itself again (a replay of the same numbers) and its variants. */
static void one(pair *p, const char *line, size_t len)
{
    static char buf[LINE_CAP + 64];
    static const parse_mode modes[] = {PARSE_AUTO, PARSE_AUTO, PARSE_JSON, PARSE_KV};
    both(p, line, len, PARSE_AUTO);
    both(p, line, len, PARSE_AUTO);
    for (int v = 0; v < VARIANTS; v++) {
        size_t n = variant(line, len, buf, sizeof buf);
        both(p, buf, n, modes[next(4)]);
        both(p, buf, n, PARSE_AUTO);
    }
}

static void pair_init(pair *p)
{
    memset(p, 0, sizeof *p);
    p->full.no_shapes = 1;
}

static void pair_free(pair *p)
{
    parse_result_free(&p->shaped);
    parse_result_free(&p->full);
}

static void test_corpus_lines(void **state)
{
    (void)state;
    FILE *f = fopen(TEST_DATA "/capture_corpus.txt", "r");
    assert_non_null(f);
    static char raw[LINE_CAP], line[LINE_CAP];
    pair p;
    pair_init(&p);
    while (fgets(raw, sizeof raw, f))
        if (raw[0] == '>')
            one(&p, line, tu_unescape(raw + 2, line));
    fclose(f);
    size_t replays = shape_replays(&p.shaped);
    printf("# %zu lines compared, %zu of them replayed\n", p.lines, replays);
    assert_true(replays > p.lines / 4); /* else this test compares little */
    pair_free(&p);
}

static void test_edge_lines(void **state)
{
    (void)state;
    pair p;
    pair_init(&p);
    for (size_t i = 0; i < sizeof edge_lines / sizeof *edge_lines; i++)
        one(&p, edge_lines[i], strlen(edge_lines[i]));
    assert_true(shape_replays(&p.shaped) > 0);
    pair_free(&p);
}

/* What hangs on a value is never replayed the wrong way: each line after
 * the first has the first's shape and reads otherwise. */
static void test_value_hangs(void **state)
{
    (void)state;
    static const char *const runs[][2] = {
        {"step 2.0: loss 0.5", "step 2.5: loss 0.5"},
        {"Epoch [2/5], Step [100/600], Loss: 0.3412", "Epoch [2/5], Step [100/000], Loss: 0.3412"},
        {"top1: 0.71", "top5: 0.93"},
        {"{'layer.0.w': 1}", "{'layer.1.w': 2}"},
        {"{\"step\": 3.0, \"loss\": 1}", "{\"step\": 3.5, \"loss\": 1}"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        pair p;
        pair_init(&p);
        both(&p, runs[i][0], strlen(runs[i][0]), PARSE_AUTO);
        both(&p, runs[i][1], strlen(runs[i][1]), PARSE_AUTO);
        pair_free(&p);
    }
    parse_result r = {0};
    assert_int_equal(parse_line("step 2.0: loss 0.5", 18, PARSE_AUTO, &r), 1);
    assert_true(r.has_step && r.step == 2);
    assert_true(parse_line("step 2.5: loss 0.5", 18, PARSE_AUTO, &r) >= 0);
    assert_false(r.has_step);
    const char *a = "Epoch [2/5], Step [100/600], Loss: 0.3412";
    const char *b = "Epoch [2/5], Step [100/000], Loss: 0.3412";
    assert_int_equal(parse_line(a, strlen(a), PARSE_AUTO, &r), 1);
    assert_true(r.has_batch && r.batch == 100 && r.batch_total == 600 && !r.has_step);
    assert_int_equal(parse_line(b, strlen(b), PARSE_AUTO, &r), 1);
    assert_true(!r.has_batch || r.batch_total == 0);
    assert_int_equal(parse_line("top1: 0.71", 10, PARSE_AUTO, &r), 1);
    assert_int_equal(parse_line("top5: 0.93", 10, PARSE_AUTO, &r), 1);
    assert_string_equal(r.v[0].key, "top5");
    assert_int_equal(parse_line("{'layer.0.w': 1}", 16, PARSE_AUTO, &r), 1);
    assert_int_equal(parse_line("{'layer.1.w': 2}", 16, PARSE_AUTO, &r), 1);
    assert_string_equal(r.v[0].key, "layer.1.w");
    assert_true(r.v[0].value == 2);
    parse_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_lines),
        cmocka_unit_test(test_edge_lines),
        cmocka_unit_test(test_value_hangs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
