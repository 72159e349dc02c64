/*
 * console.c — console capture (see console.h).
 *
 * The host keeps writing to fds 1 and 2; they are now pipes.  One tee thread
 * polls both and, for every read, first writes the bytes on to the original
 * descriptor — unchanged, in order, and before anything else — and only then
 * hands them to the line model (linebuf.c) and queues the lines with
 * run_log_line(), which never blocks on the flusher or the disk: when the
 * run's queue is full a line is dropped, never the host's output.
 *
 * The one piece of global state, and why: fds 1 and 2 belong to the whole
 * process, so at most one capture can hold them, and exit() must give them
 * back — an atexit handler restores them and drains the pipes, so output a
 * program prints right before exit() (or a run never finished) is not lost.
 */
#include "capture/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/linebuf.h"
#include "common/clock.h"

#define CONSOLE_DRAIN_QUIET_MS 100 /* at stop: a pipe silent this long is done */
#define CONSOLE_DRAIN_MAX_MS 2000  /* at stop: a child that never stops writing */

typedef struct console_stream {
    int fd;       /* 1 or 2: the host's descriptor */
    int orig;     /* a dup of the original, where output goes; -1: not captured */
    int rd;       /* read end of the pipe now behind fd */
    linebuf lines;
} console_stream;

struct console {
    tally_run *run;
    pid_t pid;
    console_stream s[2];
    int wake[2]; /* stop -> tee */
    pthread_t thread;
    int thread_started;
    int restored;
};

static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static console *active;
static int atexit_done;

/* A descriptor above 2: when the host runs with fd 1 or 2 closed, a new
 * pipe could otherwise land on the very number it is meant to replace. */
static int high_fd(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

static void forward(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) { /* the host made its stdout non-blocking */
            struct pollfd pfd = {fd, POLLOUT, 0};
            poll(&pfd, 1, 100);
            continue;
        }
        if (w <= 0)
            return; /* the reader is gone: nothing left to deliver to */
        p += w;
        n -= (size_t)w;
    }
}

typedef struct emit_ctx {
    tally_run *run;
    int stream;
} emit_ctx;

static void emit(void *ctx, const char *line, size_t len)
{
    emit_ctx *e = ctx;
    /* A full queue or a finished run drops the line; no warning from here:
     * the warning would go to fd 2, into this very pipe. */
    (void)capture_line(e->run, e->stream, line, len);
}

static void *tee_main(void *arg)
{
    console *c = arg;
    char chunk[65536];
    int stopping = 0;
    int64_t drain_end = 0;
    for (;;) {
        /* The pipes stay open while a child of the host holds them: at stop,
         * drain for a bounded time, so finish and exit cannot hang on it. */
        if (stopping && clock_mono_ns() > drain_end)
            break;
        struct pollfd pfd[3];
        int idx[3], np = 0;
        for (int i = 0; i < 2; i++)
            if (c->s[i].rd >= 0) {
                pfd[np] = (struct pollfd){c->s[i].rd, POLLIN, 0};
                idx[np++] = i;
            }
        if (np == 0)
            break;
        if (!stopping) {
            pfd[np] = (struct pollfd){c->wake[0], POLLIN, 0};
            idx[np++] = -1;
        }
        int pr = poll(pfd, (nfds_t)np, stopping ? CONSOLE_DRAIN_QUIET_MS : -1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break; /* drained: what is still open is held by someone else */
        for (int k = 0; k < np; k++) {
            if (!pfd[k].revents)
                continue;
            if (idx[k] < 0) {
                stopping = 1;
                drain_end = clock_mono_ns() + (int64_t)CONSOLE_DRAIN_MAX_MS * 1000000;
                continue;
            }
            console_stream *st = &c->s[idx[k]];
            ssize_t r = read(st->rd, chunk, sizeof chunk);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) {
                emit_ctx e = {c->run, st->fd};
                linebuf_flush(&st->lines, emit, &e);
                close(st->rd);
                st->rd = -1;
                continue;
            }
            forward(st->orig, chunk, (size_t)r);
            emit_ctx e = {c->run, st->fd};
            linebuf_feed(&st->lines, chunk, (size_t)r, emit, &e);
        }
    }
    for (int i = 0; i < 2; i++) {
        emit_ctx e = {c->run, c->s[i].fd};
        linebuf_flush(&c->s[i].lines, emit, &e);
    }
    return NULL;
}

