/*
 * cmd_demo.c — `tally demo`: a synthetic training run (noisy loss and
 * accuracy, warm-up + cosine learning rate, evals, progress lines on
 * stdout) written live by a child process at a training-like pace, with
 * the dashboard open on it; --no-tui writes it in the foreground and says
 * where it went (for scripts).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tally.h"

/* A small deterministic generator: the demo looks the same every time. */
static double noise(unsigned long long *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*state >> 11) / 9007199254740992.0 - 0.5;
}

typedef struct demo_opts {
    const char *dir, *project;
    long steps, delay_ms;
    int flush_ms;
    int path_fd;  /* where the run's path is written once it exists, or -1 */
    int progress; /* print progress lines on stdout */
} demo_opts;

static volatile sig_atomic_t demo_stop;

static void on_term(int sig)
{
    (void)sig;
    demo_stop = 1;
}

static void progress_bar(char *out, size_t size, double frac)
{
    int width = 20, full = (int)(frac * width + 0.5);
    if (size < (size_t)width + 3)
        return;
    out[0] = '[';
    for (int i = 0; i < width; i++)
        out[1 + i] = i < full ? '#' : '.';
    out[width + 1] = ']';
    out[width + 2] = 0;
}

/* Logs the run; returns the exit code. */
static int demo_write(const demo_opts *o)
{
    const char *tags[] = {"demo", "synthetic", NULL};
    tally_options opts = {
        .dir = o->dir,
        .project = o->project,
        .tags = tags,
        .flush_ms = o->flush_ms,
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
    char id[80], path[4096];
    snprintf(id, sizeof id, "%s", tally_run_id(run));
    snprintf(path, sizeof path, "%s", tally_run_path(run));
    if (o->path_fd >= 0) {
        tally_flush(run); /* the file holds the run row before the reader opens it */
        dprintf(o->path_fd, "%s\n", path);
        close(o->path_fd);
    }

    unsigned long long rng = 42;
    const long steps = o->steps;
    const double lr_max = 3e-3;
    const long warmup = steps / 20 + 1, eval_every = steps / 10 > 0 ? steps / 10 : 1;
    const long steps_per_epoch = steps / 10 > 0 ? steps / 10 : 1;
    const long print_every = steps / 100 > 0 ? steps / 100 : 1;
    long step = 0;
    for (; step < steps && !demo_stop; step++) {
        double t = (double)step / (double)steps;
        double lr = step < warmup ? lr_max * (double)(step + 1) / (double)warmup
                                  : lr_max * 0.5 * (1 + cos(M_PI * t));
        double loss = 2.3 * exp(-4.0 * t) + 0.15 + 0.08 * noise(&rng) * exp(-t);
        double acc = 1.0 - 0.9 * exp(-5.0 * t) - 0.03 * fabs(noise(&rng));
        double gnorm = 4.0 * exp(-3.0 * t) + 0.5 + 0.4 * fabs(noise(&rng));
        tally_log(run, "train/loss", loss);
        tally_log(run, "train/acc", acc);
        tally_log(run, "train/lr", lr);
        tally_log(run, "train/grad_norm", gnorm);
        tally_log(run, "perf/samples_per_s", 2400 + 300 * noise(&rng));
        tally_log_int(run, "epoch", step / steps_per_epoch);
        if (o->progress && step % print_every == 0) {
            char bar[32];
            progress_bar(bar, sizeof bar, (double)step / (double)steps);
            printf("epoch %ld %s %3ld%%  step %ld  loss %.4f  acc %.3f  lr %.2e\n",
                   step / steps_per_epoch, bar, step * 100 / steps, step, loss, acc, lr);
            fflush(stdout);
        }
        if ((step + 1) % eval_every == 0) {
            double vloss = loss * 1.1 + 0.05 + 0.02 * noise(&rng);
            double vacc = acc - 0.03 + 0.01 * noise(&rng);
            tally_log(run, "val/loss", vloss);
            tally_log(run, "val/acc", vacc);
            if (o->progress) {
                printf("eval  epoch %ld  val/loss %.4f  val/acc %.3f\n", step / steps_per_epoch,
                       vloss, vacc);
                fflush(stdout);
            }
        }
        tally_commit(run);
        if (o->delay_ms) {
            struct timespec ts = {o->delay_ms / 1000, (o->delay_ms % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    /* Ctrl-C on a batch demo is an interruption (130, a failed run); the
     * dashboard stopping its writer on quit is the normal end of a demo. */
    int code = demo_stop && o->path_fd < 0 ? 130 : 0;
    if (o->progress && demo_stop) {
        fprintf(stderr, "interrupted at step %ld\n", step);
        fflush(stderr);
    }
    rc = tally_finish(run, code);
    if (rc)
        return cli_error("the demo run could not be written: %s", tally_strerror(rc));
    if (o->path_fd < 0) {
        printf("logged %ld steps to run %s\n  %s\n", step, id, path);
        printf("try: tally open %s   |   tally show %s   |   tally export %s | head\n", id, id, id);
    }
    return code ? CLI_FAIL : CLI_OK;
}

/* The writer in a child (output to /dev/null: the dashboard owns the
 * terminal), the dashboard in this process. */
static int demo_live(demo_opts *o)
{
    int fds[2];
    if (pipe(fds) != 0)
        return cli_error("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return cli_error("fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            close(null);
        }
        signal(SIGTERM, on_term);
        signal(SIGINT, on_term);
        o->path_fd = fds[1];
        _exit(demo_write(o));
    }
    close(fds[1]);
    char path[4096];
    size_t n = 0;
    ssize_t got;
    while (n + 1 < sizeof path && (got = read(fds[0], path + n, sizeof path - 1 - n)) > 0)
        n += (size_t)got;
    close(fds[0]);
    path[n] = 0;
    char *nl = strchr(path, '\n');
    if (nl)
        *nl = 0;
    int rc;
    if (!path[0]) {
        waitpid(pid, NULL, 0);
        return cli_error("the demo run did not start");
    }
    rc = cli_dashboard(o->dir ? o->dir : tally_store_default_root(), path, 0);
    int status;
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
    }
    printf("demo run: %s\n", path);
    return rc;
}

static const cli_option demo_option_table[] = {
    CLI_OPTION_DIR,
    {"project", 'p', "P", "the project to log the run under (default: demo)"},
    {"steps", 's', "N", "how many steps to log (default: 3000 live, 2000 with --no-tui)"},
    {"delay-ms", 'w', "MS", "pause between steps (default: 20 live, 0 with --no-tui)"},
    {"no-tui", 'n', NULL, "write the run as fast as it goes and print its path (the default off a terminal)"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_demo(int argc, char **argv)
{
    demo_opts o = {NULL, "demo", 3000, 20, 250, -1, 0};
    int no_tui = 0, steps_set = 0, delay_set = 0;
    cli_parser parser;
    cli_parser_init(&parser, &cmd_demo);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'p': o.project = optarg; break;
        case 's': o.steps = strtol(optarg, NULL, 10), steps_set = 1; break;
        case 'w': o.delay_ms = strtol(optarg, NULL, 10), delay_set = 1; break;
        case 'n': no_tui = 1; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    o.dir = parser.dir;
    if (optind != argc || o.steps <= 0 || o.delay_ms < 0)
        return cli_usage(&cmd_demo);
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        no_tui = 1;
    if (no_tui) {
        /* Scripts: as fast as it goes unless asked otherwise, 2000 steps. */
        if (!steps_set)
            o.steps = 2000;
        if (!delay_set)
            o.delay_ms = 0;
        o.flush_ms = 0;
        return demo_write(&o);
    }
    o.progress = 1;
    return demo_live(&o);
}

const cli_command cmd_demo = {
    .name = "demo",
    .operands = "",
    .summary = "write a synthetic training run live and watch it in the dashboard",
    .run = run_demo,
    .options = demo_option_table,
    .details = "On a terminal the run is written live and shown in the dashboard; otherwise\n"
               "it is written at once and its path printed.\n",
    .flags = CLI_MAKES_STORE,
};
