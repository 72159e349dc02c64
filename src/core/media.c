/*
 * media.c — the media logging calls (tally_log_image, _images, _histogram,
 * _histogram_bins, _table, _table_images, _audio, _video, _plot), on the
 * caller's thread: every argument is checked here, so a bad one gets its
 * code and one warning and nothing is staged; what is kept is copied into a
 * media_job (media_job.h) and staged like a value (log.c).  No encoding
 * here: the flusher does it (media_encode.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errcode.h"
#include "common/json.h"
#include "common/text.h"
#include "core/media_job.h"
#include "core/run_internal.h"
#include "media/media.h"

/* A refusal: its code and the warning's words (a static string). */
typedef struct verdict {
    int rc;
    const char *why;
} verdict;

static int refuse(verdict *v, int rc, const char *why)
{
    v->rc = rc;
    v->why = why;
    return rc;
}

void media_job_free(media_job *job)
{
    if (!job)
        return;
    for (size_t i = 0; i < job->nparts; i++) {
        free(job->parts[i].data);
        free(job->parts[i].caption);
        buf_free(&job->parts[i].out);
    }
    free(job->parts);
    free(job->counts);
    free(job->edges);
    cJSON_Delete(job->table);
    free(job->chart);
    free(job->preset);
    free(job->fields_json);
    free(job->title);
    free(job->meta);
    free(job);
}

static media_job *job_new(int type, size_t nparts)
{
    media_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->type = type;
    job->bytes = sizeof *job;
    if (nparts) {
        job->parts = calloc(nparts, sizeof *job->parts);
        if (!job->parts) {
            free(job);
            return NULL;
        }
        job->nparts = nparts;
        job->bytes += nparts * sizeof *job->parts;
    }
    return job;
}

/* ---- copy buffers ----
 *
 * A big copy into fresh malloc'd memory costs its page faults, several
 * times the copy itself: glibc hands freed big blocks back to the kernel.
 * So the flusher gives the buffers it has encoded back to the run, and the
 * next copy of about the same size takes one.  Bounded by MEDIA_POOL_MAX. */

void *media_buf_get(tally_run *run, size_t size, size_t *cap)
{
    *cap = 0;
    if (size < MEDIA_POOL_MIN)
        return malloc(size ? size : 1);
    void *data = NULL;
    pthread_mutex_lock(&run->pool_mu);
    for (size_t i = run->pool.n; i-- > 0;) {
        media_buf *b = &run->pool.v[i];
        if (b->cap >= size && b->cap / 2 <= size) { /* not a much bigger one */
            data = b->data;
            *cap = b->cap;
            run->pool_bytes -= b->cap;
            *b = run->pool.v[--run->pool.n];
            break;
        }
    }
    pthread_mutex_unlock(&run->pool_mu);
    if (!data && (data = malloc(size)))
        *cap = size;
    return data;
}

void media_buf_put(tally_run *run, void *data, size_t cap)
{
    pthread_mutex_lock(&run->pool_mu);
    while (run->pool_bytes + cap > MEDIA_POOL_MAX && run->pool.n > 0) {
        free(run->pool.v[0].data); /* the oldest goes */
        run->pool_bytes -= run->pool.v[0].cap;
        run->pool.v[0] = run->pool.v[--run->pool.n];
    }
    media_buf b = {data, cap};
    if (cap <= MEDIA_POOL_MAX && VEC_PUSH(run->pool, b) == 0) {
        run->pool_bytes += cap;
        data = NULL;
    }
    pthread_mutex_unlock(&run->pool_mu);
    free(data);
}

void media_pool_free(tally_run *run)
{
    for (size_t i = 0; i < run->pool.n; i++)
        free(run->pool.v[i].data);
    free(run->pool.v);
    run->pool.v = NULL;
    run->pool.n = run->pool.cap = 0;
    run->pool_bytes = 0;
}

/* Copies n bytes (the caller may free its own on return). */
static int copy_bytes(tally_run *run, media_part *p, const void *data, size_t n, verdict *v)
{
    p->data = media_buf_get(run, n, &p->cap);
    if (!p->data)
        return refuse(v, TALLY_ENOMEM, "out of memory");
    memcpy(p->data, data, n);
    p->size = n;
    return TALLY_OK;
}

