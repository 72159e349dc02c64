/*
 * filestream.c — building and sending file_stream requests (filestream.h).
 * Owns the batch (lines per file at their offsets, kept under the size
 * cap) and the wandb line formats for events, console output and the
 * summary.  History lines come from store/history.h, the form `tally
 * export` prints.  Called by sync.c.
 */
#include "sync/filestream.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/text.h"
#include "sync/sync_error.h"

const char *const fstream_file_names[FSTREAM_NFILES] = {
    "wandb-history.jsonl", "wandb-events.jsonl", "wandb-summary.json", "output.log"};

void fstream_batch_init(fstream_batch *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->cap = cap;
    fstream_batch_reset(b);
}

void fstream_batch_reset(fstream_batch *b)
{
    for (int i = 0; i < FSTREAM_NFILES; i++) {
        buf_reset(&b->part[i].lines);
        b->part[i].nlines = 0;
        b->part[i].offset = 0;
    }
    buf_reset(&b->uploaded);
    b->nuploaded = 0;
    b->reserved = 0;
    b->complete = 0;
    b->exitcode = 0;
    b->size = 0;
}

void fstream_batch_free(fstream_batch *b)
{
    for (int i = 0; i < FSTREAM_NFILES; i++)
        buf_free(&b->part[i].lines);
    buf_free(&b->uploaded);
}

int fstream_batch_empty(const fstream_batch *b)
{
    for (int i = 0; i < FSTREAM_NFILES; i++)
        if (b->part[i].nlines)
            return 0;
    return b->nuploaded == 0 && !b->complete;
}

static size_t digits(int64_t v)
{
    char tmp[32];
    return (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v);
}

/* The exact length fstream_body() will write. */
static size_t body_size(const fstream_batch *b)
{
    size_t n = strlen("{\"files\":{}}");
    int parts = 0;
    for (int i = 0; i < FSTREAM_NFILES; i++) {
        const fstream_part *p = &b->part[i];
        if (!p->nlines)
            continue;
        /* "name":{"offset":N,"content":[...]} */
        n += strlen(fstream_file_names[i]) + 2 + strlen(":{\"offset\":") + digits(p->offset) +
             strlen(",\"content\":[]}") + p->lines.len;
        parts++;
    }
    if (parts > 1)
        n += (size_t)parts - 1;
    if (b->nuploaded || b->reserved)
        n += strlen(",\"uploaded\":[]") + b->uploaded.len + b->reserved;
    if (b->complete)
        n += strlen(",\"complete\":true,\"exitcode\":") + digits(b->exitcode);
    return n;
}

int fstream_add(fstream_batch *b, int file, int64_t offset, const char *line, size_t len)
{
    return fstream_add_reserving(b, file, offset, line, len, 0);
}

int fstream_add_reserving(fstream_batch *b, int file, int64_t offset, const char *line,
                          size_t len, size_t reserve)
{
    fstream_part *p = &b->part[file];
    int was_empty = fstream_batch_empty(b);
    size_t mark = p->lines.len;
    if (p->nlines == 0)
        p->offset = offset;
    else
        buf_putc(&p->lines, ',');
    /* A line is one JSON string: the text escaped. */
    json_string_n(&p->lines, line, len);
    if (p->lines.oom)
        return TALLY_ENOMEM;
    p->nlines++;
    b->reserved += reserve;
    size_t size = body_size(b);
    if (size > b->cap && !was_empty) {
        p->nlines--;
        p->lines.len = mark;
        p->lines.data[mark] = '\0';
        b->reserved -= reserve;
        return FSTREAM_FULL;
    }
    b->size = size;
    return TALLY_OK;
}

size_t fstream_uploaded_cost(const char *name)
{
    buf tmp = BUF_INIT;
    json_string(&tmp, name);
    size_t n = tmp.len + 1; /* and its comma */
    buf_free(&tmp);
    return n;
}

void fstream_release(fstream_batch *b)
{
    b->reserved = 0;
    b->size = body_size(b);
}

int fstream_add_uploaded(fstream_batch *b, const char *name)
{
    if (b->nuploaded)
        buf_putc(&b->uploaded, ',');
    json_string(&b->uploaded, name);
    b->nuploaded++;
    b->size = body_size(b);
    return b->uploaded.oom ? TALLY_ENOMEM : TALLY_OK;
}

void fstream_set_complete(fstream_batch *b, int exitcode)
{
    b->complete = 1;
    b->exitcode = exitcode;
    b->size = body_size(b);
}

