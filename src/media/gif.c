/*
 * gif.c — animated GIF through giflib: media_gif_encode (raw video frames,
 * logged with tally_log_video, become a looping GIF), media_gif_decode
 * (frames composited to RGBA, for the read API and for re-encoding given
 * GIFs), the first frame for media_image_decode and the header walk of
 * media_video_probe.
 *
 * Decoding walks giflib's record API (DGifGetImageDesc / DGifGetLine)
 * rather than DGifSlurp, which allocates a frame's raster from its 16-bit
 * header sizes before reading a byte of it: here every frame is checked
 * against the caps first and decoded a line at a time into the canvas.
 */
#include <gif_lib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"
#include "tally.h"

/* ---- encoding: a median-cut palette per frame ----
 *
 * A frame with at most 256 colours (255 and a transparent one when some
 * alpha is below 128) keeps them exactly.  Otherwise colours are binned at
 * 5 bits a channel; the box of bins with the most pixels times its widest
 * extent is cut at its median along that channel until there are 256
 * boxes; a box's colour is the mean of its pixels, and every bin takes the
 * colour nearest its own mean. */

#define GIF_BINS 32768
#define GIF_EXACT_SLOTS 1024 /* open addressing for <= 256 exact colours */

typedef struct gif_bin {
    uint16_t key;  /* r5 g5 b5 */
    uint8_t axis;  /* the value being sorted on */
    uint32_t count;
    uint64_t sum[3];
} gif_bin;

typedef struct gif_box {
    int lo, hi; /* bins[lo..hi) */
    uint64_t count;
    int axis;        /* its widest channel */
    uint64_t weight; /* pixels x that channel's extent: the next box cut */
} gif_box;

typedef struct gif_quant {
    uint32_t hist[GIF_BINS]; /* pixels per bin, then the bin's index in bins[] */
    uint8_t lut[GIF_BINS];   /* bin -> palette index */
    gif_bin bins[GIF_BINS];
    gif_box boxes[256];
    uint32_t exact_key[GIF_EXACT_SLOTS]; /* rgb | 1 << 24, 0 for free */
    uint8_t exact_index[GIF_EXACT_SLOTS];
    GifColorType palette[256];
    int ncolors, transparent;
    unsigned char *index; /* width * height palette indices */
} gif_quant;

static unsigned gif_key(const unsigned char *p)
{
    return (unsigned)(p[0] >> 3) << 10 | (unsigned)(p[1] >> 3) << 5 | (unsigned)(p[2] >> 3);
}

static int gif_cmp_axis(const void *a, const void *b)
{
    return (int)((const gif_bin *)a)->axis - (int)((const gif_bin *)b)->axis;
}

static void gif_box_span(gif_quant *q, gif_box *bx)
{
    int lo[3] = {31, 31, 31}, hi[3] = {0, 0, 0};
    for (int i = bx->lo; i < bx->hi; i++)
        for (int c = 0; c < 3; c++) {
            int v = (q->bins[i].key >> (10 - 5 * c)) & 31;
            lo[c] = v < lo[c] ? v : lo[c];
            hi[c] = v > hi[c] ? v : hi[c];
        }
    bx->axis = 0;
    for (int c = 1; c < 3; c++)
        if (hi[c] - lo[c] > hi[bx->axis] - lo[bx->axis])
            bx->axis = c;
    bx->weight = bx->count * (uint64_t)(hi[bx->axis] - lo[bx->axis] + 1);
}