static int copy_caption(media_part *p, const char *caption, verdict *v)
{
    if (!caption)
        return TALLY_OK;
    if (!utf8_valid(caption, strlen(caption)))
        return refuse(v, TALLY_EUTF8, "a caption is not valid UTF-8");
    p->caption = strdup(caption);
    return p->caption ? TALLY_OK : refuse(v, TALLY_ENOMEM, "out of memory");
}

/* Reads a file whole on the caller's thread, as wandb does: a missing or
 * unreadable one is the caller's error now, and later edits do not matter. */
static int read_path(const char *path, media_part *p, verdict *v)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return refuse(v, errcode_from_errno(errno) == TALLY_EACCES ? TALLY_EACCES
                                                                   : TALLY_ENOTFOUND,
                      "the file cannot be opened");
    struct stat st;
    int rc = TALLY_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = refuse(v, TALLY_EMEDIA, "the path is not a regular file");
    } else if ((uint64_t)st.st_size > TALLY_MEDIA_MAX_BYTES) {
        rc = refuse(v, TALLY_ETOOBIG, "the file is over TALLY_MEDIA_MAX_BYTES");
    } else if (st.st_size == 0) {
        rc = refuse(v, TALLY_EMEDIA, "the file is empty");
    } else {
        size_t n = (size_t)st.st_size, got = 0;
        p->data = malloc(n);
        if (!p->data)
            rc = refuse(v, TALLY_ENOMEM, "out of memory");
        while (!rc && got < n) {
            ssize_t r = read(fd, (char *)p->data + got, n - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                rc = refuse(v, TALLY_EIO, "the file cannot be read");
                break;
            }
            got += (size_t)r;
        }
        p->size = got;
    }
    close(fd);
    return rc;
}

/* Encoded bytes, as given or read from a path: data is copied. */
static int bytes_part(tally_run *run, const void *data, size_t size, const char *path,
                      media_part *p, verdict *v)
{
    if (data) {
        if (size == 0)
            return refuse(v, TALLY_EMEDIA, "no bytes given (size 0)");
        if (size > TALLY_MEDIA_MAX_BYTES)
            return refuse(v, TALLY_ETOOBIG, "the bytes are over TALLY_MEDIA_MAX_BYTES");
        return copy_bytes(run, p, data, size, v);
    }
    if (path)
        return read_path(path, p, v);
    return refuse(v, TALLY_EINVAL, "no pixels, bytes or path given");
}

/* The size checks common to images and video frames. */
static int check_raster(int width, int height, int channels, int sample, verdict *v)
{
    if (width <= 0 || height <= 0)
        return refuse(v, TALLY_EMEDIA, "width and height must be positive");
    if (width > TALLY_MEDIA_MAX_SIDE || height > TALLY_MEDIA_MAX_SIDE)
        return refuse(v, TALLY_ETOOBIG, "wider or taller than TALLY_MEDIA_MAX_SIDE");
    if (channels != 1 && channels != 3 && channels != 4)
        return refuse(v, TALLY_EMEDIA, "channels must be 1, 3 or 4");
    if (sample != TALLY_SAMPLE_U8 && sample != TALLY_SAMPLE_F32)
        return refuse(v, TALLY_EMEDIA, "sample must be TALLY_SAMPLE_U8 or TALLY_SAMPLE_F32");
    return TALLY_OK;
}

static int has_nan(const float *f, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= isnan(f[i]);
    return bad;
}

/* One image, checked and copied into p (an image, a gallery's image, a
 * table cell).  Raw pixels are packed (stride dropped); encoded bytes are
 * sniffed and their header parsed; the flusher decodes them again. */