/* Gives fds 1 and 2 back and lets the tee drain and end. */
static void restore(console *c)
{
    if (c->restored)
        return;
    c->restored = 1;
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 2; i++)
        if (c->s[i].orig >= 0)
            dup2(c->s[i].orig, c->s[i].fd); /* closes our pipe's write end */
    if (c->thread_started) {
        char b = 1;
        (void)!write(c->wake[1], &b, 1);
        pthread_join(c->thread, NULL);
        c->thread_started = 0;
    }
}

static void console_atexit(void)
{
    pthread_mutex_lock(&active_mu);
    console *c = active;
    if (c && c->pid == getpid())
        restore(c);
    pthread_mutex_unlock(&active_mu);
}

static void console_free(console *c)
{
    for (int i = 0; i < 2; i++) {
        if (c->s[i].orig >= 0)
            close(c->s[i].orig);
        if (c->s[i].rd >= 0)
            close(c->s[i].rd);
        linebuf_free(&c->s[i].lines);
    }
    if (c->wake[0] >= 0)
        close(c->wake[0]);
    if (c->wake[1] >= 0)
        close(c->wake[1]);
    free(c);
}

int console_start(tally_run *run, console **out)
{
    *out = NULL;
    console *c = calloc(1, sizeof *c);
    if (!c)
        return TALLY_ENOMEM;
    c->run = run;
    c->pid = getpid();
    c->wake[0] = c->wake[1] = -1;
    for (int i = 0; i < 2; i++) {
        c->s[i].fd = i + 1;
        c->s[i].orig = c->s[i].rd = -1;
        linebuf_init(&c->s[i].lines, 0);
    }
    pthread_mutex_lock(&active_mu);
    int rc = active ? TALLY_EBUSY : TALLY_OK;
    if (!rc && pipe2(c->wake, O_CLOEXEC) != 0)
        rc = TALLY_EIO;
    if (!rc) {
        c->wake[0] = high_fd(c->wake[0]);
        c->wake[1] = high_fd(c->wake[1]);
        if (c->wake[0] < 0 || c->wake[1] < 0)
            rc = TALLY_EIO;
    }
    if (rc)
        goto fail;
    fflush(stdout);
    fflush(stderr);
    int line_buffer = 0;
    for (int i = 0; i < 2; i++) {
        console_stream *st = &c->s[i];
        int p[2] = {-1, -1};
        st->orig = fcntl(st->fd, F_DUPFD_CLOEXEC, 3);
        if (st->orig < 0)
            continue; /* not open: nothing to capture */
        if (pipe2(p, O_CLOEXEC) == 0) {
            p[0] = high_fd(p[0]);
            p[1] = high_fd(p[1]);
        }
        if (p[0] < 0 || p[1] < 0) {
            if (p[0] >= 0)
                close(p[0]);
            if (p[1] >= 0)
                close(p[1]);
            close(st->orig);
            st->orig = -1;
            continue;
        }
        if (dup2(p[1], st->fd) < 0) { /* the new fd 1/2 is inherited by children */
            close(p[0]);
            close(p[1]);
            close(st->orig);
            st->orig = -1;
            continue;
        }
        close(p[1]);
        st->rd = p[0];
        if (st->fd == 1 && isatty(st->orig))
            line_buffer = 1;
    }
    if (c->s[0].orig < 0 && c->s[1].orig < 0) {
        rc = TALLY_EIO;
        goto fail;
    }
    /* stdio decides buffering from what fd 1 is: a terminal stays line
     * buffered, as the host would have had it. */
    if (line_buffer)
        setvbuf(stdout, NULL, _IOLBF, 0);
    if (pthread_create(&c->thread, NULL, tee_main, c) != 0) {
        restore(c);
        rc = TALLY_ENOMEM;
        goto fail;
    }
    c->thread_started = 1;
    active = c;
    if (!atexit_done)
        atexit_done = atexit(console_atexit) == 0;
    pthread_mutex_unlock(&active_mu);
    *out = c;
    return TALLY_OK;

fail:
    pthread_mutex_unlock(&active_mu);
    console_free(c);
    return rc;
}

void console_stop(console *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&active_mu);
    restore(c);
    if (active == c)
        active = NULL;
    pthread_mutex_unlock(&active_mu);
    console_free(c);
}
