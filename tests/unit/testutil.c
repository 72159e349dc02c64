/*
 * testutil.c — helpers shared by the unit tests (see testutil.h): temporary
 * directories, a deterministic random generator, and short readers over
 * the public read API.
 */
#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"

char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tally-unit-XXXXXX", base && base[0] ? base : "/tmp");
    char *dir = mkdtemp(path);
    assert_non_null(dir);
    char *copy = strdup(dir);
    assert_non_null(copy);
    return copy;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void tu_rmrf(char *path)
{
    if (!path)
        return;
    chmod(path, 0700); /* a test may have made it read-only */
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

int tu_wait_child(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

int tu_dir_setup(void **state)
{
    *state = tu_tmpdir();
    return 0;
}

int tu_dir_teardown(void **state)
{
    tu_rmrf(*state);
    *state = NULL;
    return 0;
}

int tu_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = size ? fwrite(data, 1, size, f) : 0;
    return fclose(f) == 0 && n == size ? 0 : -1;
}

void *tu_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(data, cap);
            if (!p) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = p;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *size = n;
    return data;
}

void tu_rng_seed(tu_rng *r, uint64_t seed) { r->s = seed ? seed : 0x9e3779b97f4a7c15u; }

uint64_t tu_rng_next(tu_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1du;
}

uint64_t tu_rng_below(tu_rng *r, uint64_t n) { return tu_rng_next(r) % n; }

double tu_rng_unit(tu_rng *r) { return (double)(tu_rng_next(r) >> 11) / 9007199254740992.0; }

size_t tu_unescape(const char *s, char *out)
{
    size_t o = 0;
    for (; *s && *s != '\n'; s++) {
        if (*s != '\\' || !s[1]) {
            out[o++] = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'r': out[o++] = '\r'; break;
        case 'b': out[o++] = '\b'; break;
        case 't': out[o++] = '\t'; break;
        case 'e': out[o++] = 0x1b; break;
        case 'x': {
            unsigned v = 0;
            sscanf(s + 1, "%2x", &v);
            out[o++] = (char)v;
            s += s[1] && s[2] ? 2 : s[1] ? 1 : 0;
            break;
        }
        default: out[o++] = *s; break;
        }
    }
    return o;
}

size_t tu_fuzz_text(tu_rng *r, const char *const *pieces, size_t npieces, size_t max_parts,
                    char *out, size_t cap)
{
    size_t n = 0, want = (size_t)tu_rng_below(r, max_parts + 1);
    for (size_t k = 0; k < want; k++) {
        if (tu_rng_below(r, 8) == 0) {
            if (n + 1 < cap)
                out[n++] = (char)(tu_rng_below(r, 255) + 1);
            continue;
        }
        const char *p = pieces[tu_rng_below(r, npieces)];
        size_t len = strlen(p);
        if (n + len >= cap)
            break;
        memcpy(out + n, p, len);
        n += len;
    }
    out[n] = 0;
    return n;
}

uint64_t tu_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

double tu_from_bits(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

tally_run *tu_run_start(const char *dir, const char *id)
{
    tally_options o = {.dir = dir,
                       .project = "unit",
                       .id = id,
                       .mode = "offline",
                       .flush_ms = 5,
                       .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    int rc = tally_init_ex(&o, &run);
    if (rc)
        fail_msg("tally_init_ex: %s", tally_strerror(rc));
    assert_non_null(run);
    return run;
}

char *tu_run_finish(tally_run *run, int exit_code)
{
    char *path = strdup(tally_run_path(run));
    assert_non_null(path);
    assert_int_equal(tally_finish(run, exit_code), TALLY_OK);
    return path;
}

tally_store *tu_store_open(const char *path)
{
    tally_store *st = NULL;
    int rc = tally_store_open(path, &st);
    if (rc)
        fail_msg("tally_store_open(%s): %s", path, tally_strerror(rc));
    return st;
}

size_t tu_points(tally_store *st, const char *name, int64_t **x, double **y)
{
    *x = NULL;
    *y = NULL;
    const tally_metric_info *m = tally_store_find_metric(st, name);
    if (!m)
        return 0;
    tally_points *p;
    assert_int_equal(tally_points_open(st, m->id, INT64_MIN, INT64_MAX, &p), TALLY_OK);
    size_t n = 0, cap = 0;
    int64_t px;
    double py;
    int rc;
    while ((rc = tally_points_next(p, &px, &py)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            *x = realloc(*x, cap * sizeof **x);
            *y = realloc(*y, cap * sizeof **y);
            assert_non_null(*x);
            assert_non_null(*y);
        }
        (*x)[n] = px;
        (*y)[n] = py;
        n++;
    }
    assert_int_equal(rc, 0);
    tally_points_close(p);
    return n;
}

int tu_object(tally_store *st, const char *name, int64_t *x, char **type, char **json)
{
    const tally_metric_info *m = tally_store_find_metric(st, name);
    if (!m)
        return 0;
    tally_objects *o;
    assert_int_equal(tally_objects_open(st, INT64_MIN, INT64_MAX, &o), TALLY_OK);
    tally_object obj;
    int rc, found = 0;
    while (!found && (rc = tally_objects_next(o, &obj)) == 1) {
        if (obj.metric_id != m->id)
            continue;
        found = 1;
        if (x)
            *x = obj.x;
        *type = strdup(obj.type);
        *json = strdup(obj.json);
    }
    tally_objects_close(o);
    return found;
}

static cJSON *parse_kv(tally_store *st, int config)
{
    char *text = NULL;
    int rc = config ? tally_store_config(st, &text) : tally_store_summary(st, &text);
    assert_int_equal(rc, TALLY_OK);
    cJSON *v = json_parse(text);
    if (!v)
        fail_msg("unparsable %s: %s", config ? "config" : "summary", text);
    free(text);
    return v;
}

cJSON *tu_summary(tally_store *st) { return parse_kv(st, 0); }

cJSON *tu_config(tally_store *st) { return parse_kv(st, 1); }

void tu_exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}
