/*
 * run.c — a run's lifecycle: tally_init() resolves options, creates (or
 * resumes) the run file and starts the flusher; tally_flush() and
 * tally_finish() wait for it.  The logging calls live in log.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/errcode.h"
#include "common/json.h"
#include "common/procinfo.h"
#include "common/text.h"
#include "core/media_job.h"
#include "core/run_internal.h"
#include "store/catalog.h"
#include "store/runlock.h"
#include "sync/live.h"
#include "tally_store.h"

#define FLUSH_MS_DEFAULT 1000
#define FLUSH_WAIT_MS 30000 /* tally_flush() gives up after this long */
#define RUN_ID_MAX 64

static const char *option(const char *value, const char *env, const char *fallback)
{
    if (value)
        return value;
    const char *e = env ? getenv(env) : NULL;
    return e && e[0] ? e : fallback;
}

/* A project names a directory: one path component, no hidden names. */
static int check_project(const char *project)
{
    if (key_check(project, NULL) || project[0] == '.' || strchr(project, '/'))
        return TALLY_EINVAL;
    return TALLY_OK;
}

/* What wandb accepts as a run id: letters, digits, -, _ and ., up to 64. */
static int check_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > RUN_ID_MAX)
        return TALLY_EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return TALLY_EINVAL;
    }
    return TALLY_OK;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return TALLY_EINVAL;
    for (char *p = tmp + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return errcode_from_errno(errno);
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return TALLY_ENOTFOUND;
    if (access(path, W_OK | X_OK) != 0)
        return TALLY_EACCES;
    return TALLY_OK;
}

/* The program's argv, from /proc/self/cmdline, as a JSON array. */
static char *command_json(void)
{
    buf b = BUF_INIT;
    buf_putc(&b, '[');
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char data[8192];
        ssize_t n = read(fd, data, sizeof data - 1);
        close(fd);
        size_t i = 0;
        while (n > 0 && i < (size_t)n) {
            data[n] = '\0';
            const char *arg = data + i;
            size_t len = strlen(arg);
            if (i)
                buf_putc(&b, ',');
            if (utf8_valid(arg, len))
                json_string(&b, arg);
            else
                json_string(&b, "?");
            i += len + 1;
        }
    }
    buf_putc(&b, ']');
    return buf_steal(&b);
}

static char *tags_json(const char *const *tags, int *rc)
{
    buf b = BUF_INIT;
    buf_putc(&b, '[');
    for (size_t i = 0; tags && tags[i]; i++) {
        if (!utf8_valid(tags[i], strlen(tags[i]))) {
            *rc = TALLY_EUTF8;
            buf_free(&b);
            return NULL;
        }
        if (i)
            buf_putc(&b, ',');
        json_string(&b, tags[i]);
    }
    buf_putc(&b, ']');
    char *s = buf_steal(&b);
    *rc = s ? TALLY_OK : TALLY_ENOMEM;
    return s;
}

static char *new_run_path(const char *project_dir, const char *id, double start)
{
    time_t t = (time_t)start;
    struct tm tm;
    char stamp[32];
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    buf b = BUF_INIT;
    buf_printf(&b, "%s/%s-%s.db", project_dir, stamp, id);
    return buf_steal(&b);
}

static void run_free(tally_run *run)
{
    if (!run)
        return;
    run_discard_row(run);
    free(run->row.v);
    metrics_free(run);
    for (size_t i = 0; i < run->rules.n; i++)
        metrics_rule_free(run->rules.v[i]);
    free(run->rules.v);
    for (size_t i = 0; i < run->objects.n; i++)
        free(run->objects.v[i].json);
    free(run->objects.v);
    free(run->objects_spare.v);
    for (size_t i = 0; i < run->config.n; i++) {
        free(run->config.v[i].key);
        free(run->config.v[i].json);
    }
    free(run->config.v);
    for (size_t i = 0; i < run->summary_sets.n; i++) {
        free(run->summary_sets.v[i].key);
        free(run->summary_sets.v[i].json);
    }
    free(run->summary_sets.v);
    for (size_t i = 0; i < run->files.n; i++)
        free(run->files.v[i]);
    free(run->files.v);
    for (size_t i = 0; i < run->lines.n; i++)
        free(run->lines.v[i].text);
    free(run->lines.v);
    for (size_t i = 0; i < run->run_texts.n; i++) {
        free(run->run_texts.v[i].key);
        free(run->run_texts.v[i].json);
    }
    free(run->run_texts.v);
    for (size_t i = 0; i < run->media.n; i++)
        media_job_free(run->media.v[i]);
    free(run->media.v);
    media_pool_free(run);
    if (run->writer)
        writer_close(run->writer);
    runlock_close(run->claim); /* after SQLite let go of the file (runlock.h) */
    pthread_mutex_destroy(&run->mu);
    pthread_mutex_destroy(&run->pool_mu);
    pthread_cond_destroy(&run->wake);
    pthread_cond_destroy(&run->done);
    free(run->id);
    free(run->name);
    free(run->project);
    free(run->path);
    free(run);
}

