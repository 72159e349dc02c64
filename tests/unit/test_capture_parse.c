/*
 * test_capture_parse.c — metrics from output lines (src/capture/parse.c,
 * dictline.c, stepper.c), rule by rule: dict lines (JSON and Python repr),
 * key=value tokens, "key: value", "key value" and its evidence rule, units,
 * running averages, markers (step, epoch, batch), progress bars, cleaning
 * (escapes, \b, \r), junk, and how the stepper places lines.  Whole
 * programs' output is in test_capture_corpus.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/parse.h"
#include "capture/stepper.h"
#include "common/buf.h"

/* "step:S k=v k=v" (or "nostep k=v") for comparison. */
static char *describe(const char *line, parse_mode mode)
{
    parse_result r = {0};
    int n = parse_line(line, strlen(line), mode, &r);
    assert_true(n >= 0);
    assert_int_equal((size_t)n, r.n);
    buf b = BUF_INIT;
    if (r.has_step)
        buf_printf(&b, "step:%lld", (long long)r.step);
    else
        buf_puts(&b, "nostep");
    if (r.has_epoch)
        buf_printf(&b, " epoch:%g%s", r.epoch, r.has_epoch_index ? "" : "?");
    if (r.has_batch)
        buf_printf(&b, " batch:%lld/%lld", (long long)r.batch, (long long)r.batch_total);
    for (size_t i = 0; i < r.n; i++)
        buf_printf(&b, " %s=%.17g", r.v[i].key, r.v[i].value);
    parse_result_free(&r);
    buf_cstr(&b);
    return buf_steal(&b);
}

static void expect(const char *line, parse_mode mode, const char *want)
{
    char *got = describe(line, mode);
    if (strcmp(got, want) != 0)
        fail_msg("'%s': got '%s', want '%s'", line, got, want);
    free(got);
}

static void test_json(void **state)
{
    (void)state;
    expect("{\"step\": 3, \"loss\": 0.25}", PARSE_AUTO, "step:3 loss=0.25");
    expect("  {\"_step\": 7, \"acc\": 1}  ", PARSE_AUTO, "step:7 acc=1");
    expect("{\"global_step\": 10, \"lr\": 3e-4}", PARSE_JSON, "step:10 lr=0.00029999999999999997");
    expect("{\"loss\": 1.5, \"name\": \"x\", \"ok\": true, \"l\": [1], \"n\": null}", PARSE_AUTO,
           "nostep loss=1.5");
    expect("{\"val\": {\"loss\": 2, \"deep\": {\"a\": 1}}}", PARSE_AUTO,
           "nostep val/loss=2 val/deep/a=1");
    expect("{\"step\": 1.5, \"x\": 1}", PARSE_AUTO, "nostep x=1"); /* not a whole step */
    expect("{\"step\": -1, \"x\": 1}", PARSE_AUTO, "nostep x=1");
    expect("{\"step\": 4}", PARSE_AUTO, "nostep"); /* a step alone logs nothing */
    expect("{\"_runtime\": 4, \"x\": 2}", PARSE_AUTO, "nostep x=2");
    expect("{\"loss\": 0.5,}", PARSE_AUTO, "nostep");       /* not JSON: nothing */
    expect("{\"a=1\": \"b=2\"}", PARSE_AUTO, "nostep");       /* JSON lines are never kv */
    expect("{\"step\": 3, \"loss\": 0.25}", PARSE_KV, "nostep");
    expect("\x1b[1m{\"x\": 1}\x1b[0m", PARSE_AUTO, "nostep x=1");
    expect("[1, 2]", PARSE_AUTO, "nostep");
}

