/*
 * cmd_demo.c — `tally demo`: logs a realistic synthetic training run
 * (noisy loss and accuracy curves, a warm-up and cosine learning-rate
 * schedule, an eval pass every few hundred steps) and says where it went.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tally.h"

/* A small deterministic generator: the demo looks the same every time. */
static double noise(unsigned long long *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*state >> 11) / 9007199254740992.0 - 0.5;
}

static int run_demo(int argc, char **argv)
{
    const char *dir = NULL, *project = "demo";
    long steps = 2000, delay_ms = 0;
    static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
                                              {"project", required_argument, NULL, 'p'},
                                              {"steps", required_argument, NULL, 's'},
                                              {"delay-ms", required_argument, NULL, 'w'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:p:s:w:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'p': project = optarg; break;
        case 's': steps = strtol(optarg, NULL, 10); break;
        case 'w': delay_ms = strtol(optarg, NULL, 10); break;
        case 'h': cli_usage(&cmd_demo); return CLI_OK;
        default: return cli_usage(&cmd_demo);
        }
    }
    if (steps <= 0 || delay_ms < 0)
        return cli_usage(&cmd_demo);

    const char *tags[] = {"demo", "synthetic", NULL};
    tally_options opts = {
        .dir = dir,
        .project = project,
        .tags = tags,
        .notes = "a synthetic run written by `tally demo`",
        .config_json = "{\"model\":\"resnet18\",\"optimizer\":\"adamw\",\"lr\":0.003,"
                       "\"batch_size\":128,\"epochs\":10,\"warmup_steps\":100}",
    };
    tally_run *run;
    int rc = tally_init_ex(&opts, &run);
    if (rc)
        return cli_error("cannot start the demo run: %s", tally_strerror(rc));
    tally_define_metric(run, "val/*", "epoch", TALLY_SUMMARY_MIN | TALLY_SUMMARY_LAST,
                        TALLY_GOAL_MINIMIZE);
    tally_define_metric(run, "val/acc", "epoch", TALLY_SUMMARY_MAX | TALLY_SUMMARY_LAST,
                        TALLY_GOAL_MAXIMIZE);

    unsigned long long rng = 42;
    const double lr_max = 3e-3;
    const long warmup = steps / 20 + 1, eval_every = steps / 10 > 0 ? steps / 10 : 1;
    const long steps_per_epoch = steps / 10 > 0 ? steps / 10 : 1;
    for (long step = 0; step < steps; step++) {
        double t = (double)step / (double)steps;
        double lr = step < warmup ? lr_max * (double)(step + 1) / (double)warmup
                                  : lr_max * 0.5 * (1 + cos(M_PI * t));
        double loss = 2.3 * exp(-4.0 * t) + 0.15 + 0.08 * noise(&rng) * exp(-t);
        double acc = 1.0 - 0.9 * exp(-5.0 * t) - 0.03 * fabs(noise(&rng));
        tally_log(run, "train/loss", loss);
        tally_log(run, "train/acc", acc);
        tally_log(run, "train/lr", lr);
        tally_log_int(run, "epoch", step / steps_per_epoch);
        if ((step + 1) % eval_every == 0) {
            tally_log(run, "val/loss", loss * 1.1 + 0.05 + 0.02 * noise(&rng));
            tally_log(run, "val/acc", acc - 0.03 + 0.01 * noise(&rng));
        }
        tally_commit(run);
        if (delay_ms) {
            struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    char id[80], path[4096];
    snprintf(id, sizeof id, "%s", tally_run_id(run));
    snprintf(path, sizeof path, "%s", tally_run_path(run));
    rc = tally_finish(run, 0);
    if (rc)
        return cli_error("the demo run could not be written: %s", tally_strerror(rc));
    printf("logged %ld steps to run %s\n  %s\n", steps, id, path);
    printf("try: tally show %s   |   tally export %s | head\n", id, id);
    return CLI_OK;
}

const cli_command cmd_demo = {
    "demo", "[--dir D] [--project P] [--steps N] [--delay-ms MS]",
    "log a synthetic training run and say where it went", run_demo};
