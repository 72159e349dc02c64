/*
 * graphql.h — the GraphQL calls sync makes: UpsertBucket (create / update
 * the run), CreateRunFiles (upload URLs), viewer { entity } and serverInfo
 * features.  Request bodies are built by pure functions, for tests.  Used
 * by sync.c.
 */
#ifndef TALLY_SYNC_GRAPHQL_H
#define TALLY_SYNC_GRAPHQL_H

#include <stdint.h>

#include "common/buf.h"
#include "sync/http.h"
#include "tally_store.h"

#define GQL_FEATURE_GZIP 0x1u /* FILESTREAM_GZIP */

/* config {"k": v, ...} as wandb stores it: {"k": {"value": v}, ...}. */
int gql_wrap_config(const char *config_json, buf *out);

/* The UpsertBucket request body for a run. */
int gql_upsert_body(buf *out, const tally_run_info *info, const char *config_json,
                    const char *entity, const char *project);

/* POSTs a GraphQL body to base/graphql; *data (cJSON *, free with
 * cJSON_Delete) is the answer's "data".  An "errors" array is a failure
 * (SYNC_EPROTO, or SYNC_EAUTH when it says so). */
int gql_call(http_client *h, const char *base, const char *body, void **data, char *err,
             size_t errsize);

/* Sends UpsertBucket; *history_lines gets historyLineCount (-1 if absent). */
int gql_upsert_bucket(http_client *h, const char *base, const char *body,
                      int64_t *history_lines, char *err, size_t errsize);

/* The key's default entity, malloc'd. */
int gql_viewer_entity(http_client *h, const char *base, char **entity, char *err,
                      size_t errsize);

/* GQL_FEATURE_* bits the server has enabled (0 when it cannot say). */
unsigned gql_server_features(http_client *h, const char *base);

typedef struct gql_upload {
    char *name, *url;
} gql_upload;

/* CreateRunFiles for names[0..n): upload URLs (same order as the answer)
 * and the headers to send with each PUT (NULL-terminated), all malloc'd;
 * free with gql_uploads_free. */
int gql_create_run_files(http_client *h, const char *base, const char *entity,
                         const char *project, const char *run, const char *const *names,
                         size_t n, gql_upload **uploads, size_t *nuploads, char ***headers,
                         char *err, size_t errsize);
void gql_uploads_free(gql_upload *uploads, size_t n, char **headers);

#endif