static void test_kv(void **state)
{
    (void)state;
    expect("step=3 loss=0.2 lr=3e-4", PARSE_AUTO,
           "step:3 loss=0.20000000000000001 lr=0.00029999999999999997");
    expect("epoch 2: train/loss=1.25, acc=0.5; done", PARSE_AUTO,
           "nostep epoch:2 train/loss=1.25 acc=0.5");
    expect("global_step=100 x=-2.5E+3", PARSE_KV, "step:100 x=-2500");
    expect("loss=0.2 loss=0.1", PARSE_AUTO, "nostep loss=0.10000000000000001");
    expect("path=/tmp/x name=abc n=12abc v=.5 w=5. z=1e", PARSE_AUTO, "nostep v=0.5 w=5");
    expect("x=nan y=inf z=0x10 =3 9a=1 a b=", PARSE_AUTO, "nostep x=nan y=inf");
    expect("a=-inf b=+Infinity c=NaN d=nanx", PARSE_AUTO, "nostep a=-inf b=inf c=nan");
    expect("\x1b[32mloss=\x1b[0m0.5", PARSE_AUTO, "nostep loss=0.5");
    expect("a==1 b=1=2", PARSE_AUTO, "nostep");
    expect("loss=0.5", PARSE_JSON, "nostep");
    expect("loss=0.5", PARSE_NONE, "nostep");
    expect("", PARSE_AUTO, "nostep");
    expect("just a log line", PARSE_AUTO, "nostep");
}

static void test_python_repr(void **state)
{
    (void)state;
    expect("{'loss': 0.25, 'ok': True, 'x': None, 'f': False, 's': 'a\\'b', 'l': [1, (2,)]}",
           PARSE_AUTO, "nostep loss=0.25");
    expect("{'a': {'b': {'c': 1}}, 'n': nan, 'i': -inf}", PARSE_AUTO, "nostep a/b/c=1 n=nan i=-inf");
    expect("{'v': np.float32(0.5), 't': tensor(2., device='cuda:0'), 'd': datetime(2024, 1, 5)}",
           PARSE_AUTO, "nostep v=0.5 t=2");
    expect("{\"step\": 5, \"x\": NaN, \"y\": -Infinity}", PARSE_AUTO, "step:5 x=nan y=-inf");
    expect("{'iter': 3, 'epoch': 2}", PARSE_AUTO, "nostep iter=3 epoch=2"); /* in a dict, metrics */
    expect("{'a': 1, 'b': }", PARSE_AUTO, "nostep");   /* half a dict: nothing */
    expect("{'a': 1} {'b': 2}", PARSE_AUTO, "nostep"); /* two dicts: nothing */
    expect("{'a': 1, 'b': obj}", PARSE_AUTO, "nostep");
    expect("{1: 0.5}", PARSE_AUTO, "nostep");
    expect("{'a\\tb': 1, '\x01': 2, 'c': 3}", PARSE_AUTO, "nostep c=3"); /* control bytes: no key */
    expect("{'a' 1}", PARSE_AUTO, "nostep");
}

