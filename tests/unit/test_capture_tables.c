/*
 * test_capture_tables.c — metrics printed as tables (src/capture/tables.c),
 * read through parse_line with one parse_result a program, as `tally run`
 * reads a stream: boxes and their sections, column headers and the rows
 * that stand under them, and the lines that must not be taken for either.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/parse.h"
#include "common/buf.h"

/* What line gives read after the lines before it in r: "step:S epoch:E
 * k=v ..." or "nostep k=v ...". */
static void expect(parse_result *r, const char *line, parse_mode mode, const char *want)
{
    int n = parse_line(line, strlen(line), mode, r);
    assert_true(n >= 0);
    buf b = BUF_INIT;
    buf_puts(&b, r->has_step ? "" : "nostep");
    if (r->has_step)
        buf_printf(&b, "step:%lld", (long long)r->step);
    if (r->has_epoch)
        buf_printf(&b, " epoch:%g/%lld", r->epoch, (long long)r->epoch_index);
    for (size_t i = 0; i < r->n; i++)
        buf_printf(&b, " %s=%.17g", r->v[i].key, r->v[i].value);
    if (strcmp(buf_cstr(&b), want) != 0)
        fail_msg("'%s': got '%s', want '%s'", line, buf_cstr(&b), want);
    buf_free(&b);
}

static void test_boxes(void **state)
{
    (void)state;
    parse_result r = {0};
    expect(&r, "| loose    | 3      |", PARSE_AUTO, "nostep loose=3");
    expect(&r, "| rollout/ |        |", PARSE_AUTO, "nostep");
    expect(&r, "|    ep_len_mean | 200 |", PARSE_AUTO, "nostep rollout/ep_len_mean=200");
    expect(&r, "  |  fps  |  -1.5e+03  |  ", PARSE_AUTO, "nostep rollout/fps=-1500");
    /* a key with a section of its own keeps it */
    expect(&r, "| mine/own | 1 |", PARSE_AUTO, "nostep mine/own=1");
    expect(&r, "| env | CartPole-v1 |", PARSE_AUTO, "nostep");
    expect(&r, "| kl | nan |", PARSE_AUTO, "nostep rollout/kl=nan");
    expect(&r, "-----------", PARSE_AUTO, "nostep"); /* the box ends */
    expect(&r, "| fps | 7 |", PARSE_AUTO, "nostep fps=7");
    /* not a box's row: the other grammars read it */
    expect(&r, "| epoch 001 | loss 4.5 | ppl 22 |", PARSE_AUTO, "nostep epoch:1/1 loss=4.5 ppl=22");
    expect(&r, "| a | 1 | 2 |", PARSE_AUTO, "nostep");
    expect(&r, "| 1 | 0.5 |", PARSE_AUTO, "nostep"); /* a two-column table's row */
    /* rich's bars (Lightning's test table) */
    expect(&r, "\u2502  test_acc  \u2502  0.75  \u2502", PARSE_AUTO, "nostep test_acc=0.75");
    expect(&r, "\u2503  Test metric  \u2503  DataLoader 0  \u2503", PARSE_AUTO, "nostep");
    /* --parse json reads no table */
    expect(&r, "| time/ | |", PARSE_JSON, "nostep");
    expect(&r, "| fps | 9 |", PARSE_JSON, "nostep");
    parse_result_free(&r);
}

static void test_columns(void **state)
{
    (void)state;
    parse_result r = {0};
    /* names left-aligned over their values (fastai) */
    expect(&r, "epoch     train_loss  valid_loss  time", PARSE_AUTO, "nostep");
    expect(&r, "0         0.5         0.25        00:12", PARSE_AUTO,
           "nostep epoch:0/0 train_loss=0.5 valid_loss=0.25");
    expect(&r, "1         0.4         0.2         00:11", PARSE_AUTO,
           "nostep epoch:1/1 train_loss=0.40000000000000002 valid_loss=0.20000000000000001");
    /* a field out of line, a field too many, a word: no row */
    expect(&r, "2          0.4         0.2         00:11", PARSE_AUTO, "nostep");
    expect(&r, "2         0.4         0.2         00:11  x", PARSE_AUTO, "nostep");
    expect(&r, "2         high        0.2         00:11", PARSE_AUTO, "nostep");
    /* right-aligned (YOLO), the row a bar, the epoch "a/b" counted from 1 */
    expect(&r, "   Epoch   box_loss   Size", PARSE_AUTO, "nostep");
    expect(&r, "    3/10       1.25    640: 100%|####| 10/10 [00:05<00:00,  1.90it/s]", PARSE_AUTO,
           "nostep epoch:3/2 box_loss=1.25 Size=640");
    /* a header that is a bar; rows labelled by class; "Box(P" is P */
    expect(&r, "   Class   Box(P   mAP50-95): 100%|####| 2/2 [00:00<00:00]", PARSE_AUTO, "nostep");
    expect(&r, "     all   0.651   0.421", PARSE_AUTO,
           "nostep all/P=0.65100000000000002 all/mAP50-95=0.42099999999999999");
    /* a step column */
    expect(&r, "iter    loss", PARSE_AUTO, "nostep");
    expect(&r, "100     0.5", PARSE_AUTO, "step:100 loss=0.5");
    expect(&r, "101     x", PARSE_AUTO, "nostep");
    /* prose is no header: the last header still holds */
    expect(&r, "Epoch 3 of 10 done", PARSE_AUTO, "nostep epoch:3/3");
    expect(&r, "102     0.25", PARSE_AUTO, "step:102 loss=0.25");
    /* a header of one name, or names one blank apart, is none */
    expect(&r, "loss", PARSE_AUTO, "nostep");
    expect(&r, "train loss  val loss", PARSE_AUTO, "nostep");
    expect(&r, "103     0.125", PARSE_AUTO, "step:103 loss=0.125");
    /* names with blanks over a ruler (spaCy); the ruler must come right after */
    expect(&r, "E    #      LOSS NER", PARSE_AUTO, "nostep");
    expect(&r, "---  -----  --------", PARSE_AUTO, "nostep");
    expect(&r, "  1     20      49.5", PARSE_AUTO, "step:20 epoch:1/1 LOSS_NER=49.5");
    expect(&r, "E    #      LOSS TAG", PARSE_AUTO, "nostep");
    expect(&r, "something else", PARSE_AUTO, "nostep");
    expect(&r, "---  -----  --------", PARSE_AUTO, "nostep");
    /* the old header still holds */
    expect(&r, "  1     30      39.5", PARSE_AUTO, "step:30 epoch:1/1 LOSS_NER=39.5");
    parse_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boxes),
        cmocka_unit_test(test_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
