/*
 * video.c — media_video_probe: what a video file's header says, for the
 * staging checks of tally_log_video (a file tally cannot decode is stored
 * as given only after its container structure parses) and for the meta
 * JSON.  GIF through gif.c; MP4 (ISO boxes), WebM (EBML) and Ogg (pages)
 * by hand, reading headers only: every length is checked against the bytes
 * there are, and a structure that runs past the end is refused.
 */
#include <math.h>
#include <string.h>

#include "media/media_internal.h"
#include "tally.h"

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

/* ---- MP4: boxes of size, type, body ---- */

typedef struct mp4_box {
    const unsigned char *body;
    size_t len;
    char type[5];
} mp4_box;

/* The box at *p (before end); moves *p past it.  1 for a box, 0 at the
 * end, TALLY_EMEDIA for a box that does not fit. */
static int mp4_next(const unsigned char **p, const unsigned char *end, mp4_box *box)
{
    size_t left = (size_t)(end - *p);
    if (left == 0)
        return 0;
    if (left < 8)
        return TALLY_EMEDIA;
    uint64_t size = be32(*p);
    size_t head = 8;
    if (size == 1) {
        if (left < 16)
            return TALLY_EMEDIA;
        size = be64(*p + 8);
        head = 16;
    } else if (size == 0) { /* to the end of what holds it */
        size = left;
    }
    if (size < head || size > left)
        return TALLY_EMEDIA;
    memcpy(box->type, *p + 4, 4);
    box->type[4] = '\0';
    box->body = *p + head;
    box->len = (size_t)size - head;
    *p += size;
    return 1;
}

/* The first child of the given type; 1, 0 when there is none, or an error. */
static int mp4_find(const unsigned char *body, size_t len, const char *type, mp4_box *out)
{
    const unsigned char *p = body, *end = body + len;
    int rc;
    while ((rc = mp4_next(&p, end, out)) == 1)
        if (memcmp(out->type, type, 4) == 0)
            return 1;
    return rc;
}

static void mp4_mvhd(const mp4_box *b, media_video_info *out)
{
    uint64_t scale, dur;
    if (b->len >= 32 && b->body[0] == 1) {
        scale = be32(b->body + 20);
        dur = be64(b->body + 24);
    } else if (b->len >= 20 && b->body[0] == 0) {
        scale = be32(b->body + 12);
        dur = be32(b->body + 16);
        dur = dur == UINT32_MAX ? UINT64_MAX : dur;
    } else {
        return;
    }
    if (scale && dur != UINT64_MAX)
        out->duration = (double)dur / (double)scale;
}

/* A track's picture size (tkhd, 16.16 fixed point) and its sample count
 * (mdia/minf/stbl/stsz); audio tracks have no size. */
static int mp4_trak(const mp4_box *trak, media_video_info *out)
{
    mp4_box b;
    int rc = mp4_find(trak->body, trak->len, "tkhd", &b);
    if (rc <= 0)
        return rc;
    size_t at = b.len >= 96 && b.body[0] == 1 ? 88 : b.len >= 84 && b.body[0] == 0 ? 76 : 0;
    if (!at)
        return 0;
    uint32_t w = be32(b.body + at) >> 16, h = be32(b.body + at + 4) >> 16;
    if (!w || !h)
        return 0;
    out->width = w > INT32_MAX ? 0 : (int)w;
    out->height = h > INT32_MAX ? 0 : (int)h;
    static const char *const path[] = {"mdia", "minf", "stbl", "stsz"};
    b = *trak;
    for (size_t i = 0; i < 4; i++)
        if ((rc = mp4_find(b.body, b.len, path[i], &b)) <= 0)
            return rc;
    if (b.len >= 12 && be32(b.body + 8) <= INT32_MAX)
        out->nframes = (int)be32(b.body + 8);
    return 1;
}