static int image_part(tally_run *run, const tally_image *im, media_part *p, verdict *v)
{
    if (!im)
        return refuse(v, TALLY_EINVAL, "a NULL image");
    int rc = TALLY_OK;
    if (im->pixels) {
        if ((rc = check_raster(im->width, im->height, im->channels, im->sample, v)))
            return rc;
        size_t ss = im->sample == TALLY_SAMPLE_F32 ? sizeof(float) : 1;
        size_t row = (size_t)im->width * (size_t)im->channels * ss;
        size_t stride = im->stride ? im->stride : row;
        if (stride < row)
            return refuse(v, TALLY_EMEDIA, "the stride is smaller than a row");
        if (row * (size_t)im->height > TALLY_MEDIA_MAX_BYTES)
            return refuse(v, TALLY_ETOOBIG, "the pixels are over TALLY_MEDIA_MAX_BYTES");
        size_t n = row * (size_t)im->height;
        if (stride == row) {
            rc = copy_bytes(run, p, im->pixels, n, v);
        } else {
            p->data = media_buf_get(run, n, &p->cap);
            if (!p->data)
                return refuse(v, TALLY_ENOMEM, "out of memory");
            for (int y = 0; y < im->height; y++)
                memcpy((char *)p->data + (size_t)y * row,
                       (const char *)im->pixels + (size_t)y * stride, row);
            p->size = n;
        }
        if (rc)
            return rc;
        if (ss != 1 && has_nan(p->data, n / sizeof(float)))
            return refuse(v, TALLY_EMEDIA, "NaN in the pixels");
        p->src = ss == 1 ? MEDIA_SRC_U8 : MEDIA_SRC_F32;
        p->width = im->width;
        p->height = im->height;
        p->channels = im->channels;
    } else {
        if ((rc = bytes_part(run, im->data, im->size, im->path, p, v)))
            return rc;
        media_format fmt = media_sniff(p->data, p->size);
        if (fmt != MEDIA_FMT_PNG && fmt != MEDIA_FMT_JPEG)
            return refuse(v, TALLY_EMEDIA, "the bytes are not a PNG or JPEG image");
        int w = 0, h = 0;
        rc = media_image_size(p->data, p->size, &w, &h);
        if (rc)
            return refuse(v, rc, "the image header cannot be read");
        if (w <= 0 || h <= 0)
            return refuse(v, TALLY_EMEDIA, "the image header gives no size");
        if (w > TALLY_MEDIA_MAX_SIDE || h > TALLY_MEDIA_MAX_SIDE ||
            (uint64_t)w * (uint64_t)h * 4 > TALLY_MEDIA_MAX_BYTES)
            return refuse(v, TALLY_ETOOBIG, "the image is over TALLY_MEDIA_MAX_SIDE or _BYTES");
        p->src = MEDIA_SRC_IMAGE;
        p->width = w;
        p->height = h;
    }
    return copy_caption(p, im->caption, v);
}

/* The key checks every call makes first: the key a logging call may use. */
static int check_key(const char *key, verdict *v)
{
    int rc = key_check(key, NULL);
    if (rc)
        return refuse(v, rc, rc == TALLY_EKEY ? "the key is empty, too long or not UTF-8"
                                              : "a NULL key");
    if (key_reserved(key))
        return refuse(v, TALLY_EKEY, "the key is reserved (_step, _runtime, _timestamp)");
    return TALLY_OK;
}

/* Stages a checked job, or reports why it was refused: one warning, the
 * job freed, the rest of the step untouched. */
