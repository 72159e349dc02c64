/*
 * cmd_run.c — `tally run [options] -- CMD ARGS...`: runs any program under a
 * run.  Its stdout comes through a pseudo-terminal (so it keeps line
 * buffering and progress bars), its stderr through a pipe (so the streams
 * stay apart); both are passed on unchanged and recorded as console lines,
 * and lines of both are parsed for metrics: the user's --pattern/--regex
 * first (src/capture/pattern.c), else the built-in grammars (parse.c),
 * placed at steps by stepper.c.  CMD's own --flag value arguments become
 * config.  The run samples the system and records git itself; the child's
 * exit code becomes the run's and tally's.
 *
 * Signals: a Ctrl-C from the terminal reaches the child directly (it is in
 * our process group); SIGINT/SIGTERM/SIGHUP sent to tally by a process are
 * forwarded to the child, and tally waits for it to end.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "capture/capture.h"
#include "capture/linebuf.h"
#include "capture/parse.h"
#include "capture/pattern.h"
#include "capture/stepper.h"
#include "cli/cli.h"
#include "tally.h"

#define RUN_DRAIN_QUIET_MS 200 /* after the child ends: silent this long means done */
#define RUN_STEP_QUIET_MS 1000  /* the open step is stored after this long without metrics */
#define RUN_PTY_COLS 80          /* the child's terminal size when ours is unknown */
#define RUN_PTY_ROWS 24

/* The CLI's globals: what the signal handlers need. */
static volatile sig_atomic_t child_pid;
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    int saved = errno;
    /* Sent by a process (kill, a supervisor): pass it on.  From the
     * terminal (si_code > 0) the child got it already. */
    if (sig != SIGCHLD && sig != SIGWINCH && info && info->si_code <= 0 && child_pid > 0)
        kill((pid_t)child_pid, sig);
    unsigned char b = (unsigned char)sig;
    (void)!write(sig_pipe[1], &b, 1);
    errno = saved;
}

/* A comma-separated list of keys; "name*" matches every key starting so. */
typedef struct key_list {
    char **v;
    size_t n;
} key_list;

typedef struct runner {
    tally_run *run;
    parse_mode mode;
    int parse_stream[2]; /* parse stdout, stderr lines */
    parse_result parsed[2]; /* a stream's own: tables and shapes are read line after line */
    stepper steps;
    pattern_set *patterns;
    key_list config, ignore;
    char *clean; /* a line as patterns see it */
    size_t clean_cap;
    int out_ok, err_ok; /* our stdout / stderr still take output */
    linebuf lines[2];
    int step_open;        /* values were logged into a step not yet stored */
    int64_t step_open_ms; /* when the last of them came */
} runner;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int key_list_add(key_list *l, const char *csv)
{
    for (const char *p = csv; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n > 0) {
            char **v = realloc(l->v, (l->n + 1) * sizeof *v);
            if (!v)
                return TALLY_ENOMEM;
            l->v = v;
            if (!(l->v[l->n] = strndup(p, n)))
                return TALLY_ENOMEM;
            l->n++;
        }
        p += n + (comma != NULL);
    }
    return 0;
}

static void key_list_free(key_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int key_list_has(const key_list *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->v[i]);
        if (n > 0 && l->v[i][n - 1] == '*' ? strncmp(key, l->v[i], n - 1) == 0
                                           : strcmp(key, l->v[i]) == 0)
            return 1;
    }
    return 0;
}

/* Takes --ignore keys out of p, and --config keys into the run's config. */
static void route_keys(runner *r, parse_result *p)
{
    for (size_t i = 0; i < p->n;) {
        const char *key = p->v[i].key;
        if (key_list_has(&r->ignore, key)) {
            parse_result_remove(p, i);
            continue;
        }
        if (key_list_has(&r->config, key)) {
            char num[32];
            if (isfinite(p->v[i].value)) { /* JSON has no NaN: such a value is dropped */
                snprintf(num, sizeof num, "%.17g", p->v[i].value);
                tally_config_set(r->run, key, num);
            }
            parse_result_remove(p, i);
            continue;
        }
        i++;
    }
}

/* Logs what p, read from stream (0 stdout, 1 stderr), holds at the step
 * the stepper gives it. */
static void log_parsed(runner *r, int stream, parse_result *p)
{
    route_keys(r, p);
    int64_t step;
    if (stepper_place(&r->steps, stream, p, &step) <= 0)
        return;
    route_keys(r, p); /* the "epoch" the stepper may have added */
    for (size_t i = 0; i < p->n; i++)
        tally_log_at(r->run, step, p->v[i].key, p->v[i].value);
    r->step_open = 1;
    r->step_open_ms = now_ms();
}

