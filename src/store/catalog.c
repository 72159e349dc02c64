/*
 * catalog.c — the runs under a store root (<root>/<project>/<stamp>-<id>.db)
 * and resolving a RUN argument (a path, an id, or an id prefix) to a file.
 */
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
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

/* The id part of "<stamp>-<id>.db". */
static const char *file_id(const char *path, size_t *len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    const char *dash = strrchr(base, '-');
    if (!dot || !dash || dash > dot)
        return NULL;
    *len = (size_t)(dot - dash - 1);
    return dash + 1;
}

int tally_store_resolve(const char *root, const char *run, char **path_out)
{
    if (!root || !run || !run[0] || !path_out)
        return TALLY_EINVAL;
    *path_out = NULL;
    if (strchr(run, '/') || strstr(run, ".db")) {
        if (!is_file(run))
            return TALLY_ENOTFOUND;
        *path_out = strdup(run);
        return *path_out ? TALLY_OK : TALLY_ENOMEM;
    }
    buf pattern = BUF_INIT;
    buf_printf(&pattern, "%s/*/*-*.db", root);
    glob_t g;
    int rc = TALLY_ENOTFOUND;
    size_t want = strlen(run), exact = 0, prefix = 0;
    const char *exact_path = NULL, *prefix_path = NULL;
    if (glob(buf_cstr(&pattern), 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            size_t len;
            const char *id = file_id(g.gl_pathv[i], &len);
            if (!id || len < want || strncmp(id, run, want) != 0)
                continue;
            if (len == want) {
                exact++;
                exact_path = g.gl_pathv[i];
            } else {
                prefix++;
                prefix_path = g.gl_pathv[i];
            }
        }
        const char *found = exact == 1 ? exact_path : exact == 0 && prefix == 1 ? prefix_path : NULL;
        if (found) {
            *path_out = strdup(found);
            rc = *path_out ? TALLY_OK : TALLY_ENOMEM;
        } else if (exact > 1 || prefix > 1) {
            rc = TALLY_EINVAL;
        }
        globfree(&g);
    }
    buf_free(&pattern);
    return rc;
}