static int submit(tally_run *run, const char *key, media_job *job, const verdict *v)
{
    int rc = v->rc;
    if (!rc && !job)
        rc = TALLY_ENOMEM;
    if (rc) {
        media_job_free(job);
        run_warn(run, rc, "%s: not logged (%s)", v->why ? v->why : "out of memory",
                 tally_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < job->nparts; i++)
        job->bytes += job->parts[i].size;
    rc = run_stage_media(run, key, job);
    if (rc == TALLY_EKEY)
        run_warn(run, rc, "the key is reserved for a sample series: not logged (%s)",
                 tally_strerror(rc));
    return rc;
}

/* ---- images ---- */

static int log_images(tally_run *run, const char *key, const tally_image *images, size_t n,
                      int type)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    verdict v = {0, NULL};
    media_job *job = NULL;
    if (check_key(key, &v) == 0) {
        if (!images)
            refuse(&v, TALLY_EINVAL, "a NULL image");
        else if (n == 0 || n > TALLY_GALLERY_MAX)
            refuse(&v, TALLY_EINVAL, "a gallery holds 1 to TALLY_GALLERY_MAX images");
        else if (!(job = job_new(type, n)))
            refuse(&v, TALLY_ENOMEM, "out of memory");
        size_t total = 0;
        for (size_t i = 0; job && i < n && !v.rc; i++)
            if (image_part(run, &images[i], &job->parts[i], &v) == 0 &&
                (total += job->parts[i].size) > TALLY_MEDIA_MAX_BYTES)
                refuse(&v, TALLY_ETOOBIG, "the gallery is over TALLY_MEDIA_MAX_BYTES");
    }
    return submit(run, key, job, &v);
}

int tally_log_image(tally_run *run, const char *key, const tally_image *image)
{
    return log_images(run, key, image, 1, TALLY_MEDIA_IMAGE);
}

int tally_log_images(tally_run *run, const char *key, const tally_image *images, size_t n)
{
    return log_images(run, key, images, n, TALLY_MEDIA_IMAGES);
}

/* ---- histograms ---- */

static media_job *histogram_job(size_t nbins, verdict *v)
{
    media_job *job = job_new(TALLY_MEDIA_HISTOGRAM, 0);
    if (job) {
        job->nbins = nbins;
        job->counts = malloc(nbins * sizeof *job->counts);
        job->edges = malloc((nbins + 1) * sizeof *job->edges);
        job->bytes += (2 * nbins + 1) * sizeof(double);
    }
    if (!job || !job->counts || !job->edges) {
        media_job_free(job);
        refuse(v, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    return job;
}

int tally_log_histogram(tally_run *run, const char *key, const double *values, size_t n,
                        int num_bins)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    verdict v = {0, NULL};
    media_job *job = NULL;
    size_t skipped = 0;
    if (check_key(key, &v) == 0) {
        int nbins = num_bins == 0 ? TALLY_HISTOGRAM_BINS : num_bins;
        if (!values && n)
            refuse(&v, TALLY_EINVAL, "NULL values");
        else if (nbins < 1 || nbins > TALLY_HISTOGRAM_MAX_BINS)
            refuse(&v, TALLY_EMEDIA, "num_bins must be 0 (64) or 1..512");
        else if (n == 0)
            refuse(&v, TALLY_EMEDIA, "no values");
        else if ((job = histogram_job((size_t)nbins, &v))) {
            int rc = media_histogram(values, n, nbins, job->counts, job->edges, &skipped);
            if (rc)
                refuse(&v, rc, rc == TALLY_EMEDIA ? "no finite value" : "out of memory");
            job->skipped = skipped;
        }
    }
    int rc = submit(run, key, job, &v);
    if (rc == TALLY_OK && skipped)
        run_warn(run, TALLY_EMEDIA, "histogram %s: %zu NaN or infinite values left out", key,
                 skipped);
    return rc;
}

int tally_log_histogram_bins(tally_run *run, const char *key, const double *counts,
                             size_t nbins, const double *edges)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    verdict v = {0, NULL};
    media_job *job = NULL;
    if (check_key(key, &v) == 0) {
        if (!counts || !edges)
            refuse(&v, TALLY_EINVAL, "NULL counts or edges");
        else if (nbins < 1 || nbins > TALLY_HISTOGRAM_MAX_BINS)
            refuse(&v, TALLY_EMEDIA, "a histogram has 1..512 bins");
        for (size_t i = 0; !v.rc && i < nbins; i++)
            if (!isfinite(counts[i]) || counts[i] < 0)
                refuse(&v, TALLY_EMEDIA, "a count is negative, NaN or infinite");
        for (size_t i = 0; !v.rc && i <= nbins; i++)
            if (!isfinite(edges[i]) || (i > 0 && !(edges[i] > edges[i - 1])))
                refuse(&v, TALLY_EMEDIA, "the edges are not finite and increasing");
        if (!v.rc && (job = histogram_job(nbins, &v))) {
            memcpy(job->counts, counts, nbins * sizeof *counts);
            memcpy(job->edges, edges, (nbins + 1) * sizeof *edges);
        }
    }
    return submit(run, key, job, &v);
}

