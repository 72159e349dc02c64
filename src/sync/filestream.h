/*
 * filestream.h — the file_stream endpoint: one batch of lines for
 * wandb-history.jsonl, wandb-events.jsonl, wandb-summary.json and
 * output.log (each at its line offset), the files just uploaded, and the
 * final complete/exitcode; kept under a size cap.  The line formats and
 * the batch builder are pure, for tests.  Used by sync.c.
 */
#ifndef TALLY_SYNC_FILESTREAM_H
#define TALLY_SYNC_FILESTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "sync/http.h"
#include "tally_store.h"

enum { FSTREAM_HISTORY, FSTREAM_EVENTS, FSTREAM_SUMMARY, FSTREAM_OUTPUT, FSTREAM_NFILES };

/* "wandb-history.jsonl", ... by FSTREAM_* index. */
extern const char *const fstream_file_names[FSTREAM_NFILES];

/* Requests stay under this many bytes (before gzip): wandb's 10 MiB, less
 * room for headers.  $TALLY_SYNC_MAX_BODY lowers it (tests). */
#define FSTREAM_MAX_BODY ((size_t)10 * 1024 * 1024 - 64 * 1024)

#define FSTREAM_FULL 1 /* fstream_add: the line does not fit; send first */

typedef struct fstream_part {
    int64_t offset; /* line number of the first line */
    size_t nlines;
    buf lines; /* the lines as JSON strings, comma-separated */
} fstream_part;

typedef struct fstream_batch {
    size_t cap, size; /* size: the body's length, exactly, once built */
    fstream_part part[FSTREAM_NFILES];
    buf uploaded; /* JSON strings, comma-separated */
    size_t nuploaded;
    size_t reserved; /* room kept for names to be listed in "uploaded" later */
    int complete, exitcode;
} fstream_batch;

void fstream_batch_init(fstream_batch *b, size_t cap);
void fstream_batch_reset(fstream_batch *b); /* empty again; keeps its memory */
void fstream_batch_free(fstream_batch *b);
int fstream_batch_empty(const fstream_batch *b);

/* Appends one line (JSON text, len bytes) to file, whose first line in
 * this batch sits at offset.  FSTREAM_FULL (and nothing added) when the
 * body would pass the cap; a line alone in an empty batch always fits. */
int fstream_add(fstream_batch *b, int file, int64_t offset, const char *line, size_t len);
int fstream_add_uploaded(fstream_batch *b, const char *name);
/* fstream_add() of a line that names files (media) the sender lists in
 * "uploaded" only once it knows which it uploaded: reserve bytes of room
 * (the sum of fstream_uploaded_cost() of the names) are kept for them in
 * the body's size, with the line, or neither (FSTREAM_FULL). */
int fstream_add_reserving(fstream_batch *b, int file, int64_t offset, const char *line,
                          size_t len, size_t reserve);
size_t fstream_uploaded_cost(const char *name);
/* Gives the reserved room back, once the names are listed. */
void fstream_release(fstream_batch *b);
void fstream_set_complete(fstream_batch *b, int exitcode);

/* The request body, {"files": {...}, "uploaded": [...], "complete": ...}. */
void fstream_body(const fstream_batch *b, buf *out);

/* Line formats. */
/* {"_wandb":true,"_timestamp":..,"_runtime":..,"system.cpu":..} from a
 * time-axis row (x: ms since start_time). */
void fstream_events_line(buf *out, const tally_history_row *row, double start_time);
/* "2006-01-02T15:04:05.000000 text", "ERROR " first for stderr (stream 2). */
void fstream_output_line(buf *out, double t, int stream, const char *text);
/* The summary object with _step / _runtime / _timestamp added when known. */
int fstream_summary_line(buf *out, const char *summary_json, const tally_run_info *info);

/* POSTs the batch to base/files/entity/project/run/file_stream; *stopped
 * is set when the server says the run was stopped in its UI. */
int fstream_send(http_client *h, const char *base, const char *entity, const char *project,
                 const char *run, const fstream_batch *b, int gzip, int *stopped, char *err,
                 size_t errsize);

#endif