/* How long until the open step is to be stored (-1: none is open).  A
 * step's values reach the run file when the step is committed, which a
 * later step does; without this a live chart would show every step only
 * once the next one is printed.  The wait lets lines printed together
 * (an eval line after a train line) still join one step. */
static int step_wait_ms(const runner *r)
{
    if (!r->step_open)
        return -1;
    int64_t left = r->step_open_ms + RUN_STEP_QUIET_MS - now_ms();
    return left > 0 ? (int)left : 0;
}

static void store_open_step(runner *r)
{
    tally_commit(r->run);
    stepper_close(&r->steps);
    r->step_open = 0;
}

/* One output line: the user's patterns, else the built-in grammars. */
static void parse_output(runner *r, int stream, const char *line, size_t len)
{
    parse_result *p = &r->parsed[stream];
    int n = 0;
    if (pattern_count(r->patterns) > 0) {
        if (len + 1 > r->clean_cap) {
            char *c = realloc(r->clean, len + 1);
            if (!c)
                return;
            r->clean = c;
            r->clean_cap = len + 1;
        }
        size_t cl = parse_clean(line, len, r->clean);
        parse_result_reset(p);
        n = pattern_match(r->patterns, r->clean, cl, p);
        if (n < 0)
            return;
    }
    if (n == 0 && parse_line(line, len, r->mode, p) < 0)
        return;
    log_parsed(r, stream, p);
}

/* A redraw forgot this text: when it is a bar at its end (Lightning
 * redraws one bar over all epochs, each epoch's end never gets a newline),
 * its metrics count.  When the same end is drawn again, the stepper logs
 * it once. */
static void parse_redrawn(runner *r, int stream, const char *text, size_t len)
{
    parse_result *p = &r->parsed[stream];
    if (parse_line(text, len, r->mode, p) <= 0)
        return;
    if (p->has_batch && p->batch_total > 0 && p->batch == p->batch_total)
        log_parsed(r, stream, p);
}

static void emit_line(runner *r, int stream, const char *line, size_t len)
{
    if (!r->run)
        return;
    capture_line(r->run, stream + 1, line, len);
    if (r->parse_stream[stream])
        parse_output(r, stream, line, len);
}

static void emit_out(void *ctx, const char *line, size_t len)
{
    emit_line(ctx, 0, line, len);
}

static void emit_err(void *ctx, const char *line, size_t len)
{
    emit_line(ctx, 1, line, len);
}

static void redraw_out(void *ctx, const char *text, size_t len)
{
    runner *r = ctx;
    if (r->run && r->parse_stream[0])
        parse_redrawn(r, 0, text, len);
}

static void redraw_err(void *ctx, const char *text, size_t len)
{
    runner *r = ctx;
    if (r->run && r->parse_stream[1])
        parse_redrawn(r, 1, text, len);
}

/* A JSON value for a command-line argument: a number or a boolean as
 * such, anything else as a string. */
static char *arg_json(const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (*v && *end == '\0' && strspn(v, "0123456789+-.eE") == strlen(v) && isfinite(d)) {
        char num[32]; /* in JSON's spelling: "1e-4", ".5", "+3" are not */
        snprintf(num, sizeof num, "%.17g", d);
        return strdup(num);
    }
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
        return strdup("true");
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0)
        return strdup("false");
    cJSON *s = cJSON_CreateString(v);
    char *out = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    return out;
}

static void config_arg(tally_run *run, const char *name, size_t nlen, const char *value)
{
    char key[TALLY_KEY_MAX + 1];
    if (nlen == 0 || nlen > TALLY_KEY_MAX)
        return;
    for (size_t i = 0; i < nlen; i++) /* --batch-size is batch_size, as argparse names it */
        key[i] = name[i] == '-' ? '_' : name[i];
    key[nlen] = '\0';
    char *json = arg_json(value);
    if (json)
        tally_config_set(run, key, json);
    free(json);
}

/* "key=value" as Hydra writes overrides: the length of key, else 0. */
static size_t override_key(const char *a)
{
    const char *eq = strchr(a, '=');
    size_t k = eq ? (size_t)(eq - a) : 0;
    if (k == 0 || !((a[0] >= 'a' && a[0] <= 'z') || (a[0] >= 'A' && a[0] <= 'Z') || a[0] == '_'))
        return 0;
    return strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == k ? k : 0;
}

/* CMD's own arguments as config: "--lr 0.1", "--lr=0.1", "--flag" (true)
 * and "key=value" (Hydra's overrides).  Short options, positional
 * arguments and everything after a "--" are left out. */
