/*
 * fuzz_mediameta.c — a fuzz target for what the media read API parses out
 * of a run file (src/store/mediameta.c): an object's meta JSON and key, and
 * table files.  The input is "<type digit><key>\n<meta>"; the meta is also
 * parsed as a table file.  Checks: no crash or leak; only TALLY_ECORRUPT or
 * TALLY_ENOMEM on failure; on success every file path stays under media/
 * (no empty, "." or ".." folder, no control byte or backslash), the wandb
 * JSON and a plot's panel parse as strict JSON, a histogram has one more
 * edge than counts, and a table's cells are rows * columns JSON values.
 * Built by `make fuzz` (tests/fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "store/mediameta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_path(const char *p)
{
    check(p && strncmp(p, "media/", 6) == 0);
    for (const char *c = p;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        check(n > 0 && !(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.'));
        if (!slash)
            break;
        c = slash + 1;
    }
    for (const unsigned char *b = (const unsigned char *)p; *b; b++)
        check(*b >= 0x20 && *b != 0x7f && *b != '\\');
}

/* Strict JSON: cJSON's own parser, which takes no NaN tokens. */
static void check_json(const char *s)
{
    cJSON *v = cJSON_Parse(s);
    check(v != NULL);
    cJSON_Delete(v);
}

static void one_object(int type, const char *key, const char *meta)
{
    mediameta o = {0};
    int rc = mediameta_parse(&o, 1, key, 42, type, meta);
    check(rc == 0 || rc == TALLY_ECORRUPT || rc == TALLY_ENOMEM);
    if (rc == 0) {
        const tally_media *m = &o.m;
        check(m->wandb_json != NULL);
        check_json(m->wandb_json);
        for (size_t i = 0; i < m->nfiles; i++) {
            check_path(m->files[i].path);
            check(mediameta_is_sha256(m->files[i].sha256));
        }
        if (m->type == TALLY_MEDIA_PLOT) {
            check_json(m->panel_json);
            check_json(m->fields_json);
        }
        if (m->type == TALLY_MEDIA_HISTOGRAM) {
            tally_histogram h;
            int hr = tally_media_histogram(m, &h);
            check(hr == 0 || hr == TALLY_ENOMEM);
            if (hr == 0)
                check(h.nbins > 0 && h.counts && h.edges);
            tally_histogram_free(&h);
        }
    }
    mediameta_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int type = (text[0] - '0') % 9; /* 0 and 8: no such type */
    char *key = text + 1, *nl = strchr(key, '\n');
    const char *meta = "";
    if (nl) {
        *nl = '\0';
        meta = nl + 1;
    }
    one_object(type, key, meta);
    tally_table *t = NULL;
    int rc = mediameta_table_parse(meta, &t);
    check(rc == 0 || rc == TALLY_ECORRUPT || rc == TALLY_ENOMEM);
    if (rc == 0) {
        for (size_t i = 0; i < t->ncols; i++)
            check(t->columns[i] != NULL);
        for (size_t i = 0; i < t->nrows * t->ncols; i++) {
            cJSON *cell = t->cells[i] ? json_parse(t->cells[i]) : NULL;
            check(cell != NULL);
            cJSON_Delete(cell);
        }
    } else {
        check(t == NULL);
    }
    tally_table_free(t);
    free(text);
    return 0;
}
