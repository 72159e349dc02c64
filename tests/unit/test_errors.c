/*
 * test_errors.c — bad input never crashes libtally and always comes back as
 * a negative TALLY_E* code: NULL runs, keys and JSON, bad keys and UTF-8,
 * reserved keys, a second tally_finish, unwritable directories, corrupt and
 * newer-schema run files; and tally_strerror() explains every code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/writer.h"
#include "testutil.h"

static void test_null_run(void **state)
{
    (void)state;
    assert_int_equal(tally_log(NULL, "a", 1), TALLY_EINVAL);
    assert_int_equal(tally_log_int(NULL, "a", 1), TALLY_EINVAL);
    assert_int_equal(tally_log_int(NULL, "a", INT64_MAX), TALLY_EINVAL);
    assert_int_equal(tally_log_str(NULL, "a", "s"), TALLY_EINVAL);
    assert_int_equal(tally_log_json(NULL, "{\"a\":1}"), TALLY_EINVAL);
    assert_int_equal(tally_log_at(NULL, 3, "a", 1), TALLY_EINVAL);
    assert_int_equal(tally_commit(NULL), TALLY_EINVAL);
    assert_int_equal(tally_step(NULL), 0);
    assert_int_equal(tally_define_metric(NULL, "a", NULL, 0, 0), TALLY_EINVAL);
    assert_int_equal(tally_summary_set(NULL, "a", 1), TALLY_EINVAL);
    assert_int_equal(tally_config_set(NULL, "a", "1"), TALLY_EINVAL);
    assert_int_equal(tally_config_json(NULL, "{}"), TALLY_EINVAL);
    assert_int_equal(tally_save_file(NULL, "/etc/hostname"), TALLY_EINVAL);
    assert_int_equal(tally_flush(NULL), TALLY_EINVAL);
    assert_int_equal(tally_finish(NULL, 0), TALLY_EINVAL);
    assert_null(tally_run_id(NULL));
    assert_null(tally_run_path(NULL));
    assert_null(tally_run_name(NULL));
    assert_int_equal(tally_init_ex(NULL, NULL), TALLY_EINVAL);
}

static void test_null_args(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_log(run, NULL, 1), TALLY_EINVAL);
    assert_int_equal(tally_log_int(run, NULL, 1), TALLY_EINVAL);
    assert_int_equal(tally_log_int(run, NULL, INT64_MIN), TALLY_EINVAL);
    assert_int_equal(tally_log_str(run, NULL, "s"), TALLY_EINVAL);
    assert_int_equal(tally_log_str(run, "s", NULL), TALLY_EINVAL);
    assert_int_equal(tally_log_at(run, 0, NULL, 1), TALLY_EINVAL);
    assert_int_equal(tally_log_json(run, NULL), TALLY_EINVAL);
    assert_int_equal(tally_define_metric(run, NULL, NULL, 0, 0), TALLY_EINVAL);
    assert_int_equal(tally_summary_set(run, NULL, 1), TALLY_EINVAL);
    assert_int_equal(tally_config_set(run, NULL, "1"), TALLY_EINVAL);
    assert_int_equal(tally_config_set(run, "k", NULL), TALLY_EINVAL);
    assert_int_equal(tally_config_json(run, NULL), TALLY_EINVAL);
    assert_int_equal(tally_save_file(run, NULL), TALLY_EINVAL);
    /* out-of-range rule arguments */
    assert_int_equal(tally_define_metric(run, "a", NULL, 0, 7), TALLY_EINVAL);
    assert_int_equal(tally_define_metric(run, "a", NULL, 0, -1), TALLY_EINVAL);
    assert_int_equal(tally_define_metric(run, "a", NULL, 0x80, 0), TALLY_EINVAL); /* 0x40: hidden */
    assert_int_equal(tally_define_metric(run, "a", "", 0, 0), TALLY_EKEY);
    assert_int_equal(tally_step(run), 0);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->rows, 0);
    assert_int_equal(tally_store_metric_count(st), 2); /* _timestamp, _runtime */
    tally_store_close(st);
    free(path);
}

