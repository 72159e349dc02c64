/*
 * tablemodel.c — the table grid's model (see tablemodel.h).  Each cell is
 * turned into text once, when the table opens: plain numbers and strings
 * without escapes take a fast path, anything else goes through cJSON, so
 * a 10,000-row table opens in a few tens of milliseconds.
 */
#include "tui/tablemodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/numfmt.h"
#include "common/text.h"
#include "tally.h"

static int plain_string(const char *s, size_t n)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (s[i] == '\\' || s[i] == '"')
            return 0;
    return 1;
}

void tablemodel_cell_text(const char *json, buf *out, double *num, char **sha)
{
    *num = NAN;
    *sha = NULL;
    if (!json)
        return;
    size_t n = strlen(json);
    while (n && (json[n - 1] == ' ' || json[n - 1] == '\n'))
        n--;
    if (plain_string(json, n)) {
        buf_append(out, json + 1, n - 2);
        return;
    }
    if (n && (json[0] == '-' || (json[0] >= '0' && json[0] <= '9'))) {
        char *end;
        double v = strtod(json, &end);
        if ((size_t)(end - json) == n) {
            *num = v;
            char t[NUMFMT_MAX];
            buf_puts(out, numfmt_double(t, v));
            return;
        }
    }
    cJSON *j = json_parse(json);
    if (!j) {
        buf_append(out, json, n); /* shown sanitized, never interpreted */
        return;
    }
    if (cJSON_IsString(j)) {
        buf_puts(out, j->valuestring);
    } else if (cJSON_IsNumber(j)) {
        char t[NUMFMT_MAX];
        *num = j->valuedouble;
        buf_puts(out, numfmt_double(t, j->valuedouble));
    } else if (cJSON_IsNull(j)) {
        /* empty */
    } else if (cJSON_IsBool(j)) {
        buf_puts(out, cJSON_IsTrue(j) ? "true" : "false");
    } else {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "_type");
        const cJSON *hash = cJSON_GetObjectItemCaseSensitive(j, "sha256");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "image-file") == 0) {
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "width");
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "height");
            buf_printf(out, "[image %dx%d]", cJSON_IsNumber(w) ? w->valueint : 0,
                       cJSON_IsNumber(h) ? h->valueint : 0);
            if (cJSON_IsString(hash) && strlen(hash->valuestring) == 64)
                *sha = strdup(hash->valuestring);
        } else {
            char *s = json_print(j, JSON_BARE_NONFINITE);
            buf_puts(out, s ? s : "?");
            free(s);
        }
    }
    cJSON_Delete(j);
}

void tablemodel_free(tablemodel *t)
{
    if (t->header)
        for (size_t i = 0; i < t->ncols; i++)
            free(t->header[i]);
    if (t->text)
        for (size_t i = 0; i < t->ncols * t->nrows; i++)
            free(t->text[i]);
    if (t->image)
        for (size_t i = 0; i < t->ncols * t->nrows; i++)
            free(t->image[i]);
    free(t->header);
    free(t->text);
    free(t->num);
    free(t->image);
    free(t->width);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

int tablemodel_init(tablemodel *t, size_t ncols, size_t nrows, char *const *columns,
                    char *const *cells)
{
    memset(t, 0, sizeof *t);
    t->sort_col = -1;
    if (ncols == 0 || (nrows && !cells) || !columns || nrows > SIZE_MAX / ncols / 8)
        return ncols == 0 && nrows == 0 ? 0 : TALLY_EINVAL;
    size_t n = ncols * nrows;
    t->ncols = ncols;
    t->nrows = nrows;
    t->header = calloc(ncols, sizeof *t->header);
    t->width = calloc(ncols, sizeof *t->width);
    t->text = calloc(n + 1, sizeof *t->text);
    t->num = calloc(n + 1, sizeof *t->num);
    t->image = calloc(n + 1, sizeof *t->image);
    t->rows = calloc(nrows + 1, sizeof *t->rows);
    if (!t->header || !t->width || !t->text || !t->num || !t->image || !t->rows)
        goto fail;
    for (size_t c = 0; c < ncols; c++) {
        t->header[c] = strdup(columns[c] ? columns[c] : "");
        if (!t->header[c])
            goto fail;
        int w = text_width(t->header[c]) + 2; /* room for the sort mark */
        t->width[c] = w;
    }
    buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        buf_reset(&b);
        tablemodel_cell_text(cells[i], &b, &t->num[i], &t->image[i]);
        t->text[i] = strdup(buf_cstr(&b));
        if (!t->text[i]) {
            buf_free(&b);
            goto fail;
        }
        /* Widths from the first rows: a long table is not measured whole. */
        if (i / ncols < 2000) {
            int w = text_width(t->text[i]);
            if (w > t->width[i % ncols])
                t->width[i % ncols] = w;
        }
    }
    buf_free(&b);
    for (size_t c = 0; c < ncols; c++) {
        if (t->width[c] > TABLEMODEL_MAX_WIDTH)
            t->width[c] = TABLEMODEL_MAX_WIDTH;
        if (t->width[c] < 3)
            t->width[c] = 3;
    }
    for (size_t r = 0; r < nrows; r++)
        t->rows[r] = r;
    t->nshown = nrows;
    return 0;
fail:
    tablemodel_free(t);
    return TALLY_ENOMEM;
}