static void test_text(void **state)
{
    (void)state;
    /* key: value, multi-word keys, units into the key, percentages kept */
    expect("Epoch 2 | Avg. loss: 3.41 | val acc: 91.5% | time: 12.5ms", PARSE_AUTO,
           "nostep epoch:2 Avg_loss=3.4100000000000001 val_acc=91.5 time_ms=12.5");
    expect("eta: 2 min, dt=0.5 s, speed 1200 samples/s, step 4", PARSE_AUTO,
           "step:4 eta_min=2 dt_s=0.5 speed=1200");
    expect("iter 3: loss 1.5 lr 3e-4", PARSE_AUTO, "step:3 loss=1.5 lr=0.00029999999999999997");
    /* "key value" alone is prose-like: it needs a marker, another pair or
     * a key that names a measurement; a bare pair's group is no average */
    expect("cuDNN 8.9, NCCL 2.18", PARSE_AUTO, "nostep");
    expect("images 500, skipped 12", PARSE_AUTO, "nostep");
    expect("HTTP error 404", PARSE_AUTO, "nostep");
    expect("loss 0.5, acc 0.9", PARSE_AUTO, "nostep loss=0.5 acc=0.90000000000000002");
    expect("val loss 4.25", PARSE_AUTO, "nostep val_loss=4.25");
    expect("top1 acc 79.5 (20.5)", PARSE_AUTO, "nostep top1_acc=79.5");
    expect("loss 0.5, acc: 0.9", PARSE_AUTO, "nostep loss=0.5 acc=0.90000000000000002");
    expect("step 3 saved as top 1", PARSE_AUTO, "nostep");
    expect("step 3 loaded 5 images", PARSE_AUTO, "nostep");
    /* running averages: one value in parentheses is <key>_avg, more are skipped */
    expect("Loss: 2.5 (2.75)  Acc: 1 ( 2, 3)  T: 4", PARSE_AUTO,
           "nostep Loss=2.5 Loss_avg=2.75 Acc=1 T=4");
    /* fractions and brackets: steps, epochs, batches */
    expect("Epoch 3/10 [ 20/100] loss=1", PARSE_AUTO, "nostep epoch:3 batch:20/100 loss=1");
    expect("Train: 4 [ 20/100 ( 20%)] loss=1", PARSE_AUTO, "nostep epoch:4 batch:20/100 loss=1");
    expect("Epoch [2/5], Step [10/60], Loss: 1", PARSE_AUTO, "nostep epoch:2 batch:10/60 Loss=1");
    expect("step 7/100 | loss 2", PARSE_AUTO, "step:7 loss=2");
    expect("batch 7/100 loss=2 epoch=1.5", PARSE_AUTO, "nostep epoch:1.5? batch:7/100 loss=2");
    /* junk: no number comes out of dates, times, versions, addresses, hex */
    expect("at=12:30:45 d=2024-01-05 v=1.2.3 ip=10.0.0.1 h=0x1f n=12abc p=/a/1 q=1/2/3", PARSE_AUTO,
           "nostep");
    expect("total=1,234,567 pair=1,2", PARSE_AUTO, "nostep total=1234567");
    expect("seed_version=3 Timestamp: 17 port=80 train_loss=1", PARSE_AUTO, "nostep train_loss=1");
    /* cleaning: escapes, backspaces and carriage returns as a terminal shows them */
    expect("loss=9\b\b\b\b\b\bloss=1.5", PARSE_AUTO, "nostep loss=1.5");
    expect("x=1 y=2\rz=3", PARSE_AUTO, "nostep z=3 y=2");
    expect("\x1b]0;title\x07\x1b[1mlr\x1b[0m=0.1", PARSE_AUTO, "nostep lr=0.10000000000000001");
}

static void test_bars(void **state)
{
    (void)state;
    expect("Epoch 1:  40%|####      | 4/10 [00:01<00:02,  2.00it/s, loss=0.5, v_num=3]", PARSE_AUTO,
           "nostep epoch:1 batch:4/10 loss=0.5 v_num=3");
    expect("100%|##########| 10/10 [00:01<00:00,  9.95it/s]", PARSE_AUTO, "nostep batch:10/10");
    expect("12%|#         | 12M/100M [00:01<00:07, 12.0MB/s]", PARSE_AUTO, "nostep");
    expect(" 50%|#####     | 5/10 [00:00<?, ?it/s, acc=1]", PARSE_AUTO, "nostep batch:5/10 acc=1");
    expect("3/10 [=====>........] - ETA: 3s - loss: 0.75", PARSE_AUTO, "nostep batch:3/10 loss=0.75");
    expect("10/10 [==========] - 1s 9ms/step - loss: 0.5 - lr: 1e-04", PARSE_AUTO,
           "nostep batch:10/10 loss=0.5 lr=0.0001");
    expect("10/10 [ab] - loss: 0.5", PARSE_AUTO, "nostep loss=0.5"); /* not a bar: text */
}

/* Lines through the stepper: "STEP k=v ..." for each, joined by ";".  A
 * line CLOSE closes the open step (cmd_run.c stores it) and gives "c"; a
 * line starting "2> " is one of stderr (the rest are stdout's). */