/* Every call that takes a key refuses this one with `want`. */
static void refuse_key(tally_run *run, const char *key, int want)
{
    assert_int_equal(tally_log(run, key, 1), want);
    assert_int_equal(tally_log_int(run, key, 1), want);
    assert_int_equal(tally_log_int(run, key, INT64_MAX), want);
    assert_int_equal(tally_log_str(run, key, "v"), want);
    assert_int_equal(tally_log_at(run, tally_step(run), key, 1), want);
}

static void test_bad_keys(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    char k256[TALLY_KEY_MAX + 1], k257[TALLY_KEY_MAX + 2];
    memset(k256, 'k', TALLY_KEY_MAX);
    k256[TALLY_KEY_MAX] = '\0';
    memset(k257, 'k', TALLY_KEY_MAX + 1);
    k257[TALLY_KEY_MAX + 1] = '\0';
    /* 256 bytes of UTF-8, with a multi-byte character ending at the limit */
    char u256[TALLY_KEY_MAX + 1];
    memset(u256, 'u', TALLY_KEY_MAX - 2);
    memcpy(u256 + TALLY_KEY_MAX - 2, "\xc3\xa9", 3);

    static const char *const bad[] = {
        "",
        "\xff",           /* never valid */
        "a\x80",          /* lone continuation byte */
        "\xc0\xaf",       /* overlong '/' */
        "\xe0\x80\xaf",   /* overlong, three bytes */
        "\xed\xa0\x80",   /* surrogate */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "loss\xe2\x82",   /* truncated sequence */
        "a\nb",           /* control characters */
        "\x1b[31m",
        "tab\there",
        "del\x7f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        refuse_key(run, bad[i], TALLY_EKEY);
        assert_int_equal(tally_summary_set(run, bad[i], 1), TALLY_EKEY);
        assert_int_equal(tally_config_set(run, bad[i], "1"), TALLY_EKEY);
        assert_int_equal(tally_define_metric(run, bad[i], NULL, 0, 0), TALLY_EKEY);
    }
    refuse_key(run, k257, TALLY_EKEY);
    assert_int_equal(tally_summary_set(run, k257, 1), TALLY_EKEY);
    assert_int_equal(tally_config_set(run, k257, "1"), TALLY_EKEY);
    static const char *const reserved[] = {"_step", "_runtime", "_timestamp"};
    for (size_t i = 0; i < 3; i++) {
        refuse_key(run, reserved[i], TALLY_EKEY);
        char json[64];
        snprintf(json, sizeof json, "{\"%s\":1}", reserved[i]);
        assert_int_equal(tally_log_json(run, json), TALLY_EKEY);
    }
    /* the limit itself is fine */
    assert_int_equal(tally_log(run, k256, 1), TALLY_OK);
    assert_int_equal(tally_log(run, u256, 2), TALLY_OK);
    assert_int_equal(tally_config_set(run, k256, "3"), TALLY_OK);
    assert_int_equal(tally_log(run, "_private", 4), TALLY_OK); /* only the three are reserved */
    assert_int_equal(tally_step(run), 0);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->rows, 1);
    assert_int_equal(tally_store_metric_count(st), 5); /* nothing bad got in */
    assert_non_null(tally_store_find_metric(st, k256));
    assert_non_null(tally_store_find_metric(st, u256));
    assert_non_null(tally_store_find_metric(st, "_private"));
    cJSON *cfg = tu_config(st);
    assert_int_equal(cJSON_GetArraySize(cfg), 1);
    cJSON_Delete(cfg);
    tally_store_close(st);
    free(path);
}

