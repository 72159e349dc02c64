/*
 * http.c — requests to a W&B server over libcurl (http.h).  Owns the curl
 * handle (kept across requests, so the connection is reused), the retry
 * loop and the gzip of request bodies.  Called by graphql.c, filestream.c
 * and sync.c.  Messages name the method and the URL's path only: never the
 * key, never a query string (upload URLs carry signatures).
 */
#include "sync/http.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "common/clock.h"
#include "sync/sync_error.h"
#include "tally.h"

#define RESPONSE_MAX (64u << 20)      /* answers beyond this are cut: nothing we need is big */
#define RETRY_AFTER_MAX_MS 300000L    /* a Retry-After is honoured up to 5 minutes */
#define ATTEMPT_MIN_MS 1000L          /* the shortest an attempt is cut to by the budget */

struct http_client {
    CURL *curl;
    http_config cfg;
    http_stats stats;
    uint64_t rng;
    char errbuf[CURL_ERROR_SIZE];
    long retry_after_ms; /* from the last answer, or -1 */
    int64_t failing_since; /* start of the first failed attempt since the last success or
                              http_budget_reset(), monotonic ns; 0 while all is well */
    http_response *resp; /* the answer being received */
};

long http_env_ms(const char *name, long fallback, long min)
{
    const char *v = getenv(name);
    if (!v || !v[0])
        return fallback;
    char *end;
    long n = strtol(v, &end, 10);
    return *end == '\0' && n >= min ? n : fallback;
}

void http_config_defaults(http_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->timeout_ms = http_env_ms("TALLY_SYNC_TIMEOUT_MS", 120000, 0);
    cfg->connect_timeout_ms = cfg->timeout_ms < 30000 ? cfg->timeout_ms : 30000;
    cfg->backoff_ms = http_env_ms("TALLY_SYNC_BACKOFF_MS", 250, 0);
    cfg->backoff_max_ms = http_env_ms("TALLY_SYNC_BACKOFF_MAX_MS", 30000, 0);
    cfg->retry_ms = http_env_ms("TALLY_SYNC_RETRY_MS", 300000, 0);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int http_client_new(const http_config *cfg, http_client **out)
{
    pthread_once(&curl_once, curl_init_once);
    http_client *c = calloc(1, sizeof *c);
    if (!c)
        return TALLY_ENOMEM;
    c->cfg = *cfg;
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return TALLY_ENOMEM;
    }
    c->rng = cfg->seed ? cfg->seed : (uint64_t)clock_mono_ns() ^ 0x9e3779b97f4a7c15ull;
    *out = c;
    return TALLY_OK;
}