static int mp4_probe(const unsigned char *data, size_t size, media_video_info *out)
{
    const unsigned char *p = data, *end = data + size;
    mp4_box box, moov = {NULL, 0, ""};
    int rc, first = 1;
    while ((rc = mp4_next(&p, end, &box)) == 1) {
        if (first && (memcmp(box.type, "ftyp", 4) != 0 || box.len < 8))
            return TALLY_EMEDIA;
        if (!moov.body && memcmp(box.type, "moov", 4) == 0)
            moov = box;
        first = 0;
    }
    if (rc < 0 || !moov.body)
        return TALLY_EMEDIA;
    if ((rc = mp4_find(moov.body, moov.len, "mvhd", &box)) < 0)
        return rc;
    if (rc == 1)
        mp4_mvhd(&box, out);
    p = moov.body;
    end = moov.body + moov.len;
    while ((rc = mp4_next(&p, end, &box)) == 1)
        if (memcmp(box.type, "trak", 4) == 0 && (rc = mp4_trak(&box, out)) != 0)
            break;
    return rc < 0 ? rc : 0;
}

/* ---- WebM / Matroska: EBML elements of id, size, body ---- */

#define EBML_UNKNOWN UINT64_MAX

/* A variable-length integer of 1..max bytes: the id keeps its length
 * marker, a size drops it (all ones: unknown). 0 or TALLY_EMEDIA. */
static int ebml_vint(const unsigned char **p, const unsigned char *end, int max, int is_id,
                     uint64_t *v)
{
    if (*p >= end || **p == 0)
        return TALLY_EMEDIA;
    int len = 1;
    while (!(**p & (0x80 >> (len - 1))))
        len++;
    if (len > max || end - *p < len)
        return TALLY_EMEDIA;
    uint64_t x = is_id ? **p : **p & (0xffu >> len);
    int ones = x == (0xffu >> len);
    for (int i = 1; i < len; i++) {
        x = x << 8 | (*p)[i];
        ones = ones && (*p)[i] == 0xff;
    }
    *p += len;
    *v = !is_id && ones ? EBML_UNKNOWN : x;
    return 0;
}

typedef struct ebml_el {
    uint64_t id;
    const unsigned char *body;
    size_t len;
} ebml_el;

/* 1 for an element, 0 at the end, TALLY_EMEDIA when it does not fit; an
 * element of unknown size runs to the end of its parent. */
static int ebml_next(const unsigned char **p, const unsigned char *end, ebml_el *el)
{
    if (*p == end)
        return 0;
    uint64_t size;
    if (ebml_vint(p, end, 4, 1, &el->id) < 0 || ebml_vint(p, end, 8, 0, &size) < 0)
        return TALLY_EMEDIA;
    size_t left = (size_t)(end - *p);
    if (size == EBML_UNKNOWN)
        size = left;
    if (size > left)
        return TALLY_EMEDIA;
    el->body = *p;
    el->len = (size_t)size;
    *p += size;
    return 1;
}

static uint64_t ebml_uint(const ebml_el *el)
{
    uint64_t v = 0;
    for (size_t i = 0; i < el->len && i < 8; i++)
        v = v << 8 | el->body[i];
    return v;
}