#define CLOSE "\x01close"
static void expect_steps(const char *const *lines, const char *want)
{
    stepper st = {0};
    parse_result r = {0};
    buf b = BUF_INIT;
    for (size_t i = 0; lines[i]; i++) {
        if (strcmp(lines[i], CLOSE) == 0) {
            stepper_close(&st);
            buf_puts(&b, i ? ";c" : "c");
            continue;
        }
        int stream = strncmp(lines[i], "2> ", 3) == 0;
        const char *line = lines[i] + 3 * stream;
        assert_true(parse_line(line, strlen(line), PARSE_AUTO, &r) >= 0);
        int64_t step = -1;
        int n = stepper_place(&st, stream, &r, &step);
        assert_true(n >= 0);
        if (i)
            buf_puts(&b, ";");
        if (n > 0)
            buf_printf(&b, "%lld", (long long)step);
        for (size_t k = 0; k < r.n; k++)
            buf_printf(&b, " %s=%g", r.v[k].key, r.v[k].value);
    }
    buf_cstr(&b);
    if (strcmp(b.data, want) != 0)
        fail_msg("got '%s', want '%s'", b.data, want);
    buf_free(&b);
    parse_result_free(&r);
    stepper_free(&st);
}

static void test_stepper(void **state)
{
    (void)state;
    /* a repeated key opens a new step; new keys join the open one */
    const char *const a[] = {"loss=1", "acc=2", "loss=3", "loss=3", NULL};
    expect_steps(a, "0 loss=1;0 acc=2;1 loss=3;2 loss=3");
    /* a named step; the same value again at that step is one print; a new value a new step */
    const char *const b[] = {"step=5 loss=1", "step=5 loss=1", "step=5 loss=2", "x=1", NULL};
    expect_steps(b, "5 loss=1;;6 loss=2;6 x=1");
    /* a counter that goes back starts a segment after the last step */
    const char *const c[] = {"step=10 a=1", "step=20 a=2", "step=5 a=3", "step=15 a=4", NULL};
    expect_steps(c, "10 a=1;20 a=2;21 a=3;31 a=4");
    /* "Epoch N/M" alone: logged with the next metrics, its batches counted in it */
    const char *const d[] = {"Epoch 1/2", "5/5 [=====] - loss: 1", "Epoch 2/2",
                             "5/5 [=====] - loss: 2", "val: 3", NULL};
    expect_steps(d, ";5 loss=1 epoch=1;;10 loss=2 epoch=2;10 val=3");
    /* a step alone logs nothing and moves nothing */
    const char *const e[] = {"step 9", "loss=1", NULL};
    expect_steps(e, ";0 loss=1");
    /* a stored step takes nothing more: a new key, or a line naming it, goes
     * to the next step; a value printed again there is still one print;
     * later named steps keep their numbers */
    const char *const f[] = {"loss=1", CLOSE, "acc=2", CLOSE, "step=5 a=1", CLOSE, "step=5 a=1",
                             "step=5 b=2", "step=9 a=3", NULL};
    expect_steps(f, "0 loss=1;c;1 acc=2;c;5 a=1;c;;6 b=2;9 a=3");
    /* closing before any step, or twice, changes nothing */
    const char *const g[] = {CLOSE, "loss=1", CLOSE, CLOSE, "loss=2", NULL};
    expect_steps(g, "c;0 loss=1;c;c;1 loss=2");
    /* both streams name steps: the one that named more leads (on a tie,
     * the one that led); the other's lines are placed as lines without a
     * step (the open step, or the next on a clash), so they neither start
     * a segment nor hold the leader's steps back */
    const char *const h[] = {"step=88 loss=1", "2> step=0 val=3", "step=89 loss=2",
                             "2> step=95 val=4", "step=90 loss=3", "2> step=96 val=5", NULL};
    expect_steps(h, "88 loss=1;88 val=3;89 loss=2;89 val=4;90 loss=3;90 val=5");
    /* the lead passes when the other stream has named more steps; its own
     * counter going back is then a restart */
    const char *const k[] = {"step=5 a=1", "2> step=7 b=1", "2> step=2 b=2", "step=6 a=2", NULL};
    expect_steps(k, "5 a=1;5 b=1;6 b=2;6 a=2");
    /* the other stream's bar ending twice (tqdm's last refresh, then its
     * close) is one print; a line without a step printed twice is two */
    const char *const m[] = {"step=1 a=1", "step=2 a=2",
                             "2> 100%|####| 20/20 [00:01<00:00, 9.1it/s, loss=0.5]",
                             "2> 100%|####| 20/20 [00:01<00:00, 9.3it/s, loss=0.5]", "x=1", "x=1", NULL};
    expect_steps(m, "1 a=1;2 a=2;2 loss=0.5;;2 x=1;3 x=1");
}