void fstream_body(const fstream_batch *b, buf *out)
{
    buf_reset(out);
    buf_reserve(out, body_size(b));
    buf_puts(out, "{\"files\":{");
    int first = 1;
    for (int i = 0; i < FSTREAM_NFILES; i++) {
        const fstream_part *p = &b->part[i];
        if (!p->nlines)
            continue;
        if (!first)
            buf_putc(out, ',');
        first = 0;
        buf_printf(out, "\"%s\":{\"offset\":%lld,\"content\":[", fstream_file_names[i],
                   (long long)p->offset);
        buf_append(out, p->lines.data, p->lines.len);
        buf_puts(out, "]}");
    }
    buf_putc(out, '}');
    if (b->nuploaded) {
        buf_puts(out, ",\"uploaded\":[");
        buf_append(out, b->uploaded.data, b->uploaded.len);
        buf_putc(out, ']');
    }
    if (b->complete)
        buf_printf(out, ",\"complete\":true,\"exitcode\":%d", b->exitcode);
    buf_putc(out, '}');
}

/* ---- line formats ---- */

void fstream_events_line(buf *out, const tally_history_row *row, double start_time)
{
    double runtime = (double)row->x / 1000.0;
    buf_puts(out, "{\"_wandb\":true,\"_timestamp\":");
    json_number(out, start_time + runtime, JSON_BARE_NONFINITE);
    buf_puts(out, ",\"_runtime\":");
    json_number(out, runtime, JSON_BARE_NONFINITE);
    for (size_t k = 0; k < row->nset; k++) {
        const tally_history_cell *c = &row->cells[row->set[k]];
        if (c->kind != 1)
            continue;
        const char *name = c->metric->name;
        buf_putc(out, ',');
        if (strncmp(name, "system.", 7) == 0) {
            json_string(out, name);
        } else {
            /* wandb's system metrics are all "system.<name>". */
            buf tmp = BUF_INIT;
            buf_printf(&tmp, "system.%s", strncmp(name, "system/", 7) == 0 ? name + 7 : name);
            json_string(out, buf_cstr(&tmp));
            buf_free(&tmp);
        }
        buf_putc(out, ':');
        json_number(out, c->y, JSON_BARE_NONFINITE);
    }
    buf_putc(out, '}');
}

void fstream_output_line(buf *out, double t, int stream, const char *text)
{
    time_t secs = (time_t)floor(t);
    long micros = (long)((t - (double)secs) * 1e6);
    if (micros < 0)
        micros = 0;
    if (micros > 999999)
        micros = 999999;
    struct tm tm;
    char stamp[40] = "1970-01-01T00:00:00";
    if (gmtime_r(&secs, &tm))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    if (stream == 2)
        buf_puts(out, "ERROR ");
    buf_printf(out, "%s.%06ld ", stamp, micros);
    size_t n = strlen(text);
    if (utf8_valid(text, n) && !memchr(text, '\n', n)) {
        buf_append(out, text, n);
    } else {
        /* One line a line, and valid UTF-8 so the JSON string is valid. */
        text_sanitize(out, text, n, TEXT_KEEP_TAB);
    }
}

int fstream_summary_line(buf *out, const char *summary_json, const tally_run_info *info)
{
    cJSON *s = json_parse(summary_json ? summary_json : "{}");
    if (!cJSON_IsObject(s)) {
        cJSON_Delete(s);
        return TALLY_EJSON;
    }
    if (info && info->rows > 0 && !cJSON_GetObjectItemCaseSensitive(s, "_step"))
        cJSON_AddNumberToObject(s, "_step", (double)info->last_step);
    if (info && info->end_time > 0) {
        if (!cJSON_GetObjectItemCaseSensitive(s, "_runtime"))
            cJSON_AddNumberToObject(s, "_runtime", info->end_time - info->start_time);
        if (!cJSON_GetObjectItemCaseSensitive(s, "_timestamp"))
            cJSON_AddNumberToObject(s, "_timestamp", info->end_time);
    }
    json_write(out, s, JSON_BARE_NONFINITE);
    cJSON_Delete(s);
    return out->oom ? TALLY_ENOMEM : TALLY_OK;
}

/* ---- sending ---- */

int fstream_send(http_client *h, const char *base, const char *entity, const char *project,
                 const char *run, const fstream_batch *b, int gzip, int *stopped, char *err,
                 size_t errsize)
{
    buf url = BUF_INIT, body = BUF_INIT;
    char *e = http_escape(entity), *p = http_escape(project), *r = http_escape(run);
    buf_printf(&url, "%s/files/%s/%s/%s/file_stream", base, e ? e : "", p ? p : "",
               r ? r : "");
    free(e);
    free(p);
    free(r);
    fstream_body(b, &body);
    int rc = url.oom || body.oom ? TALLY_ENOMEM : TALLY_OK;
    http_response resp = {0};
    if (!rc) {
        http_request req = {.method = "POST", .url = buf_cstr(&url), .body = body.data,
                            .len = body.len, .auth = 1, .gzip = gzip};
        rc = http_send(h, &req, &resp, err, errsize);
    }
    if (!rc) {
        cJSON *answer = json_parse(buf_cstr(&resp.body));
        if (stopped)
            *stopped = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "stopped"));
        cJSON_Delete(answer);
    }
    buf_free(&resp.body);
    buf_free(&body);
    buf_free(&url);
    return rc;
}
