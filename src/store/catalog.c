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
#include "common/clock.h"
#include "store/catalog.h"
#include "store/catalog_cache.h"
#include "store/reader_internal.h"
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
                             &dst->summary_json, &dst->config_json};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        *fields[i] = dup_or_null(*fields[i]);
}

static void info_free(tally_run_info *in)
{
    const char *fields[] = {in->path,  in->id,        in->project,  in->name,     in->group,
                            in->job_type, in->notes,  in->mode,     in->tags_json, in->host,
                            in->user,  in->os,        in->cwd,      in->version,
                            in->command_json, in->git_json, in->summary_json,
                            in->config_json};
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

/* How often a running run whose file did not change is read again: its
 * writer may have died without a word (then it reads as crashed). */
#define RECHECK_RUNNING_S 5.0

/* What the list knew about each file when it read it. */
typedef struct entry_meta {
    file_stamp stamp;
    double read_at; /* clock_wall() */
} entry_meta;

/* The list as this file allocates it. */
typedef struct list_impl {
    tally_run_list pub; /* first: a tally_run_list * is a list_impl * */
    entry_meta *meta;   /* parallel to pub.runs */
    size_t *by_path;    /* indices into pub.runs in path order */
} list_impl;

/* Frees the list's own arrays, and the strings of the runs not marked in
 * keep (those now belong to another list). */
static void list_release(list_impl *L, const unsigned char *keep)
{
    for (size_t i = 0; i < L->pub.n; i++)
        if (!keep || !keep[i])
            info_free(&L->pub.runs[i]);
    free(L->pub.runs);
    for (size_t i = 0; i < L->pub.skipped; i++)
        free((char *)L->pub.skips[i].path);
    free(L->pub.skips);
    free(L->meta);
    free(L->by_path);
    free(L);
}

/* Names a file the list could not read, and why. */
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

void tally_run_list_free(tally_run_list *list)
{
    if (list)
        list_release((list_impl *)list, NULL);
}

static int64_t mtime_ns(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* The file's size and mtime, and its WAL's (0 when it has none). */
static int stamp_of(const char *path, file_stamp *out)
{
    struct stat sb;
    memset(out, 0, sizeof *out);
    if (stat(path, &sb) != 0)
        return -1;
    out->size = (int64_t)sb.st_size;
    out->mtime_ns = mtime_ns(&sb);
    buf wal = BUF_INIT;
    buf_printf(&wal, "%s-wal", path);
    if (buf_cstr(&wal) && stat(buf_cstr(&wal), &sb) == 0) {
        out->wal_size = (int64_t)sb.st_size;
        out->wal_mtime_ns = mtime_ns(&sb);
    }
    buf_free(&wal);
    return 0;
}

static int same_stamp(const file_stamp *a, const file_stamp *b)
{
    return a->size == b->size && a->mtime_ns == b->mtime_ns && a->wal_size == b->wal_size &&
           a->wal_mtime_ns == b->wal_mtime_ns;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run files under root, <root>/<project>/<*.db>, sorted. */
static int run_paths(const char *root, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(root);
    if (!d)
        return TALLY_OK; /* no store yet: no runs */
    size_t cap = 0;
    int rc = TALLY_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        buf pattern = BUF_INIT;
        buf_printf(&pattern, "%s/%s/*.db", root, e->d_name);
        glob_t g;
        if (buf_cstr(&pattern) && glob(buf_cstr(&pattern), 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
                if (*n == cap) {
                    cap = cap ? cap * 2 : 64;
                    char **v = realloc(*out, cap * sizeof *v);
                    if (!v) {
                        rc = TALLY_ENOMEM;
                        break;
                    }
                    *out = v;
                }
                if (((*out)[*n] = strdup(g.gl_pathv[i])) == NULL)
                    rc = TALLY_ENOMEM;
                else
                    (*n)++;
            }
            globfree(&g);
        }
        buf_free(&pattern);
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_str_ptr);
    return rc;
}

/* The cache, opened on first need; NULL when there is none. */
typedef struct cache_use {
    catalog_cache *cache;
    int tried;
    char abs_root[PATH_MAX];
    buf key;
} cache_use;

static catalog_cache *cache_for(cache_use *u, const char *root, const char *path)
{
    if (!u->tried) {
        u->tried = 1;
        if (realpath(root, u->abs_root))
            u->cache = catalog_cache_open();
    }
    if (!u->cache)
        return NULL;
    /* Keyed by the absolute path, from root's once. */
    u->key.len = 0;
    buf_printf(&u->key, "%s%s", u->abs_root, path + strlen(root));
    return buf_cstr(&u->key) ? u->cache : NULL;
}

/* Reads the run at path into dst: from the cache when it has the file
 * unchanged, else from the file (then the cache learns it, unless the
 * run is live). */
static int read_run(cache_use *u, const char *root, const char *path, const file_stamp *stamp,
                    tally_run_info *dst)
{
    catalog_cache *cache = cache_for(u, root, path);
    if (cache && catalog_cache_get(cache, buf_cstr(&u->key), stamp, dst)) {
        dst->path = strdup(path);
    } else {
        tally_store *st;
        int rc = tally_store_open(path, &st);
        if (rc)
            return rc;
        info_copy(dst, tally_store_info(st));
        tally_store_close(st);
        if (cache && dst->path && dst->state != TALLY_STATE_RUNNING)
            catalog_cache_put(cache, buf_cstr(&u->key), stamp, dst);
    }
    if (!dst->path) {
        info_free(dst);
        return TALLY_ENOMEM;
    }
    return TALLY_OK;
}

typedef struct build_ctx {
    const tally_run_info *runs;
} build_ctx;

static int newest_first_index(const void *a, const void *b, void *ctx)
{
    const tally_run_info *runs = ((const build_ctx *)ctx)->runs;
    return newest_first(&runs[*(const size_t *)a], &runs[*(const size_t *)b]);
}

/* Lists root's runs into a new list, sharing with old (not changed) every
 * run whose file did not change, except a running one last read
 * RECHECK_RUNNING_S ago; taken[i] marks the runs of old it shares.
 * *changed: whether the list differs from old. */
static int list_build(const char *root, const list_impl *old, unsigned char *taken,
                      list_impl **out, int *changed)
{
    *out = NULL;
    char **paths;
    size_t npaths;
    int rc = run_paths(root, &paths, &npaths);
    list_impl *L = calloc(1, sizeof *L);
    /* Built in path order first, then put newest first. */
    tally_run_info *runs = calloc(npaths + 1, sizeof *runs);
    entry_meta *meta = calloc(npaths + 1, sizeof *meta);
    unsigned char *fresh = calloc(npaths + 1, 1); /* read here, not shared */
    if (!rc && (!L || !runs || !meta || !fresh))
        rc = TALLY_ENOMEM;
    cache_use u = {.key = BUF_INIT};
    size_t n = 0, oi = 0;
    int moved = !old;
    double now = clock_wall();
    for (size_t i = 0; i < npaths && !rc; i++) {
        file_stamp stamp;
        if (stamp_of(paths[i], &stamp) != 0)
            continue; /* gone since the directory was read */
        /* Both walk in path order: old's entry for this path, if any. */
        long k = -1;
        while (old && oi < old->pub.n &&
               strcmp(old->pub.runs[old->by_path[oi]].path, paths[i]) < 0)
            oi++;
        if (old && oi < old->pub.n && strcmp(old->pub.runs[old->by_path[oi]].path, paths[i]) == 0)
            k = (long)old->by_path[oi];
        if (k >= 0 && same_stamp(&old->meta[k].stamp, &stamp) &&
            (old->pub.runs[k].state != TALLY_STATE_RUNNING ||
             now - old->meta[k].read_at < RECHECK_RUNNING_S)) {
            runs[n] = old->pub.runs[k];
            meta[n] = old->meta[k];
            taken[k] = 1;
            n++;
            continue;
        }
        int r = read_run(&u, root, paths[i], &stamp, &runs[n]);
        if (r == TALLY_ENOMEM)
            rc = r;
        else if (r)
            rc = add_skip(&L->pub, paths[i], r);
        if (r)
            continue;
        moved = 1;
        meta[n] = (entry_meta){stamp, now};
        fresh[n++] = 1;
    }
    /* A whole listing (not a refresh) also sees which runs are gone. */
    if (!old && !rc && u.cache)
        catalog_cache_prune(u.cache, u.abs_root);
    catalog_cache_close(u.cache);
    buf_free(&u.key);
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    size_t *perm = rc ? NULL : malloc((n + 1) * sizeof *perm);
    if (!rc && L && !(L->pub.runs = malloc((n + 1) * sizeof *runs)))
        rc = TALLY_ENOMEM;
    if (!rc && !(L->meta = malloc((n + 1) * sizeof *meta)))
        rc = TALLY_ENOMEM;
    if (!rc && !(L->by_path = malloc((n + 1) * sizeof *L->by_path)))
        rc = TALLY_ENOMEM;
    if (!rc && !perm)
        rc = TALLY_ENOMEM;
    if (rc) {
        for (size_t i = 0; i < n; i++)
            if (fresh[i])
                info_free(&runs[i]);
        if (old)
            memset(taken, 0, old->pub.n);
        if (L) {
            L->pub.n = 0;
            list_release(L, NULL);
        }
    } else {
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        build_ctx ctx = {runs};
        qsort_r(perm, n, sizeof *perm, newest_first_index, &ctx);
        for (size_t j = 0; j < n; j++) {
            L->pub.runs[j] = runs[perm[j]];
            L->meta[j] = meta[perm[j]];
            L->by_path[perm[j]] = j; /* runs[] was in path order */
        }
        L->pub.n = n;
        if (old && !moved) {
            /* None re-read: the same list unless a run came or went. */
            size_t shared = 0;
            for (size_t i = 0; i < old->pub.n; i++)
                shared += taken[i];
            moved = shared != old->pub.n || n != old->pub.n ||
                    L->pub.skipped != old->pub.skipped;
        }
        *out = L;
    }
    free(perm);
    free(runs);
    free(meta);
    free(fresh);
    if (changed)
        *changed = moved;
    return rc;
}

int tally_store_list(const char *root, tally_run_list **out)
{
    if (!root || !out)
        return TALLY_EINVAL;
    *out = NULL;
    list_impl *L;
    int rc = list_build(root, NULL, NULL, &L, NULL);
    if (!rc)
        *out = &L->pub;
    return rc;
}

int tally_store_list_refresh(const char *root, tally_run_list **list, int *changed)
{
    if (!root || !list || !*list)
        return TALLY_EINVAL;
    list_impl *old = (list_impl *)*list, *L;
    unsigned char *taken = calloc(old->pub.n + 1, 1);
    if (!taken)
        return TALLY_ENOMEM;
    int rc = list_build(root, old, taken, &L, changed);
    if (!rc) {
        list_release(old, taken); /* the runs it shares now belong to L */
        *list = &L->pub;
    }
    free(taken);
    return rc;
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
    if (store_open_readonly(path, &db) == TALLY_OK &&
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