static tally_run *run_alloc(void)
{
    tally_run *run = calloc(1, sizeof *run);
    if (!run)
        return NULL;
    pthread_mutex_init(&run->mu, NULL);
    pthread_mutex_init(&run->pool_mu, NULL);
    clock_cond_init(&run->wake);
    clock_cond_init(&run->done);
    run->last_step = -1;
    run->pid = getpid();
    atomic_init(&run->warned, 0);
    return run;
}

/* The hidden per-row metrics, created (or found, on resume) first. */
static int add_row_metrics(tally_run *run)
{
    static const char *const names[2] = {"_timestamp", "_runtime"};
    metric *ms[2];
    for (int i = 0; i < 2; i++) {
        size_t len;
        uint64_t h = metrics_hash(names[i], &len);
        ms[i] = metrics_find(run, names[i], len, h);
        if (!ms[i])
            ms[i] = metrics_add(run, names[i], len, h, TALLY_AXIS_STEP, 1);
        if (!ms[i])
            return TALLY_ENOMEM;
        ms[i]->is_int = 0;
        ms[i]->hidden = 1;
    }
    run->m_timestamp = ms[0];
    run->m_runtime = ms[1];
    return TALLY_OK;
}

/* A rule a resumed file holds, back in the run (already written). */
static int adopt_rule(void *ctx, const char *pattern, const char *step_metric, unsigned summary,
                      int goal)
{
    tally_run *run = ctx;
    metric_rule *r = metrics_rule_new(pattern, step_metric, summary, goal);
    if (!r || VEC_PUSH(run->rules, r) < 0) {
        metrics_rule_free(r);
        return TALLY_ENOMEM;
    }
    run->rules_written = run->rules.n;
    return TALLY_OK;
}

/* Summaries with aggregates (min, max, mean, first) need every value seen:
 * a resumed run replays what its file holds for those metrics, so
 * {"min": ...} still covers the whole run. */
static int replay_summaries(tally_run *run)
{
    tally_store *st = NULL;
    int rc = TALLY_OK;
    const unsigned aggregates =
        TALLY_SUMMARY_MIN | TALLY_SUMMARY_MAX | TALLY_SUMMARY_MEAN | TALLY_SUMMARY_FIRST;
    for (size_t i = 0; i < run->metrics.n && !rc; i++) {
        metric *m = run->metrics.v[i];
        if (!m->rule || !(m->rule->summary & aggregates) || m->axis != TALLY_AXIS_STEP)
            continue;
        if (!st && (rc = tally_store_open(run->path, &st)) != TALLY_OK)
            break;
        tally_points *p;
        rc = tally_points_open(st, m->id, INT64_MIN, INT64_MAX, &p);
        int64_t x;
        double y;
        int more = 0;
        while (!rc && (more = tally_points_next(p, &x, &y)) == 1)
            summary_add(&m->summary, y);
        if (!rc && more < 0)
            rc = more;
        tally_points_close(p);
    }
    tally_store_close(st);
    return rc;
}

/* Registers the metrics a resumed file already holds, under their ids;
 * the file's rules must be adopted first, so each finds its rule. */
static int adopt_metrics(tally_run *run, writer_metric_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len;
        uint64_t h = metrics_hash(rows[i].name, &len);
        metric *m = metrics_add(run, rows[i].name, len, h, rows[i].axis, rows[i].name[0] == '_');
        if (!m)
            return TALLY_ENOMEM;
        m->id = rows[i].id;
        m->is_int = rows[i].is_int;
        m->media = (unsigned char)rows[i].media;
        m->meta_dirty = 0;
        if (rows[i].id >= run->next_metric_id)
            run->next_metric_id = rows[i].id + 1;
    }
    run->metrics_persisted = run->metrics.n;
    return TALLY_OK;
}

