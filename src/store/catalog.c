/*
 * catalog.c — the runs under a store root (<root>/<project>/<stamp>-<id>.db)
 * and resolving a RUN argument (a path, an id, or an id prefix) to a file,
 * by the id each file stores (a file name is only where the run was made).
 */
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "store/catalog.h"
#include "tally_store.h"

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* A deep copy of info whose strings the list owns. */
static void info_copy(tally_run_info *dst, const tally_run_info *src)
{
    *dst = *src;
    const char **fields[] = {&dst->path,     &dst->id,        &dst->project,   &dst->name,
                             &dst->group,    &dst->job_type,  &dst->notes,     &dst->mode,
                             &dst->tags_json, &dst->host,     &dst->user,      &dst->os,
                             &dst->cwd,      &dst->version,   &dst->command_json, &dst->git_json,
                             &dst->summary_json};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        *fields[i] = dup_or_null(*fields[i]);
}

static void info_free(tally_run_info *in)
{
    const char *fields[] = {in->path,  in->id,        in->project,  in->name,     in->group,
                            in->job_type, in->notes,  in->mode,     in->tags_json, in->host,
                            in->user,  in->os,        in->cwd,      in->version,
                            in->command_json, in->git_json, in->summary_json};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        free((char *)fields[i]);
}

static int newest_first(const void *a, const void *b)
{
    const tally_run_info *x = a, *y = b;
    if (x->start_time != y->start_time)
        return x->start_time < y->start_time ? 1 : -1;
    return strcmp(x->path, y->path);
}

void tally_run_list_free(tally_run_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        info_free(&list->runs[i]);
    free(list->runs);
    for (size_t i = 0; i < list->skipped; i++)
        free((char *)list->skips[i].path);
    free(list->skips);
    free(list);
}

static int add_skip(tally_run_list *list, const char *path, int error)
{
    tally_run_skip *v = realloc(list->skips, (list->skipped + 1) * sizeof *v);
    if (!v)
        return TALLY_ENOMEM;
    list->skips = v;
    v[list->skipped].path = strdup(path);
    v[list->skipped].error = error;
    if (!v[list->skipped].path)
        return TALLY_ENOMEM;
    list->skipped++;
    return TALLY_OK;
}

int tally_store_list(const char *root, tally_run_list **out)
{
    if (!root || !out)
        return TALLY_EINVAL;
    *out = NULL;
    tally_run_list *list = calloc(1, sizeof *list);
    if (!list)
        return TALLY_ENOMEM;
    DIR *d = opendir(root);
    if (!d) {
        *out = list; /* no store yet: no runs */
        return TALLY_OK;
    }
    size_t cap = 0;
    struct dirent *e;
    int rc = TALLY_OK;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        buf pattern = BUF_INIT;
        buf_printf(&pattern, "%s/%s/*.db", root, e->d_name);
        glob_t g;
        if (glob(buf_cstr(&pattern), 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
                tally_store *st;
                int err = tally_store_open(g.gl_pathv[i], &st);
                if (err) {
                    rc = err == TALLY_ENOMEM ? err : add_skip(list, g.gl_pathv[i], err);
                    continue;
                }
                if (list->n == cap) {
                    cap = cap ? cap * 2 : 32;
                    tally_run_info *v = realloc(list->runs, cap * sizeof *v);
                    if (!v)
                        rc = TALLY_ENOMEM;
                    else
                        list->runs = v;
                }
                if (!rc)
                    info_copy(&list->runs[list->n++], tally_store_info(st));
                tally_store_close(st);
            }
            globfree(&g);
        }
        buf_free(&pattern);
    }
    closedir(d);
    if (rc) {
        tally_run_list_free(list);
        return rc;
    }
    if (list->n > 1) /* (qsort wants a non-NULL array even for none) */
        qsort(list->runs, list->n, sizeof *list->runs, newest_first);
    *out = list;
    return TALLY_OK;
}

static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The id a run file stores, malloc'd; NULL when it is not a readable run.
 * One query: matching ids must stay cheap for a store of many big runs. */
static char *stored_id(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char *id = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ==
            SQLITE_OK &&
        sqlite3_busy_timeout(db, 1000) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT id FROM run", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        id = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return id;
}

void tally_run_matches_free(tally_run_match *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].path);
        free(m[i].id);
    }
    free(m);
}

/* The run files matching pattern (a glob) whose stored id equals id, or
 * starts with it when !exact, in path order. */