/* Exact colours when there are few enough; 0, or -1 when there are more. */
static int gif_exact(gif_quant *q, const unsigned char *px, size_t n, int ch, int limit)
{
    memset(q->exact_key, 0, sizeof q->exact_key);
    q->ncolors = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = px + i * (size_t)ch;
        if (ch == 4 && p[3] < 128)
            continue;
        uint32_t k = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2] | 1u << 24;
        unsigned s = (k * 2654435761u) >> 22; /* 10 bits */
        while (q->exact_key[s] && q->exact_key[s] != k)
            s = (s + 1) & (GIF_EXACT_SLOTS - 1);
        if (!q->exact_key[s]) {
            if (q->ncolors == limit)
                return -1;
            q->exact_key[s] = k;
            q->exact_index[s] = (uint8_t)q->ncolors;
            q->palette[q->ncolors++] = (GifColorType){p[0], p[1], p[2]};
        }
        q->index[i] = q->exact_index[s];
    }
    return 0;
}

static void gif_median_cut(gif_quant *q, const unsigned char *px, size_t n, int ch, int limit)
{
    memset(q->hist, 0, sizeof q->hist);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = px + i * (size_t)ch;
        if (ch != 4 || p[3] >= 128)
            q->hist[gif_key(p)]++;
    }
    int nbins = 0;
    for (unsigned k = 0; k < GIF_BINS; k++)
        if (q->hist[k]) {
            q->bins[nbins] = (gif_bin){(uint16_t)k, 0, q->hist[k], {0, 0, 0}};
            q->hist[k] = (uint32_t)nbins++;
        }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = px + i * (size_t)ch;
        if (ch == 4 && p[3] < 128)
            continue;
        gif_bin *b = &q->bins[q->hist[gif_key(p)]];
        b->sum[0] += p[0];
        b->sum[1] += p[1];
        b->sum[2] += p[2];
    }
    uint64_t total = 0;
    for (int i = 0; i < nbins; i++)
        total += q->bins[i].count;
    int nboxes = 1;
    q->boxes[0] = (gif_box){0, nbins, total, 0, 0};
    gif_box_span(q, &q->boxes[0]);
    while (nboxes < limit) {
        int pick = -1;
        for (int i = 0; i < nboxes; i++)
            if (q->boxes[i].hi - q->boxes[i].lo >= 2 &&
                (pick < 0 || q->boxes[i].weight > q->boxes[pick].weight))
                pick = i;
        if (pick < 0)
            break;
        gif_box *bx = &q->boxes[pick];
        int axis = bx->axis;
        for (int i = bx->lo; i < bx->hi; i++)
            q->bins[i].axis = (uint8_t)((q->bins[i].key >> (10 - 5 * axis)) & 31);
        qsort(q->bins + bx->lo, (size_t)(bx->hi - bx->lo), sizeof *q->bins, gif_cmp_axis);
        uint64_t cum = 0;
        int cut = bx->lo;
        while (cut < bx->hi - 1 && cum + q->bins[cut].count <= bx->count / 2)
            cum += q->bins[cut++].count;
        if (cut == bx->lo)
            cum += q->bins[cut++].count;
        q->boxes[nboxes] = (gif_box){cut, bx->hi, bx->count - cum, 0, 0};
        gif_box_span(q, &q->boxes[nboxes++]);
        bx->hi = cut;
        bx->count = cum;
        gif_box_span(q, bx);
    }
    for (int b = 0; b < nboxes; b++) {
        uint64_t s[3] = {0, 0, 0}, c = q->boxes[b].count;
        for (int i = q->boxes[b].lo; i < q->boxes[b].hi; i++) {
            for (int k = 0; k < 3; k++)
                s[k] += q->bins[i].sum[k];
            q->lut[q->bins[i].key] = (uint8_t)b;
        }
        c = c ? c : 1;
        q->palette[b] = (GifColorType){(GifByteType)((s[0] + c / 2) / c),
                                       (GifByteType)((s[1] + c / 2) / c),
                                       (GifByteType)((s[2] + c / 2) / c)};
    }
    q->ncolors = nboxes;
    /* A bin at the rim of a wide box can sit nearer another box's colour:
     * each bin takes the palette colour nearest its mean. */
    for (int i = 0; i < nbins; i++) {
        const gif_bin *b = &q->bins[i];
        int m[3];
        for (int k = 0; k < 3; k++)
            m[k] = (int)(b->sum[k] / b->count);
        int best = q->lut[b->key], best_d = INT32_MAX;
        for (int c = 0; c < nboxes; c++) {
            int dr = m[0] - q->palette[c].Red, dg = m[1] - q->palette[c].Green,
                db = m[2] - q->palette[c].Blue;
            int d = dr * dr + dg * dg + db * db;
            if (d < best_d) {
                best_d = d;
                best = c;
            }
        }
        q->lut[b->key] = (uint8_t)best;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = px + i * (size_t)ch;
        if (ch != 4 || p[3] >= 128)
            q->index[i] = q->lut[gif_key(p)];
    }
}

