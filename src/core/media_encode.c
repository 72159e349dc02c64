/*
 * media_encode.c — the flusher's half of an object: pixels to PNG (float
 * pixels converted first), given images decoded and re-encoded so only
 * tally-made bytes are stored, samples to WAV, frames to GIF, a table to
 * its canonical JSON; then sha256 of every file and the meta JSON that
 * docs/format.md describes.  Called by flusher.c with no lock held.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "core/media_job.h"
#include "core/run_internal.h"
#include "media/media.h"
#include "tally_store.h"

#define PNG_LEVEL (-1) /* libpng's default, as PIL's (wandb) */

/* Gray+alpha (what a decoder may give) to RGBA: the PNG encoder takes 1, 3 or 4. */
static int widen_gray_alpha(media_pixels *px)
{
    size_t n = (size_t)px->width * (size_t)px->height;
    unsigned char *rgba = malloc(n * 4);
    if (!rgba)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char g = px->pixels[2 * i], a = px->pixels[2 * i + 1];
        rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = g;
        rgba[4 * i + 3] = a;
    }
    free(px->pixels);
    px->pixels = rgba;
    px->channels = 4;
    return TALLY_OK;
}

/* 8-bit pixels of a raw part (converted from float when needed): into
 * *u8, which is p->data itself or a new buffer the caller frees. */
static int part_u8(const media_part *p, size_t count, unsigned char **u8)
{
    if (p->src == MEDIA_SRC_U8) {
        *u8 = p->data;
        return TALLY_OK;
    }
    size_t frame = (size_t)p->width * (size_t)p->height * (size_t)p->channels;
    unsigned char *out = malloc(frame * count);
    if (!out)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        int rc = media_pixels_from_f32((const float *)p->data + i * frame, p->width, p->height,
                                       p->channels, 0, out + i * frame);
        if (rc) {
            free(out);
            return rc;
        }
    }
    *u8 = out;
    return TALLY_OK;
}

static int encode_image(media_part *p, const char **why)
{
    int rc;
    if (p->src == MEDIA_SRC_IMAGE) {
        media_pixels px = {0};
        rc = media_image_decode(p->data, p->size, &px);
        if (!rc && px.channels == 2)
            rc = widen_gray_alpha(&px);
        if (!rc) {
            p->width = px.width;
            p->height = px.height;
            p->channels = px.channels;
            rc = media_png_encode(px.pixels, px.width, px.height, px.channels,
                                  (size_t)px.width * (size_t)px.channels, PNG_LEVEL, &p->out);
        }
        media_pixels_free(&px);
        if (rc)
            *why = "an image's bytes cannot be decoded";
    } else {
        unsigned char *u8 = NULL;
        rc = part_u8(p, 1, &u8);
        if (!rc)
            rc = media_png_encode(u8, p->width, p->height, p->channels,
                                  (size_t)p->width * (size_t)p->channels, PNG_LEVEL, &p->out);
        if (u8 != p->data)
            free(u8);
        if (rc)
            *why = "an image cannot be encoded as PNG";
    }
    p->format = "png";
    return rc;
}

static int encode_video(media_part *p, const char **why)
{
    int rc = TALLY_OK;
    if (p->src == MEDIA_SRC_VIDEO) {
        /* MP4 / WebM / Ogg: tally cannot decode them; stored as given
         * after the container header was checked (media.c). */
        buf_append(&p->out, p->data, p->size);
        if (p->out.oom)
            rc = TALLY_ENOMEM;
        return rc;
    }
    if (p->src == MEDIA_SRC_GIF) {
        media_anim anim = {0};
        rc = media_gif_decode(p->data, p->size, &anim);
        if (!rc) {
            int delay = anim.nframes > 0 ? anim.delay_ms[0] : 0;
            if (delay > 0)
                p->fps = 1000.0 / delay;
            p->width = anim.width;
            p->height = anim.height;
            p->nframes = anim.nframes;
            p->channels = 4;
            rc = media_gif_encode(anim.rgba, anim.nframes, anim.width, anim.height, 4, p->fps,
                                  &p->out);
        }
        media_anim_free(&anim);
        if (rc)
            *why = "a GIF's bytes cannot be decoded";
    } else {
        unsigned char *u8 = NULL;
        rc = part_u8(p, (size_t)p->nframes, &u8);
        if (!rc)
            rc = media_gif_encode(u8, p->nframes, p->width, p->height, p->channels, p->fps,
                                  &p->out);
        if (u8 != p->data)
            free(u8);
        if (rc)
            *why = "video frames cannot be encoded as GIF";
    }
    p->format = "gif";
    p->duration = p->fps > 0 ? p->nframes / p->fps : 0;
    return rc;
}