/* ---- tables ---- */

/* An image cell: {"_type":"image","index":k}; its index, or -1. */
static int image_cell_index(const cJSON *cell, size_t nimages, verdict *v)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cell, "_type");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, "image") != 0)
        return -1;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(cell, "index");
    if (!cJSON_IsNumber(k) || k->valuedouble < 0 || k->valuedouble != floor(k->valuedouble) ||
        k->valuedouble >= (double)nimages) {
        refuse(v, TALLY_EINVAL, "an image cell's index names no given image");
        return -2;
    }
    return (int)k->valuedouble;
}

/* Parses and checks {"columns":[...],"data":[[...],...]}, keeping only
 * those two members (the canonical table the flusher prints). */
static cJSON *parse_table(const char *table_json, size_t nimages, size_t *ncols, size_t *nrows,
                          verdict *v)
{
    if (!table_json) {
        refuse(v, TALLY_EINVAL, "NULL table JSON");
        return NULL;
    }
    if (strlen(table_json) > TALLY_MEDIA_MAX_BYTES) {
        refuse(v, TALLY_ETOOBIG, "the table is over TALLY_MEDIA_MAX_BYTES");
        return NULL;
    }
    cJSON *root = json_parse(table_json);
    cJSON *cols = cJSON_GetObjectItemCaseSensitive(root, "columns");
    cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(cols) || !cJSON_IsArray(data)) {
        cJSON_Delete(root);
        refuse(v, TALLY_EJSON, "a table is {\"columns\":[...],\"data\":[[...],...]}");
        return NULL;
    }
    size_t nc = (size_t)cJSON_GetArraySize(cols), nr = (size_t)cJSON_GetArraySize(data);
    for (const cJSON *c = cols->child; c && !v->rc; c = c->next)
        if (!cJSON_IsString(c))
            refuse(v, TALLY_EJSON, "a column name is not a string");
    if (!v->rc && nr > TALLY_TABLE_MAX_ROWS)
        refuse(v, TALLY_ETOOBIG, "the table has more than TALLY_TABLE_MAX_ROWS rows");
    for (const cJSON *r = data->child; r && !v->rc; r = r->next) {
        if (!cJSON_IsArray(r) || (size_t)cJSON_GetArraySize(r) != nc) {
            refuse(v, TALLY_EJSON, "a row's length differs from the columns'");
            break;
        }
        for (const cJSON *cell = r->child; cell && !v->rc; cell = cell->next)
            if (cJSON_IsObject(cell))
                image_cell_index(cell, nimages, v);
    }
    cJSON *table = NULL;
    if (!v->rc) {
        table = cJSON_CreateObject();
        if (table) {
            cJSON_AddItemToObject(table, "columns", cJSON_DetachItemViaPointer(root, cols));
            cJSON_AddItemToObject(table, "data", cJSON_DetachItemViaPointer(root, data));
        } else {
            refuse(v, TALLY_ENOMEM, "out of memory");
        }
    }
    cJSON_Delete(root);
    *ncols = nc;
    *nrows = nr;
    return table;
}

/* A table or plot job: parts[0] is the table JSON the flusher writes,
 * parts[1 + k] the images of its cells. */