static int scan(const char *pattern, const char *id, int exact, tally_run_match **out,
                size_t *nout)
{
    *out = NULL;
    *nout = 0;
    glob_t g;
    int grc = glob(pattern, 0, NULL, &g);
    if (grc == GLOB_NOMATCH)
        return TALLY_OK;
    if (grc != 0)
        return grc == GLOB_NOSPACE ? TALLY_ENOMEM : TALLY_EIO;
    size_t want = strlen(id), n = 0;
    tally_run_match *m = NULL;
    int rc = TALLY_OK;
    for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
        char *sid = stored_id(g.gl_pathv[i]);
        if (!sid || strncmp(sid, id, want) != 0 || (exact && sid[want])) {
            free(sid);
            continue;
        }
        tally_run_match *v = realloc(m, (n + 1) * sizeof *v);
        char *path = strdup(g.gl_pathv[i]);
        if (!v || !path) {
            free(sid);
            free(path);
            if (v)
                m = v;
            rc = TALLY_ENOMEM;
            break;
        }
        m = v;
        m[n].path = path;
        m[n].id = sid;
        n++;
    }
    globfree(&g);
    if (rc) {
        tally_run_matches_free(m, n);
        return rc;
    }
    *out = m;
    *nout = n;
    return TALLY_OK;
}

int tally_store_matches(const char *root, const char *id_prefix, tally_run_match **out,
                        size_t *n)
{
    if (!root || !id_prefix || !id_prefix[0] || !out || !n)
        return TALLY_EINVAL;
    buf pattern = BUF_INIT;
    buf_printf(&pattern, "%s/*/*.db", root);
    int rc = pattern.oom ? TALLY_ENOMEM : scan(buf_cstr(&pattern), id_prefix, 0, out, n);
    buf_free(&pattern);
    return rc;
}

/* TALLY_ECORRUPT when a file named as tally names this id's run
 * (<stamp>-<id>.db) cannot be read: resuming the id must not quietly start
 * a new run beside its damaged data. */
static int damaged_namesake(const char *project_dir, const char *id)
{
    static const size_t stamp_len = sizeof "20060102-150405-" - 1;
    buf pattern = BUF_INIT;
    buf_printf(&pattern, "%s/*-%s.db", project_dir, id);
    glob_t g;
    int rc = pattern.oom ? TALLY_ENOMEM : TALLY_OK;
    if (!rc && glob(buf_cstr(&pattern), 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
            const char *base = strrchr(g.gl_pathv[i], '/');
            base = base ? base + 1 : g.gl_pathv[i];
            if (strlen(base) != stamp_len + strlen(id) + 3)
                continue; /* another id that ends in -<id> */
            char *sid = stored_id(g.gl_pathv[i]);
            rc = sid ? TALLY_OK : TALLY_ECORRUPT;
            free(sid);
        }
        globfree(&g);
    }
    buf_free(&pattern);
    return rc;
}

int catalog_find_id(const char *project_dir, const char *id, char **path_out)
{
    *path_out = NULL;
    buf pattern = BUF_INIT;
    buf_printf(&pattern, "%s/*.db", project_dir);
    tally_run_match *m = NULL;
    size_t n = 0;
    int rc = pattern.oom ? TALLY_ENOMEM : scan(buf_cstr(&pattern), id, 1, &m, &n);
    buf_free(&pattern);
    if (!rc && n > 0) {
        /* Two files of one id (copied in by hand): resume the first. */
        *path_out = m[0].path;
        m[0].path = NULL;
    } else if (!rc) {
        rc = damaged_namesake(project_dir, id);
    }
    tally_run_matches_free(m, n);
    return rc;
}

int tally_store_resolve(const char *root, const char *run, char **path_out)
{
    if (!root || !run || !run[0] || !path_out)
        return TALLY_EINVAL;
    *path_out = NULL;
    /* A path names a file; an id never holds '/'. */
    if (strchr(run, '/') || (strstr(run, ".db") && is_file(run))) {
        if (!is_file(run))
            return TALLY_ENOTFOUND;
        *path_out = strdup(run);
        return *path_out ? TALLY_OK : TALLY_ENOMEM;
    }
    tally_run_match *m;
    size_t n;
    int rc = tally_store_matches(root, run, &m, &n);
    if (rc)
        return rc;
    /* An exact id wins over the longer ids it is a prefix of. */
    size_t exact = 0, pick = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].id, run) == 0) {
            exact++;
            pick = i;
        }
    if (exact == 1 || (exact == 0 && n == 1)) {
        *path_out = m[pick].path;
        m[pick].path = NULL;
        rc = TALLY_OK;
    } else {
        rc = n == 0 ? TALLY_ENOTFOUND : TALLY_EINVAL;
    }
    tally_run_matches_free(m, n);
    return rc;
}
