/*
 * test_claim.c — who may write a run: claims (src/store/runlock.c) raced by
 * real processes, claims across fork() and kill -9, zombies, and run ids
 * (wandb's alphabet, resolved by the id the file stores).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/runlock.h"
#include "testutil.h"

#define TRIES 20

static tally_options options(const char *dir, const char *id)
{
    tally_options o = {.dir = dir, .project = "unit", .id = id, .mode = "offline",
                       .flush_ms = 5, .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    return o;
}

static tally_state state_of(const char *path)
{
    tally_store *st = tu_store_open(path);
    tally_state s = tally_store_info(st)->state;
    tally_store_close(st);
    return s;
}

static char *path_of(const char *dir, const char *id)
{
    char *path = NULL;
    int rc = tally_store_resolve(dir, id, &path);
    if (rc)
        fail_msg("resolve %s: %s", id, tally_strerror(rc));
    return path;
}

/* ---- racing claimers ---------------------------------------------------- */

/* A claimer: waits for the start (go closes), claims the run, reports its
 * tally_init_ex() result on `report`, and, when it won, logs steps from
 * the resume point on and holds the run until `done` closes. */
static int claimer(const char *dir, const char *id, int go, int report, int done)
{
    char c;
    if (read(go, &c, 1) != 0)
        return 1;
    tally_options o = options(dir, id);
    tally_run *run = NULL;
    int rc = tally_init_ex(&o, &run);
    if (write(report, &rc, sizeof rc) != (ssize_t)sizeof rc)
        return 2;
    if (rc)
        return 0;
    int64_t first = tally_step(run);
    for (int64_t s = first; s < first + 500; s++)
        if (tally_log(run, "a", (double)s) || tally_commit(run))
            return 3;
    if (read(done, &c, 1) != 0)
        return 4;
    return tally_finish(run, 0) ? 5 : 0;
}

/* Starts two claimers of id at the same instant; returns the number of
 * winners and checks that every loser got TALLY_EBUSY. */
static int race(const char *dir, const char *id)
{
    int go[2], report[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(report), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(go[1]);
            close(report[0]);
            close(done[1]);
            _exit(claimer(dir, id, go[0], report[1], done[0]));
        }
    }
    close(go[0]);
    close(report[1]);
    close(done[0]);
    close(go[1]); /* both read EOF at once */
    int winners = 0;
    for (int i = 0; i < 2; i++) {
        int rc;
        assert_int_equal(read(report[0], &rc, sizeof rc), (ssize_t)sizeof rc);
        if (rc == TALLY_OK)
            winners++;
        else if (rc != TALLY_EBUSY)
            fail_msg("try %s: a loser got %d (%s), not TALLY_EBUSY", id, rc, tally_strerror(rc));
    }
    close(done[1]); /* the winner finishes */
    close(report[0]);
    for (int i = 0; i < 2; i++)
        assert_int_equal(tu_wait_child(pids[i]), 0);
    return winners;
}

/* Two processes creating the same new id at once: one creates, one is
 * refused, and the refusal is TALLY_EBUSY (never a half-made file read as
 * TALLY_ECORRUPT). */
static void test_race_create(void **state)
{
    const char *dir = *state;
    for (int t = 0; t < TRIES; t++) {
        char id[16];
        snprintf(id, sizeof id, "new%02d", t);
        assert_int_equal(race(dir, id), 1);
        char *path = path_of(dir, id);
        tally_store *st = tu_store_open(path);
        assert_int_equal(tally_store_info(st)->rows, 500);
        assert_int_equal(tally_store_find_metric(st, "a")->n, 500);
        tally_store_close(st);
        free(path);
    }
}

/* Two processes resuming the same run at once: exactly one appends. */
static void test_race_resume(void **state)
{
    const char *dir = *state;
    for (int t = 0; t < TRIES; t++) {
        char id[16];
        snprintf(id, sizeof id, "old%02d", t);
        tally_run *run = tu_run_start(dir, id);
        for (int s = 0; s < 100; s++) {
            assert_int_equal(tally_log(run, "a", s), TALLY_OK);
            assert_int_equal(tally_commit(run), TALLY_OK);
        }
        char *path = tu_run_finish(run, 0);
        assert_int_equal(race(dir, id), 1);
        tally_store *st = tu_store_open(path);
        assert_int_equal(tally_store_info(st)->rows, 600);
        int64_t *x;
        double *y;
        assert_int_equal(tu_points(st, "a", &x, &y), 600); /* steps 100-599 once, not twice */
        for (int i = 0; i < 600; i++)
            assert_true(x[i] == i && y[i] == i);
        free(x);
        free(y);
        tally_store_close(st);
        free(path);
    }
}