static media_job *table_job(tally_run *run, int type, const char *table_json,
                            const tally_image *images, size_t nimages, verdict *v)
{
    if (nimages && !images) {
        refuse(v, TALLY_EINVAL, "NULL images");
        return NULL;
    }
    if (nimages > TALLY_TABLE_MAX_ROWS) {
        refuse(v, TALLY_ETOOBIG, "more images than TALLY_TABLE_MAX_ROWS");
        return NULL;
    }
    size_t ncols, nrows;
    cJSON *table = parse_table(table_json, nimages, &ncols, &nrows, v);
    if (!table)
        return NULL;
    media_job *job = job_new(type, 1 + nimages);
    if (!job) {
        cJSON_Delete(table);
        refuse(v, TALLY_ENOMEM, "out of memory");
        return NULL;
    }
    job->table = table;
    job->ncols = ncols;
    job->nrows = nrows;
    job->bytes += strlen(table_json) * 2; /* the tree, roughly */
    size_t total = 0;
    for (size_t i = 0; i < nimages && !v->rc; i++)
        if (image_part(run, &images[i], &job->parts[1 + i], v) == 0 &&
            (total += job->parts[1 + i].size) > TALLY_MEDIA_MAX_BYTES)
            refuse(v, TALLY_ETOOBIG, "the table's images are over TALLY_MEDIA_MAX_BYTES");
    return job;
}

int tally_log_table_images(tally_run *run, const char *key, const char *table_json,
                           const tally_image *images, size_t nimages)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    verdict v = {0, NULL};
    media_job *job = NULL;
    if (check_key(key, &v) == 0)
        job = table_job(run, TALLY_MEDIA_TABLE, table_json, images, nimages, &v);
    return submit(run, key, job, &v);
}

int tally_log_table(tally_run *run, const char *key, const char *table_json)
{
    return tally_log_table_images(run, key, table_json, NULL, 0);
}

/* ---- custom plots ---- */

typedef struct plot_preset {
    const char *name;
    const char *fields[3];
    int required; /* the first `required` fields must name columns */
} plot_preset;

/* wandb.plot's presets and their fields (the chart's field mapping). */
static const plot_preset presets[] = {
    {"line", {"x", "y", "stroke"}, 2},
    {"scatter", {"x", "y", NULL}, 2},
    {"bar", {"label", "value", NULL}, 2},
    {"histogram", {"value", NULL, NULL}, 1},
    {"line_series", {"step", "lineKey", "lineVal"}, 3},
    {"confusion_matrix", {"Actual", "Predicted", "nPredictions"}, 3},
    {"pr_curve", {"x", "y", "class"}, 3},
    {"roc_curve", {"x", "y", "class"}, 3},
};

static int has_column(const cJSON *table, const char *name)
{
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(table, "columns");
    for (const cJSON *c = cols ? cols->child : NULL; c; c = c->next)
        if (cJSON_IsString(c) && strcmp(c->valuestring, name) == 0)
            return 1;
    return 0;
}

/* The field mapping, checked against the preset and the table's columns,
 * as compact JSON: every field given, and the required ones not given
 * mapped to their own names. */
static char *plot_fields(const plot_preset *p, const char *fields_json, const cJSON *table,
                         verdict *v)
{
    cJSON *given = fields_json ? json_parse(fields_json) : cJSON_CreateObject();
    if (!cJSON_IsObject(given)) {
        cJSON_Delete(given);
        refuse(v, fields_json ? TALLY_EJSON : TALLY_ENOMEM,
               "fields_json is not a JSON object");
        return NULL;
    }
    for (const cJSON *f = given->child; f && !v->rc; f = f->next) {
        int known = 0;
        for (int i = 0; i < 3 && p->fields[i]; i++)
            known |= strcmp(f->string, p->fields[i]) == 0;
        if (!known)
            refuse(v, TALLY_EINVAL, "a field the plot preset does not have");
        else if (!cJSON_IsString(f) || !has_column(table, f->valuestring))
            refuse(v, TALLY_EINVAL, "a field names no column of the table");
    }
    for (int i = 0; i < p->required && !v->rc; i++) {
        if (cJSON_GetObjectItemCaseSensitive(given, p->fields[i]))
            continue;
        if (!has_column(table, p->fields[i]))
            refuse(v, TALLY_EINVAL, "a field of the plot preset names no column of the table");
        else if (!cJSON_AddStringToObject(given, p->fields[i], p->fields[i]))
            refuse(v, TALLY_ENOMEM, "out of memory");
    }
    char *out = v->rc ? NULL : json_print(given, 0);
    if (!v->rc && !out)
        refuse(v, TALLY_ENOMEM, "out of memory");
    cJSON_Delete(given);
    return out;
}

