/*
 * bench_parse.c — what reading metrics costs `tally run`.  The same input
 * goes through (1) a plain line split — linebuf, the line model every
 * captured line goes through anyway — and (2) the same split with every
 * line parsed and placed at a step (parse.c, stepper.c), as cmd_run.c
 * does.  The two alternate for seven rounds, so both see the same load;
 * each is timed in CPU time, and the best of the seven rounds of each
 * gives the ratio (2)/(1) (the round-by-round ratios are printed too).
 *
 * The input is what a training prints, with fresh numbers on every line,
 * twelve lines in turn: nine metric lines, one of each kind the corpus
 * (tests/unit/data/capture_corpus.txt) covers (nanoGPT's iter line, a
 * Hugging Face dict, llm.c's step line, a Lightning bar, timm's train
 * line, a Keras progbar, a JSON dict, scikit-learn's SGD line, a logged
 * global_step line), and three plain log lines with numbers in them that
 * must give nothing or little (a logging timestamp and path, a device
 * line, a download URL).
 *
 * Lines of a shape read before are replayed (src/capture/shapes.c), which
 * is what a program's output mostly is; a third input shows the other
 * end: the metric lines each with a word no line had before, so no line
 * is replayed and each is read in full; it is timed once more with shapes
 * off, so the cost of looking for a shape that is never there shows.
 *
 * A last input is tables (src/capture/tables.c), read with the lines
 * before them: Stable-Baselines3's boxes and fastai's header and rows.
 *
 * usage: bench_parse [LINES] (default 400000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/linebuf.h"
#include "capture/parse.h"
#include "capture/shapes.h"
#include "capture/stepper.h"
#include "common/buf.h"

#include "benchutil.h"

#define ROUNDS 7
#define TARGET_RATIO 0.25

/* CPU time of this thread: on a shared machine, a long pass is preempted
 * more often than a short one, so wall time would favour the short one. */
/* The twelve plain lines: what frameworks log around the metrics
 * (Lightning, Hugging Face, DeepSpeed, wandb, Python warnings), five with
 * numbers that are not metrics, seven with none. */
static const char *const plain_lines[] = {
    "GPU available: True (cuda), used: True",
    "LOCAL_RANK: 0 - CUDA_VISIBLE_DEVICES: [0]",
    "[2024-01-05 12:30:46,004] [INFO] [real_accelerator.py:191:get_accelerator] Setting "
    "ds_accelerator to cuda (auto detect)",
    "Loading checkpoint shards: the weights are being read from the local cache",
    "/usr/lib/python3/dist-packages/torch/utils/data/dataloader.py:558: UserWarning: This "
    "DataLoader will create 8 worker processes in total.",
    "  warnings.warn(_create_warning_msg(",
    "Saving model checkpoint to out/checkpoint-500",
    "Some weights of the model checkpoint were not used when initializing the model",
    "wandb: Tracking run with wandb version 0.16.1",
    "You are using a model of type gpt2 to instantiate a model of type llama, which is not "
    "supported for all configurations",
    "Validation sanity check: the dataloader is empty, skipping",
    "***** Running training *****",
};
#define PLAIN_LINES (sizeof plain_lines / sizeof *plain_lines)