/* Image cells {"_type":"image","index":k} become the image-file
 * reference of parts[1 + k] (encoded before), with the path wandb's run
 * directory keeps it under (MEDIA.md), so the stored table is the very
 * table file sync uploads: the sha256 the history row names. */
static int table_cells(cJSON *table, const media_job *job)
{
    cJSON *data = cJSON_GetObjectItemCaseSensitive(table, "data");
    for (cJSON *row = data ? data->child : NULL; row; row = row->next) {
        for (cJSON *cell = row->child; cell; cell = cell->next) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(cell, "_type");
            const cJSON *k = cJSON_GetObjectItemCaseSensitive(cell, "index");
            if (!cJSON_IsObject(cell) || !cJSON_IsString(t) ||
                strcmp(t->valuestring, "image") != 0 || !cJSON_IsNumber(k))
                continue;
            const media_part *img = &job->parts[1 + (size_t)k->valuedouble];
            char path[64];
            snprintf(path, sizeof path, "media/images/%.20s.png", img->sha256);
            cJSON *ref = cJSON_CreateObject();
            if (!ref || !cJSON_AddStringToObject(ref, "_type", "image-file") ||
                !cJSON_AddStringToObject(ref, "path", path) ||
                !cJSON_AddStringToObject(ref, "sha256", img->sha256) ||
                !cJSON_AddNumberToObject(ref, "size", (double)img->out.len) ||
                !cJSON_AddStringToObject(ref, "format", img->format) ||
                !cJSON_AddNumberToObject(ref, "width", img->width) ||
                !cJSON_AddNumberToObject(ref, "height", img->height)) {
                cJSON_Delete(ref);
                return TALLY_ENOMEM;
            }
            cJSON_ReplaceItemViaPointer(row, cell, ref);
            cell = ref;
        }
    }
    return TALLY_OK;
}

static void put_file(buf *b, const media_part *p, int sized)
{
    buf_printf(b, "{\"sha256\":\"%s\",\"size\":%zu,\"format\":", p->sha256, p->out.len);
    json_string(b, p->format);
    if (sized)
        buf_printf(b, ",\"width\":%d,\"height\":%d", p->width, p->height);
    if (p->caption) {
        buf_puts(b, ",\"caption\":");
        json_string(b, p->caption);
    }
    buf_putc(b, '}');
}

static void put_files(buf *b, const media_job *job, int sized_from)
{
    buf_puts(b, "\"files\":[");
    for (size_t i = 0; i < job->nparts; i++) {
        if (i)
            buf_putc(b, ',');
        put_file(b, &job->parts[i], (int)i >= sized_from);
    }
    buf_putc(b, ']');
}

static void put_numbers(buf *b, const char *name, const double *v, size_t n)
{
    buf_printf(b, "\"%s\":[", name);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        json_number(b, v[i], 0);
    }
    buf_putc(b, ']');
}