static void test_bad_utf8_values(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    static const char *const bad[] = {"\xff", "ok\x80", "\xc1\xbf", "\xed\xbf\xbf",
                                      "\xf5\x80\x80\x80", "end\xf0\x9f\x98"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(tally_log_str(run, "s", bad[i]), TALLY_EUTF8);
        char json[64];
        snprintf(json, sizeof json, "{\"a\":1,\"s\":\"%s\"}", bad[i]);
        assert_int_equal(tally_log_json(run, json), TALLY_EUTF8);
    }
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_step(run), 0);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    assert_null(tally_store_find_metric(st, "s"));
    assert_null(tally_store_find_metric(st, "a"));
    tally_store_close(st);
    free(path);

    /* and in the options */
    const char *tags[] = {"fine", "\xff", NULL};
    tally_options o = {.dir = dir, .tags = tags, .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *r = NULL;
    assert_int_equal(tally_init_ex(&o, &r), TALLY_EUTF8);
    assert_null(r);
    tally_options n = {.dir = dir, .name = "\xc0\x80", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    assert_int_equal(tally_init_ex(&n, &r), TALLY_EUTF8);
}

static void test_second_finish(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_finish(run, 0), TALLY_OK);
    /* the registry knows the handle is gone: nothing is touched */
    assert_int_equal(tally_finish(run, 0), TALLY_EFINISHED);
    assert_int_equal(tally_finish(run, 1), TALLY_EFINISHED);
    /* a run started and finished in between does not confuse it */
    tally_run *other = tu_run_start(dir, NULL);
    tally_run *third = tu_run_start(dir, NULL);
    assert_int_equal(tally_finish(other, 0), TALLY_OK);
    assert_int_equal(tally_finish(other, 0), TALLY_EFINISHED);
    assert_int_equal(tally_log(third, "b", 2), TALLY_OK);
    assert_int_equal(tally_finish(third, 0), TALLY_OK);
    assert_int_equal(tally_finish(third, 0), TALLY_EFINISHED);
}