/* ---- one process --------------------------------------------------------- */

/* A child that tries to claim id; returns its tally_init_ex() result as
 * the exit status (EBUSY -> 1, OK -> 0, anything else -> 2). */
static int claim_in_child(const char *dir, const char *id)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tally_options o = options(dir, id);
        tally_run *run = NULL;
        int rc = tally_init_ex(&o, &run);
        if (rc == TALLY_OK)
            _exit(tally_finish(run, 0) ? 2 : 0);
        _exit(rc == TALLY_EBUSY ? 1 : 2);
    }
    return tu_wait_child(pid);
}

/* A second claim in the same process is refused, and readers of the file
 * in this process (which open and close descriptors of it) do not break
 * the claim: another process is still refused. */
static void test_same_process(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "twice");
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_flush(run), TALLY_OK);
    tally_options o = options(dir, "twice");
    tally_run *again = (tally_run *)&o;
    assert_int_equal(tally_init_ex(&o, &again), TALLY_EBUSY);
    assert_null(again);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(state_of(tally_run_path(run)), TALLY_STATE_RUNNING);
        tally_run_list *list;
        assert_int_equal(tally_store_list(dir, &list), TALLY_OK);
        tally_run_list_free(list);
    }
    assert_int_equal(claim_in_child(dir, "twice"), 1);
    char *path = tu_run_finish(run, 0);
    assert_int_equal(state_of(path), TALLY_STATE_FINISHED);
    assert_int_equal(claim_in_child(dir, "twice"), 0); /* finished: free to resume */
    free(path);
}

/* A fork()ed child neither releases its parent's claim when it exits nor
 * keeps it alive when the parent dies. */
static void test_fork(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "forked");
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_flush(run), TALLY_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0); /* closes every descriptor the child inherited */
    assert_int_equal(tu_wait_child(pid), 0);
    assert_int_equal(claim_in_child(dir, "forked"), 1); /* still the parent's */
    char *path = tu_run_finish(run, 0);

    /* A writer that forks a long-lived child, then is killed. */
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        close(ready[0]);
        tally_options o = options(dir, "forked");
        tally_run *r = NULL;
        if (tally_init_ex(&o, &r) || tally_log(r, "a", 2) || tally_flush(r))
            _exit(1);
        pid_t helper = fork();
        if (helper == 0) {
            sleep(30); /* outlives its parent; killed below */
            _exit(0);
        }
        if (write(ready[1], &helper, sizeof helper) != (ssize_t)sizeof helper)
            _exit(2);
        pause();
        _exit(3);
    }
    close(ready[1]);
    pid_t helper = 0;
    assert_int_equal(read(ready[0], &helper, sizeof helper), (ssize_t)sizeof helper);
    close(ready[0]);
    assert_int_equal(state_of(path), TALLY_STATE_RUNNING);
    kill(writer, SIGKILL);
    int status;
    assert_int_equal(waitpid(writer, &status, 0), writer);
    assert_int_equal(kill(helper, 0), 0); /* the helper lives on */
    assert_int_equal(state_of(path), TALLY_STATE_CRASHED);
    assert_int_equal(claim_in_child(dir, "forked"), 0); /* and can be resumed */
    kill(helper, SIGKILL);
    free(path);
}