/* The meta JSON of docs/format.md, per type. */
static char *job_meta(const media_job *job)
{
    buf b = BUF_INIT;
    const media_part *p = job->nparts ? &job->parts[0] : NULL;
    buf_putc(&b, '{');
    switch (job->type) {
    case TALLY_MEDIA_IMAGE:
        put_files(&b, job, 0);
        break;
    case TALLY_MEDIA_IMAGES:
        buf_printf(&b, "\"count\":%zu,", job->nparts);
        put_files(&b, job, 0);
        break;
    case TALLY_MEDIA_HISTOGRAM:
        put_numbers(&b, "values", job->counts, job->nbins);
        buf_putc(&b, ',');
        put_numbers(&b, "bins", job->edges, job->nbins + 1);
        if (job->skipped)
            buf_printf(&b, ",\"skipped\":%zu", job->skipped);
        buf_puts(&b, ",\"files\":[]");
        break;
    case TALLY_MEDIA_TABLE:
        buf_printf(&b, "\"ncols\":%zu,\"nrows\":%zu,", job->ncols, job->nrows);
        put_files(&b, job, 1);
        break;
    case TALLY_MEDIA_AUDIO:
        buf_printf(&b, "\"sample_rate\":%d,\"channels\":%d,\"frames\":%zu,\"duration\":",
                   p->sample_rate, p->channels, p->frames);
        json_number(&b, p->duration, 0);
        buf_putc(&b, ',');
        put_files(&b, job, 1);
        break;
    case TALLY_MEDIA_VIDEO:
        buf_puts(&b, "\"fps\":");
        json_number(&b, p->fps, 0);
        buf_printf(&b, ",\"nframes\":%d,\"width\":%d,\"height\":%d,\"duration\":", p->nframes,
                   p->width, p->height);
        json_number(&b, p->duration, 0);
        buf_putc(&b, ',');
        put_files(&b, job, 0);
        break;
    case TALLY_MEDIA_PLOT:
        buf_puts(&b, "\"chart\":");
        json_string(&b, job->chart);
        buf_puts(&b, ",\"preset\":");
        json_string(&b, job->preset);
        buf_printf(&b, ",\"fields\":%s", job->fields_json);
        if (job->title) {
            buf_puts(&b, ",\"title\":");
            json_string(&b, job->title);
        }
        buf_printf(&b, ",\"ncols\":%zu,\"nrows\":%zu,", job->ncols, job->nrows);
        put_files(&b, job, 1);
        break;
    default:
        break;
    }
    buf_putc(&b, '}');
    return buf_steal(&b);
}

int media_job_encode(tally_run *run, media_job *job, const char **why)
{
    *why = "out of memory";
    int rc = TALLY_OK;
    int tabular = job->type == TALLY_MEDIA_TABLE || job->type == TALLY_MEDIA_PLOT;
    for (size_t i = tabular ? 1 : 0; i < job->nparts && !rc; i++) {
        media_part *p = &job->parts[i];
        if (p->encoded)
            continue;
        switch (job->type) {
        case TALLY_MEDIA_AUDIO:
            rc = media_wav_encode(p->data, p->frames, p->channels, p->sample_rate, &p->out);
            p->format = "wav";
            p->duration = (double)p->frames / p->sample_rate;
            if (rc)
                *why = "audio cannot be encoded as WAV";
            break;
        case TALLY_MEDIA_VIDEO:
            rc = encode_video(p, why);
            break;
        default:
            rc = encode_image(p, why);
            break;
        }
        if (!rc && p->out.oom)
            rc = TALLY_ENOMEM;
        if (rc)
            break;
        media_sha256_hex(p->out.data, p->out.len, p->sha256);
        p->encoded = 1;
        if (p->cap) /* the file replaces what was given */
            media_buf_put(run, p->data, p->cap);
        else
            free(p->data);
        p->data = NULL;
        p->cap = 0;
    }
    if (!rc && tabular && !job->parts[0].encoded) {
        media_part *t = &job->parts[0];
        rc = table_cells(job->table, job);
        if (!rc) {
            json_write(&t->out, job->table, JSON_BARE_NONFINITE);
            rc = t->out.oom ? TALLY_ENOMEM : TALLY_OK;
        }
        if (!rc) {
            t->format = "json";
            media_sha256_hex(t->out.data, t->out.len, t->sha256);
            t->encoded = 1;
            cJSON_Delete(job->table);
            job->table = NULL;
        }
    }
    if (!rc && !job->meta && !(job->meta = job_meta(job)))
        rc = TALLY_ENOMEM;
    return rc;
}

void media_job_files(const media_job *job, writer_blob *files)
{
    for (size_t i = 0; i < job->nparts; i++) {
        const media_part *p = &job->parts[i];
        files[i] = (writer_blob){p->sha256, p->format, p->out.data ? p->out.data : "",
                                 p->out.len};
    }
}
