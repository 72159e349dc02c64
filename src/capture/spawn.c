/*
 * spawn.c — a helper program's stdout, by argv and with a timeout (see
 * spawn.h).  posix_spawn, not fork: safe from a multithreaded host, and a
 * missing program is reported at once instead of by a child's exit code.
 */
#include "capture/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "tally.h"

extern char **environ;

int spawn_capture(const char *const argv[], const char *cwd, int timeout_ms, size_t max_out,
                  buf *out, int *truncated)
{
    int p[2];
    if (truncated)
        *truncated = 0;
    if (pipe2(p, O_CLOEXEC) != 0)
        return TALLY_EIO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (err) {
        close(p[0]);
        return TALLY_ENOTFOUND;
    }

    int rc = TALLY_OK;
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    char chunk[16384];
    for (;;) {
        int64_t left = (deadline - clock_mono_ns()) / 1000000;
        if (left <= 0) {
            rc = TALLY_ETIMEDOUT;
            break;
        }
        struct pollfd pfd = {p[0], POLLIN, 0};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0) {
            rc = TALLY_ETIMEDOUT;
            break;
        }
        ssize_t r = read(p[0], chunk, sizeof chunk);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r;
        if (out->len + take > max_out) {
            take = max_out > out->len ? max_out - out->len : 0;
            if (truncated)
                *truncated = 1;
        }
        buf_append(out, chunk, take);
    }
    close(p[0]);
    if (rc == TALLY_ETIMEDOUT)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rc)
        return rc;
    if (out->oom)
        return TALLY_ENOMEM;
    return WIFEXITED(status) ? WEXITSTATUS(status) : TALLY_EIO;
}