static int open_file(tally_run *run, const tally_options *o, const char *project_dir,
                     const char *mode, const char *tags)
{
    char host[PROCINFO_ID_MAX], boot[PROCINFO_ID_MAX], cwd[PATH_MAX];
    struct utsname uts;
    char os[3 * sizeof uts.sysname + 8] = "";
    procinfo_hostname(host);
    procinfo_boot_id(boot);
    if (uname(&uts) == 0)
        snprintf(os, sizeof os, "%s-%s-%s", uts.sysname, uts.release, uts.machine);
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    const char *user = getenv("USER");
    struct passwd *pw = user ? NULL : getpwuid(getuid());
    unsigned capture = o->capture ? o->capture : ~TALLY_CAPTURE_NONE;
    int env = (capture & TALLY_CAPTURE_ENV) && !(capture & TALLY_CAPTURE_NONE);
    char *command = env ? command_json() : NULL;

    writer_run_row row = {
        .id = run->id, .project = run->project, .name = run->name, .group = o->group,
        .job_type = o->job_type, .notes = o->notes, .tags_json = tags, .mode = mode,
        .host = host, .boot_id = boot, .user = env ? (user ? user : pw ? pw->pw_name : NULL) : NULL,
        .os = env ? os : NULL, .command_json = command, .cwd = env ? cwd : NULL,
        .version = TALLY_VERSION, .pid = getpid(), .pid_start = procinfo_start_ticks(getpid()),
        .heartbeat_ms = run->flush_ms > 5000 ? run->flush_ms : 5000, .start_time = run->start_wall,
    };

    /* Claiming is atomic: under the project lock, look the id up, then
     * claim the file found (resume) or create and claim a new one.  Two
     * processes starting the same id at once: one wins, the other gets
     * TALLY_EBUSY. */
    int project_lock;
    int rc = runlock_project(project_dir, &project_lock);
    char *existing = NULL;
    if (!rc && o->id)
        rc = catalog_find_id(project_dir, run->id, &existing);
    if (rc) {
        /* nothing claimed */
    } else if (existing) {
        writer_metric_row *rows = NULL;
        size_t nrows = 0;
        double started;
        int64_t last_step;
        run->path = existing;
        rc = runlock_open(existing, &run->claim);
        if (!rc)
            rc = runlock_claim(run->claim);
        if (!rc)
            rc = writer_resume(existing, &row, &run->writer, &run->rows, &last_step, &started,
                               &rows, &nrows);
        if (!rc)
            rc = writer_rules(run->writer, adopt_rule, run);
        if (!rc) {
            run->last_step = last_step;
            run->step = last_step + 1;
            /* _runtime keeps counting from the original start. */
            run->start_mono -= (int64_t)((run->start_wall - started) * 1e9);
            run->start_wall = started;
            rc = adopt_metrics(run, rows, nrows);
        }
        writer_metric_rows_free(rows, nrows);
    } else {
        run->path = new_run_path(project_dir, run->id, run->start_wall);
        rc = run->path ? runlock_create(run->path, &run->claim) : TALLY_ENOMEM;
        if (!rc)
            rc = writer_create(run->path, &row, &run->writer);
    }
    runlock_project_release(project_lock);
    if (!rc && existing)
        rc = replay_summaries(run); /* reads only: the claim is enough */
    free(command);
    return rc;
}

/* Online mode's voice: the library's one warning line (src/sync/live.c). */
static void online_warn(void *ctx, int code, const char *message)
{
    run_warn(ctx, code, "%s", message);
}