/* The metric lines: one of each kind in turn, numbers varying with i. */
static void metric_line(buf *b, size_t i)
{
    double x = 1.0 / (double)(i + 1), y = (double)(i % 997) * 0.013;
    switch (i % 12) {
    case 0: buf_printf(b, "iter %zu: loss %.4f, time %.2fms, mfu %.2f%%\n", i, 2 + x, 100 + y, 30 + y); break;
    case 1: buf_printf(b, "{'loss': %.4f, 'grad_norm': %.4f, 'learning_rate': %.3e, 'epoch': %.2f}\n", x, y, x * 1e-4, y); break;
    case 2: buf_printf(b, "2024-01-05 12:30:45,123 - INFO - __main__ - saving checkpoint %zu to /data/run/ckpt.pt\n", i); break;
    case 3: buf_printf(b, "step %5zu/9999 | train loss %.6f | norm %.4f | lr %.2e | (%.2f ms | %.0f tok/s)\n", i, x, y, x, y, 1e5 * x); break;
    case 4: buf_printf(b, "Epoch 3: 100%%|##########| 1563/1563 [00:15<00:00, 101.23it/s, v_num=0, train_loss=%.3f]\n", x); break;
    case 5: buf_printf(b, "Train: 3 [ %zu/390 ( 26%%)]  Loss: %.3f (%.3f)  Time: 0.123s,  260.16/s  (0.130s,  246.15/s)  LR: 1.000e-03  Data: 0.012 (0.015)\n", i % 390, x, y); break;
    case 6: buf_printf(b, "Using device cuda:0, world size 8, rank 0 of 8\n"); break;
    case 7: buf_printf(b, "10/10 [==============================] - 2s 10ms/step - loss: %.4f - accuracy: %.4f\n", x, y); break;
    case 8: buf_printf(b, "{\"step\": %zu, \"loss\": %.5f, \"val\": {\"acc\": %.4f}}\n", i, x, y); break;
    case 9: buf_printf(b, "Norm: %.2f, NNZs: 2, Bias: -0.320000, T: %zu, Avg. loss: %.6f\n", y, i, x); break;
    case 10: buf_printf(b, "[2024-01-05 12:31:00] INFO metrics: global_step=%zu throughput=1234.5 samples/s\n", i); break;
    default: buf_printf(b, "Downloading shard %zu of 12 from https://example.org/data/%zu.bin\n", i % 12, i); break;
    }
}

/* Tables, ten lines in turn: a Stable-Baselines3 box of eight, a fastai
 * header and one of its rows. */
static void table_line(buf *b, size_t i)
{
    double x = 1.0 / (double)(i + 1);
    switch (i % 10) {
    case 0:
    case 7: buf_puts(b, "------------------------------------\n"); break;
    case 1: buf_puts(b, "| rollout/           |             |\n"); break;
    case 2: buf_printf(b, "|    ep_len_mean     | %-11zu |\n", 100 + i % 97); break;
    case 3: buf_printf(b, "|    ep_rew_mean     | %-11.3g |\n", -1000 * x); break;
    case 4: buf_puts(b, "| time/              |             |\n"); break;
    case 5: buf_printf(b, "|    fps             | %-11zu |\n", 1000 + i % 113); break;
    case 6: buf_printf(b, "|    total_timesteps | %-11zu |\n", 2048 * (i / 10 + 1)); break;
    case 8: buf_puts(b, "epoch     train_loss  valid_loss  accuracy  time    \n"); break;
    default: buf_printf(b, "%-10zu%-12.6f%-12.6f%-10.6f00:12\n", i / 10, x, 2 * x, 1 - x); break;
    }
}

enum input { TRAINING_LOG, METRICS_ONLY, NEW_SHAPES, TABLES };

/* The input: for TRAINING_LOG, each metric line is followed by a plain
 * one, so half the lines carry no metric (as in a framework's log); for
 * METRICS_ONLY, the metric lines alone; for NEW_SHAPES, the metric lines
 * each after a word of letters spelling its number ("job bcd: "). */
static void make_input(buf *b, size_t lines, enum input kind)
{
    for (size_t i = 0; i < lines; i++) {
        if (kind == TRAINING_LOG && i % 2 == 1) {
            buf_printf(b, "%s\n", plain_lines[(i / 2) % PLAIN_LINES]);
            continue;
        }
        if (kind == TABLES) {
            table_line(b, i);
            continue;
        }
        if (kind == NEW_SHAPES) {
            char word[16];
            size_t k = 0;
            for (size_t x = i; k == 0 || x > 0; x /= 26)
                word[k++] = (char)('a' + x % 26);
            buf_printf(b, "job %.*s: ", (int)k, word);
        }
        metric_line(b, kind == TRAINING_LOG ? i / 2 : i);
    }
}

typedef struct sink {
    size_t lines, values, replayed;
    parse_result r;
    stepper st;
} sink;

static void count(void *ctx, const char *line, size_t len)
{
    (void)line;
    sink *s = ctx;
    s->lines++;
    s->values += len & 1; /* touch the length, as a consumer would */
}

