/*
 * media.c — stages the media objects of a Run.log() dict through libtally's
 * media calls (tally_log_image / _images / _histogram_bins / _table_images /
 * _audio / _video / _plot).  The package's classes (tally/_media.py,
 * tally/plot.py) reduce every object to a "spec" tuple of buffers and plain
 * values; log.c keeps the spec from its walk and calls ext_stage_media()
 * when it stages the row.  libtally copies what it keeps, so the buffers
 * are borrowed only for the call, which runs without the GIL (it may read a
 * file or copy megabytes).
 */
#include "ext.h"

#include <string.h>

/* Images in one object at the most (a table's image cells): past it the
 * object is refused with a warning rather than sized without bound. */
#define IMAGES_MAX ((size_t)TALLY_TABLE_MAX_ROWS * 16)

/* Buffers borrowed from Python objects for one call, sized for its images
 * (each with pixels or bytes, and a path) and three more. */
typedef struct {
    Py_buffer *buf;
    PyObject **paths; /* file system encoded bytes */
    size_t nbuf, npath, cap;
} held;

static int held_init(held *h, size_t nimages)
{
    h->cap = 2 * nimages + 4;
    h->nbuf = h->npath = 0;
    h->buf = PyMem_Calloc(h->cap, sizeof *h->buf);
    h->paths = PyMem_Calloc(h->cap, sizeof *h->paths);
    return h->buf && h->paths ? 0 : -1;
}

static void held_release(held *h)
{
    for (size_t i = 0; i < h->nbuf; i++)
        PyBuffer_Release(&h->buf[i]);
    for (size_t i = 0; i < h->npath; i++)
        Py_DECREF(h->paths[i]);
    PyMem_Free(h->buf);
    PyMem_Free(h->paths);
    h->buf = NULL;
    h->paths = NULL;
    h->nbuf = h->npath = 0;
}

