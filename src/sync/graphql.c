/*
 * graphql.c — the W&B GraphQL operations sync needs (graphql.h): builds
 * the bodies, posts them to {base}/graphql, reads "data" and "errors".
 * Owns the query texts, which are the wandb client's, so a real or a
 * self-hosted W&B server reads them unchanged.  Called by sync.c.
 */
#include "sync/graphql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "sync/sync_error.h"

static const char upsert_query[] =
    "mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, "
    "$groupName: String, $description: String, $displayName: String, $notes: String, "
    "$commit: String, $config: JSONString, $host: String, $debug: Boolean, $program: String, "
    "$repo: String, $jobType: String, $state: String, $sweep: String, $tags: [String!], "
    "$summaryMetrics: JSONString) { upsertBucket(input: {id: $id, name: $name, groupName: "
    "$groupName, modelName: $project, entityName: $entity, description: $description, "
    "displayName: $displayName, notes: $notes, config: $config, commit: $commit, host: $host, "
    "debug: $debug, jobProgram: $program, jobRepo: $repo, jobType: $jobType, state: $state, "
    "sweep: $sweep, tags: $tags, summaryMetrics: $summaryMetrics}) { bucket { id name "
    "displayName description config sweepName project { id name entity { id name } } "
    "historyLineCount } inserted } }";

static const char create_files_query[] =
    "mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, "
    "$files: [String!]!) { createRunFiles(input: {entityName: $entity, projectName: $project, "
    "runName: $run, files: $files}) { runID uploadHeaders files { name uploadUrl } } }";

static const char viewer_query[] = "query Viewer { viewer { id entity } }";

static const char features_query[] =
    "query ServerFeatures { serverInfo { features { name isEnabled } } }";

int gql_wrap_config(const char *config_json, buf *out)
{
    cJSON *in = json_parse(config_json ? config_json : "{}");
    if (!cJSON_IsObject(in)) {
        cJSON_Delete(in);
        return TALLY_EJSON;
    }
    cJSON *wrapped = cJSON_CreateObject();
    int rc = wrapped ? TALLY_OK : TALLY_ENOMEM;
    while (!rc && in->child) {
        cJSON *item = cJSON_DetachItemViaPointer(in, in->child);
        cJSON *box = cJSON_CreateObject();
        if (!box) {
            cJSON_Delete(item);
            rc = TALLY_ENOMEM;
            break;
        }
        char *key = item->string;
        item->string = NULL;
        cJSON_AddItemToObject(box, "value", item);
        cJSON_AddItemToObject(wrapped, key, box);
        cJSON_free(key);
    }
    if (!rc)
        json_write(out, wrapped, JSON_BARE_NONFINITE);
    cJSON_Delete(wrapped);
    cJSON_Delete(in);
    return rc ? rc : out->oom ? TALLY_ENOMEM : TALLY_OK;
}

static void add_string(cJSON *vars, const char *name, const char *value)
{
    if (value && value[0])
        cJSON_AddStringToObject(vars, name, value);
}

int gql_upsert_body(buf *out, const tally_run_info *info, const char *config_json,
                    const char *entity, const char *project)
{
    buf config = BUF_INIT;
    int rc = gql_wrap_config(config_json, &config);
    cJSON *body = cJSON_CreateObject();
    cJSON *vars = cJSON_CreateObject();
    cJSON *git = json_parse(info->git_json);
    cJSON *command = json_parse(info->command_json);
    cJSON *tags = json_parse(info->tags_json ? info->tags_json : "[]");
    if (!body || !vars)
        rc = TALLY_ENOMEM;
    if (!rc) {
        add_string(vars, "name", info->id);
        add_string(vars, "project", project);
        add_string(vars, "entity", entity);
        add_string(vars, "groupName", info->group);
        add_string(vars, "displayName", info->name);
        add_string(vars, "notes", info->notes);
        add_string(vars, "host", info->host);
        add_string(vars, "jobType", info->job_type);
        add_string(vars, "config", buf_cstr(&config));
        cJSON *commit = cJSON_GetObjectItemCaseSensitive(git, "commit");
        cJSON *remote = cJSON_GetObjectItemCaseSensitive(git, "remote");
        add_string(vars, "commit", cJSON_GetStringValue(commit));
        add_string(vars, "repo", cJSON_GetStringValue(remote));
        if (cJSON_IsArray(command) && cJSON_GetArraySize(command) > 0)
            add_string(vars, "program", cJSON_GetStringValue(cJSON_GetArrayItem(command, 0)));
        cJSON *list = cJSON_AddArrayToObject(vars, "tags");
        cJSON *tag;
        cJSON_ArrayForEach(tag, tags)
        {
            if (cJSON_IsString(tag))
                cJSON_AddItemToArray(list, cJSON_CreateString(tag->valuestring));
        }
        cJSON_AddStringToObject(body, "query", upsert_query);
        cJSON_AddItemToObject(body, "variables", vars);
        vars = NULL;
        cJSON_AddStringToObject(body, "operationName", "UpsertBucket");
        buf_reset(out);
        json_write(out, body, JSON_BARE_NONFINITE);
        if (out->oom)
            rc = TALLY_ENOMEM;
    }
    cJSON_Delete(vars);
    cJSON_Delete(body);
    cJSON_Delete(git);
    cJSON_Delete(command);
    cJSON_Delete(tags);
    buf_free(&config);
    return rc;
}