static void record_args(tally_run *run, char **cmd)
{
    for (int i = 1; cmd[i]; i++) {
        const char *a = cmd[i], *next = cmd[i + 1];
        if (strcmp(a, "--") == 0)
            return;
        size_t k = override_key(a);
        if (k > 0) {
            config_arg(run, a, k, a + k + 1);
        } else if (a[0] == '-' && a[1] == '-' && a[2] != '-' && a[2] != '=' && a[2]) {
            const char *name = a + 2, *eq = strchr(name, '=');
            int takes = next && override_key(next) == 0 &&
                        (next[0] != '-' || (next[1] >= '0' && next[1] <= '9') || next[1] == '.');
            if (eq) {
                config_arg(run, name, (size_t)(eq - name), eq + 1);
            } else if (takes) {
                config_arg(run, name, strlen(name), next);
                i++;
            } else {
                config_arg(run, name, strlen(name), "true");
            }
        }
    }
}

static void put_all(int fd, const char *p, size_t n, int *ok)
{
    while (*ok && n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            poll(&pfd, 1, 100);
            continue;
        }
        if (w <= 0) {
            *ok = 0; /* the reader left: keep recording, stop passing on */
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* The child's terminal takes our terminal's size; with none (tally's
 * output is a file or a pipe), fallback says whether to set 80x24, so that
 * progress bars still have a width to draw in. */
static void copy_winsize(int master, int fallback)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 ||
        ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
        if (ws.ws_col > 0 && ws.ws_row > 0) {
            ioctl(master, TIOCSWINSZ, &ws);
            return;
        }
    }
    if (fallback) {
        ws = (struct winsize){.ws_row = RUN_PTY_ROWS, .ws_col = RUN_PTY_COLS};
        ioctl(master, TIOCSWINSZ, &ws);
    }
}

/* Forks the child with stdout on the pty's slave (or a pipe when no pty
 * can be had) and stderr on a pipe.  *out_fd / *err_fd: our read ends. */
static pid_t spawn_child(char **argv, int *out_fd, int *err_fd)
{
    int master = -1, slave = -1, op[2] = {-1, -1}, ep[2];
    if (openpty(&master, &slave, NULL, NULL, NULL) == 0) {
        struct termios t;
        if (tcgetattr(slave, &t) == 0) {
            cfmakeraw(&t); /* bytes pass unchanged: no "\n" -> "\r\n", no echo */
            tcsetattr(slave, TCSANOW, &t);
        }
        copy_winsize(master, 1);
        fcntl(master, F_SETFD, FD_CLOEXEC);
        fcntl(slave, F_SETFD, FD_CLOEXEC);
    } else if (pipe2(op, O_CLOEXEC) == 0) {
        master = op[0];
        slave = op[1];
    } else {
        return -1;
    }
    if (pipe2(ep, O_CLOEXEC) != 0) {
        close(master);
        close(slave);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(slave, STDOUT_FILENO);
        dup2(ep[1], STDERR_FILENO);
        execvp(argv[0], argv);
        int e = errno;
        dprintf(STDERR_FILENO, "tally: cannot run %s: %s\n", argv[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    close(slave);
    close(ep[1]);
    if (pid < 0) {
        close(master);
        close(ep[0]);
        return -1;
    }
    *out_fd = master;
    *err_fd = ep[0];
    return pid;
}

/* Passes the child's output on and records it until both streams end (or,
 * once the child is gone, stay silent).  Returns the child's wait status. */
static int pump(runner *r, pid_t pid, int out_fd, int err_fd)
{
    int fds[2] = {out_fd, err_fd}, status = 0, exited = 0;
    char chunk[65536];
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd pfd[3];
        int np = 0, idx[3];
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0) {
                pfd[np] = (struct pollfd){fds[i], POLLIN, 0};
                idx[np++] = i;
            }
        pfd[np] = (struct pollfd){sig_pipe[0], POLLIN, 0};
        idx[np++] = -1;
        int wait = exited ? RUN_DRAIN_QUIET_MS : -1, step_wait = step_wait_ms(r);
        if (step_wait == 0) {
            store_open_step(r);
            step_wait = -1;
        }
        int by_step = step_wait > 0 && (wait < 0 || step_wait < wait);
        int pr = poll(pfd, (nfds_t)np, by_step ? step_wait : wait);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0 && by_step)
            continue; /* the open step is stored at the top */
        if (pr == 0)
            break; /* the child is gone and whoever holds its pipes is silent */
        for (int k = 0; k < np; k++) {
            if (!pfd[k].revents)
                continue;
            if (idx[k] < 0) {
                unsigned char sigs[64];
                ssize_t n = read(sig_pipe[0], sigs, sizeof sigs);
                for (ssize_t i = 0; i < n; i++)
                    if (sigs[i] == SIGWINCH)
                        copy_winsize(out_fd, 0);
                if (!exited && waitpid(pid, &status, WNOHANG) == pid)
                    exited = 1;
                continue;
            }
            int i = idx[k];
            ssize_t n = read(fds[i], chunk, sizeof chunk);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) { /* EOF, or EIO from a pty whose slave is closed */
                linebuf_flush(&r->lines[i], i ? emit_err : emit_out, r);
                if (i == 1)
                    close(fds[i]);
                fds[i] = -1;
                continue;
            }
            put_all(i ? STDERR_FILENO : STDOUT_FILENO, chunk, (size_t)n,
                    i ? &r->err_ok : &r->out_ok);
            linebuf_feed(&r->lines[i], chunk, (size_t)n, i ? emit_err : emit_out, r);
        }
    }
    for (int i = 0; i < 2; i++)
        linebuf_flush(&r->lines[i], i ? emit_err : emit_out, r);
    if (!exited)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    return status;
}