/* A contiguous buffer of obj (NULL for None); -1 with an exception set. */
static int held_buffer(held *h, PyObject *obj, const void **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    if (obj == Py_None)
        return 0;
    if (h->nbuf == h->cap) {
        PyErr_SetString(PyExc_ValueError, "too many buffers in one object");
        return -1;
    }
    Py_buffer *b = &h->buf[h->nbuf];
    if (PyObject_GetBuffer(obj, b, PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    h->nbuf++;
    *data = b->buf;
    *size = (size_t)b->len;
    return 0;
}

static int held_path(held *h, PyObject *obj, const char **path)
{
    *path = NULL;
    if (obj == Py_None)
        return 0;
    if (h->npath == h->cap) {
        PyErr_SetString(PyExc_ValueError, "too many paths in one object");
        return -1;
    }
    PyObject *b;
    if (!PyUnicode_FSConverter(obj, &b))
        return -1;
    h->paths[h->npath++] = b;
    *path = PyBytes_AS_STRING(b);
    return 0;
}

static const char *opt_text(PyObject *obj)
{
    return obj == Py_None ? NULL : PyUnicode_AsUTF8(obj);
}

/* (pixels|None, width, height, channels, sample, data|None, path|None,
 *  caption|None) as a tally_image. */
static int parse_image(held *h, PyObject *t, tally_image *im)
{
    PyObject *pixels, *data, *path, *caption;
    memset(im, 0, sizeof *im);
    if (!PyTuple_Check(t) || !PyArg_ParseTuple(t, "OiiiiOOO", &pixels, &im->width, &im->height,
                                               &im->channels, &im->sample, &data, &path,
                                               &caption)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "an image spec must be a tuple");
        return -1;
    }
    size_t n;
    if (held_buffer(h, pixels, &im->pixels, &n) < 0 || held_buffer(h, data, &im->data, &im->size) < 0 ||
        held_path(h, path, &im->path) < 0)
        return -1;
    if (caption != Py_None && !(im->caption = opt_text(caption)))
        return -1;
    if (im->pixels && n < (size_t)im->width * (size_t)im->height * (size_t)im->channels) {
        PyErr_SetString(PyExc_ValueError, "image pixels shorter than width x height x channels");
        return -1;
    }
    return 0;
}

/* A list of image specs into images[] (room for max). */
static int parse_images(held *h, PyObject *list, tally_image *images, size_t max, size_t *n)
{
    if (!PyList_Check(list) || (size_t)PyList_GET_SIZE(list) > max) {
        PyErr_SetString(PyExc_ValueError, "too many images in one object");
        return -1;
    }
    *n = (size_t)PyList_GET_SIZE(list);
    for (size_t i = 0; i < *n; i++)
        if (parse_image(h, PyList_GET_ITEM(list, (Py_ssize_t)i), &images[i]) < 0)
            return -1;
    return 0;
}

/* The libtally call of one spec, made without the GIL.  All pointers in
 * the call are borrowed from held buffers or from spec's own objects. */
typedef struct {
    const char *kind;
    tally_image *images; /* room for the spec's images (spec_images) */
    size_t nimages, room;
    const char *text; /* table / plot JSON */
    const double *counts, *edges;
    size_t nbins;
    tally_audio audio;
    tally_video video;
    tally_plot plot;
} call;

static int run_call(tally_run *run, const char *key, const call *c)
{
    switch (c->kind[0]) {
    case 'i':
        if (strcmp(c->kind, "image") == 0)
            return tally_log_image(run, key, &c->images[0]);
        return tally_log_images(run, key, c->images, c->nimages);
    case 'h':
        return tally_log_histogram_bins(run, key, c->counts, c->nbins, c->edges);
    case 't':
        return c->nimages ? tally_log_table_images(run, key, c->text, c->images, c->nimages)
                          : tally_log_table(run, key, c->text);
    case 'a':
        return tally_log_audio(run, key, &c->audio);
    case 'v':
        return tally_log_video(run, key, &c->video);
    case 'p':
        return tally_log_plot(run, key, &c->plot);
    default:
        return TALLY_EINVAL;
    }
}

/* Fills c from spec; -1 with a Python exception for a malformed spec. */
static int parse_spec(held *h, PyObject *spec, call *c, long long *skipped)
{
    *skipped = 0;
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) < 2 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(spec, 0))) {
        PyErr_SetString(PyExc_TypeError, "a media spec must be a (kind, ...) tuple");
        return -1;
    }
    const char *kind = PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 0));
    if (!kind)
        return -1;
    c->kind = kind;
    PyObject *a, *b, *d, *e, *f;
    size_t n, m;
    if (strcmp(kind, "image") == 0) {
        c->nimages = 1;
        return parse_image(h, PyTuple_GET_ITEM(spec, 1), &c->images[0]);
    }
    if (strcmp(kind, "images") == 0) {
        PyObject *list;
        if (!PyArg_ParseTuple(spec, "sOL", &kind, &list, skipped))
            return -1;
        return parse_images(h, list, c->images, c->room, &c->nimages);
    }
    if (strcmp(kind, "histogram_bins") == 0) {
        if (!PyArg_ParseTuple(spec, "sOOL", &kind, &a, &b, skipped))
            return -1;
        const void *counts, *edges;
        if (held_buffer(h, a, &counts, &n) < 0 || held_buffer(h, b, &edges, &m) < 0)
            return -1;
        c->counts = counts;
        c->edges = edges;
        c->nbins = n / sizeof(double);
        if (m != n + sizeof(double) || n % sizeof(double)) {
            PyErr_SetString(PyExc_ValueError, "len(bins) must be len(histogram) + 1");
            return -1;
        }
        return 0;
    }
    if (strcmp(kind, "table") == 0) {
        Py_ssize_t rows;
        if (!PyArg_ParseTuple(spec, "ssOn", &kind, &c->text, &a, &rows))
            return -1;
        *skipped = rows > TALLY_TABLE_MAX_ROWS ? rows - TALLY_TABLE_MAX_ROWS : 0;
        return parse_images(h, a, c->images, c->room, &c->nimages);
    }
    if (strcmp(kind, "audio") == 0) {
        tally_audio *au = &c->audio;
        if (!PyArg_ParseTuple(spec, "sOniiOOO", &kind, &a, &au->frames, &au->channels,
                              &au->sample_rate, &b, &d, &e))
            return -1;
        const void *samples;
        if (held_buffer(h, a, &samples, &n) < 0 || held_buffer(h, b, &au->data, &au->size) < 0 ||
            held_path(h, d, &au->path) < 0)
            return -1;
        au->samples = samples;
        if (samples && n < au->frames * (size_t)au->channels * sizeof(float)) {
            PyErr_SetString(PyExc_ValueError, "audio samples shorter than frames x channels");
            return -1;
        }
        if (e != Py_None && !(au->caption = opt_text(e)))
            return -1;
        return 0;
    }
    if (strcmp(kind, "video") == 0) {
        tally_video *v = &c->video;
        if (!PyArg_ParseTuple(spec, "sOiiiiidOOO", &kind, &a, &v->nframes, &v->width,
                              &v->height, &v->channels, &v->sample, &v->fps, &b, &d, &e))
            return -1;
        if (held_buffer(h, a, &v->frames, &n) < 0 || held_buffer(h, b, &v->data, &v->size) < 0 ||
            held_path(h, d, &v->path) < 0)
            return -1;
        if (v->frames && n < (size_t)v->nframes * (size_t)v->width * (size_t)v->height *
                                 (size_t)v->channels) {
            PyErr_SetString(PyExc_ValueError, "video frames shorter than their size");
            return -1;
        }
        if (e != Py_None && !(v->caption = opt_text(e)))
            return -1;
        return 0;
    }
    if (strcmp(kind, "plot") == 0) {
        Py_ssize_t rows;
        if (!PyArg_ParseTuple(spec, "sssOOn", &kind, &c->plot.preset, &c->plot.table_json, &f,
                              &d, &rows))
            return -1;
        *skipped = rows > TALLY_TABLE_MAX_ROWS ? rows - TALLY_TABLE_MAX_ROWS : 0;
        if ((f != Py_None && !(c->plot.fields_json = opt_text(f))) ||
            (d != Py_None && !(c->plot.title = opt_text(d))))
            return -1;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "unknown media kind %.40s", kind);
    return -1;
}