/* Reads the state letter of /proc/<pid>/stat. */
static char proc_state(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    char *p = strrchr(line, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

/* A writer killed but not yet reaped (a zombie) reads as crashed. */
static void test_zombie(void **state)
{
    const char *dir = *state;
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        tally_options o = options(dir, "zombie");
        tally_run *r = NULL;
        if (tally_init_ex(&o, &r) || tally_log(r, "a", 1) || tally_flush(r))
            _exit(1);
        char c = 1;
        if (write(ready[1], &c, 1) != 1)
            _exit(2);
        pause();
        _exit(3);
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    char *path = path_of(dir, "zombie");
    assert_int_equal(state_of(path), TALLY_STATE_RUNNING);
    kill(pid, SIGKILL);
    for (int i = 0; i < 2000 && proc_state(pid) != 'Z'; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    assert_int_equal(proc_state(pid), 'Z');
    /* The leader turns zombie while its other threads (the flusher) may
     * still be exiting; the claim goes with the last of them, soon after.
     * Until it is reaped the pid exists: only the claim can tell. */
    tally_state seen = state_of(path);
    for (int i = 0; i < 5000 && seen != TALLY_STATE_CRASHED; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        seen = state_of(path);
    }
    assert_int_equal(seen, TALLY_STATE_CRASHED);
    assert_int_equal(proc_state(pid), 'Z'); /* still unreaped */
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    free(path);
}

/* ---- ids ------------------------------------------------------------------ */

static int init_rc(const char *dir, const char *id)
{
    tally_options o = options(dir, id);
    tally_run *run = NULL;
    int rc = tally_init_ex(&o, &run);
    if (run)
        tally_finish(run, 0);
    return rc;
}

/* wandb's id alphabet: letters, digits, -, _ and ., up to 64 characters. */
static void test_id_alphabet(void **state)
{
    const char *dir = *state;
    char id64[65], id65[66];
    memset(id64, 'x', 64);
    id64[64] = '\0';
    memset(id65, 'y', 65);
    id65[65] = '\0';
    assert_int_equal(init_rc(dir, "Run_1.2-b"), TALLY_OK);
    assert_int_equal(init_rc(dir, id64), TALLY_OK);
    assert_int_equal(init_rc(dir, ".hidden."), TALLY_OK);
    assert_int_equal(init_rc(dir, id65), TALLY_EINVAL);
    assert_int_equal(init_rc(dir, ""), TALLY_EINVAL);
    assert_int_equal(init_rc(dir, "a/b"), TALLY_EINVAL);
    assert_int_equal(init_rc(dir, "a b"), TALLY_EINVAL);
    assert_int_equal(init_rc(dir, "caf\xc3\xa9"), TALLY_EINVAL);
    char *path = path_of(dir, "Run_1.2-b");
    tally_store *st = tu_store_open(path);
    assert_string_equal(tally_store_info(st)->id, "Run_1.2-b");
    tally_store_close(st);
    free(path);
    path = path_of(dir, id64);
    free(path);
}

/* Id `run` is its own run, not the file of `my-run` (whose name ends in
 * -run.db); both resolve and resume by the id each file stores. */
static void test_id_suffix(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "my-run");
    for (int s = 0; s < 10; s++) {
        assert_int_equal(tally_log(run, "a", s), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    char *mine = tu_run_finish(run, 0);
    run = tu_run_start(dir, "run");
    assert_int_equal(tally_step(run), 0); /* a new run, not my-run resumed */
    assert_int_equal(tally_log(run, "b", 1), TALLY_OK);
    char *plain = tu_run_finish(run, 0);
    assert_string_not_equal(mine, plain);
    run = tu_run_start(dir, "run");
    assert_int_equal(tally_step(run), 1); /* resumes its own file */
    free(tu_run_finish(run, 0));
    run = tu_run_start(dir, "my-run");
    assert_int_equal(tally_step(run), 10);
    free(tu_run_finish(run, 0));

    char *path = path_of(dir, "run"); /* exact beats the prefix of nothing else */
    assert_string_equal(path, plain);
    free(path);
    path = path_of(dir, "my-run");
    assert_string_equal(path, mine);
    free(path);
    path = path_of(dir, "my");
    assert_string_equal(path, mine);
    free(path);

    /* A resolve by prefix that matches both runs of "r..." ids. */
    run = tu_run_start(dir, "run2");
    free(tu_run_finish(run, 0));
    path = NULL;
    assert_int_equal(tally_store_resolve(dir, "ru", &path), TALLY_EINVAL);
    assert_null(path);
    tally_run_match *m;
    size_t n;
    assert_int_equal(tally_store_matches(dir, "ru", &m, &n), TALLY_OK);
    assert_int_equal(n, 2);
    assert_true((strcmp(m[0].id, "run") == 0 && strcmp(m[1].id, "run2") == 0) ||
                (strcmp(m[0].id, "run2") == 0 && strcmp(m[1].id, "run") == 0));
    tally_run_matches_free(m, n);
    path = path_of(dir, "run"); /* an exact id beside a longer one */
    assert_string_equal(path, plain);
    free(path);
    free(mine);
    free(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_DIR_TEST(test_race_create), TU_DIR_TEST(test_race_resume),
        TU_DIR_TEST(test_same_process), TU_DIR_TEST(test_fork),
        TU_DIR_TEST(test_zombie),      TU_DIR_TEST(test_id_alphabet),
        TU_DIR_TEST(test_id_suffix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