enum { OPT_PATTERN = CLI_LONG_ONLY, OPT_REGEX, OPT_CONFIG, OPT_IGNORE, OPT_NO_STDOUT,
       OPT_NO_STDERR, OPT_NO_ARGS };

static const cli_option run_option_table[] = {
    {"project", 'p', "P", "the project (default: $TALLY_PROJECT, else \"default\")"},
    {"name", 'n', "N", "the run's display name (default: generated)"},
    CLI_OPTION_DIR,
    {"parse", 'P', "MODE",
     "the built-in grammars: auto (default: all), json (dict lines), kv (text and progress "
     "bars) or none"},
    {"pattern", OPT_PATTERN, "TPL",
     "a line grammar, e.g. 'iter {step}: loss {loss}': {key} is a number, {step} and {epoch} "
     "set those; repeatable; a line it matches skips the built-in grammars"},
    {"regex", OPT_REGEX, "RE",
     "a PCRE2 expression whose named groups are keys, e.g. 'it=(?<step>\\d+) l=(?<loss>\\S+)'; "
     "repeatable"},
    {"config", OPT_CONFIG, "KEYS",
     "comma-separated keys that go to the run's config, not to its metrics (KEY* matches a "
     "prefix; v_num always does)"},
    {"ignore", OPT_IGNORE, "KEYS", "comma-separated keys not recorded at all (KEY* as above)"},
    {"no-parse-stdout", OPT_NO_STDOUT, NULL, "read no metrics from COMMAND's stdout"},
    {"no-parse-stderr", OPT_NO_STDERR, NULL, "read no metrics from COMMAND's stderr"},
    {"no-args-config", OPT_NO_ARGS, NULL,
     "do not record COMMAND's own --flag value arguments as config"},
    {"sample-ms", 's', "MS", "system metrics every MS milliseconds; -1: none (default: 2000)"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

/* The options that shape parsing, collected before the run exists. */
typedef struct run_opts {
    const char *parse;
    int args_config;
} run_opts;

static int add_pattern(runner *r, int regex, const char *text)
{
    char err[256];
    int rc = r->patterns ? 0 : pattern_set_new(&r->patterns);
    if (!rc)
        rc = regex ? pattern_add_regex(r->patterns, text, err, sizeof err)
                   : pattern_add_template(r->patterns, text, err, sizeof err);
    if (rc == TALLY_EINVAL)
        cli_error("bad --%s '%s': %s", regex ? "regex" : "pattern", text, err);
    else if (rc)
        cli_error("%s", tally_strerror(rc));
    return rc;
}

static void runner_free(runner *r)
{
    parse_result_free(&r->parsed[0]);
    parse_result_free(&r->parsed[1]);
    stepper_free(&r->steps);
    pattern_set_free(r->patterns);
    key_list_free(&r->config);
    key_list_free(&r->ignore);
    free(r->clean);
    linebuf_free(&r->lines[0]);
    linebuf_free(&r->lines[1]);
}

#define RUN_HELPED (-1) /* read_options printed the help */

/* Reads the options into o, r and ro; returns 0, RUN_HELPED, or the exit code. */
static int read_options(int argc, char **argv, tally_options *o, runner *r, run_opts *ro)
{
    cli_parser parser;
    cli_parser_init(&parser, &cmd_run);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'p': o->project = optarg; break;
        case 'n': o->name = optarg; break;
        case 'P': ro->parse = optarg; break;
        case OPT_PATTERN:
        case OPT_REGEX:
            if (add_pattern(r, c == OPT_REGEX, optarg))
                return CLI_USAGE;
            break;
        case OPT_CONFIG:
        case OPT_IGNORE:
            if (key_list_add(c == OPT_CONFIG ? &r->config : &r->ignore, optarg))
                return cli_error("%s", tally_strerror(TALLY_ENOMEM));
            break;
        case OPT_NO_STDOUT: r->parse_stream[0] = 0; break;
        case OPT_NO_STDERR: r->parse_stream[1] = 0; break;
        case OPT_NO_ARGS: ro->args_config = 0; break;
        case 's': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < -1 || v > 3600000 || v == 0)
                return cli_usage(&cmd_run);
            o->sample_ms = (int)v;
            break;
        }
        default: return parser.rc == CLI_OK ? RUN_HELPED : parser.rc; /* --help, a bad option */
        }
    }
    o->dir = parser.dir;
    if (optind >= argc || parse_mode_of(ro->parse, &r->mode) != 0)
        return cli_usage(&cmd_run);
    return 0;
}