/* A copy of an untrusted key fit for a terminal: controls become '?'. */
static void shown_key(char *out, size_t size, const char *key)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p && o + 1 < size; p++)
        out[o++] = (*p < 0x20 || *p == 0x7f || (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
                       ? '?'
                       : (char)*p;
    out[o] = '\0';
}

/* How many images a spec holds: a gallery's or a table's list, else 1. */
static size_t spec_images(PyObject *spec)
{
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) < 3)
        return 1;
    const char *kind = PyUnicode_Check(PyTuple_GET_ITEM(spec, 0))
                           ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(spec, 0))
                           : NULL;
    PyObject *list = !kind                          ? NULL
                     : strcmp(kind, "images") == 0 ? PyTuple_GET_ITEM(spec, 1)
                     : strcmp(kind, "table") == 0  ? PyTuple_GET_ITEM(spec, 2)
                                                   : NULL;
    PyErr_Clear();
    return list && PyList_Check(list) ? (size_t)PyList_GET_SIZE(list) : 1;
}

int ext_stage_media(ext_run *self, const char *key, PyObject *spec)
{
    held *h = PyMem_Calloc(1, sizeof *h);
    call *c = PyMem_Calloc(1, sizeof *c);
    int rc = TALLY_ENOMEM;
    long long skipped = 0;
    size_t nimages = spec_images(spec);
    if (nimages > IMAGES_MAX) {
        char shown[96];
        shown_key(shown, sizeof shown, key);
        ext_warn(self, WARN_MEDIA_CUT, "'%s': %zu images in one object, more than tally "
                 "takes (%zu): not logged", shown, nimages, IMAGES_MAX);
        PyMem_Free(h);
        PyMem_Free(c);
        return TALLY_ETOOBIG;
    }
    if (!h || !c || held_init(h, nimages) < 0 ||
        !(c->images = PyMem_Calloc(nimages ? nimages : 1, sizeof *c->images))) {
        PyErr_Clear();
        goto fail;
    }
    c->room = nimages ? nimages : 1;
    if (parse_spec(h, spec, c, &skipped) < 0) {
        /* The package built a spec this module cannot read: a bug on our
         * side, reported as a warning rather than raised into the loop. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject *s = value ? PyObject_Str(value) : NULL;
        const char *why = s ? PyUnicode_AsUTF8(s) : NULL;
        PyErr_Clear();
        ext_warn(self, WARN_MEDIA, "an object not logged: %s", why ? why : "bad media spec");
        Py_XDECREF(s);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        rc = 0; /* warned already */
        goto fail;
    }
    tally_run *run = self->handle;
    if (!run) {
        rc = TALLY_EFINISHED;
        goto fail;
    }
    self->busy++; /* finish() waits for us */
    Py_BEGIN_ALLOW_THREADS
    rc = run_call(run, key, c);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc == 0 && skipped) {
        char shown[96];
        shown_key(shown, sizeof shown, key);
        if (c->kind[0] == 'h')
            ext_warn(self, WARN_MEDIA_NAN, "histogram '%s': %lld NaN or infinite values left "
                     "out", shown, skipped);
        else if (c->kind[1] == 'm') /* "images" */
            ext_warn(self, WARN_MEDIA_CUT, "gallery '%s': only its first %d images logged "
                     "(wandb's limit too)", shown, TALLY_GALLERY_MAX);
        else
            ext_warn(self, WARN_MEDIA_CUT, "table '%s': only its first %d rows logged (wandb's "
                     "limit too)", shown, TALLY_TABLE_MAX_ROWS);
    }
fail:
    if (h)
        held_release(h);
    if (c)
        PyMem_Free(c->images);
    PyMem_Free(h);
    PyMem_Free(c);
    return rc;
}
