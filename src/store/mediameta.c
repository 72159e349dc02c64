/*
 * mediameta.c — the pure half of reading media objects (tally_store.h):
 * a media row's meta JSON to a tally_media with its files, their paths in
 * wandb's run directory (keys escaped so no path leaves media/) and the
 * wandb JSON of the object; histograms and table files parsed.  No SQLite:
 * media.c reads the rows and blobs and calls these; the fuzz target
 * tests/fuzz/fuzz_mediameta.c feeds them hostile meta and tables.
 */
#include "store/mediameta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/text.h"

const char *tally_media_type_name(int type)
{
    switch (type) {
    case TALLY_MEDIA_IMAGE: return "image";
    case TALLY_MEDIA_IMAGES: return "images";
    case TALLY_MEDIA_HISTOGRAM: return "histogram";
    case TALLY_MEDIA_TABLE: return "table";
    case TALLY_MEDIA_AUDIO: return "audio";
    case TALLY_MEDIA_VIDEO: return "video";
    case TALLY_MEDIA_PLOT: return "plot";
    }
    return NULL;
}

/* ---- paths ---- */

/* Appends one component of a key, escaped: a folder that is empty becomes
 * "_", one of dots only has each dot as %2e, and a byte below
 * 0x20, DEL, '\', a byte of malformed UTF-8 or of a terminal-unsafe code
 * point (C1, bidi controls) becomes %XX.  So a component is never "", "."
 * or "..", and never holds a byte a terminal or another OS acts on. */
static void path_component(buf *out, const char *s, size_t n, int last)
{
    /* The last one is followed by "_<step>_<sha20>": never empty or dots. */
    if (n == 0 && !last) {
        buf_putc(out, '_');
        return;
    }
    if (n > 0 && !last && strspn(s, ".") >= n) {
        for (size_t i = 0; i < n; i++)
            buf_puts(out, "%2e");
        return;
    }
    size_t i = 0;
    while (i < n) {
        uint32_t cp = 0;
        size_t len = utf8_decode(s + i, n - i, &cp);
        int bad = len == 0 || cp < 0x20 || cp == 0x7f || cp == '\\' || text_unsafe(cp);
        if (len == 0)
            len = 1;
        for (size_t k = 0; k < len; k++) {
            if (bad)
                buf_printf(out, "%%%02x", (unsigned char)s[i + k]);
            else
                buf_putc(out, s[i + k]);
        }
        i += len;
    }
}

void mediameta_path(buf *out, const char *dir, const char *key, int64_t step,
                       const char *sha256, const char *suffix)
{
    buf_puts(out, dir);
    if (key) {
        const char *p = key;
        for (;;) {
            const char *slash = strchr(p, '/');
            size_t n = slash ? (size_t)(slash - p) : strlen(p);
            path_component(out, p, n, !slash);
            if (!slash)
                break;
            buf_putc(out, '/');
            p = slash + 1;
        }
        buf_printf(out, "_%lld_", (long long)step);
    }
    buf_append(out, sha256, 20);
    buf_puts(out, suffix);
}

/* ---- decoding one object row ---- */


void mediameta_clear(mediameta *o)
{
    for (size_t i = 0; i < o->m.nfiles; i++)
        free((char *)o->files[i].path);
    cJSON_Delete(o->meta);
    free(o->key);
    free(o->meta_text);
    free(o->wandb);
    free(o->fields);
    free(o->panel);
    tally_media_file *files = o->files;
    size_t cap = o->capfiles;
    memset(o, 0, sizeof *o);
    o->files = files;
    o->capfiles = cap;
}

void mediameta_free(mediameta *o)
{
    mediameta_clear(o);
    free(o->files);
}

