/*
 * testutil.h — helpers shared by the unit tests: temporary store roots, a
 * seeded random generator, runs opened with test-friendly options, and
 * small readers over tally_store.h (points, objects, summary as cJSON).
 */
#ifndef TALLY_TESTUTIL_H
#define TALLY_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "tally.h"
#include "tally_store.h"

/* A fresh directory under $TMPDIR (or /tmp), malloc'd; removed by tu_rmrf. */
char *tu_tmpdir(void);
/* rm -rf path, then frees it. */
void tu_rmrf(char *path);
/* cmocka fixtures: *state is a fresh directory, removed after the test
 * (also when it fails or skips). */
int tu_dir_setup(void **state);
int tu_dir_teardown(void **state);
#define TU_DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_dir_setup, tu_dir_teardown)
/* Writes size bytes to path; 0 or -1. */
/* Waits for a forked child, fails the test unless it exited, and returns
 * its exit status (the child tests report what went wrong through it). */
int tu_wait_child(pid_t pid);

int tu_write_file(const char *path, const void *data, size_t size);
/* Reads a whole file (malloc'd); NULL on failure. */
void *tu_read_file(const char *path, size_t *size);

/* xorshift64*: deterministic for a fixed seed. */
typedef struct tu_rng {
    uint64_t s;
} tu_rng;
void tu_rng_seed(tu_rng *r, uint64_t seed);
uint64_t tu_rng_next(tu_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t tu_rng_below(tu_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double tu_rng_unit(tu_rng *r);
/* A line of a corpus file (tests/unit/data) up to its newline, with its C
 * escapes (\r \b \t \e \\ \xHH) undone, into out (as long as s at
 * most); returns its length. */
size_t tu_unescape(const char *s, char *out);
/* A fuzz input: up to max_parts parts, each one of pieces[] or (one in
 * eight) a random byte 1..255, cut to fit out[cap] and NUL-terminated;
 * returns its length. */
size_t tu_fuzz_text(tu_rng *r, const char *const *pieces, size_t npieces, size_t max_parts,
                    char *out, size_t cap);

uint64_t tu_bits(double v);
double tu_from_bits(uint64_t bits);

/* A run under dir with a short flush period, no system sampling and no
 * capture; fails the test when it cannot start. */
tally_run *tu_run_start(const char *dir, const char *id);
/* The run's file path (malloc'd), then tally_finish(run, exit_code). */
char *tu_run_finish(tally_run *run, int exit_code);
/* Runs sql on the file at path (a writable connection of its own), failing
 * the test on error: damage, old schemas. */
void tu_exec_sql(const char *path, const char *sql);
/* Opens a run file, failing the test on error. */
tally_store *tu_store_open(const char *path);

/* The points of a metric by name, in x order (malloc'd arrays); returns
 * the count, 0 when the metric does not exist. */
size_t tu_points(tally_store *st, const char *name, int64_t **x, double **y);

/* The first object of a metric by name: its type and JSON (malloc'd);
 * 1 when found, 0 otherwise.  x may be NULL. */
int tu_object(tally_store *st, const char *name, int64_t *x, char **type, char **json);

/* Summary / config as a parsed cJSON object (NaN tokens allowed). */
cJSON *tu_summary(tally_store *st);
cJSON *tu_config(tally_store *st);

#endif