/* One frame's palette and indices. */
static void gif_quantize(gif_quant *q, const unsigned char *px, size_t n, int ch)
{
    q->transparent = NO_TRANSPARENT_COLOR;
    if (ch == 1) {
        int used[256] = {0};
        for (size_t i = 0; i < n; i++)
            used[px[i]] = 1;
        q->ncolors = 0;
        for (int v = 0; v < 256; v++)
            if (used[v]) {
                q->palette[q->ncolors] = (GifColorType){(GifByteType)v, (GifByteType)v,
                                                        (GifByteType)v};
                used[v] = q->ncolors++;
            }
        for (size_t i = 0; i < n; i++)
            q->index[i] = (unsigned char)used[px[i]];
        return;
    }
    int clear = 0;
    if (ch == 4)
        for (size_t i = 0; i < n && !clear; i++)
            clear = px[4 * i + 3] < 128;
    int limit = 256 - clear;
    if (gif_exact(q, px, n, ch, limit) < 0)
        gif_median_cut(q, px, n, ch, limit);
    if (clear) {
        q->transparent = q->ncolors;
        q->palette[q->ncolors++] = (GifColorType){0, 0, 0};
        for (size_t i = 0; i < n; i++)
            if (px[4 * i + 3] < 128)
                q->index[i] = (unsigned char)q->transparent;
    }
}

static int gif_put(GifFileType *g, const GifByteType *data, int n)
{
    buf *out = g->UserData;
    buf_append(out, data, (size_t)n);
    return out->oom ? 0 : n;
}

static int gif_put_frame(GifFileType *g, gif_quant *q, int width, int height, int delay)
{
    int bits = 1;
    while ((1 << bits) < q->ncolors)
        bits++;
    ColorMapObject *map = GifMakeMapObject(1 << bits, NULL);
    if (!map)
        return TALLY_ENOMEM;
    memcpy(map->Colors, q->palette, (size_t)q->ncolors * sizeof *q->palette);
    /* Every frame covers the screen; disposing to the background clears it
     * so a transparent pixel shows through rather than the last frame. */
    GraphicsControlBlock gcb = {DISPOSE_BACKGROUND, false, delay, q->transparent};
    GifByteType ext[4];
    size_t len = EGifGCBToExtension(&gcb, ext);
    int ok = EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)len, ext) == GIF_OK &&
             EGifPutImageDesc(g, 0, 0, width, height, false, map) == GIF_OK;
    GifFreeMapObject(map);
    for (int y = 0; ok && y < height; y++)
        ok = EGifPutLine(g, q->index + (size_t)y * width, width) == GIF_OK;
    return ok ? 0 : TALLY_EMEDIA;
}

