/*
 * media_job.h — one object between a tally_log_<media>() call and the run
 * file.  Built and checked on the caller's thread (media.c), staged in the
 * open row, queued at commit (log.c), then encoded, hashed and written by
 * the flusher (media_encode.c).  A job owns everything it points to.
 */
#ifndef TALLY_MEDIA_JOB_H
#define TALLY_MEDIA_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "store/writer.h"

/* What a part holds before the flusher encodes it. */
enum {
    MEDIA_SRC_NONE = 0, /* made by the flusher (a table's JSON) */
    MEDIA_SRC_U8,       /* packed 8-bit pixels (an image) or frames (a video) */
    MEDIA_SRC_F32,      /* the same as floats in 0..1 */
    MEDIA_SRC_IMAGE,    /* PNG / JPEG / GIF bytes: decoded and re-encoded as PNG */
    MEDIA_SRC_PCM,      /* interleaved float samples: encoded as WAV */
    MEDIA_SRC_GIF,      /* an animated GIF: decoded and re-encoded */
    MEDIA_SRC_VIDEO     /* MP4 / WebM / Ogg bytes, stored as given (header checked) */
};

/* One file of an object: the image, a gallery's image, a table image
 * cell, the WAV, the video, the table JSON. */
typedef struct media_part {
    int src;
    int width, height, channels; /* images, frames */
    int nframes;                 /* video frames */
    double fps;                  /* video */
    int sample_rate;             /* audio */
    size_t frames;               /* audio frames */
    void *data;                  /* the copy of what was given; freed once encoded */
    size_t size;
    size_t cap; /* data's capacity when it came from the run's pool (media_buf_get), else 0 */
    char *caption; /* or NULL */
    /* set by the flusher */
    int encoded;
    buf out;            /* the file's bytes */
    const char *format; /* "png", "wav", ... (static) */
    char sha256[65];
    double duration; /* audio, video: seconds (0: unknown) */
} media_part;

typedef struct media_job {
    int type;     /* tally_media_type */
    size_t bytes; /* memory it holds, counted against TALLY_MEDIA_QUEUE_BYTES */
    int64_t metric_id, x; /* set at commit */
    media_part *parts;    /* table and plot: parts[0] is the table JSON, then image cells */
    size_t nparts;
    /* histogram */
    double *counts, *edges;
    size_t nbins, skipped;
    /* table and plot: {"columns":[..],"data":[[..],..]}, image cells
     * {"_type":"image","index":k} standing for parts[1 + k] */
    cJSON *table;
    size_t ncols, nrows;
    /* plot */
    char *chart, *preset, *fields_json, *title;
    /* set by the flusher */
    char *meta;
} media_job;

void media_job_free(media_job *job);

/* Flusher side (media_encode.c): encodes every part, hashes the files and
 * writes the meta JSON.  0, or the TALLY_E* code of a part whose bytes turn
 * out unusable only now (a corrupt PNG body); *why then says which. */
struct tally_run;
int media_job_encode(struct tally_run *run, media_job *job, const char **why);
/* The files of an encoded job for writer_media(): fills files[0..nparts). */
void media_job_files(const media_job *job, writer_blob *files);

#endif