int tally_init_ex(const tally_options *opts, tally_run **out)
{
    static const tally_options defaults;
    const tally_options *o = opts ? opts : &defaults;
    if (!out)
        return TALLY_EINVAL;
    *out = NULL;

    const char *mode = option(o->mode, "TALLY_MODE", "offline");
    if (strcmp(mode, "offline") != 0 && strcmp(mode, "online") != 0 &&
        strcmp(mode, "disabled") != 0)
        return TALLY_EINVAL;
    tally_run *run = run_alloc();
    if (!run)
        return TALLY_ENOMEM;
    if (strcmp(mode, "disabled") == 0) {
        run->disabled = 1;
        if (registry_add(run) < 0) {
            run_free(run);
            return TALLY_ENOMEM;
        }
        *out = run;
        return TALLY_OK;
    }

    int rc = TALLY_OK;
    char id[RUN_ID_MAX + 1], name[64];
    const char *dir = o->dir ? o->dir : tally_store_default_root();
    const char *project = option(o->project, "TALLY_PROJECT", "default");
    char *tags = NULL;
    buf project_dir = BUF_INIT;

    if (o->id) {
        rc = check_id(o->id);
        snprintf(id, sizeof id, "%s", rc ? "" : o->id);
    } else {
        names_random_id(id);
    }
    if (!rc && o->dir && !o->dir[0])
        rc = TALLY_EINVAL; /* "" would put the store at / */
    if (!rc)
        rc = check_project(project);
    if (!rc && o->name && (!o->name[0] || !utf8_valid(o->name, strlen(o->name))))
        rc = TALLY_EUTF8;
    if (!rc && (o->flush_ms < 0 || o->sample_ms > 24 * 3600 * 1000))
        rc = TALLY_EINVAL;
    if (!rc)
        tags = tags_json(o->tags, &rc);
    if (rc)
        goto fail;
    if (!o->name)
        names_random_name(name, sizeof name);

    run->id = strdup(id);
    run->name = strdup(o->name ? o->name : name);
    run->project = strdup(project);
    run->flush_ms = o->flush_ms ? o->flush_ms : FLUSH_MS_DEFAULT;
    run->start_wall = clock_wall();
    run->start_mono = clock_mono_ns();
    run->wall_offset = clock_wall_offset();
    if (!run->id || !run->name || !run->project || metrics_init(run) < 0) {
        rc = TALLY_ENOMEM;
        goto fail;
    }
    /* Checked before the file exists: a refused init leaves no run behind. */
    if (o->config_json)
        rc = tally_config_json(run, o->config_json);
    buf_printf(&project_dir, "%s/%s", dir, project);
    if (!rc)
        rc = project_dir.oom ? TALLY_ENOMEM : make_dirs(buf_cstr(&project_dir));
    if (!rc)
        rc = open_file(run, o, buf_cstr(&project_dir), mode, tags);
    if (!rc)
        rc = add_row_metrics(run);
    if (!rc)
        rc = flusher_start(run);
    if (!rc && registry_add(run) < 0)
        rc = TALLY_ENOMEM;
    if (rc)
        goto fail;
    if (strcmp(mode, "online") == 0)
        run->live = sync_live_start(run->path, online_warn, run);
    capture_start(run, o, &run->capture);
    free(tags);
    buf_free(&project_dir);
    *out = run;
    return TALLY_OK;

fail:
    if (run->thread_started)
        flusher_stop(run, 1);
    free(tags);
    buf_free(&project_dir);
    run_free(run);
    return rc;
}

tally_run *tally_init(const tally_options *opts)
{
    tally_run *run = NULL;
    int rc = tally_init_ex(opts, &run);
    if (rc)
        run_warn(NULL, rc, "cannot start a run: %s", tally_strerror(rc));
    return run;
}

int tally_flush(tally_run *run)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    if (getpid() != run->pid)
        return TALLY_EFINISHED; /* a fork()ed child: no flusher here to wait for */
    return flusher_flush(run, FLUSH_WAIT_MS);
}

int tally_finish(tally_run *run, int exit_code)
{
    if (!run)
        return TALLY_EINVAL;
    if (!registry_remove(run))
        return TALLY_EFINISHED;
    /* A fork()ed child holds a copy of the run but none of its threads, and
     * shares the parent's file and console pipes: finishing there would join
     * threads that do not exist and stop the parent's console tee.  The copy
     * is left as it is. */
    if (!run->disabled && getpid() != run->pid)
        return TALLY_EFINISHED;
    int rc = TALLY_OK;
    if (!run->disabled) {
        capture_stop(run->capture); /* its last lines and samples go in the final flush */
        run->capture = NULL;
        RUN_LOCK(run);
        int crc = run_commit_locked(run);
        RUN_UNLOCK(run);
        run_commit_warn(run, crc);
        rc = flusher_stop(run, exit_code);
        if (!rc)
            rc = crc;
        sync_live_finish(run->live); /* its last pass reads the finished file */
    }
    run_free(run);
    return rc;
}

const char *tally_run_id(const tally_run *run)
{
    return run && !run->disabled ? run->id : NULL;
}

const char *tally_run_path(const tally_run *run)
{
    return run && !run->disabled ? run->path : NULL;
}

const char *tally_run_name(const tally_run *run)
{
    return run && !run->disabled ? run->name : NULL;
}