static void parse(void *ctx, const char *line, size_t len)
{
    sink *s = ctx;
    s->lines++;
    int64_t step;
    if (parse_line(line, len, PARSE_AUTO, &s->r) > 0 && stepper_place(&s->st, 0, &s->r, &step) > 0)
        s->values += s->r.n;
}

/* Lines/s of one pass of the input through linebuf into emit. */
static double pass(const buf *in, linebuf_emit_fn emit, int no_shapes, sink *out)
{
    linebuf lb;
    linebuf_init(&lb, 0);
    sink s = {.r.no_shapes = no_shapes};
    double t0 = bench_cpu_now();
    for (size_t off = 0; off < in->len; off += 65536) { /* 64 KiB reads, as cmd_run.c gets them */
        size_t n = in->len - off < 65536 ? in->len - off : 65536;
        linebuf_feed(&lb, in->data + off, n, emit, &s);
    }
    linebuf_flush(&lb, emit, &s);
    double dt = bench_cpu_now() - t0;
    linebuf_free(&lb);
    out->lines = s.lines;
    out->values = s.values;
    out->replayed = shape_replays(&s.r);
    parse_result_free(&s.r);
    stepper_free(&s.st);
    return (double)s.lines / dt;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One input, both passes alternating for ROUNDS rounds; prints the bests
 * and returns the ratio of the bests. */
static double compare(const char *what, size_t lines, enum input kind, int no_shapes)
{
    buf in = BUF_INIT;
    make_input(&in, lines, kind);
    sink plain_s = {0}, parsed = {0};
    double base[ROUNDS], full[ROUNDS], ratio[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) { /* alternating, so both see the same load */
        base[r] = pass(&in, count, 0, &plain_s);
        full[r] = pass(&in, parse, no_shapes, &parsed);
        ratio[r] = full[r] / base[r];
    }
    qsort(base, ROUNDS, sizeof *base, by_value);
    qsort(full, ROUNDS, sizeof *full, by_value);
    qsort(ratio, ROUNDS, sizeof *ratio, by_value);
    double best_base = base[ROUNDS - 1], best_full = full[ROUNDS - 1];
    printf("%s, %zu lines (%.1f MB), best of %d rounds:\n", what, lines, (double)in.len / 1e6, ROUNDS);
    printf("  plain line split (linebuf)     %10.0f lines/s (CPU)\n", best_base);
    printf("  split + parse + step           %10.0f lines/s (CPU)\n", best_full);
    printf("  ratio of the bests             %10.2fx\n", best_full / best_base);
    printf("  ratio, round by round          %10.2fx  median (%.2f-%.2f)\n", ratio[ROUNDS / 2],
           ratio[0], ratio[ROUNDS - 1]);
    printf("  cost of parsing a line         %10.0f ns of CPU\n", 1e9 / best_full - 1e9 / best_base);
    printf("  values read                    %10zu (%.2f a line)\n", parsed.values,
           (double)parsed.values / (double)parsed.lines);
    printf("  lines replayed (shapes.c)      %10zu (%.0f%%)\n", parsed.replayed,
           100.0 * (double)parsed.replayed / (double)parsed.lines);
    buf_free(&in);
    return best_full / best_base;
}

int main(int argc, char **argv)
{
    size_t lines = argc > 1 ? (size_t)atol(argv[1]) : 400000;
    double mixed = compare("a training log: 12 kinds of metric line, each followed by a plain log line",
                           lines, TRAINING_LOG, 0);
    double dense = compare("the metric lines alone (no plain lines between them)", lines, METRICS_ONLY, 0);
    double fresh = compare("the metric lines, each of a shape never seen before (none replayed)",
                           lines, NEW_SHAPES, 0);
    double off = compare("the same, with shapes off (every line read in full, no shape looked for)",
                         lines, NEW_SHAPES, 1);
    double tables = compare("tables: Stable-Baselines3's boxes, fastai's header and rows", lines,
                            TABLES, 0);
    printf("metric parsing: %.2fx a plain line split on a training log (target >= %.2fx); %.2fx on "
           "metric lines alone; %.2fx when no line's shape repeats (%.2fx with shapes off); "
           "%.2fx on tables\n",
           mixed, TARGET_RATIO, dense, fresh, off, tables);
    return 0;
}