int media_gif_encode(const unsigned char *frames, int nframes, int width, int height,
                     int channels, double fps, buf *out)
{
    if (!frames || !out || nframes < 1 || (channels != 1 && channels != 3 && channels != 4) ||
        !isfinite(fps) || fps <= 0.0)
        return TALLY_EMEDIA;
    int rc = media_check_size(width, height, channels);
    if (rc < 0)
        return rc;
    size_t n = (size_t)width * (size_t)height, frame = n * (size_t)channels;
    long cs = lround(100.0 / fps); /* GIF delays are in hundredths of a second */
    int delay = cs < 1 ? 1 : cs > 65535 ? 65535 : (int)cs;
    size_t start = out->len;
    gif_quant *q = malloc(sizeof *q);
    unsigned char *index = malloc(n);
    GifFileType *g = NULL;
    int err = 0;
    if (!q || !index) {
        rc = TALLY_ENOMEM;
        goto fail;
    }
    q->index = index;
    g = EGifOpen(out, gif_put, &err);
    if (!g) {
        rc = TALLY_ENOMEM;
        goto fail;
    }
    EGifSetGifVersion(g, true);
    static const GifByteType loop[3] = {1, 0, 0}; /* loop forever */
    if (EGifPutScreenDesc(g, width, height, 8, 0, NULL) != GIF_OK ||
        EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE) != GIF_OK ||
        EGifPutExtensionBlock(g, 11, "NETSCAPE2.0") != GIF_OK ||
        EGifPutExtensionBlock(g, 3, loop) != GIF_OK || EGifPutExtensionTrailer(g) != GIF_OK) {
        rc = TALLY_EMEDIA;
        goto fail;
    }
    for (int f = 0; f < nframes; f++) {
        gif_quantize(q, frames + (size_t)f * frame, n, channels);
        rc = gif_put_frame(g, q, width, height, delay);
        if (rc < 0)
            goto fail;
    }
    rc = EGifCloseFile(g, &err) == GIF_OK ? 0 : TALLY_EMEDIA;
    g = NULL;
    if (rc < 0)
        goto fail;
    free(index);
    free(q);
    return 0;
fail:
    if (g)
        EGifCloseFile(g, &err);
    if (out->oom)
        rc = TALLY_ENOMEM;
    else {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    free(index);
    free(q);
    return rc;
}

/* ---- decoding ---- */

typedef struct gif_src {
    const unsigned char *p;
    size_t size, pos;
} gif_src;

static int gif_get(GifFileType *g, GifByteType *data, int n)
{
    gif_src *s = g->UserData;
    size_t k = n > 0 ? (size_t)n : 0;
    if (k > s->size - s->pos)
        k = s->size - s->pos;
    memcpy(data, s->p + s->pos, k);
    s->pos += k;
    return (int)k;
}

static int gif_code(int error) { return error == D_GIF_ERR_NOT_ENOUGH_MEM ? TALLY_ENOMEM : TALLY_EMEDIA; }

/* Opens a GIF whose logical screen passes the caps as RGBA. */
static int gif_open(const void *data, size_t size, gif_src *src, GifFileType **out)
{
    *out = NULL;
    if (!data || media_sniff(data, size) != MEDIA_FMT_GIF)
        return TALLY_EMEDIA;
    *src = (gif_src){data, size, 0};
    int err = 0;
    GifFileType *g = DGifOpen(src, gif_get, &err);
    if (!g)
        return gif_code(err);
    int rc = media_check_size(g->SWidth, g->SHeight, 4);
    if (rc < 0) {
        DGifCloseFile(g, &err);
        return rc;
    }
    *out = g;
    return 0;
}

int media_gif_size(const void *data, size_t size, int *width, int *height)
{
    gif_src src;
    GifFileType *g;
    int rc = gif_open(data, size, &src, &g);
    if (rc < 0)
        return rc;
    *width = g->SWidth;
    *height = g->SHeight;
    int err;
    DGifCloseFile(g, &err);
    return 0;
}

/* The walk over a GIF's records, decoding frames (anim set) or only
 * counting them and their delays. */
typedef struct gif_walk {
    GifFileType *g;
    int max_frames;
    media_anim *anim; /* NULL: skip the pixel data */
    size_t cap;       /* frames anim has room for */
    unsigned char *canvas, *saved;
    GifPixelType *line;
    int nframes;
    double delay_cs;
} gif_walk;

