/*
 * cmd_media.c — `tally media RUN`: writes a run's media files (images,
 * galleries, tables and their image cells, audio, video) under a folder in
 * wandb's run-directory layout (media/images/<key>_<step>_<sha20>.png, ...),
 * through the read API's paths (src/store/media.c).
 *
 * The folder may hold anything, symlinks planted by someone else included:
 * every folder is opened with O_NOFOLLOW relative to its parent (openat),
 * and every file is written to a fresh temporary name and renamed into
 * place, so no write follows a link or lands outside the folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"

/* Paths written so far, so a file named twice (a gallery showing one image
 * twice, the image cells tables share) is written and printed once. */
typedef struct path_set {
    char **slot;
    size_t cap, n;
} path_set;

static uint64_t path_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* 1 when path was added, 0 when it was there, < 0 out of memory. */
static int path_set_add(path_set *set, const char *path)
{
    if (2 * (set->n + 1) > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 256;
        char **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return TALLY_ENOMEM;
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->slot[i])
                continue;
            size_t k = path_hash(set->slot[i]) & (cap - 1);
            while (slot[k])
                k = (k + 1) & (cap - 1);
            slot[k] = set->slot[i];
        }
        free(set->slot);
        set->slot = slot;
        set->cap = cap;
    }
    size_t k = path_hash(path) & (set->cap - 1);
    for (; set->slot[k]; k = (k + 1) & (set->cap - 1))
        if (strcmp(set->slot[k], path) == 0)
            return 0;
    set->slot[k] = strdup(path);
    if (!set->slot[k])
        return TALLY_ENOMEM;
    set->n++;
    return 1;
}

static void path_set_free(path_set *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slot[i]);
    free(set->slot);
}

typedef struct media_out {
    tally_store *st;
    const char *dir; /* as given, for messages */
    int dirfd;
    path_set written;
    int64_t files, bytes, inline_objects;
    int failed;
    int stopped; /* a write failed: the folder or the disk will fail the rest too */
} media_out;

/* Opens (making it when missing) the folder name inside parent, refusing
 * a symlink; the new descriptor, or -1 with errno set. */
