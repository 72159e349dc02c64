/*
 * gitinfo.c — git state for a run (see gitinfo.h).
 *
 * diff.patch travels the way every saved file does: it is written to a
 * private temporary directory under its own name, handed to
 * tally_save_file(), and the flusher is asked to take it at once, after
 * which the copy is removed.
 */
#include "capture/gitinfo.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/spawn.h"
#include "common/json.h"
#include "core/run_internal.h"

#define GITINFO_MAX_PATCH (32u << 20)
#define GITINFO_SAVE_WAIT_MS 10000

char *gitinfo_strip_url(const char *url)
{
    const char *scheme = strstr(url, "://");
    if (!scheme)
        return strdup(url);
    const char *host = scheme + 3;
    const char *slash = strchr(host, '/');
    const char *at = NULL;
    for (const char *p = host; *p && (!slash || p < slash); p++)
        if (*p == '@')
            at = p; /* the last '@' before the path ends the user part */
    if (!at)
        return strdup(url);
    size_t head = (size_t)(host - url), rest = strlen(at + 1);
    char *out = malloc(head + rest + 1);
    if (!out)
        return NULL;
    memcpy(out, url, head);
    memcpy(out + head, at + 1, rest + 1);
    return out;
}

/* One git command's output, trailing newline cut; NULL on failure. */
static char *git(const char *cwd, int timeout_ms, const char *const *args, size_t max,
                 size_t *len)
{
    const char *argv[12] = {"git", "--no-optional-locks", "-c", "core.quotepath=off"};
    size_t n = 4;
    for (; *args && n < 11; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    buf out = BUF_INIT;
    int truncated = 0;
    int rc = spawn_capture(argv, cwd, timeout_ms, max, &out, &truncated);
    if (rc != 0 || truncated) {
        buf_free(&out);
        return NULL;
    }
    while (out.len > 0 && out.data[out.len - 1] == '\n')
        out.data[--out.len] = '\0';
    if (len)
        *len = out.len;
    return buf_steal(&out);
}

int gitinfo_read(const char *cwd, int timeout_ms, gitinfo *out)
{
    memset(out, 0, sizeof *out);
    static const char *const a_commit[] = {"rev-parse", "HEAD", NULL};
    static const char *const a_root[] = {"rev-parse", "--show-toplevel", NULL};
    static const char *const a_branch[] = {"rev-parse", "--abbrev-ref", "HEAD", NULL};
    static const char *const a_remote[] = {"config", "--get", "remote.origin.url", NULL};
    static const char *const a_status[] = {"status", "--porcelain", "--untracked-files=no",
                                           NULL};
    static const char *const a_diff[] = {"diff", "HEAD", "--binary", NULL};

    char *commit = git(cwd, timeout_ms, a_commit, 4096, NULL);
    if (!commit)
        return TALLY_ENOTFOUND;
    char *root = git(cwd, timeout_ms, a_root, 1 << 16, NULL);
    char *branch = git(cwd, timeout_ms, a_branch, 4096, NULL);
    char *remote = git(cwd, timeout_ms, a_remote, 1 << 16, NULL);
    char *status = git(cwd, timeout_ms, a_status, 1 << 20, NULL);
    char *clean_remote = remote && remote[0] ? gitinfo_strip_url(remote) : NULL;
    int dirty = status && status[0];

    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "commit", commit);
    if (branch && strcmp(branch, "HEAD") != 0)
        cJSON_AddStringToObject(o, "branch", branch);
    if (clean_remote)
        cJSON_AddStringToObject(o, "remote", clean_remote);
    if (status)
        cJSON_AddBoolToObject(o, "dirty", dirty);
    if (root)
        cJSON_AddStringToObject(o, "root", root);
    out->json = json_print(o, JSON_BARE_NONFINITE);
    cJSON_Delete(o);
    if (dirty)
        out->patch = git(cwd, timeout_ms, a_diff, GITINFO_MAX_PATCH, &out->patch_len);
    free(commit);
    free(root);
    free(branch);
    free(remote);
    free(status);
    free(clean_remote);
    return out->json ? TALLY_OK : TALLY_ENOMEM;
}

void gitinfo_free(gitinfo *g)
{
    free(g->json);
    free(g->patch);
    memset(g, 0, sizeof *g);
}

static int save_patch(tally_run *run, const char *patch, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/tally-git-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return TALLY_EIO;
    snprintf(path, sizeof path, "%s/diff.patch", dir);
    int rc = TALLY_EIO;
    FILE *f = fopen(path, "wbx");
    if (f) {
        int ok = fwrite(patch, 1, len, f) == len;
        ok = fclose(f) == 0 && ok;
        if (ok)
            rc = tally_save_file(run, path);
        if (!rc)
            rc = flusher_flush(run, GITINFO_SAVE_WAIT_MS); /* read now, then removed */
        unlink(path);
    }
    rmdir(dir);
    return rc;
}

int gitinfo_record(tally_run *run, const gitinfo *g)
{
    int rc = run_set_text(run, "git", g->json);
    if (!rc && g->patch && g->patch_len > 0)
        rc = save_patch(run, g->patch, g->patch_len);
    return rc;
}