void http_client_free(http_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

const http_stats *http_client_stats(const http_client *c) { return &c->stats; }

void http_budget_reset(http_client *c) { c->failing_since = 0; }

int http_status_retryable(long status)
{
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

static uint64_t next_random(uint64_t *s)
{
    /* splitmix64: small, good enough for jitter, no global state. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

long http_backoff_ms(int attempt, long base_ms, long cap_ms, long retry_after_ms, uint64_t *rng)
{
    if (base_ms < 1)
        base_ms = 1;
    if (cap_ms < base_ms)
        cap_ms = base_ms;
    long d = base_ms;
    for (int i = 0; i < attempt && d < cap_ms; i++)
        d = d > cap_ms / 2 ? cap_ms : d * 2;
    if (d > cap_ms)
        d = cap_ms;
    long half = d / 2;
    long delay = half + (long)(next_random(rng) % (uint64_t)(d - half + 1));
    if (retry_after_ms >= 0) {
        long ra = retry_after_ms < RETRY_AFTER_MAX_MS ? retry_after_ms : RETRY_AFTER_MAX_MS;
        if (delay < ra)
            delay = ra;
    }
    return delay;
}

long http_retry_after_ms(const char *value, double now_unix)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    char *end;
    double secs = strtod(value, &end);
    if (end != value && secs >= 0) {
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (*end == '\0')
            return secs > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : (long)(secs * 1000);
    }
    time_t when = curl_getdate(value, NULL);
    if (when < 0)
        return -1;
    double ms = ((double)when - now_unix) * 1000.0;
    return ms <= 0 ? 0 : ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : (long)ms;
}

char *http_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    buf b = BUF_INIT;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            buf_putc(&b, (char)ch);
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            buf_append(&b, esc, 3);
        }
    }
    return buf_steal(&b);
}

int http_gzip(const void *data, size_t n, buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip wrapper.  Level 1: JSON compresses well
     * even at the fastest level, and the CPU is the training's. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return TALLY_ENOMEM;
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    buf_reset(out);
    if (buf_reserve(out, bound) < 0) {
        deflateEnd(&z);
        return TALLY_ENOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)bound;
    int zrc = deflate(&z, Z_FINISH);
    out->len = z.total_out;
    deflateEnd(&z);
    return zrc == Z_STREAM_END ? TALLY_OK : TALLY_EIO;
}

/* ---- one attempt ---- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
    http_client *c = ctx;
    size_t n = size * nmemb;
    if (c->resp && c->resp->body.len + n <= RESPONSE_MAX)
        buf_append(&c->resp->body, p, n);
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
    http_client *c = ctx;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        char value[128];
        size_t len = n - (sizeof name - 1);
        if (len >= sizeof value)
            len = sizeof value - 1;
        memcpy(value, p + sizeof name - 1, len);
        value[len] = '\0';
        c->retry_after_ms = http_retry_after_ms(value, clock_wall());
    }
    return n;
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    http_client *c = ctx;
    (void)dt, (void)dn, (void)ut, (void)un;
    return c->cfg.cancel && atomic_load(c->cfg.cancel) ? 1 : 0;
}

/* The URL without its query string, for messages. */
static void url_for_humans(const char *url, char *out, size_t size)
{
    size_t n = strcspn(url, "?#");
    if (n >= size)
        n = size - 1;
    memcpy(out, url, n);
    out[n] = '\0';
}

typedef enum { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_FAIL } attempt_result;

static attempt_result attempt(http_client *c, const http_request *req, const void *body,
                              size_t len, int gzipped, long timeout_ms, http_response *resp,
                              int *code, char *err, size_t errsize)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    struct curl_slist *hdr = NULL;
    char line[256];
    snprintf(line, sizeof line, "Content-Type: %s",
             req->content_type ? req->content_type : "application/json");
    hdr = curl_slist_append(hdr, line);
    if (gzipped)
        hdr = curl_slist_append(hdr, "Content-Encoding: gzip");
    hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip */
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        hdr = curl_slist_append(hdr, req->headers[i]);

    char where[512];
    url_for_humans(req->url, where, sizeof where);
    buf_reset(&resp->body);
    resp->status = 0;
    c->resp = resp;
    c->retry_after_ms = -1;
    c->errbuf[0] = '\0';

    curl_easy_setopt(h, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->cfg.connect_timeout_ms < timeout_ms
                                                       ? c->cfg.connect_timeout_ms
                                                       : timeout_ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT,
                     c->cfg.user_agent ? c->cfg.user_agent : "tally/" TALLY_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (req->auth && c->cfg.api_key) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, "api");
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->cfg.api_key);
    }
    if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    c->stats.requests++;
    CURLcode cc = curl_easy_perform(h);
    c->resp = NULL;
    curl_slist_free_all(hdr);
    /* The key must not outlive the request in the handle. */
    curl_easy_setopt(h, CURLOPT_PASSWORD, "");

    if (cc != CURLE_OK) {
        const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
        snprintf(err, errsize, "%s %s: %s", req->method, where, why);
        switch (cc) {
        case CURLE_ABORTED_BY_CALLBACK: *code = SYNC_ECANCEL; return ATTEMPT_FAIL;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM: *code = SYNC_ETLS; return ATTEMPT_FAIL;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL: *code = TALLY_EINVAL; return ATTEMPT_FAIL;
        case CURLE_OUT_OF_MEMORY: *code = TALLY_ENOMEM; return ATTEMPT_FAIL;
        default: *code = SYNC_ENET; return ATTEMPT_RETRY;
        }
    }
    c->stats.bytes_out += (int64_t)len;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    if (resp->status >= 200 && resp->status < 300)
        return ATTEMPT_OK;
    if ((resp->status == 401 || resp->status == 403) && req->auth) {
        snprintf(err, errsize, "the API key was refused (HTTP %ld from %s %s)", resp->status,
                 req->method, where);
        *code = SYNC_EAUTH;
        return ATTEMPT_FAIL;
    }
    if (resp->status == 401 || resp->status == 403) {
        /* No key was sent (an upload URL): the URL itself was refused. */
        snprintf(err, errsize, "the upload URL was refused (HTTP %ld from %s %s)",
                 resp->status, req->method, where);
        *code = SYNC_EHTTP;
        return ATTEMPT_FAIL;
    }
    snprintf(err, errsize, "%s %s: HTTP %ld", req->method, where, resp->status);
    if (http_status_retryable(resp->status)) {
        *code = SYNC_ENET;
        return ATTEMPT_RETRY;
    }
    /* A short, printable piece of the server's own explanation helps. */
    size_t used = strlen(err);
    if (resp->body.len && used + 4 < errsize) {
        snprintf(err + used, errsize - used, ": ");
        used += 2;
        for (size_t i = 0; i < resp->body.len && used + 1 < errsize && i < 200; i++) {
            char ch = resp->body.data[i];
            err[used++] = ch >= 0x20 && ch < 0x7f ? ch : ' ';
        }
        err[used] = '\0';
    }
    *code = SYNC_EHTTP;
    return ATTEMPT_FAIL;
}