static int gif_grow(gif_walk *w, size_t frame_bytes)
{
    if ((size_t)w->nframes < w->cap)
        return 0;
    size_t cap = w->cap ? w->cap * 2 : 4;
    size_t most = TALLY_MEDIA_MAX_BYTES / frame_bytes;
    cap = cap > most ? most : cap;
    if ((size_t)w->nframes >= cap)
        return TALLY_ETOOBIG;
    unsigned char *rgba = realloc(w->anim->rgba, cap * frame_bytes);
    if (!rgba)
        return TALLY_ENOMEM;
    w->anim->rgba = rgba;
    int *delay = realloc(w->anim->delay_ms, cap * sizeof *delay);
    if (!delay)
        return TALLY_ENOMEM;
    w->anim->delay_ms = delay;
    w->cap = cap;
    return 0;
}

/* Draws the frame whose descriptor was just read onto the canvas, stores
 * the composite and disposes of the frame as its control block says. */
static int gif_draw(gif_walk *w, const GraphicsControlBlock *gcb)
{
    GifFileType *g = w->g;
    const GifImageDesc *d = &g->Image;
    const ColorMapObject *map = d->ColorMap ? d->ColorMap : g->SColorMap;
    int sw = g->SWidth, sh = g->SHeight;
    size_t frame_bytes = (size_t)sw * (size_t)sh * 4;
    if (!map)
        return TALLY_EMEDIA;
    int rc = gif_grow(w, frame_bytes);
    if (rc < 0)
        return rc;
    if (gcb->DisposalMode == DISPOSE_PREVIOUS) {
        if (!w->saved && !(w->saved = malloc(frame_bytes)))
            return TALLY_ENOMEM;
        memcpy(w->saved, w->canvas, frame_bytes);
    }
    GifPixelType *line = realloc(w->line, (size_t)d->Width);
    if (!line)
        return TALLY_ENOMEM;
    w->line = line;
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    int passes = d->Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++) {
        for (int row = d->Interlace ? start[pass] : 0; row < d->Height;
             row += d->Interlace ? step[pass] : 1) {
            if (DGifGetLine(g, line, d->Width) == GIF_ERROR)
                return gif_code(g->Error);
            int y = d->Top + row;
            if (y >= sh)
                continue;
            unsigned char *dst = w->canvas + (size_t)y * sw * 4;
            for (int x = 0; x < d->Width && d->Left + x < sw; x++) {
                int i = line[x];
                if (i == gcb->TransparentColor || i >= map->ColorCount)
                    continue;
                unsigned char *p = dst + (size_t)(d->Left + x) * 4;
                p[0] = map->Colors[i].Red;
                p[1] = map->Colors[i].Green;
                p[2] = map->Colors[i].Blue;
                p[3] = 255;
            }
        }
    }
    memcpy(w->anim->rgba + (size_t)w->nframes * frame_bytes, w->canvas, frame_bytes);
    w->anim->delay_ms[w->nframes] = gcb->DelayTime * 10;
    if (gcb->DisposalMode == DISPOSE_BACKGROUND) { /* browsers clear to transparent */
        for (int y = d->Top; y < sh && y < d->Top + d->Height; y++)
            if (d->Left < sw) {
                int n = d->Left + d->Width > sw ? sw - d->Left : d->Width;
                memset(w->canvas + ((size_t)y * sw + (size_t)d->Left) * 4, 0, (size_t)n * 4);
            }
    } else if (gcb->DisposalMode == DISPOSE_PREVIOUS) {
        memcpy(w->canvas, w->saved, frame_bytes);
    }
    return 0;
}

static int gif_skip_pixels(GifFileType *g)
{
    int code_size;
    GifByteType *block;
    if (DGifGetCode(g, &code_size, &block) == GIF_ERROR)
        return gif_code(g->Error);
    while (block)
        if (DGifGetCodeNext(g, &block) == GIF_ERROR)
            return gif_code(g->Error);
    return 0;
}