int tally_log_plot(tally_run *run, const char *key, const tally_plot *plot)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    verdict v = {0, NULL};
    media_job *job = NULL;
    char table_key[TALLY_KEY_MAX + 8];
    const plot_preset *p = NULL;
    if (check_key(key, &v) == 0) {
        if (strlen(key) + 6 > TALLY_KEY_MAX)
            refuse(&v, TALLY_EKEY, "the key is too long for its <key>_table");
        else if (!plot || !plot->preset)
            refuse(&v, TALLY_EINVAL, "a NULL plot or preset");
        else if (plot->title && !utf8_valid(plot->title, strlen(plot->title)))
            refuse(&v, TALLY_EUTF8, "the title is not valid UTF-8");
    }
    for (size_t i = 0; !v.rc && !p && i < sizeof presets / sizeof *presets; i++)
        if (strcmp(plot->preset, presets[i].name) == 0)
            p = &presets[i];
    if (!v.rc && !p)
        refuse(&v, TALLY_EINVAL, "an unknown plot preset");
    if (!v.rc)
        job = table_job(run, TALLY_MEDIA_PLOT, plot->table_json, NULL, 0, &v);
    if (job && !v.rc) {
        job->fields_json = plot_fields(p, plot->fields_json, job->table, &v);
        job->chart = strdup(key);
        job->preset = strdup(p->name);
        job->title = plot->title ? strdup(plot->title) : NULL;
        if (!v.rc && (!job->chart || !job->preset || (plot->title && !job->title)))
            refuse(&v, TALLY_ENOMEM, "out of memory");
    }
    if (!v.rc)
        snprintf(table_key, sizeof table_key, "%s_table", key);
    return submit(run, v.rc ? key : table_key, job, &v);
}

/* ---- audio ---- */

static int check_pcm(size_t frames, int channels, int sample_rate, verdict *v)
{
    if (frames == 0)
        return refuse(v, TALLY_EMEDIA, "no audio frames");
    if (channels < 1 || channels > 8)
        return refuse(v, TALLY_EMEDIA, "audio channels must be 1..8");
    if (sample_rate < 1 || sample_rate > 384000)
        return refuse(v, TALLY_EMEDIA, "the sample rate must be 1..384000 Hz");
    if (frames > TALLY_MEDIA_MAX_BYTES / sizeof(float) / (size_t)channels)
        return refuse(v, TALLY_ETOOBIG, "the samples are over TALLY_MEDIA_MAX_BYTES");
    return TALLY_OK;
}

int tally_log_audio(tally_run *run, const char *key, const tally_audio *audio)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    verdict v = {0, NULL};
    media_job *job = NULL;
    if (check_key(key, &v) == 0 && !audio)
        refuse(&v, TALLY_EINVAL, "a NULL audio");
    if (!v.rc && !(job = job_new(TALLY_MEDIA_AUDIO, 1)))
        refuse(&v, TALLY_ENOMEM, "out of memory");
    media_part *p = job ? &job->parts[0] : NULL;
    if (!v.rc && audio->samples) {
        if (check_pcm(audio->frames, audio->channels, audio->sample_rate, &v) == 0) {
            size_t n = audio->frames * (size_t)audio->channels;
            if (copy_bytes(run, p, audio->samples, n * sizeof(float), &v) == 0 &&
                has_nan(p->data, n))
                refuse(&v, TALLY_EMEDIA, "NaN in the samples");
            p->frames = audio->frames;
            p->channels = audio->channels;
            p->sample_rate = audio->sample_rate;
        }
    } else if (!v.rc && bytes_part(run, audio->data, audio->size, audio->path, p, &v) == 0) {
        /* WAV is cheap to decode: done here, so a bad file is the caller's
         * error, and the flusher only encodes. */
        media_pcm pcm = {0};
        int rc = media_sniff(p->data, p->size) == MEDIA_FMT_WAV
                     ? media_wav_decode(p->data, p->size, &pcm)
                     : TALLY_EMEDIA;
        free(p->data);
        p->data = NULL;
        p->size = p->cap = 0;
        if (rc)
            refuse(&v, rc, "the bytes are not a WAV file tally can read");
        else if (check_pcm(pcm.frames, pcm.channels, pcm.sample_rate, &v) == 0) {
            p->data = pcm.samples;
            pcm.samples = NULL;
            p->size = pcm.frames * (size_t)pcm.channels * sizeof(float);
            p->frames = pcm.frames;
            p->channels = pcm.channels;
            p->sample_rate = pcm.sample_rate;
        }
        media_pcm_free(&pcm);
    }
    if (!v.rc) {
        p->src = MEDIA_SRC_PCM;
        copy_caption(p, audio->caption, &v);
    }
    return submit(run, key, job, &v);
}