static int run_run(int argc, char **argv)
{
    tally_options o = {.capture = TALLY_CAPTURE_SYSTEM | TALLY_CAPTURE_GIT | TALLY_CAPTURE_ENV};
    runner r = {.out_ok = 1, .err_ok = 1, .parse_stream = {1, 1}};
    run_opts ro = {.parse = "auto", .args_config = 1};
    linebuf_init(&r.lines[0], 0);
    linebuf_init(&r.lines[1], 0);
    int rc = key_list_add(&r.config, "v_num"); /* Lightning's logger version */
    if (!rc)
        rc = read_options(argc, argv, &o, &r, &ro);
    if (rc) {
        runner_free(&r);
        return rc == RUN_HELPED ? CLI_OK : rc;
    }
    char **cmd = argv + optind;

    rc = tally_init_ex(&o, &r.run);
    if (rc) /* the program still runs: tally failing must not stop it */
        cli_error("cannot start a run (%s); running %s unrecorded", tally_strerror(rc), cmd[0]);
    if (r.run && ro.args_config)
        record_args(r.run, cmd);
    linebuf_on_redraw(&r.lines[0], redraw_out, &r);
    linebuf_on_redraw(&r.lines[1], redraw_err, &r);

    fflush(stdout);
    fflush(stderr);
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        if (r.run)
            tally_finish(r.run, 1);
        runner_free(&r);
        return cli_error("cannot create a pipe: %s", strerror(errno));
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGWINCH};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int out_fd, err_fd, code;
    pid_t pid = spawn_child(cmd, &out_fd, &err_fd);
    if (pid < 0) {
        cli_error("cannot start %s: %s", cmd[0], strerror(errno));
        code = 127;
    } else {
        child_pid = pid;
        int status = pump(&r, pid, out_fd, err_fd);
        child_pid = 0;
        code = WIFEXITED(status) ? WEXITSTATUS(status)
               : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                     : 1;
        close(out_fd);
    }
    if (r.run) {
        rc = tally_finish(r.run, code);
        if (rc)
            cli_error("the run was not saved completely: %s", tally_strerror(rc));
    }
    runner_free(&r);
    return code;
}

const cli_command cmd_run = {
    .name = "run",
    .operands = "-- COMMAND [ARGS...]",
    .summary = "run a program under a run: record its output, metrics and system load",
    .run = run_run,
    .options = run_option_table,
    .details = "COMMAND's stdout is a pseudo-terminal (the terminal's size, else 80x24), its\n"
               "stderr a pipe; both are passed on unchanged and recorded, and metrics are read\n"
               "from the lines of both: dict lines (JSON, Python repr), tqdm and Keras bars,\n"
               "tables (Stable-Baselines3's boxes, fastai's and YOLO's columns), \"key: value\",\n"
               "\"key=value\", \"step 100: train loss 2.3\" and more (see docs/capture.md);\n"
               "ranks, world sizes, worker counts and seeds are not metrics.\n"
               "A step is stored once the output has carried no metric for a second.\n"
               "COMMAND's own --flag value and key=value arguments are\n"
               "recorded as config.  The exit status is COMMAND's (128 + N when killed by\n"
               "signal N, 127 when not found, 126 when it cannot be run).  tally's options end\n"
               "at the first operand, so COMMAND's own options stay COMMAND's.\n",
    .flags = CLI_OPERANDS_FIRST | CLI_MAKES_STORE,
};