/* The first look turns lines away before any grammar: no digit and no
 * nan/inf, or digits only inside words.  Lines a number starts in still
 * get through, wherever the number is. */
static void test_first_look(void **state)
{
    (void)state;
    expect("model=gpt2 saved to out/checkpoint-500 by user@host1", PARSE_AUTO, "nostep");
    expect("loss=nan", PARSE_AUTO, "nostep loss=nan");
    expect("a long line of words before it: LOSS = -INF", PARSE_AUTO, "nostep LOSS=-inf");
    expect("a long line of words before it, then   loss=0.25", PARSE_AUTO, "nostep loss=0.25");
    expect("x_1 v2 gpt2 END ....acc=0.5", PARSE_AUTO, "nostep acc=0.5");
    expect("layer.7: grad=-.5", PARSE_AUTO, "nostep grad=-0.5");
    expect("{'a': 1}", PARSE_AUTO, "nostep a=1");
    /* a tab, '\r' or an ESC in any of the first eight-byte words */
    expect("\x1b[1mloss\x1b[0m=0.5", PARSE_AUTO, "nostep loss=0.5");
    expect("5%\rtime: 12ms", PARSE_AUTO, "nostep time_ms=12");
    expect("loss:\t0.5\tacc:\t26%", PARSE_AUTO, "nostep loss=0.5 acc=26");
}

static void test_junk(void **state)
{
    (void)state;
    /* random bytes never crash and never give a key that is not text */
    unsigned seed = 12345;
    char line[200];
    for (int i = 0; i < 20000; i++) {
        size_t n = 1 + (seed % 199);
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            static const char alphabet[] = "{}\"':=,.| a1e-+_()/%\x1b[\r\b\t\xff";
            line[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        parse_result r = {0};
        assert_true(parse_line(line, n, PARSE_AUTO, &r) >= 0);
        for (size_t k = 0; k < r.n; k++)
            assert_true(strlen(r.v[k].key) > 0);
        parse_result_free(&r);
    }
    /* a NUL inside a dict key (found by the fuzzer): no key, not a shorter one */
    static const char nul[] = "{'\0a': 1, 'b': 2}";
    parse_result r = {0};
    assert_int_equal(parse_line(nul, sizeof nul - 1, PARSE_AUTO, &r), 1);
    assert_string_equal(r.v[0].key, "b");
    parse_result_free(&r);
    parse_mode m;
    assert_int_equal(parse_mode_of("kv", &m), 0);
    assert_int_equal(m, PARSE_KV);
    assert_int_equal(parse_mode_of("yaml", &m), -1);
}

/* Tokens are reused from line to line: a field one kind of token leaves
 * behind is not read for another (the fuzzer found an average check reading
 * a word's stale number length past the line).  Each line is its own
 * allocation, so a read past it is caught under the sanitizers. */
static void test_reused_tokens(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "loss: 0.12345678901234567 (0.12345678901234567) acc: 0.98765432109876543 (1)",
        "loss: nan (x) acc: inf (y)",
        "loss: 0.5 (z)",
    };
    parse_result r = {0};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        size_t n = strlen(lines[i]);
        char *line = malloc(n);
        assert_non_null(line);
        memcpy(line, lines[i], n);
        assert_true(parse_line(line, n, PARSE_AUTO, &r) >= 0);
        free(line);
    }
    assert_int_equal(r.n, 1); /* "loss: 0.5"; "(z)" is no average */
    assert_string_equal(r.v[0].key, "loss");
    parse_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_kv),
        cmocka_unit_test(test_python_repr),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_bars),
        cmocka_unit_test(test_stepper),
        cmocka_unit_test(test_first_look),
        cmocka_unit_test(test_junk),
        cmocka_unit_test(test_reused_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
