/*
 * http.h — HTTP over libcurl for sync: one reusable connection, HTTP Basic
 * auth (user "api"), optional gzip bodies, and retries with jittered
 * exponential backoff that honours Retry-After.  Used by graphql.c,
 * filestream.c and sync.c; the backoff and gzip helpers are pure.
 */
#ifndef TALLY_SYNC_HTTP_H
#define TALLY_SYNC_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef struct http_config {
    const char *api_key;    /* password for user "api"; never logged; NULL: no auth */
    const char *user_agent; /* NULL: "tally/<version>" */
    long timeout_ms;        /* one attempt, whole transfer */
    long connect_timeout_ms;
    long backoff_ms;     /* first retry delay (before jitter) */
    long backoff_max_ms; /* cap of the exponential part */
    long retry_ms;       /* give up once requests kept failing this long (see http_send) */
    atomic_int *cancel;  /* nonzero aborts transfers and waits; may be NULL */
    uint64_t seed;       /* jitter; 0: from the clock */
} http_config;

/* The defaults above, overridden by $TALLY_SYNC_TIMEOUT_MS,
 * $TALLY_SYNC_BACKOFF_MS, $TALLY_SYNC_BACKOFF_MAX_MS, $TALLY_SYNC_RETRY_MS. */
void http_config_defaults(http_config *cfg);
/* A millisecond knob from the environment (the tests shorten waits with
 * them): its value when it is an integer >= min, else fallback. */
long http_env_ms(const char *name, long fallback, long min);

typedef struct http_request {
    const char *method; /* "POST", "PUT", "GET" */
    const char *url;
    const void *body;
    size_t len;
    int auth;                  /* send the API key */
    int gzip;                  /* compress the body, Content-Encoding: gzip */
    const char *content_type;  /* NULL: application/json */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
} http_request;

typedef struct http_response {
    long status;
    buf body;
} http_response;

typedef struct http_stats {
    int64_t requests; /* attempts made */
    int64_t retries;
    int64_t bytes_out; /* request bodies as sent (after gzip) */
} http_stats;

typedef struct http_client http_client;

int http_client_new(const http_config *cfg, http_client **out);
void http_client_free(http_client *c);
const http_stats *http_client_stats(const http_client *c);

/* Starts a fresh retry budget (sync.c: at the start of each run). */
void http_budget_reset(http_client *c);

/* Sends req, retrying what is worth retrying, until a final answer.  The
 * retry budget (cfg.retry_ms) is shared by the requests of the client: it
 * runs from the first failed attempt after the last success (or
 * http_budget_reset()), so a server that stays down costs one budget,
 * however many requests are tried; an attempt's timeout is cut to what is
 * left of it (but at least 1 s).
 * 0 with a 2xx response in *resp (the caller frees resp->body);
 * SYNC_EAUTH for 401/403, SYNC_EHTTP for another refusal, SYNC_ENET when
 * retries ran out, SYNC_ETLS, SYNC_ECANCEL.  err gets one line saying
 * what happened, without the key or any query string. */
int http_send(http_client *c, const http_request *req, http_response *resp, char *err,
              size_t errsize);

/* 1 for statuses worth retrying: 408, 429, 5xx. */
int http_status_retryable(long status);

/* The delay before retry number attempt (0-based): base * 2^attempt capped
 * at cap, with "equal jitter" (between half and all of it), and at least
 * retry_after_ms when the server asked (< 0: it did not). */
long http_backoff_ms(int attempt, long base_ms, long cap_ms, long retry_after_ms,
                     uint64_t *rng);

/* Retry-After as delay-seconds or an HTTP date, in ms from now; -1 when
 * absent or unreadable. */
long http_retry_after_ms(const char *value, double now_unix);

/* s percent-encoded for a URL path segment (all but A-Z a-z 0-9 - _ . ~),
 * malloc'd; NULL when out of memory. */
char *http_escape(const char *s);

/* gzip (RFC 1952) of data into out; 0 or TALLY_ENOMEM / TALLY_EIO. */
int http_gzip(const void *data, size_t n, buf *out);

#endif