static int open_folder(int parent, const char *name)
{
    if (mkdirat(parent, name, 0777) != 0 && errno != EEXIST)
        return -1;
    return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* 1 for a component that would leave its folder or name nothing. */
static int bad_component(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/* Writes data at the relative path under fd: its folders opened one by one
 * without following links, the file written to a temporary name beside it
 * and renamed over whatever had the name.  0, or -1 with errno set. */
static int write_at(int fd, const char *path, const void *data, size_t size)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int cur = dup(fd), rc = -1, saved = 0;
    char *p = copy;
    for (char *slash; cur >= 0 && (slash = strchr(p, '/')); p = slash + 1) {
        *slash = '\0';
        if (bad_component(p, strlen(p))) {
            errno = EINVAL;
            goto fail;
        }
        int next = open_folder(cur, p);
        saved = errno;
        close(cur);
        errno = saved;
        cur = next;
    }
    if (cur < 0 || bad_component(p, strlen(p))) {
        if (cur >= 0)
            errno = EINVAL;
        goto fail;
    }
    char tmp[64];
    int out = -1;
    for (int tries = 0; tries < 100 && out < 0; tries++) {
        snprintf(tmp, sizeof tmp, ".tally-media-%ld-%d.tmp", (long)getpid(), tries);
        out = openat(cur, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (out < 0 && errno != EEXIST)
            break;
    }
    if (out < 0)
        goto fail;
    const char *b = data;
    size_t left = size;
    while (left > 0) {
        ssize_t w = write(out, b, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        b += w;
        left -= (size_t)w;
    }
    saved = errno;
    if (close(out) != 0 && left == 0) {
        saved = errno;
        left = 1;
    }
    if (left > 0 || renameat(cur, tmp, cur, p) != 0) {
        if (left == 0)
            saved = errno;
        unlinkat(cur, tmp, 0);
        errno = saved;
        goto fail;
    }
    rc = 0;
fail:
    saved = errno;
    if (cur >= 0)
        close(cur);
    free(copy);
    errno = saved;
    return rc;
}

/* Writes one file of an object (once per path), printing its path. */
static void write_file(media_out *mo, const tally_media *m, const tally_media_file *f)
{
    int added = path_set_add(&mo->written, f->path);
    if (added == 0)
        return;
    if (added < 0) {
        mo->failed = 1;
        cli_error("out of memory");
        return;
    }
    void *data = NULL;
    size_t size = 0;
    int rc = tally_store_blob(mo->st, f->sha256, &data, &size);
    if (rc) {
        /* A damaged file is named once at the end (cli_report_damage). */
        mo->failed = 1;
        if (rc != TALLY_ECORRUPT) {
            fputs("tally: cannot read ", stderr);
            cli_put_safe(stderr, f->path);
            fprintf(stderr, " (key \"");
            cli_put_safe(stderr, m->key);
            fprintf(stderr, "\", step %lld): %s\n", (long long)m->step, tally_strerror(rc));
        }
        return;
    }
    if (write_at(mo->dirfd, f->path, data, size) != 0) {
        int e = errno;
        mo->failed = mo->stopped = 1;
        fputs("tally: cannot write ", stderr);
        cli_put_safe(stderr, mo->dir);
        fputc('/', stderr);
        cli_put_safe(stderr, f->path);
        fprintf(stderr, ": %s%s; stopped\n", strerror(e),
                e == ELOOP || e == ENOTDIR ? " (a symlink or a file where a folder goes)" : "");
    } else {
        mo->files++;
        mo->bytes += (int64_t)size;
        cli_put_safe(stdout, mo->dir);
        fputc('/', stdout);
        cli_put_safe(stdout, f->path);
        fputc('\n', stdout);
    }
    free(data);
}

/* Every object of key k with a step in [s0, s1]. */
static int write_key(media_out *mo, const tally_media_key *k, int64_t s0, int64_t s1,
                     int64_t *objects)
{
    tally_media_iter *it;
    int rc = tally_media_open(mo->st, k->metric_id, s0, s1, &it);
    if (rc)
        return rc;
    tally_media m;
    while (!mo->stopped && (rc = tally_media_next(it, &m)) != 0) {
        if (rc == TALLY_ECORRUPT) {
            mo->failed = 1; /* named at the end */
            continue;
        }
        if (rc < 0)
            break;
        (*objects)++;
        if (m.nfiles == 0)
            mo->inline_objects++;
        for (size_t i = 0; i < m.nfiles && !mo->stopped; i++)
            write_file(mo, &m, &m.files[i]);
    }
    tally_media_close(it);
    return rc;
}

/* ./<run id>-media, the id reduced to characters safe in a file name. */
static char *default_dir(const char *id)
{
    buf b = BUF_INIT;
    buf_puts(&b, "./");
    for (const char *p = id ? id : ""; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || (c == '.' && p != id);
        buf_putc(&b, ok ? c : '_');
    }
    buf_puts(&b, "-media");
    return buf_steal(&b);
}

static int parse_step(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

static const cli_option media_option_table[] = {
    CLI_OPTION_DIR,
    {"key", 'k', "GLOB", "only the media keys whose names match the shell pattern GLOB"},
    {"step", 's', "N", "only the objects logged at step N"},
    {"last", 'l', NULL, "only each key's newest object"},
    {"output", 'o', "DIR", "the folder to write into (default: ./<run id>-media); media/ "
                           "goes inside it"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL, NULL}};

static int run_media(int argc, char **argv)
{
    const char *glob = NULL, *out_dir = NULL;
    int64_t step = -1;
    int last = 0;
    cli_parser parser;
    cli_parser_init(&parser, &cmd_media);
    int c;
    while ((c = cli_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'k': glob = optarg; break;
        case 's':
            if (parse_step(optarg, &step)) {
                fputs("tally: --step takes a step number (0 or more), not '", stderr);
                cli_put_safe(stderr, optarg);
                fputs("'\n", stderr);
                return cli_usage(&cmd_media);
            }
            break;
        case 'l': last = 1; break;
        case 'o': out_dir = optarg; break;
        default: return parser.rc; /* --help, or a bad option */
        }
    }
    const char *root = cli_root(&parser);
    if (optind + 1 != argc)
        return cli_usage(&cmd_media);
    if (last && step >= 0) {
        fprintf(stderr, "tally: --step and --last choose the steps two ways; give one\n");
        return cli_usage(&cmd_media);
    }
    tally_store *st;
    if (cli_open_run(root, argv[optind], &st))
        return CLI_FAIL;
    size_t nkeys = 0;
    for (size_t i = 0; i < tally_store_media_key_count(st); i++)
        nkeys += !glob || fnmatch(glob, tally_store_media_key(st, i)->name, 0) == 0;
    if (nkeys == 0) {
        int rc = CLI_OK;
        if (glob) {
            fputs("tally: no media key matches '", stderr);
            cli_put_safe(stderr, glob);
            fputs("'\n", stderr);
            rc = CLI_FAIL;
        } else {
            fprintf(stderr, "tally: this run holds no media\n");
        }
        tally_store_close(st);
        return rc;
    }
    char *made_dir = out_dir ? NULL : default_dir(tally_store_info(st)->id);
    media_out mo = {.st = st, .dir = out_dir ? out_dir : made_dir, .dirfd = -1};
    if (!mo.dir || (mkdir(mo.dir, 0777) != 0 && errno != EEXIST) ||
        (mo.dirfd = open(mo.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        int e = errno;
        fputs("tally: cannot make the folder ", stderr);
        cli_put_safe(stderr, mo.dir ? mo.dir : "");
        fprintf(stderr, ": %s\n", strerror(e));
        free(made_dir);
        tally_store_close(st);
        return CLI_FAIL;
    }
    int64_t objects = 0;
    int rc = TALLY_OK;
    for (size_t i = 0; i < tally_store_media_key_count(st) && rc >= 0 && !mo.stopped; i++) {
        const tally_media_key *k = tally_store_media_key(st, i);
        if (glob && fnmatch(glob, k->name, 0) != 0)
            continue;
        if (k->count <= 0)
            continue;
        int64_t s0 = last ? k->last_step : step >= 0 ? step : INT64_MIN;
        int64_t s1 = last ? k->last_step : step >= 0 ? step : INT64_MAX;
        rc = write_key(&mo, k, s0, s1, &objects);
    }
    close(mo.dirfd);
    path_set_free(&mo.written);
    int status = cli_report_damage(st);
    if (rc < 0) {
        cli_error("reading the media failed: %s", tally_strerror(rc));
        status = CLI_FAIL;
    }
    if (mo.failed)
        status = CLI_FAIL;
    if (objects == 0 && step >= 0) {
        fprintf(stderr, "tally: no object at step %lld\n", (long long)step);
        status = CLI_FAIL;
    }
    fprintf(stderr, "tally: %lld object%s, %lld file%s (%lld bytes) written under ",
            (long long)objects, objects == 1 ? "" : "s", (long long)mo.files,
            mo.files == 1 ? "" : "s", (long long)mo.bytes);
    cli_put_safe(stderr, mo.dir);
    if (mo.inline_objects)
        fprintf(stderr, "; %lld histogram%s have no file (their values are in the history)",
                (long long)mo.inline_objects, mo.inline_objects == 1 ? "" : "s");
    fputc('\n', stderr);
    free(made_dir);
    tally_store_close(st);
    if (fflush(stdout) != 0)
        return cli_error("cannot write the list of files");
    return status;
}

const cli_command cmd_media = {
    .name = "media",
    .operands = "RUN",
    .summary = "write a run's images, tables, audio and video as files",
    .run = run_media,
    .options = media_option_table,
    .details =
        "RUN is a run file path, a run id, or a unique prefix of one.  Files go under\n"
        "DIR in wandb's run-directory layout: media/images/<key>_<step>_<sha256[:20]>.png,\n"
        "media/table/<key>_<step>_<sha>.table.json (image cells: media/images/<sha>.png),\n"
        "media/audio/...wav, media/videos/...gif|mp4|webm|ogg; a '/' in a key makes\n"
        "folders, and characters a path must not hold are %XX-escaped.  Each file written\n"
        "is printed on stdout.  Folders are opened without following symlinks and files\n"
        "replaced by rename, so nothing is written outside DIR.  Every file is checked\n"
        "against its checksum: a damaged one is left out, named on stderr, and the exit\n"
        "status is then 1.  Histograms have no file: their counts are in the history.\n",
};