static void first_error(const cJSON *errors, char *err, size_t errsize)
{
    const cJSON *e = cJSON_GetArrayItem(errors, 0);
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
    snprintf(err, errsize, "the server answered with an error: ");
    size_t used = strlen(err);
    for (size_t i = 0; msg && msg[i] && used + 1 < errsize && i < 200; i++)
        err[used++] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : ' ';
    err[used] = '\0';
}

int gql_call(http_client *h, const char *base, const char *body, void **data, char *err,
             size_t errsize)
{
    *data = NULL;
    buf url = BUF_INIT;
    buf_printf(&url, "%s/graphql", base);
    http_request req = {.method = "POST", .url = buf_cstr(&url), .body = body,
                        .len = strlen(body), .auth = 1};
    http_response resp = {0};
    int rc = http_send(h, &req, &resp, err, errsize);
    buf_free(&url);
    if (rc) {
        buf_free(&resp.body);
        return rc;
    }
    cJSON *doc = json_parse(buf_cstr(&resp.body));
    buf_free(&resp.body);
    cJSON *errors = cJSON_GetObjectItemCaseSensitive(doc, "errors");
    if (cJSON_IsArray(errors) && cJSON_GetArraySize(errors) > 0) {
        first_error(errors, err, errsize);
        rc = strstr(err, "permission") || strstr(err, "not logged in") ? SYNC_EAUTH
                                                                         : SYNC_EPROTO;
    } else if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "data"))) {
        snprintf(err, errsize, "the server's GraphQL answer has no data");
        rc = SYNC_EPROTO;
    }
    if (rc) {
        cJSON_Delete(doc);
        return rc;
    }
    cJSON *d = cJSON_DetachItemFromObjectCaseSensitive(doc, "data");
    cJSON_Delete(doc);
    *data = d;
    return TALLY_OK;
}

int gql_upsert_bucket(http_client *h, const char *base, const char *body,
                      int64_t *history_lines, char *err, size_t errsize)
{
    void *data;
    int rc = gql_call(h, base, body, &data, err, errsize);
    if (rc)
        return rc;
    cJSON *bucket = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(data, "upsertBucket"), "bucket");
    cJSON *lines = cJSON_GetObjectItemCaseSensitive(bucket, "historyLineCount");
    *history_lines = cJSON_IsNumber(lines) ? (int64_t)lines->valuedouble : -1;
    if (!cJSON_IsObject(bucket)) {
        snprintf(err, errsize, "UpsertBucket: the answer has no bucket");
        rc = SYNC_EPROTO;
    }
    cJSON_Delete(data);
    return rc;
}

static void simple_body(buf *out, const char *query, const char *op)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "query", query);
    cJSON_AddItemToObject(body, "variables", cJSON_CreateObject());
    cJSON_AddStringToObject(body, "operationName", op);
    json_write(out, body, JSON_BARE_NONFINITE);
    cJSON_Delete(body);
}

int gql_viewer_entity(http_client *h, const char *base, char **entity, char *err,
                      size_t errsize)
{
    *entity = NULL;
    buf body = BUF_INIT;
    simple_body(&body, viewer_query, "Viewer");
    void *data;
    int rc = gql_call(h, base, buf_cstr(&body), &data, err, errsize);
    buf_free(&body);
    if (rc)
        return rc;
    cJSON *viewer = cJSON_GetObjectItemCaseSensitive(data, "viewer");
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(viewer, "entity"));
    if (!viewer || cJSON_IsNull(viewer)) {
        snprintf(err, errsize, "the API key was refused (the server knows no user for it)");
        rc = SYNC_EAUTH;
    } else if (!name || !name[0]) {
        snprintf(err, errsize, "the server names no default entity: give --entity");
        rc = SYNC_EPROTO;
    } else {
        *entity = strdup(name);
        rc = *entity ? TALLY_OK : TALLY_ENOMEM;
    }
    cJSON_Delete(data);
    return rc;
}