/* ---- video ---- */

int tally_log_video(tally_run *run, const char *key, const tally_video *video)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    verdict v = {0, NULL};
    media_job *job = NULL;
    if (check_key(key, &v) == 0 && !video)
        refuse(&v, TALLY_EINVAL, "a NULL video");
    double fps = video && video->fps == 0 ? 4 : video ? video->fps : 0;
    if (!v.rc && !(fps > 0 && fps <= 1000))
        refuse(&v, TALLY_EMEDIA, "fps must be 0 (4) or in (0, 1000]");
    if (!v.rc && !(job = job_new(TALLY_MEDIA_VIDEO, 1)))
        refuse(&v, TALLY_ENOMEM, "out of memory");
    media_part *p = job ? &job->parts[0] : NULL;
    if (!v.rc && video->frames) {
        if (check_raster(video->width, video->height, video->channels, video->sample, &v) == 0) {
            size_t ss = video->sample == TALLY_SAMPLE_F32 ? sizeof(float) : 1;
            size_t frame = (size_t)video->width * (size_t)video->height *
                           (size_t)video->channels * ss;
            if (video->nframes < 1)
                refuse(&v, TALLY_EMEDIA, "a video has at least one frame");
            else if ((size_t)video->nframes > TALLY_MEDIA_MAX_BYTES / frame)
                refuse(&v, TALLY_ETOOBIG, "the frames are over TALLY_MEDIA_MAX_BYTES");
            else if (copy_bytes(run, p, video->frames, frame * (size_t)video->nframes, &v) == 0 &&
                     ss != 1 && has_nan(p->data, p->size / sizeof(float)))
                refuse(&v, TALLY_EMEDIA, "NaN in the frames");
            p->src = ss == 1 ? MEDIA_SRC_U8 : MEDIA_SRC_F32;
            p->width = video->width;
            p->height = video->height;
            p->channels = video->channels;
            p->nframes = video->nframes;
        }
    } else if (!v.rc && bytes_part(run, video->data, video->size, video->path, p, &v) == 0) {
        media_video_info info = {0};
        int rc = media_video_probe(p->data, p->size, &info);
        if (rc || (info.format != MEDIA_FMT_GIF && info.format != MEDIA_FMT_MP4 &&
                   info.format != MEDIA_FMT_WEBM && info.format != MEDIA_FMT_OGG))
            refuse(&v, rc && rc != TALLY_EMEDIA ? rc : TALLY_EMEDIA,
                   "the bytes are not a GIF, MP4, WebM or Ogg video");
        else if (info.width > TALLY_MEDIA_MAX_SIDE || info.height > TALLY_MEDIA_MAX_SIDE)
            refuse(&v, TALLY_ETOOBIG, "the video is over TALLY_MEDIA_MAX_SIDE");
        p->src = info.format == MEDIA_FMT_GIF ? MEDIA_SRC_GIF : MEDIA_SRC_VIDEO;
        p->format = media_format_name(info.format);
        p->width = info.width;
        p->height = info.height;
        p->nframes = info.nframes;
        p->duration = info.duration;
    }
    if (!v.rc) {
        p->fps = fps;
        copy_caption(p, video->caption, &v);
    }
    return submit(run, key, job, &v);
}