static double ebml_float(const ebml_el *el)
{
    if (el->len == 4) {
        uint32_t u = be32(el->body);
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    if (el->len == 8) {
        uint64_t u = be64(el->body);
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    return 0.0;
}

enum {
    EBML_HEADER = 0x1a45dfa3,
    EBML_DOCTYPE = 0x4282,
    MKV_SEGMENT = 0x18538067,
    MKV_INFO = 0x1549a966,
    MKV_TIMESCALE = 0x2ad7b1,
    MKV_DURATION = 0x4489,
    MKV_TRACKS = 0x1654ae6b,
    MKV_TRACK = 0xae,
    MKV_VIDEO = 0xe0,
    MKV_WIDTH = 0xb0,
    MKV_HEIGHT = 0xba,
    MKV_CLUSTER = 0x1f43b675
};

static int mkv_tracks(const ebml_el *tracks, media_video_info *out)
{
    const unsigned char *p = tracks->body, *end = p + tracks->len;
    ebml_el t, v, f;
    int rc;
    while ((rc = ebml_next(&p, end, &t)) == 1) {
        if (t.id != MKV_TRACK)
            continue;
        const unsigned char *q = t.body, *qend = q + t.len;
        while ((rc = ebml_next(&q, qend, &v)) == 1) {
            if (v.id != MKV_VIDEO)
                continue;
            const unsigned char *r = v.body, *rend = r + v.len;
            while ((rc = ebml_next(&r, rend, &f)) == 1) {
                uint64_t x = ebml_uint(&f);
                if (f.id == MKV_WIDTH && x <= INT32_MAX)
                    out->width = (int)x;
                else if (f.id == MKV_HEIGHT && x <= INT32_MAX)
                    out->height = (int)x;
            }
            return rc;
        }
        if (rc < 0)
            return rc;
    }
    return rc;
}

static int webm_probe(const unsigned char *data, size_t size, media_video_info *out)
{
    const unsigned char *p = data, *end = data + size;
    ebml_el head, el;
    if (ebml_next(&p, end, &head) != 1 || head.id != EBML_HEADER)
        return TALLY_EMEDIA;
    const unsigned char *q = head.body, *qend = q + head.len;
    int rc, doctype = 0;
    while ((rc = ebml_next(&q, qend, &el)) == 1)
        if (el.id == EBML_DOCTYPE)
            doctype = (el.len == 4 && memcmp(el.body, "webm", 4) == 0) ||
                      (el.len == 8 && memcmp(el.body, "matroska", 8) == 0);
    if (rc < 0 || !doctype)
        return TALLY_EMEDIA;
    ebml_el seg;
    if (ebml_next(&p, end, &seg) != 1 || seg.id != MKV_SEGMENT)
        return TALLY_EMEDIA;
    /* Info and Tracks come before the first Cluster in every muxer's output. */
    q = seg.body;
    qend = q + seg.len;
    uint64_t scale = 1000000;
    double duration = 0.0;
    int tracks = 0;
    while ((rc = ebml_next(&q, qend, &el)) == 1 && el.id != MKV_CLUSTER) {
        if (el.id == MKV_INFO) {
            const unsigned char *r = el.body, *rend = r + el.len;
            ebml_el f;
            while ((rc = ebml_next(&r, rend, &f)) == 1) {
                if (f.id == MKV_TIMESCALE)
                    scale = ebml_uint(&f);
                else if (f.id == MKV_DURATION)
                    duration = ebml_float(&f);
            }
            if (rc < 0)
                return rc;
        } else if (el.id == MKV_TRACKS) {
            if ((rc = mkv_tracks(&el, out)) < 0)
                return rc;
            tracks = 1;
        }
    }
    if (rc < 0 || !tracks) /* no Tracks: nothing a player could show */
        return TALLY_EMEDIA;
    double secs = duration * (double)scale / 1e9;
    out->duration = isfinite(secs) && secs > 0 ? secs : 0.0;
    return 0;
}

/* ---- Ogg: pages of a 27-byte header, a segment table and a body ---- */

static int ogg_probe(const unsigned char *data, size_t size, media_video_info *out)
{
    size_t pos = 0;
    int page = 0;
    while (pos < size) {
        size_t left = size - pos;
        const unsigned char *h = data + pos;
        if (left < 27 || memcmp(h, "OggS", 4) != 0 || h[4] != 0)
            return TALLY_EMEDIA;
        size_t nseg = h[26], body = 0;
        if (left < 27 + nseg)
            return TALLY_EMEDIA;
        for (size_t i = 0; i < nseg; i++)
            body += h[27 + i];
        if (left - 27 - nseg < body)
            return TALLY_EMEDIA;
        const unsigned char *b = h + 27 + nseg;
        /* A stream's first page (flag 2) holds its identification header:
         * Theora's has the picture size (24-bit PICW / PICH at 14 and 17). */
        if ((h[5] & 2) && body >= 20 && memcmp(b, "\x80theora", 7) == 0 && !out->width) {
            out->width = (int)(b[14] << 16 | b[15] << 8 | b[16]);
            out->height = (int)(b[17] << 16 | b[18] << 8 | b[19]);
        }
        pos += 27 + nseg + body;
        page++;
    }
    return page ? 0 : TALLY_EMEDIA;
}

int media_video_probe(const void *data, size_t size, media_video_info *out)
{
    if (!out)
        return TALLY_EMEDIA;
    memset(out, 0, sizeof *out);
    media_format fmt = media_sniff(data, size);
    int rc;
    switch (fmt) {
    case MEDIA_FMT_GIF: return media_gif_probe(data, size, out);
    case MEDIA_FMT_MP4: rc = mp4_probe(data, size, out); break;
    case MEDIA_FMT_WEBM: rc = webm_probe(data, size, out); break;
    case MEDIA_FMT_OGG: rc = ogg_probe(data, size, out); break;
    default: return TALLY_EMEDIA;
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->format = fmt;
    return 0;
}