typedef struct sort_key {
    double num;
    const char *text;
    size_t row;
} sort_key;

static int key_cmp(const void *pa, const void *pb)
{
    const sort_key *a = pa, *b = pb;
    int an = !isnan(a->num), bn = !isnan(b->num);
    if (an && bn && a->num != b->num)
        return a->num < b->num ? -1 : 1;
    if (an != bn)
        return an ? -1 : 1; /* numbers before text */
    if (!an) {
        int c = strcasecmp(a->text, b->text);
        if (!c)
            c = strcmp(a->text, b->text);
        if (c)
            return c;
    }
    return a->row < b->row ? -1 : a->row > b->row; /* stable */
}

static int row_matches(const tablemodel *t, size_t r)
{
    if (!t->filter[0])
        return 1;
    for (size_t c = 0; c < t->ncols; c++)
        if (strcasestr(t->text[r * t->ncols + c], t->filter))
            return 1;
    return 0;
}

/* Rebuilds rows[] from the filter and the sort. */
static void rebuild(tablemodel *t)
{
    size_t n = 0;
    for (size_t r = 0; r < t->nrows; r++)
        if (row_matches(t, r))
            t->rows[n++] = r;
    t->nshown = n;
    if (t->sort_col < 0 || (size_t)t->sort_col >= t->ncols || n < 2)
        return;
    sort_key *k = malloc(n * sizeof *k);
    if (!k)
        return; /* shown unsorted rather than not at all */
    for (size_t i = 0; i < n; i++) {
        size_t cell = t->rows[i] * t->ncols + (size_t)t->sort_col;
        k[i] = (sort_key){t->num[cell], t->text[cell], t->rows[i]};
    }
    qsort(k, n, sizeof *k, key_cmp);
    for (size_t i = 0; i < n; i++)
        t->rows[i] = k[t->sort_desc ? n - 1 - i : i].row;
    free(k);
}

void tablemodel_sort(tablemodel *t, int col)
{
    if (col >= 0 && col == t->sort_col) {
        t->sort_desc = !t->sort_desc;
    } else {
        t->sort_col = col < 0 || (size_t)col >= t->ncols ? -1 : col;
        t->sort_desc = 0;
    }
    rebuild(t);
}

void tablemodel_filter(tablemodel *t, const char *text)
{
    snprintf(t->filter, sizeof t->filter, "%s", text ? text : "");
    rebuild(t);
}

size_t tablemodel_visible_cols(const tablemodel *t, size_t first, int w)
{
    size_t n = 0;
    int used = 0;
    for (size_t c = first; c < t->ncols; c++) {
        if (n > 0 && used + t->width[c] > w)
            break;
        used += t->width[c] + 1;
        n++;
    }
    return n;
}

void tablemodel_draw(const tablemodel *t, canvas *c, canvas_rect r, size_t first, size_t top,
                     size_t sel)
{
    if (r.h <= 0 || r.w <= 0)
        return;
    size_t nc = tablemodel_visible_cols(t, first, r.w);
    int x = r.x;
    for (size_t k = 0; k < nc; k++) {
        size_t col = first + k;
        int w = t->width[col];
        if (x + w > r.x + r.w)
            w = r.x + r.w - x;
        int used = canvas_text(c, x, r.y, w, t->header[col], CANVAS_CYAN, CANVAS_BOLD);
        if ((int)col == t->sort_col && used < w)
            canvas_text(c, x + used, r.y, w - used,
                        c->ascii ? (t->sort_desc ? "v" : "^")
                                 : (t->sort_desc ? "\xe2\x96\xbc" : "\xe2\x96\xb2"),
                        CANVAS_CYAN, CANVAS_BOLD);
        x += t->width[col] + 1;
    }
    for (int y = 1; y < r.h && top + (size_t)(y - 1) < t->nshown; y++) {
        size_t i = top + (size_t)(y - 1), row = t->rows[i];
        unsigned attr = i == sel ? CANVAS_REVERSE : 0;
        if (attr)
            canvas_fill(c, (canvas_rect){r.x, r.y + y, r.w, 1}, ' ', 0, attr);
        x = r.x;
        for (size_t k = 0; k < nc; k++) {
            size_t col = first + k;
            int w = t->width[col];
            if (x + w > r.x + r.w)
                w = r.x + r.w - x;
            size_t cell = row * t->ncols + col;
            int color = t->image[cell] ? CANVAS_MAGENTA : CANVAS_DEFAULT;
            /* Numbers right-aligned, text left; every text sanitized. */
            int tw = canvas_text_width(c, t->text[cell]);
            int pad = !isnan(t->num[cell]) && tw < w ? w - tw : 0;
            canvas_text(c, x + pad, r.y + y, w - pad, t->text[cell], color, attr);
            x += t->width[col] + 1;
        }
    }
}