static int gif_walk_records(gif_walk *w)
{
    GifFileType *g = w->g;
    GraphicsControlBlock gcb = {DISPOSAL_UNSPECIFIED, false, 0, NO_TRANSPARENT_COLOR};
    uint64_t work = 0; /* pixels decoded, all frames together */
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(g, &type) == GIF_ERROR)
            return gif_code(g->Error);
        if (type == TERMINATE_RECORD_TYPE)
            break;
        if (type == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType *ext;
            if (DGifGetExtension(g, &code, &ext) == GIF_ERROR)
                return gif_code(g->Error);
            if (code == GRAPHICS_EXT_FUNC_CODE && ext &&
                DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_ERROR)
                return TALLY_EMEDIA;
            while (ext)
                if (DGifGetExtensionNext(g, &ext) == GIF_ERROR)
                    return gif_code(g->Error);
            continue;
        }
        if (type != IMAGE_DESC_RECORD_TYPE)
            return TALLY_EMEDIA;
        if (w->max_frames && w->nframes == w->max_frames)
            break;
        if (DGifGetImageDesc(g) == GIF_ERROR)
            return gif_code(g->Error);
        const GifImageDesc *d = &g->Image;
        if (d->Width < 1 || d->Height < 1)
            return TALLY_EMEDIA;
        work += (uint64_t)d->Width * (uint64_t)d->Height;
        if (work > TALLY_MEDIA_MAX_BYTES)
            return TALLY_ETOOBIG;
        int rc = w->anim ? gif_draw(w, &gcb) : gif_skip_pixels(g);
        if (rc < 0)
            return rc;
        w->delay_cs += gcb.DelayTime;
        w->nframes++;
        gcb = (GraphicsControlBlock){DISPOSAL_UNSPECIFIED, false, 0, NO_TRANSPARENT_COLOR};
    }
    return w->nframes ? 0 : TALLY_EMEDIA;
}

void media_anim_free(media_anim *anim)
{
    if (!anim)
        return;
    free(anim->rgba);
    free(anim->delay_ms);
    memset(anim, 0, sizeof *anim);
}

int media_gif_decode_frames(const void *data, size_t size, int max_frames, media_anim *out)
{
    if (!out)
        return TALLY_EMEDIA;
    memset(out, 0, sizeof *out);
    gif_src src;
    gif_walk w = {0};
    int rc = gif_open(data, size, &src, &w.g);
    if (rc < 0)
        return rc;
    w.max_frames = max_frames;
    w.anim = out;
    int width = w.g->SWidth, height = w.g->SHeight;
    w.canvas = calloc((size_t)width * (size_t)height, 4);
    rc = w.canvas ? gif_walk_records(&w) : TALLY_ENOMEM;
    int err;
    DGifCloseFile(w.g, &err);
    free(w.canvas);
    free(w.saved);
    free(w.line);
    if (rc < 0) {
        media_anim_free(out);
        return rc;
    }
    out->width = width;
    out->height = height;
    out->nframes = w.nframes;
    return 0;
}

int media_gif_decode(const void *data, size_t size, media_anim *out)
{
    return media_gif_decode_frames(data, size, 0, out);
}

int media_gif_probe(const void *data, size_t size, media_video_info *out)
{
    gif_src src;
    gif_walk w = {0};
    int rc = gif_open(data, size, &src, &w.g);
    if (rc < 0)
        return rc;
    int width = w.g->SWidth, height = w.g->SHeight;
    rc = gif_walk_records(&w);
    int err;
    DGifCloseFile(w.g, &err);
    if (rc < 0)
        return rc;
    *out = (media_video_info){MEDIA_FMT_GIF, width, height, w.nframes, w.delay_cs / 100.0};
    return 0;
}