/* Sleeps ms, in slices, unless cancelled; 1 when cancelled. */
static int pause_ms(http_client *c, long ms)
{
    int64_t end = clock_mono_ns() + (int64_t)ms * 1000000;
    for (;;) {
        if (c->cfg.cancel && atomic_load(c->cfg.cancel))
            return 1;
        int64_t left = end - clock_mono_ns();
        if (left <= 0)
            return 0;
        if (left > 50000000)
            left = 50000000;
        struct timespec ts = {0, (long)left};
        nanosleep(&ts, NULL);
    }
}

int http_send(http_client *c, const http_request *req, http_response *resp, char *err,
              size_t errsize)
{
    if (!c || !req || !resp)
        return TALLY_EINVAL;
    const void *body = req->body;
    size_t len = req->len;
    buf packed = BUF_INIT;
    if (req->gzip && len) {
        int rc = http_gzip(req->body, req->len, &packed);
        if (rc) {
            buf_free(&packed);
            snprintf(err, errsize, "cannot compress a request body");
            return rc;
        }
        body = packed.data;
        len = packed.len;
    }
    /* The retry budget is the client's, not the request's: it runs from
     * the first failure since the last success, across requests, so a dead
     * server costs one budget per run (sync.c resets it), however many
     * requests the run would have made. */
    const int64_t budget_ns = (int64_t)c->cfg.retry_ms * 1000000;
    int code = TALLY_OK;
    for (int n = 0;; n++) {
        int64_t started = clock_mono_ns();
        long timeout_ms = c->cfg.timeout_ms;
        if (c->failing_since) {
            /* An attempt does not run (much) past the budget either. */
            int64_t left_ms = (c->failing_since + budget_ns - started) / 1000000;
            if (left_ms < ATTEMPT_MIN_MS)
                left_ms = ATTEMPT_MIN_MS;
            if (left_ms < timeout_ms)
                timeout_ms = (long)left_ms;
        }
        attempt_result r = attempt(c, req, body, len, req->gzip && req->len, timeout_ms, resp,
                                   &code, err, errsize);
        if (r == ATTEMPT_OK) {
            c->failing_since = 0;
            code = TALLY_OK;
            break;
        }
        if (r == ATTEMPT_FAIL)
            break;
        if (!c->failing_since)
            c->failing_since = started;
        long wait = http_backoff_ms(n, c->cfg.backoff_ms, c->cfg.backoff_max_ms,
                                    c->retry_after_ms, &c->rng);
        int64_t now = clock_mono_ns();
        if (now + (int64_t)wait * 1000000 > c->failing_since + budget_ns) {
            size_t used = strlen(err);
            snprintf(err + used, errsize - used,
                     " (gave up after %d attempt%s; failing for %.1f s)", n + 1,
                     n ? "s" : "", (double)(now - c->failing_since) / 1e9);
            break;
        }
        c->stats.retries++;
        if (pause_ms(c, wait)) {
            code = SYNC_ECANCEL;
            snprintf(err, errsize, "cancelled");
            break;
        }
    }
    buf_free(&packed);
    return code;
}
