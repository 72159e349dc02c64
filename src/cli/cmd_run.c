/*
 * cmd_run.c — `tally run [options] -- CMD ARGS...`: runs any program under a
 * run.  Its stdout comes through a pseudo-terminal (so it keeps line
 * buffering and progress bars), its stderr through a pipe (so the streams
 * stay apart); both are passed on unchanged and recorded as console lines,
 * and stdout lines are parsed for metrics (src/capture/parse.c).  The run
 * samples the system and records git itself; the child's exit code becomes
 * the run's and tally's.
 *
 * Signals: a Ctrl-C from the terminal reaches the child directly (it is in
 * our process group); SIGINT/SIGTERM/SIGHUP sent to tally by a process are
 * forwarded to the child, and tally waits for it to end.
 */
#include <errno.h>
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
#include <unistd.h>

#include "capture/capture.h"
#include "capture/linebuf.h"
#include "capture/parse.h"
#include "cli/cli.h"
#include "tally.h"

#define RUN_DRAIN_QUIET_MS 200 /* after the child ends: silent this long means done */

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

typedef struct runner {
    tally_run *run;
    parse_mode mode;
    parse_result parsed;
    int out_ok, err_ok; /* our stdout / stderr still take output */
    linebuf lines[2];
} runner;

static void log_metrics(runner *r)
{
    parse_result *p = &r->parsed;
    for (size_t i = 0; i < p->n; i++) {
        if (p->has_step)
            tally_log_at(r->run, p->step, p->v[i].key, p->v[i].value);
        else
            tally_log(r->run, p->v[i].key, p->v[i].value);
    }
    if (!p->has_step)
        tally_commit(r->run);
}

static void emit_out(void *ctx, const char *line, size_t len)
{
    runner *r = ctx;
    if (!r->run)
        return;
    capture_line(r->run, 1, line, len);
    if (parse_line(line, len, r->mode, &r->parsed) > 0)
        log_metrics(r);
}

static void emit_err(void *ctx, const char *line, size_t len)
{
    runner *r = ctx;
    if (r->run)
        capture_line(r->run, 2, line, len);
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

static void copy_winsize(int master)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
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
        copy_winsize(master);
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
        int pr = poll(pfd, (nfds_t)np, exited ? RUN_DRAIN_QUIET_MS : -1);
        if (pr < 0 && errno == EINTR)
            continue;
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
                        copy_winsize(out_fd);
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

static const cli_option run_option_table[] = {
    {"project", 'p', "P", "the project (default: $TALLY_PROJECT, else \"default\")"},
    {"name", 'n', "N", "the run's display name (default: generated)"},
    CLI_OPTION_DIR,
    {"parse", 'P', "MODE", "metrics from the output: auto (default), json, kv or none"},
    {"sample-ms", 's', "MS", "system metrics every MS milliseconds; -1: none (default: 2000)"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_run(int argc, char **argv)
{
    tally_options o = {.capture = TALLY_CAPTURE_SYSTEM | TALLY_CAPTURE_GIT | TALLY_CAPTURE_ENV};
    const char *parse = "auto";
    cli_parser parser;
    cli_parser_init(&parser, &cmd_run);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'p': o.project = optarg; break;
        case 'n': o.name = optarg; break;
        case 'd': o.dir = optarg; break;
        case 'P': parse = optarg; break;
        case 's': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < -1 || v > 3600000 || v == 0)
                return cli_usage(&cmd_run);
            o.sample_ms = (int)v;
            break;
        }
        case 'h': return cli_help(&cmd_run);
        default: return cli_usage(&cmd_run);
        }
    }
    runner r = {.out_ok = 1, .err_ok = 1};
    if (optind >= argc || parse_mode_of(parse, &r.mode) != 0)
        return cli_usage(&cmd_run);
    char **cmd = argv + optind;

    int rc = tally_init_ex(&o, &r.run);
    if (rc) /* the program still runs: tally failing must not stop it */
        cli_error("cannot start a run (%s); running %s unrecorded", tally_strerror(rc), cmd[0]);
    linebuf_init(&r.lines[0], 0);
    linebuf_init(&r.lines[1], 0);

    fflush(stdout);
    fflush(stderr);
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        if (r.run)
            tally_finish(r.run, 1);
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
    parse_result_free(&r.parsed);
    linebuf_free(&r.lines[0]);
    linebuf_free(&r.lines[1]);
    return code;
}

const cli_command cmd_run = {
    .name = "run",
    .operands = "-- COMMAND [ARGS...]",
    .summary = "run a program under a run: record its output, metrics and system load",
    .run = run_run,
    .options = run_option_table,
    .details = "COMMAND's stdout is a pseudo-terminal, its stderr a pipe; both are passed on\n"
               "and recorded.  The exit status is COMMAND's (128 + N when killed by signal N,\n"
               "127 when not found, 126 when it cannot be run).  tally's options end at the\n"
               "first operand, so COMMAND's own options stay COMMAND's.\n",
    .flags = CLI_OPERANDS_FIRST,
};