static void test_init_errors(void **state)
{
    const char *dir = *state;
    char long_id[66];
    memset(long_id, 'a', 65); /* one past the 64 an id may have */
    long_id[65] = '\0';
    struct {
        tally_options o;
        int want; /* 0: any negative code */
    } cases[] = {
        {{.dir = dir, .mode = "bogus"}, TALLY_EINVAL},
        {{.dir = dir, .id = "../escape"}, TALLY_EINVAL},
        {{.dir = dir, .id = ""}, TALLY_EINVAL},
        {{.dir = dir, .id = "has space"}, TALLY_EINVAL},
        {{.dir = dir, .id = long_id}, TALLY_EINVAL},
        {{.dir = dir, .project = "a/b"}, TALLY_EINVAL},
        {{.dir = dir, .project = ".hidden"}, TALLY_EINVAL},
        {{.dir = dir, .project = ".."}, TALLY_EINVAL},
        {{.dir = dir, .project = ""}, TALLY_EINVAL},
        {{.dir = dir, .flush_ms = -5}, TALLY_EINVAL},
        {{.dir = dir, .name = ""}, 0},
        {{.dir = dir, .config_json = "[1]"}, TALLY_EJSON},
        {{.dir = dir, .config_json = "{\"\":1}"}, TALLY_EKEY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cases[i].o.sample_ms = -1;
        cases[i].o.capture = TALLY_CAPTURE_NONE;
        tally_run *run = (tally_run *)&cases; /* must be reset to NULL */
        int rc = tally_init_ex(&cases[i].o, &run);
        if (cases[i].want ? rc != cases[i].want : rc >= 0)
            fail_msg("case %zu: %d (%s)", i, rc, tally_strerror(rc));
        assert_null(run);
        assert_null(tally_init(&cases[i].o));
    }
    /* a failed init leaves no half-made run file behind */
    char project[4200];
    snprintf(project, sizeof project, "%s/default", dir);
    struct stat sb;
    if (stat(project, &sb) == 0) {
        tally_run_list *list;
        assert_int_equal(tally_store_list(dir, &list), TALLY_OK);
        assert_int_equal(list->n, 0);
        assert_int_equal(list->skipped, 0);
        tally_run_list_free(list);
    }
    /* a store root that is a file */
    char file[4200];
    snprintf(file, sizeof file, "%s/plainfile", dir);
    assert_int_equal(tu_write_file(file, "x", 1), 0);
    tally_options o = {.dir = file, .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_true(tally_init_ex(&o, &run) < 0);
    assert_null(run);
}

static void test_readonly_dir(void **state)
{
    const char *dir = *state;
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/ro", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(chmod(sub, 0555), 0);
    if (access(sub, W_OK) == 0) {
        /* root: permissions are not enforced; test_readonly_as_nobody covers it */
        chmod(sub, 0755);
        skip();
    }
    tally_options o = {.dir = sub, .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_EACCES);
    assert_null(run);
    /* an existing project directory that is read-only */
    chmod(sub, 0755);
    char proj[4300];
    snprintf(proj, sizeof proj, "%s/default", sub);
    assert_int_equal(mkdir(proj, 0555), 0);
    assert_int_equal(tally_init_ex(&o, &run), TALLY_EACCES);
    chmod(proj, 0755);
}

/* As root, the same check in a child that gives up root first. */
static void test_readonly_as_nobody(void **state)
{
    if (geteuid() != 0)
        skip();
    const char *dir = *state;
    char sub[4200], proj[4300];
    snprintf(sub, sizeof sub, "%s/ro", dir);
    snprintf(proj, sizeof proj, "%s/rw", dir);
    assert_int_equal(mkdir(sub, 0555), 0);
    assert_int_equal(mkdir(proj, 0755), 0);
    char projdir[4400];
    snprintf(projdir, sizeof projdir, "%s/default", proj);
    assert_int_equal(mkdir(projdir, 0555), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(77);
        if (access(sub, W_OK) == 0)
            _exit(77);
        tally_options o = {.dir = sub, .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
        tally_run *run = NULL;
        if (tally_init_ex(&o, &run) != TALLY_EACCES || run)
            _exit(1);
        o.dir = proj;
        if (tally_init_ex(&o, &run) != TALLY_EACCES || run)
            _exit(2);
        _exit(0);
    }
    int code = tu_wait_child(pid);
    chmod(sub, 0755);
    chmod(projdir, 0755);
    if (code == 77)
        skip();
    assert_int_equal(code, 0);
}

/* Writes to fd 2 until the capture pipe is full (the thread then blocks). */
static void *flood_stderr(void *arg)
{
    (void)arg;
    static char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 1024; i++)
        if (write(2, line, sizeof line) < 0)
            break;
    return NULL;
}

/* The warning of a refused step goes to stderr, which console capture made
 * a pipe drained by the tee thread; the tee takes the run lock for every
 * line.  With the host's real stderr slow (a stalled terminal) the pipe
 * fills: a warning written under the run lock would then wait on the tee
 * while the tee waits on the lock.  Runs in a child, which has the fds. */
static void test_warning_with_console_full(void **state)
{
    const char *dir = *state;
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(20); /* a deadlock fails the test instead of hanging it */
        close(out[0]);
        unsetenv("TALLY_QUIET");
        if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
            _exit(2);
        /* the host's stderr, stalled: full until the parent reads */
        int fl = fcntl(out[1], F_GETFL);
        fcntl(out[1], F_SETFL, fl | O_NONBLOCK);
        char fill[4096] = {0};
        while (write(out[1], fill, sizeof fill) > 0)
            ;
        fcntl(out[1], F_SETFL, fl);
        close(out[1]);
        tally_options o = {.dir = dir, .sample_ms = -1, .flush_ms = 5,
                           .capture = TALLY_CAPTURE_CONSOLE};
        tally_run *run = NULL;
        if (tally_init_ex(&o, &run) != TALLY_OK)
            _exit(3);
        pthread_t th;
        if (pthread_create(&th, NULL, flood_stderr, NULL) != 0)
            _exit(4);
        usleep(300 * 1000); /* the tee is stuck forwarding, the pipe is full */
        tally_log_at(run, 5, "a", 1);
        if (tally_log_at(run, 1, "a", 1) != TALLY_ESTEP) /* warns */
            _exit(5);
        pthread_join(th, NULL);
        _exit(tally_finish(run, 0) == TALLY_OK ? 0 : 6);
    }
    close(out[1]);
    usleep(1000 * 1000); /* the child is in its warning by now */
    char buf[65536];
    while (read(out[0], buf, sizeof buf) > 0)
        ;
    close(out[0]);
    assert_int_equal(tu_wait_child(pid), 0);
}

/* A child of the host that never stops writing keeps the capture pipes
 * open: tally_finish() still returns, after a bounded drain. */
static void test_finish_with_chatty_child(void **state)
{
    const char *dir = *state;
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(30);
        close(out[0]);
        if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
            _exit(2);
        close(out[1]);
        tally_options o = {.dir = dir, .sample_ms = -1, .flush_ms = 5,
                           .capture = TALLY_CAPTURE_CONSOLE};
        tally_run *run = NULL;
        if (tally_init_ex(&o, &run) != TALLY_OK)
            _exit(3);
        pid_t chatty = fork();
        if (chatty == 0) {
            for (int i = 0; i < 1500; i++) { /* 30 s */
                (void)!write(1, "tick\n", 5);
                usleep(20 * 1000);
            }
            _exit(0);
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = tally_finish(run, 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        kill(chatty, SIGKILL);
        waitpid(chatty, NULL, 0);
        _exit(rc != TALLY_OK ? 4 : t1.tv_sec - t0.tv_sec > 10 ? 5 : 0);
    }
    close(out[1]);
    char buf[65536];
    while (read(out[0], buf, sizeof buf) > 0)
        ;
    close(out[0]);
    assert_int_equal(tu_wait_child(pid), 0);
}

#define STR_(x) #x
#define STR(x) STR_(x)
#define RUN_POINTS (WRITER_CHUNK_POINTS + 904) /* a full chunk row, then 904 points */

/* A finished run with some data, written in one flush (a full chunk row of
 * each metric, then one of 904 points); returns its path (malloc'd). */
static char *real_run(const char *dir, const char *id)
{
    tally_options o = {.dir = dir, .project = "unit", .id = id, .flush_ms = 100000,
                       .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_OK);
    for (int i = 0; i < RUN_POINTS; i++) {
        assert_int_equal(tally_log(run, "a", i), TALLY_OK);
        assert_int_equal(tally_log(run, "b", i * 0.25), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    assert_int_equal(tally_config_set(run, "lr", "0.1"), TALLY_OK);
    return tu_run_finish(run, 0);
}

static void expect_open(const char *path, int want)
{
    tally_store *st = (tally_store *)&want;
    int rc = tally_store_open(path, &st);
    if (rc != want)
        fail_msg("%s: %d (%s), want %d", path, rc, tally_strerror(rc), want);
    assert_null(st);
}

static void test_corrupt_files(void **state)
{
    const char *dir = *state;
    char *good = real_run(dir, "goodrun1");
    char bad[4200];

    snprintf(bad, sizeof bad, "%s/unit/random.db", dir);
    unsigned char noise[8192];
    tu_rng r;
    tu_rng_seed(&r, 1);
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)tu_rng_next(&r);
    assert_int_equal(tu_write_file(bad, noise, sizeof noise), 0);
    expect_open(bad, TALLY_ECORRUPT);
    assert_int_equal(tu_write_file(bad, "hello, world\n", 13), 0);
    expect_open(bad, TALLY_ECORRUPT);
    assert_int_equal(tu_write_file(bad, "", 0), 0);
    expect_open(bad, TALLY_ECORRUPT);
    /* random bytes behind a real SQLite header */
    memcpy(noise, "SQLite format 3\0", 16);
    assert_int_equal(tu_write_file(bad, noise, sizeof noise), 0);
    expect_open(bad, TALLY_ECORRUPT);

    /* a real run, truncated */
    size_t size;
    unsigned char *bytes = tu_read_file(good, &size);
    assert_non_null(bytes);
    assert_true(size > 16384);
    size_t cuts[] = {10, 100, 1000, 4096, 8192, size / 2, size - 4096};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        assert_int_equal(tu_write_file(bad, bytes, cuts[i]), 0);
        expect_open(bad, TALLY_ECORRUPT);
    }
    /* a real run with its header page overwritten by noise */
    memcpy(bytes + 100, noise, 1000);
    assert_int_equal(tu_write_file(bad, bytes, size), 0);
    expect_open(bad, TALLY_ECORRUPT);
    free(bytes);

    /* a valid SQLite database that is not a run file */
    snprintf(bad, sizeof bad, "%s/unit/other.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(bad, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_open(bad, TALLY_ECORRUPT);

    /* not there, not a file, no path */
    snprintf(bad, sizeof bad, "%s/unit/missing.db", dir);
    expect_open(bad, TALLY_ENOTFOUND);
    expect_open(dir, TALLY_ECORRUPT);
    tally_store *st;
    assert_int_equal(tally_store_open(NULL, &st), TALLY_EINVAL);
    assert_int_equal(tally_store_open(good, NULL), TALLY_EINVAL);

    /* the catalog skips what it cannot read and lists the rest */
    tally_run_list *list;
    assert_int_equal(tally_store_list(dir, &list), TALLY_OK);
    assert_int_equal(list->n, 1);
    assert_int_equal(list->skipped, 2); /* random.db, other.db */
    assert_string_equal(list->runs[0].id, "goodrun1");
    tally_run_list_free(list);

    /* the good run still opens */
    st = tu_store_open(good);
    tally_store_close(st);
    free(good);
}

static void set_pragma(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* A store whose only file cannot be read lists no run (and sorts none:
 * qsort() of an empty, NULL array is undefined behaviour). */
static void test_list_nothing_readable(void **state)
{
    const char *dir = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/p", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/p/20200101-000000-broken01.db", dir);
    assert_int_equal(tu_write_file(path, "not a run", 9), 0);
    tally_run_list *list = NULL;
    assert_int_equal(tally_store_list(dir, &list), TALLY_OK);
    assert_int_equal(list->n, 0);
    assert_int_equal(list->skipped, 1);
    tally_run_list_free(list);
    char *found = NULL;
    assert_int_equal(tally_store_resolve(dir, "broken01", &found), TALLY_ENOTFOUND);
    /* and resuming that id refuses the damaged file rather than start anew */
    tally_options o = {.dir = dir, .project = "p", .id = "broken01", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_ECORRUPT);
    assert_null(run);
}

static void test_newer_schema(void **state)
{
    const char *dir = *state;
    char *path = real_run(dir, "newer001");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", TALLY_SCHEMA_VERSION + 1);
    set_pragma(path, sql);
    expect_open(path, TALLY_EVERSION);
    /* and a writer refuses to append to it */
    tally_options o = {.dir = dir, .project = "unit", .id = "newer001", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_EVERSION);
    assert_null(run);
    set_pragma(path, "PRAGMA user_version=1000000");
    expect_open(path, TALLY_EVERSION);
    /* version 0, or another application's id: not a run file */
    set_pragma(path, "PRAGMA user_version=0");
    expect_open(path, TALLY_ECORRUPT);
    set_pragma(path, "PRAGMA user_version=1; PRAGMA application_id=1234");
    expect_open(path, TALLY_ECORRUPT);
    /* back to normal: opens again */
    set_pragma(path, "PRAGMA application_id=1413565529"); /* 0x54414c59 */
    tally_store *st = tu_store_open(path);
    tally_store_close(st);
    free(path);
}

/* Resuming a damaged file fails cleanly. */
static void test_resume_damaged(void **state)
{
    const char *dir = *state;
    char *path = real_run(dir, "damaged1");
    tally_options o = {.dir = dir, .project = "unit", .id = "damaged1", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    /* a metric id far past any the writer hands out */
    set_pragma(path, "UPDATE metric SET id = 4611686018427387904 WHERE name = 'a'");
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_ECORRUPT);
    assert_null(run);
    set_pragma(path, "UPDATE metric SET id = 9223372036854775807 WHERE name = 'a'");
    assert_int_equal(tally_init_ex(&o, &run), TALLY_ECORRUPT);
    set_pragma(path, "UPDATE metric SET id = -3 WHERE name = 'a'");
    assert_int_equal(tally_init_ex(&o, &run), TALLY_ECORRUPT);
    /* a run row whose step or start time the resumed run cannot count on from */
    set_pragma(path, "UPDATE metric SET id = 3 WHERE name = 'a';"
                     " UPDATE run SET last_step = 9223372036854775807");
    assert_int_equal(tally_init_ex(&o, &run), TALLY_ECORRUPT);
    set_pragma(path, "UPDATE run SET last_step = 4999, start_time = 1e300");
    assert_int_equal(tally_init_ex(&o, &run), TALLY_ECORRUPT);
    assert_null(run);
    /* no run row at all */
    set_pragma(path, "UPDATE metric SET id = 3 WHERE name = 'a'; DELETE FROM run");
    assert_int_equal(tally_init_ex(&o, &run), TALLY_ECORRUPT);
    expect_open(path, TALLY_ECORRUPT);
    free(path);
}

/* Reads every point of metric id through a cursor, stepping over damaged
 * chunks; returns how many it got and counts the TALLY_ECORRUPTs. */
static size_t read_all(tally_store *st, int64_t id, int *corrupt)
{
    tally_points *p;
    assert_int_equal(tally_points_open(st, id, INT64_MIN, INT64_MAX, &p), TALLY_OK);
    size_t n = 0;
    int64_t x;
    double y;
    int rc;
    *corrupt = 0;
    while ((rc = tally_points_next(p, &x, &y)) != 0) {
        if (rc == TALLY_ECORRUPT) {
            (*corrupt)++;
            continue;
        }
        assert_int_equal(rc, 1);
        n++;
    }
    tally_points_close(p);
    return n;
}

/* A chunk blob that does not decode, or that another blob replaced: every
 * read notices, names the metric and the range, and skips just that. */
static void test_damaged_chunks(void **state)
{
    const char *dir = *state;
    char *path = real_run(dir, "chunkbad");
    static const char *const blobs[] = {"X''", "X'FF'", "X'11'", "X'11FFFFFFFF'",
                                        "X'1102000000'", "X'0105000310'", "zeroblob(4000)",
                                        /* a well-formed blob of other points */
                                        "(SELECT data FROM chunk WHERE metric_id ="
                                        " (SELECT id FROM metric WHERE name = 'b')"
                                        " ORDER BY first_x LIMIT 1)"};
    for (size_t i = 0; i < sizeof blobs / sizeof *blobs; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "UPDATE chunk SET data = %s WHERE metric_id = "
                 "(SELECT id FROM metric WHERE name = 'a') AND first_x = "
                 STR(WRITER_CHUNK_POINTS),
                 blobs[i]);
        set_pragma(path, sql);
        tally_store *st = tu_store_open(path);
        const tally_metric_info *a = tally_store_find_metric(st, "a");
        assert_non_null(a);
        tally_bucket b[64];
        /* one bucket: the chunk header suffices; 64: the blob must be
         * read, fails its checksum and is left out */
        assert_int_equal(tally_store_series(st, a->id, 0, RUN_POINTS - 1, 1, b), TALLY_OK);
        assert_int_equal(b[0].n, RUN_POINTS);
        assert_int_equal(tally_store_damage_count(st), 0);
        assert_int_equal(tally_store_series(st, a->id, 0, RUN_POINTS - 1, 64, b), TALLY_OK);
        int64_t total = 0;
        for (int k = 0; k < 64; k++)
            total += b[k].n;
        assert_int_equal(total, WRITER_CHUNK_POINTS);
        assert_int_equal(tally_store_damage_count(st), 1);
        const tally_damage *d = tally_store_damage(st, 0);
        assert_string_equal(d->metric, "a");
        assert_int_equal(d->metric_id, a->id);
        assert_int_equal(d->first_x, WRITER_CHUNK_POINTS);
        assert_int_equal(d->last_x, RUN_POINTS - 1);
        assert_int_equal(d->n, 904);
        /* a cursor reports it once and goes on */
        int corrupt;
        assert_int_equal(read_all(st, a->id, &corrupt), WRITER_CHUNK_POINTS);
        assert_int_equal(corrupt, 1);
        assert_int_equal(tally_store_damage_count(st), 1); /* the same chunk, once */
        /* the other metrics are unharmed */
        int64_t *px;
        double *py;
        assert_int_equal(tu_points(st, "b", &px, &py), RUN_POINTS);
        free(px);
        free(py);
        tally_store_close(st);
    }
    free(path);
}

static void mutate_blob(sqlite3 *db, const char *name, int64_t first_x, tu_rng *r)
{
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT rowid, data FROM chunk WHERE first_x = ? AND"
                                        " metric_id = (SELECT id FROM metric WHERE name = ?)",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(q, 1, first_x);
    sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t rowid = sqlite3_column_int64(q, 0);
    size_t len = (size_t)sqlite3_column_bytes(q, 1);
    unsigned char *blob = malloc(len);
    assert_non_null(blob);
    memcpy(blob, sqlite3_column_blob(q, 1), len);
    sqlite3_finalize(q);
    blob[tu_rng_below(r, len)] ^= (unsigned char)(1 + tu_rng_below(r, 255));
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE chunk SET data = ? WHERE rowid = ?", -1, &q,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(q, 1, blob, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, rowid);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    free(blob);
}

/* Mutated bytes anywhere in a chunk (blob or header) never read back as
 * other values: each mutated chunk is reported with its metric and range,
 * every other point reads back exact. */
static void test_checksums(void **state)
{
    const char *dir = *state;
    char *path = real_run(dir, "mutated1");
    size_t size;
    void *pristine = tu_read_file(path, &size); /* a finished run: one file */
    assert_non_null(pristine);
    tu_rng r;
    tu_rng_seed(&r, 350);
    static const char *const headers[] = {"first_x = first_x + 1", "last_x = last_x - 1",
                                          "n = n + 1", "y_min = y_min - 0.5",
                                          "y_last = y_last * 2", "crc = crc + 1"};
    for (int round = 0; round < 60; round++) {
        assert_int_equal(tu_write_file(path, pristine, size), 0);
        sqlite3 *db;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        const char *name = tu_rng_below(&r, 2) ? "a" : "b";
        int64_t first = tu_rng_below(&r, 2) ? 0 : WRITER_CHUNK_POINTS, last = first ? RUN_POINTS - 1 : WRITER_CHUNK_POINTS - 1;
        char sql[512];
        if (round % 4 == 3) {
            snprintf(sql, sizeof sql,
                     "UPDATE chunk SET %s WHERE first_x = %lld AND metric_id ="
                     " (SELECT id FROM metric WHERE name = '%s')",
                     headers[tu_rng_below(&r, 6)], (long long)first, name);
        } else {
            /* one byte of the blob XORed with a non-zero mask */
            mutate_blob(db, name, first, &r);
            snprintf(sql, sizeof sql, "SELECT 'byte of %s at %lld'", name, (long long)first);
        }
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
        sqlite3_close(db);
        tally_store *st = tu_store_open(path);
        int64_t *x;
        double *y;
        const char *other = name[0] == 'a' ? "b" : "a";
        assert_int_equal(tu_points(st, other, &x, &y), RUN_POINTS);
        free(x);
        free(y);
        const tally_metric_info *m = tally_store_find_metric(st, name);
        int corrupt;
        size_t got = read_all(st, m->id, &corrupt);
        if (tally_store_damage_count(st) != 1)
            fail_msg("round %d (%s): %zu damage reports, %zu points", round, sql,
                     tally_store_damage_count(st), got);
        const tally_damage *d = tally_store_damage(st, 0);
        assert_string_equal(d->metric, name);
        /* the range as the (maybe damaged) header says: within one of it */
        assert_true(d->first_x >= first - 1 && d->first_x <= first + 1);
        assert_true(d->last_x >= last - 1 && d->last_x <= last + 1);
        assert_int_equal(corrupt, 1);
        assert_int_equal(got, RUN_POINTS - (size_t)(last - first + 1));
        tally_store_close(st);
    }
    free(pristine);
    free(path);
}

static void test_strerror(void **state)
{
    (void)state;
    const char *seen[17];
    for (int code = 0; code >= TALLY_ETIMEDOUT; code--) {
        const char *s = tally_strerror(code);
        assert_non_null(s);
        assert_true(strlen(s) > 3);
        for (int prev = 0; prev > code; prev--)
            if (strcmp(seen[-prev], s) == 0)
                fail_msg("codes %d and %d share the text \"%s\"", prev, code, s);
        seen[-code] = s;
    }
    int others[] = {1, 42, TALLY_ETIMEDOUT - 1, -1000, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        const char *s = tally_strerror(others[i]);
        assert_non_null(s);
        assert_true(s[0] != '\0');
    }
}

int main(void)
{
    setenv("TALLY_QUIET", "1", 1);
    unsetenv("TALLY_MODE");
    unsetenv("TALLY_PROJECT");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_run),
        TU_DIR_TEST(test_null_args),
        TU_DIR_TEST(test_bad_keys),
        TU_DIR_TEST(test_bad_utf8_values),
        TU_DIR_TEST(test_second_finish),
        TU_DIR_TEST(test_init_errors),
        TU_DIR_TEST(test_readonly_dir),
        TU_DIR_TEST(test_readonly_as_nobody),
        TU_DIR_TEST(test_warning_with_console_full),
        TU_DIR_TEST(test_finish_with_chatty_child),
        TU_DIR_TEST(test_corrupt_files),
        TU_DIR_TEST(test_list_nothing_readable),
        TU_DIR_TEST(test_newer_schema),
        TU_DIR_TEST(test_resume_damaged),
        TU_DIR_TEST(test_damaged_chunks),
        TU_DIR_TEST(test_checksums),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