int mediameta_is_sha256(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* The formats a stored file may have; anything else is damage (a format
 * becomes a file name's extension). */
static const char *known_format(const char *f)
{
    static const char *const formats[] = {"png", "jpeg", "gif", "wav", "mp4",
                                          "webm", "ogg", "json"};
    for (size_t i = 0; f && i < sizeof formats / sizeof *formats; i++)
        if (strcmp(f, formats[i]) == 0)
            return formats[i];
    return NULL;
}

static double num_or(const cJSON *o, const char *name, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const char *str_or(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int clamp_int(double v)
{
    return v >= 0 && v <= 1e9 ? (int)v : 0;
}

/* Reads meta's "files" into o->files; 0 or TALLY_ECORRUPT. */
static int obj_files(mediameta *o)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(o->meta, "files");
    if (!cJSON_IsArray(files))
        return TALLY_ECORRUPT;
    size_t n = (size_t)cJSON_GetArraySize(files);
    if (n > o->capfiles) {
        tally_media_file *v = realloc(o->files, n * sizeof *v);
        if (!v)
            return TALLY_ENOMEM;
        o->files = v;
        o->capfiles = n;
    }
    size_t i = 0;
    for (const cJSON *f = files->child; f; f = f->next, i++) {
        const char *sha = str_or(f, "sha256"), *format = known_format(str_or(f, "format"));
        double size = num_or(f, "size", -1);
        if (!cJSON_IsObject(f) || !mediameta_is_sha256(sha) || !format || size < 0)
            return TALLY_ECORRUPT;
        tally_media_file *file = &o->files[i];
        memset(file, 0, sizeof *file);
        memcpy(file->sha256, sha, 65);
        file->size = (int64_t)size;
        file->format = format;
        file->width = clamp_int(num_or(f, "width", 0));
        file->height = clamp_int(num_or(f, "height", 0));
        file->caption = str_or(f, "caption");
        o->m.nfiles = i + 1; /* so obj_clear frees the paths set so far */
    }
    o->m.files = o->files;
    return TALLY_OK;
}

/* Gives each file its path in wandb's run directory. */
static int obj_paths(mediameta *o)
{
    for (size_t i = 0; i < o->m.nfiles; i++) {
        tally_media_file *f = &o->files[i];
        buf p = BUF_INIT;
        switch (o->m.type) {
        case TALLY_MEDIA_IMAGE:
        case TALLY_MEDIA_IMAGES:
            mediameta_path(&p, "media/images/", o->key, o->m.step, f->sha256, ".png");
            break;
        case TALLY_MEDIA_TABLE:
        case TALLY_MEDIA_PLOT:
            if (i == 0)
                mediameta_path(&p, "media/table/", o->key, o->m.step, f->sha256,
                                  ".table.json");
            else
                mediameta_path(&p, "media/images/", NULL, 0, f->sha256, ".png");
            break;
        case TALLY_MEDIA_AUDIO:
            mediameta_path(&p, "media/audio/", o->key, o->m.step, f->sha256, ".wav");
            break;
        case TALLY_MEDIA_VIDEO: {
            char ext[16];
            snprintf(ext, sizeof ext, ".%s", f->format);
            mediameta_path(&p, "media/videos/", o->key, o->m.step, f->sha256, ext);
            break;
        }
        default: break;
        }
        f->path = buf_steal(&p);
        if (!f->path)
            return TALLY_ENOMEM;
    }
    return TALLY_OK;
}

/* What each type needs of its files. */
static int obj_check_files(const mediameta *o)
{
    size_t n = o->m.nfiles;
    const tally_media_file *f = o->files;
    switch (o->m.type) {
    case TALLY_MEDIA_IMAGE: return n == 1 && strcmp(f[0].format, "png") == 0;
    case TALLY_MEDIA_IMAGES:
        for (size_t i = 0; i < n; i++)
            if (strcmp(f[i].format, "png") != 0)
                return 0;
        return n >= 1;
    case TALLY_MEDIA_HISTOGRAM: return 1;
    case TALLY_MEDIA_TABLE:
    case TALLY_MEDIA_PLOT:
        for (size_t i = 1; i < n; i++)
            if (strcmp(f[i].format, "png") != 0)
                return 0;
        return n >= 1 && strcmp(f[0].format, "json") == 0;
    case TALLY_MEDIA_AUDIO: return n == 1 && strcmp(f[0].format, "wav") == 0;
    case TALLY_MEDIA_VIDEO:
        return n == 1 && (strcmp(f[0].format, "gif") == 0 || strcmp(f[0].format, "mp4") == 0 ||
                          strcmp(f[0].format, "webm") == 0 || strcmp(f[0].format, "ogg") == 0);
    }
    return 0;
}

static void put_file_fields(buf *b, const tally_media_file *f)
{
    buf_puts(b, ",\"path\":");
    json_string(b, f->path);
    buf_puts(b, ",\"sha256\":");
    json_string(b, f->sha256);
    buf_printf(b, ",\"size\":%lld", (long long)f->size);
}

/* Appends a JSON array of numbers from meta's `name`; 0, or TALLY_ECORRUPT
 * when it is not one.  *n is its length. */
static int put_numbers(buf *b, const cJSON *meta, const char *name, size_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(meta, name);
    if (!cJSON_IsArray(a))
        return TALLY_ECORRUPT;
    *n = 0;
    buf_putc(b, '[');
    for (const cJSON *v = a->child; v; v = v->next) {
        if (!cJSON_IsNumber(v))
            return TALLY_ECORRUPT;
        if ((*n)++)
            buf_putc(b, ',');
        json_number(b, v->valuedouble, 0);
    }
    buf_putc(b, ']');
    return TALLY_OK;
}

/* wandb's panel id of a preset (the wandb.plot presets). */
static const char *preset_panel(const char *preset)
{
    static const char *const map[][2] = {
        {"line", "wandb/line/v0"},
        {"scatter", "wandb/scatter/v0"},
        {"bar", "wandb/bar/v0"},
        {"histogram", "wandb/histogram/v0"},
        {"line_series", "wandb/lineseries/v0"},
        {"confusion_matrix", "wandb/confusion_matrix/v1"},
        {"pr_curve", "wandb/area-under-curve/v0"},
        {"roc_curve", "wandb/area-under-curve/v0"}};
    for (size_t i = 0; preset && i < sizeof map / sizeof *map; i++)
        if (strcmp(preset, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

/* The config value _wandb.visualize.<chart> wandb writes for a custom
 * chart (wandb/plot/custom_chart.py): the panel, its field mapping, its
 * title and the query that reads the table logged under `table_key`. */
static char *panel_json(const char *preset, const char *panel_id, const char *fields,
                        const char *title, const char *table_key)
{
    buf b = BUF_INIT;
    buf_puts(&b, "{\"panel_type\":\"Vega2\",\"panel_config\":{\"panelDefId\":");
    json_string(&b, panel_id);
    buf_puts(&b, ",\"fieldSettings\":");
    buf_puts(&b, fields);
    buf_puts(&b, ",\"stringSettings\":{");
    if (title) {
        buf_puts(&b, "\"title\":");
        json_string(&b, title);
    }
    /* wandb.plot.pr_curve and roc_curve name their axes. */
    const char *axes = strcmp(preset, "pr_curve") == 0
                           ? "\"x-axis-title\":\"Recall\",\"y-axis-title\":\"Precision\""
                       : strcmp(preset, "roc_curve") == 0
                           ? "\"x-axis-title\":\"False positive rate\","
                             "\"y-axis-title\":\"True positive rate\""
                           : NULL;
    if (axes) {
        if (title)
            buf_putc(&b, ',');
        buf_puts(&b, axes);
    }
    buf_puts(&b, "},\"transform\":{\"name\":\"tableWithLeafColNames\"},\"userQuery\":"
                 "{\"queryFields\":[{\"name\":\"runSets\",\"args\":[{\"name\":\"runSets\","
                 "\"value\":\"${runSets}\"}],\"fields\":[{\"name\":\"id\",\"fields\":[]},"
                 "{\"name\":\"name\",\"fields\":[]},{\"name\":\"_defaultColorIndex\","
                 "\"fields\":[]},{\"name\":\"summaryTable\",\"args\":[{\"name\":\"tableKey\","
                 "\"value\":");
    json_string(&b, table_key);
    buf_puts(&b, "}],\"fields\":[]}]}]}}}");
    return buf_steal(&b);
}

/* The type-specific fields and the wandb JSON; 0 or TALLY_ECORRUPT. */
static int obj_describe(mediameta *o)
{
    tally_media *m = &o->m;
    const cJSON *meta = o->meta;
    const tally_media_file *f = o->files;
    buf b = BUF_INIT;
    int rc = TALLY_OK;
    if (m->nfiles > 0) {
        m->width = f[0].width;
        m->height = f[0].height;
    }
    switch (m->type) {
    case TALLY_MEDIA_IMAGE:
        buf_puts(&b, "{\"_type\":\"image-file\"");
        put_file_fields(&b, &f[0]);
        buf_printf(&b, ",\"format\":\"png\",\"width\":%d,\"height\":%d", f[0].width,
                   f[0].height);
        if (f[0].caption) {
            buf_puts(&b, ",\"caption\":");
            json_string(&b, f[0].caption);
        }
        buf_putc(&b, '}');
        break;
    case TALLY_MEDIA_IMAGES: {
        buf_printf(&b,
                   "{\"_type\":\"images/separated\",\"width\":%d,\"height\":%d,"
                   "\"format\":\"png\",\"count\":%zu,\"filenames\":[",
                   f[0].width, f[0].height, m->nfiles);
        int captions = 0;
        for (size_t i = 0; i < m->nfiles; i++) {
            if (i)
                buf_putc(&b, ',');
            json_string(&b, f[i].path);
            captions |= f[i].caption != NULL;
        }
        buf_putc(&b, ']');
        if (captions) {
            buf_puts(&b, ",\"captions\":[");
            for (size_t i = 0; i < m->nfiles; i++) {
                if (i)
                    buf_putc(&b, ',');
                json_string(&b, f[i].caption ? f[i].caption : "");
            }
            buf_putc(&b, ']');
        }
        buf_putc(&b, '}');
        break;
    }
    case TALLY_MEDIA_HISTOGRAM: {
        size_t nv = 0, nb = 0;
        buf_puts(&b, "{\"_type\":\"histogram\",\"values\":");
        rc = put_numbers(&b, meta, "values", &nv);
        buf_puts(&b, ",\"bins\":");
        if (!rc)
            rc = put_numbers(&b, meta, "bins", &nb);
        if (!rc && (nv == 0 || nb != nv + 1))
            rc = TALLY_ECORRUPT;
        buf_putc(&b, '}');
        break;
    }
    case TALLY_MEDIA_TABLE:
    case TALLY_MEDIA_PLOT:
        m->ncols = (int64_t)num_or(meta, "ncols", -1);
        m->nrows = (int64_t)num_or(meta, "nrows", -1);
        if (m->ncols < 0 || m->nrows < 0) {
            rc = TALLY_ECORRUPT;
            break;
        }
        buf_puts(&b, "{\"_type\":\"table-file\"");
        put_file_fields(&b, &f[0]);
        buf_printf(&b, ",\"ncols\":%lld,\"nrows\":%lld}", (long long)m->ncols,
                   (long long)m->nrows);
        if (m->type == TALLY_MEDIA_PLOT) {
            const cJSON *fields = cJSON_GetObjectItemCaseSensitive(meta, "fields");
            m->preset = str_or(meta, "preset");
            m->title = str_or(meta, "title");
            const char *panel = preset_panel(m->preset);
            if (!panel || !cJSON_IsObject(fields)) {
                rc = TALLY_ECORRUPT;
                break;
            }
            o->fields = json_print(fields, 0);
            o->panel = o->fields ? panel_json(m->preset, panel, o->fields, m->title, o->key) : NULL;
            if (!o->panel) {
                rc = TALLY_ENOMEM;
                break;
            }
            m->fields_json = o->fields;
            m->panel_json = o->panel;
        }
        break;
    case TALLY_MEDIA_AUDIO:
        m->sample_rate = clamp_int(num_or(meta, "sample_rate", 0));
        m->channels = clamp_int(num_or(meta, "channels", 0));
        m->duration = num_or(meta, "duration", 0);
        buf_puts(&b, "{\"_type\":\"audio-file\"");
        put_file_fields(&b, &f[0]);
        buf_printf(&b, ",\"sample_rate\":%d", m->sample_rate);
        if (f[0].caption) {
            buf_puts(&b, ",\"caption\":");
            json_string(&b, f[0].caption);
        }
        buf_putc(&b, '}');
        break;
    case TALLY_MEDIA_VIDEO:
        m->fps = num_or(meta, "fps", 0);
        m->nframes = clamp_int(num_or(meta, "nframes", 0));
        m->duration = num_or(meta, "duration", 0);
        if (!m->width)
            m->width = clamp_int(num_or(meta, "width", 0));
        if (!m->height)
            m->height = clamp_int(num_or(meta, "height", 0));
        buf_puts(&b, "{\"_type\":\"video-file\"");
        put_file_fields(&b, &f[0]);
        if (m->width)
            buf_printf(&b, ",\"width\":%d", m->width);
        if (m->height)
            buf_printf(&b, ",\"height\":%d", m->height);
        if (f[0].caption) {
            buf_puts(&b, ",\"caption\":");
            json_string(&b, f[0].caption);
        }
        buf_putc(&b, '}');
        break;
    }
    if (m->duration != m->duration || m->duration < 0)
        m->duration = 0;
    if (m->fps != m->fps || m->fps < 0)
        m->fps = 0;
    if (rc) {
        buf_free(&b);
        return rc;
    }
    o->wandb = buf_steal(&b);
    m->wandb_json = o->wandb;
    return o->wandb ? TALLY_OK : TALLY_ENOMEM;
}

int mediameta_parse(mediameta *o, int64_t metric_id, const char *key, int64_t step, int type,
                    const char *meta)
{
    mediameta_clear(o);
    tally_media *m = &o->m;
    m->metric_id = metric_id;
    m->step = step;
    m->type = (tally_media_type)type;
    o->key = strdup(key ? key : "");
    o->meta_text = strdup(meta ? meta : "");
    if (!o->key || !o->meta_text)
        return TALLY_ENOMEM;
    m->key = o->key;
    m->meta_json = o->meta_text;
    if (!meta || !tally_media_type_name(type))
        return TALLY_ECORRUPT;
    o->meta = json_parse(meta);
    if (!cJSON_IsObject(o->meta))
        return TALLY_ECORRUPT;
    int rc = obj_files(o);
    if (!rc && !obj_check_files(o))
        rc = TALLY_ECORRUPT;
    if (!rc)
        rc = obj_paths(o);
    if (!rc)
        rc = obj_describe(o);
    return rc;
}

/* ---- histograms ---- */

static int numbers(const cJSON *meta, const char *name, double **out, size_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(meta, name);
    if (!cJSON_IsArray(a))
        return TALLY_ECORRUPT;
    *n = (size_t)cJSON_GetArraySize(a);
    *out = malloc((*n ? *n : 1) * sizeof **out);
    if (!*out)
        return TALLY_ENOMEM;
    size_t i = 0;
    for (const cJSON *v = a->child; v; v = v->next) {
        if (!cJSON_IsNumber(v))
            return TALLY_ECORRUPT;
        (*out)[i++] = v->valuedouble;
    }
    return TALLY_OK;
}

void tally_histogram_free(tally_histogram *h)
{
    if (!h)
        return;
    free(h->counts);
    free(h->edges);
    memset(h, 0, sizeof *h);
}

int tally_media_histogram(const tally_media *media, tally_histogram *out)
{
    if (!out)
        return TALLY_EINVAL;
    memset(out, 0, sizeof *out);
    if (!media || !media->meta_json || media->type != TALLY_MEDIA_HISTOGRAM)
        return TALLY_EINVAL;
    cJSON *meta = json_parse(media->meta_json);
    size_t nv = 0, nb = 0;
    int rc = cJSON_IsObject(meta) ? TALLY_OK : TALLY_ECORRUPT;
    if (!rc)
        rc = numbers(meta, "values", &out->counts, &nv);
    if (!rc)
        rc = numbers(meta, "bins", &out->edges, &nb);
    if (!rc && (nv == 0 || nb != nv + 1))
        rc = TALLY_ECORRUPT;
    cJSON_Delete(meta);
    if (rc) {
        tally_histogram_free(out);
        return rc;
    }
    out->nbins = nv;
    return TALLY_OK;
}

/* ---- tables ---- */

void tally_table_free(tally_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->columns && i < t->ncols; i++)
        free(t->columns[i]);
    for (size_t i = 0; t->cells && i < t->ncols * t->nrows; i++)
        free(t->cells[i]);
    free(t->columns);
    free(t->cells);
    free(t);
}

/* An image cell gets the path wandb's run directory keeps its PNG at. */
static int cell_add_path(cJSON *cell)
{
    if (!cJSON_IsObject(cell))
        return TALLY_OK;
    const char *type = str_or(cell, "_type"), *sha = str_or(cell, "sha256");
    if (!type || strcmp(type, "image-file") != 0 || !mediameta_is_sha256(sha))
        return TALLY_OK;
    buf p = BUF_INIT;
    mediameta_path(&p, "media/images/", NULL, 0, sha, ".png");
    char *path = buf_steal(&p);
    cJSON *s = path ? cJSON_CreateString(path) : NULL;
    free(path);
    if (!s)
        return TALLY_ENOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(cell, "path");
    cJSON_AddItemToObject(cell, "path", s);
    return TALLY_OK;
}

int mediameta_table_parse(const char *json, tally_table **out)
{
    *out = NULL;
    cJSON *doc = json_parse(json);
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(doc, "columns");
    cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    int rc = cJSON_IsArray(cols) && cJSON_IsArray(data) ? TALLY_OK : TALLY_ECORRUPT;
    tally_table *t = rc ? NULL : calloc(1, sizeof *t);
    if (!rc && !t)
        rc = TALLY_ENOMEM;
    if (!rc) {
        t->ncols = (size_t)cJSON_GetArraySize(cols);
        size_t nrows = (size_t)cJSON_GetArraySize(data);
        t->columns = calloc(t->ncols ? t->ncols : 1, sizeof *t->columns);
        size_t ncells = t->ncols * nrows;
        t->cells = calloc(ncells > 0 ? ncells : 1, sizeof *t->cells);
        if (!t->columns || !t->cells)
            rc = TALLY_ENOMEM;
    }
    size_t i = 0;
    for (const cJSON *c = rc ? NULL : cols->child; c; c = c->next, i++) {
        t->columns[i] = cJSON_IsString(c) ? strdup(c->valuestring) : json_print(c, 0);
        if (!t->columns[i]) {
            rc = TALLY_ENOMEM;
            break;
        }
    }
    for (cJSON *row = rc ? NULL : data->child; row; row = row->next) {
        if (!cJSON_IsArray(row) || (size_t)cJSON_GetArraySize(row) != t->ncols) {
            rc = TALLY_ECORRUPT;
            break;
        }
        size_t k = 0;
        for (cJSON *cell = row->child; cell && !rc; cell = cell->next, k++) {
            rc = cell_add_path(cell);
            char *text = rc ? NULL : json_print(cell, JSON_BARE_NONFINITE);
            if (!rc && !text)
                rc = TALLY_ENOMEM;
            if (!rc)
                t->cells[t->nrows * t->ncols + k] = text;
        }
        if (rc)
            break;
        t->nrows++;
    }
    cJSON_Delete(doc);
    if (rc) {
        tally_table_free(t);
        return rc;
    }
    *out = t;
    return TALLY_OK;
}