unsigned gql_server_features(http_client *h, const char *base)
{
    buf body = BUF_INIT;
    simple_body(&body, features_query, "ServerFeatures");
    void *data;
    char err[256];
    int rc = gql_call(h, base, buf_cstr(&body), &data, err, sizeof err);
    buf_free(&body);
    if (rc)
        return 0; /* an older server without the field: plain bodies */
    unsigned bits = 0;
    cJSON *features = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(data, "serverInfo"), "features");
    cJSON *f;
    cJSON_ArrayForEach(f, features)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "name"));
        if (name && strcmp(name, "FILESTREAM_GZIP") == 0 &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "isEnabled")))
            bits |= GQL_FEATURE_GZIP;
    }
    cJSON_Delete(data);
    return bits;
}

void gql_uploads_free(gql_upload *uploads, size_t n, char **headers)
{
    for (size_t i = 0; uploads && i < n; i++) {
        free(uploads[i].name);
        free(uploads[i].url);
    }
    free(uploads);
    for (size_t i = 0; headers && headers[i]; i++)
        free(headers[i]);
    free(headers);
}

int gql_create_run_files(http_client *h, const char *base, const char *entity,
                         const char *project, const char *run, const char *const *names,
                         size_t n, gql_upload **uploads, size_t *nuploads, char ***headers,
                         char *err, size_t errsize)
{
    *uploads = NULL;
    *nuploads = 0;
    *headers = NULL;
    cJSON *body = cJSON_CreateObject();
    cJSON *vars = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "query", create_files_query);
    cJSON_AddStringToObject(vars, "entity", entity);
    cJSON_AddStringToObject(vars, "project", project);
    cJSON_AddStringToObject(vars, "run", run);
    cJSON *files = cJSON_AddArrayToObject(vars, "files");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(names[i]));
    cJSON_AddItemToObject(body, "variables", vars);
    cJSON_AddStringToObject(body, "operationName", "CreateRunFiles");
    buf text = BUF_INIT;
    json_write(&text, body, JSON_BARE_NONFINITE);
    cJSON_Delete(body);
    void *data;
    int rc = text.oom ? TALLY_ENOMEM : gql_call(h, base, buf_cstr(&text), &data, err, errsize);
    buf_free(&text);
    if (rc)
        return rc;
    cJSON *answer = cJSON_GetObjectItemCaseSensitive(data, "createRunFiles");
    cJSON *list = cJSON_GetObjectItemCaseSensitive(answer, "files");
    cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(answer, "uploadHeaders");
    size_t count = (size_t)cJSON_GetArraySize(list);
    size_t nh = (size_t)cJSON_GetArraySize(hdrs);
    gql_upload *up = calloc(count + 1, sizeof *up);
    char **hv = calloc(nh + 1, sizeof *hv);
    if (!up || !hv)
        rc = TALLY_ENOMEM;
    size_t k = 0;
    cJSON *f;
    cJSON_ArrayForEach(f, list)
    {
        if (rc)
            break;
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "name"));
        const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "uploadUrl"));
        if (!name || !url) {
            snprintf(err, errsize, "CreateRunFiles: a file without a name or an upload URL");
            rc = SYNC_EPROTO;
            break;
        }
        up[k].name = strdup(name);
        up[k].url = strdup(url);
        k++;
    }
    size_t j = 0;
    cJSON_ArrayForEach(f, hdrs)
    {
        if (!rc && cJSON_IsString(f) && hv)
            hv[j++] = strdup(f->valuestring);
    }
    if (!rc && k != n) {
        snprintf(err, errsize, "CreateRunFiles: asked for %zu upload URLs, got %zu", n, k);
        rc = SYNC_EPROTO;
    }
    cJSON_Delete(data);
    if (rc) {
        gql_uploads_free(up, k, hv);
        return rc;
    }
    *uploads = up;
    *nuploads = k;
    *headers = hv;
    return TALLY_OK;
}
