/*
 * store.c — the read side of _tally over tally_store.h: run lists, one
 * run's info, summary, config and files, its history as rows (dicts) built
 * in C, one libtally history cursor walking all metrics side by side, and
 * its media objects (keys, objects with their files, blobs, decoded images,
 * tables, audio).  The Python layer (tally/api.py) shapes these into
 * wandb.Api's objects.
 */
#include "ext.h"

#include <math.h>
#include <string.h>

static PyObject *json_loads; /* json.loads, for non-scalar cells */

static PyObject *text(const char *s)
{
    if (s)
        return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
    Py_RETURN_NONE;
}

static PyObject *raise_rc(int rc, const char *what)
{
    PyObject *exc = rc == TALLY_ENOTFOUND ? PyExc_FileNotFoundError
                    : rc == TALLY_EACCES  ? PyExc_PermissionError
                                          : PyExc_OSError;
    PyErr_Format(exc, "%s: %s", what, tally_strerror(rc));
    return NULL;
}

/* A run row as a dict; the JSON fields stay JSON text for the Python layer. */
static PyObject *info_dict(const tally_run_info *i)
{
    return Py_BuildValue(
        "{s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:s,s:O,s:i,"
        "s:d,s:d,s:d,s:L,s:L,s:L}",
        "path", text(i->path), "id", text(i->id), "project", text(i->project), "name",
        text(i->name), "group", text(i->group), "job_type", text(i->job_type), "notes",
        text(i->notes), "mode", text(i->mode), "tags_json", text(i->tags_json), "host",
        text(i->host), "user", text(i->user), "os", text(i->os), "cwd", text(i->cwd),
        "command_json", text(i->command_json), "git_json", text(i->git_json), "summary_json",
        text(i->summary_json), "state", tally_state_name(i->state), "has_exit_code",
        i->has_exit_code ? Py_True : Py_False, "exit_code", i->exit_code, "start_time",
        i->start_time, "heartbeat", i->heartbeat, "end_time", i->end_time, "pid",
        (long long)i->pid, "rows", (long long)i->rows, "last_step", (long long)i->last_step);
}

static PyObject *mod_list_runs(PyObject *m, PyObject *args)
{
    const char *root;
    if (!PyArg_ParseTuple(args, "s:list_runs", &root))
        return NULL;
    tally_run_list *list = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = tally_store_list(root, &list);
    Py_END_ALLOW_THREADS
    if (rc)
        return raise_rc(rc, root);
    PyObject *out = PyList_New(0);
    for (size_t i = 0; out && i < list->n; i++) {
        PyObject *d = info_dict(&list->runs[i]);
        if (!d || PyList_Append(out, d) < 0)
            Py_CLEAR(out);
        Py_XDECREF(d);
    }
    tally_run_list_free(list);
    return out;
}

static PyObject *mod_resolve(PyObject *m, PyObject *args)
{
    const char *root, *run;
    if (!PyArg_ParseTuple(args, "ss:resolve", &root, &run))
        return NULL;
    char *path = NULL;
    int rc = tally_store_resolve(root, run, &path);
    if (rc == TALLY_ENOTFOUND)
        Py_RETURN_NONE;
    if (rc == TALLY_EINVAL) {
        PyErr_Format(PyExc_ValueError, "run %s: ambiguous: more than one run id starts so", run);
        return NULL;
    }
    if (rc)
        return raise_rc(rc, run);
    PyObject *p = text(path);
    free(path);
    return p;
}

/* ---- Store: one open run file ---- */

typedef struct {
    PyObject_HEAD
    tally_store *st;
} ext_store;

static PyTypeObject ext_store_type;

static int store_init(ext_store *self, PyObject *args, PyObject *kw)
{
    const char *path;
    if (!PyArg_ParseTuple(args, "s:Store", &path))
        return -1;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = tally_store_open(path, &self->st);
    Py_END_ALLOW_THREADS
    if (rc) {
        raise_rc(rc, path);
        return -1;
    }
    return 0;
}

static void store_dealloc(ext_store *self)
{
    tally_store_close(self->st);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int store_ok(ext_store *self)
{
    if (self->st)
        return 1;
    PyErr_SetString(PyExc_ValueError, "the run file is closed");
    return 0;
}

static PyObject *store_close(ext_store *self, PyObject *unused)
{
    tally_store_close(self->st);
    self->st = NULL;
    Py_RETURN_NONE;
}

static PyObject *store_info(ext_store *self, PyObject *unused)
{
    if (!store_ok(self))
        return NULL;
    int rc = tally_store_refresh(self->st, NULL);
    if (rc)
        return raise_rc(rc, "refresh");
    return info_dict(tally_store_info(self->st));
}

typedef int (*json_fn)(tally_store *, char **);

static PyObject *store_json(ext_store *self, json_fn fn, const char *what)
{
    if (!store_ok(self))
        return NULL;
    char *json = NULL;
    int rc = fn(self->st, &json);
    if (rc)
        return raise_rc(rc, what);
    PyObject *r = text(json);
    free(json);
    return r;
}

static PyObject *store_summary(ext_store *self, PyObject *unused)
{
    return store_json(self, tally_store_summary, "summary");
}

static PyObject *store_config(ext_store *self, PyObject *unused)
{
    return store_json(self, tally_store_config, "config");
}

static PyObject *store_metrics(ext_store *self, PyObject *unused)
{
    if (!store_ok(self))
        return NULL;
    size_t n = tally_store_metric_count(self->st);
    PyObject *out = PyList_New(0);
    for (size_t i = 0; out && i < n; i++) {
        const tally_metric_info *mi = tally_store_metric(self->st, i);
        PyObject *d = Py_BuildValue("{s:N,s:s,s:N,s:I,s:i,s:O,s:L}", "name", text(mi->name),
                                    "axis", mi->axis == TALLY_AXIS_TIME ? "time" : "step",
                                    "step_metric", text(mi->step_metric), "summary",
                                    mi->summary, "goal", mi->goal, "hidden",
                                    mi->hidden ? Py_True : Py_False, "n", (long long)mi->n);
        if (!d || PyList_Append(out, d) < 0)
            Py_CLEAR(out);
        Py_XDECREF(d);
    }
    return out;
}

static int file_cb(void *ctx, const tally_file_info *f)
{
    PyObject *d = Py_BuildValue("{s:N,s:L,s:d}", "path", text(f->path), "size",
                                (long long)f->size, "mtime", f->mtime);
    int rc = d ? PyList_Append(ctx, d) : -1;
    Py_XDECREF(d);
    return rc < 0;
}

static PyObject *store_files(ext_store *self, PyObject *unused)
{
    if (!store_ok(self))
        return NULL;
    PyObject *out = PyList_New(0);
    if (!out)
        return NULL;
    int rc = tally_store_files(self->st, file_cb, out);
    if (PyErr_Occurred()) {
        Py_DECREF(out);
        return NULL;
    }
    if (rc) {
        Py_DECREF(out);
        return raise_rc(rc, "files");
    }
    return out;
}

/* The malloc'd bytes a read call returned, as bytes (freed), or its error. */
static PyObject *bytes_result(int rc, void *data, size_t size, const char *what)
{
    if (rc)
        return raise_rc(rc, what);
    PyObject *b = PyBytes_FromStringAndSize(data, (Py_ssize_t)size);
    free(data);
    return b;
}

static PyObject *store_file_read(ext_store *self, PyObject *args)
{
    const char *path;
    if (!PyArg_ParseTuple(args, "s:file_read", &path) || !store_ok(self))
        return NULL;
    void *data = NULL;
    size_t size = 0;
    int rc = tally_store_file_read(self->st, path, &data, &size);
    return bytes_result(rc, data, size, path);
}

/* ---- Rows: an iterator of history rows as dicts ---- */

typedef struct {
    PyObject_HEAD
    PyObject *store; /* keeps the handle alive */
    tally_history *h;
    tally_axis axis;
    double start_time;
    PyObject **names; /* column names, NULL for columns not asked for */
    size_t ncols;
    int all_keys;     /* a row is yielded only when every asked-for key is in it */
    size_t nwanted;
} ext_rows;

static PyTypeObject ext_rows_type;

static void rows_release(ext_rows *self)
{
    if (self->h)
        tally_history_close(self->h);
    self->h = NULL;
    for (size_t i = 0; i < self->ncols; i++)
        Py_XDECREF(self->names[i]);
    PyMem_Free(self->names);
    self->names = NULL;
    self->ncols = 0;
}

static void rows_dealloc(ext_rows *self)
{
    rows_release(self);
    Py_XDECREF(self->store);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *cell_value(const tally_history_cell *c)
{
    if (c->kind == 1)
        return PyFloat_FromDouble(c->y);
    PyObject *s = text(c->json);
    if (!s)
        return NULL;
    PyObject *v = PyObject_CallOneArg(json_loads, s);
    Py_DECREF(s);
    return v;
}

static PyObject *rows_next(ext_rows *self)
{
    for (;;) {
        if (!self->h)
            return NULL;
        tally_history_row row;
        int rc = tally_history_next(self->h, &row);
        if (rc <= 0) {
            rows_release(self);
            return rc < 0 ? raise_rc(rc, "history") : NULL;
        }
        if (!row.any)
            continue;
        PyObject *d = PyDict_New();
        if (!d)
            return NULL;
        size_t found = 0;
        int fail = 0;
        for (size_t j = 0; j < row.nset && !fail; j++) { /* only the cells with a value */
            size_t i = row.set[j];
            const tally_history_cell *c = &row.cells[i];
            if (i >= self->ncols || !self->names[i])
                continue;
            PyObject *v;
            if (c->kind == 1 && c->metric->is_int && isfinite(c->y) && fabs(c->y) < 9007199254740992.0)
                v = PyLong_FromDouble(c->y);
            else
                v = cell_value(c);
            fail = !v || PyDict_SetItem(d, self->names[i], v) < 0;
            Py_XDECREF(v);
            if (strcmp(c->metric->name, "_timestamp") != 0 &&
                strcmp(c->metric->name, "_runtime") != 0)
                found++;
        }
        if (!fail) {
            PyObject *x;
            if (self->axis == TALLY_AXIS_STEP) {
                x = PyLong_FromLongLong((long long)row.x);
                fail = !x || PyDict_SetItemString(d, "_step", x) < 0;
            } else {
                x = PyFloat_FromDouble((double)row.x / 1000.0);
                fail = !x || PyDict_SetItemString(d, "_runtime", x) < 0;
                Py_XDECREF(x);
                x = PyFloat_FromDouble(self->start_time + (double)row.x / 1000.0);
                fail = fail || !x || PyDict_SetItemString(d, "_timestamp", x) < 0;
            }
            Py_XDECREF(x);
        }
        if (fail) {
            Py_DECREF(d);
            return NULL;
        }
        if (self->all_keys && found < self->nwanted) {
            Py_DECREF(d);
            continue;
        }
        return d;
    }
}

/* Store.rows(axis, keys=None): axis "step" (history) or "time" (system
 * samples); keys: only these columns, and only rows holding all of them. */
static PyObject *store_rows(ext_store *self, PyObject *args)
{
    const char *axis_name;
    PyObject *keys = Py_None;
    long long x0 = INT64_MIN, x1 = INT64_MAX;
    if (!PyArg_ParseTuple(args, "s|OLL:rows", &axis_name, &keys, &x0, &x1) || !store_ok(self))
        return NULL;
    tally_axis axis = strcmp(axis_name, "time") == 0 ? TALLY_AXIS_TIME : TALLY_AXIS_STEP;
    PyObject *wanted = NULL;
    if (keys != Py_None) {
        wanted = PySet_New(keys);
        if (!wanted)
            return NULL;
    }
    ext_rows *r = PyObject_New(ext_rows, &ext_rows_type);
    if (!r) {
        Py_XDECREF(wanted);
        return NULL;
    }
    r->store = (PyObject *)self;
    Py_INCREF(self);
    r->h = NULL;
    r->names = NULL;
    r->ncols = 0;
    r->axis = axis;
    r->all_keys = wanted != NULL;
    r->nwanted = 0;
    int rc = tally_store_refresh(self->st, NULL);
    r->start_time = tally_store_info(self->st)->start_time;
    if (!rc)
        rc = tally_history_open(self->st, axis, NULL, x0, x1, &r->h);
    if (rc) {
        Py_XDECREF(wanted);
        Py_DECREF(r);
        return raise_rc(rc, "history");
    }
    size_t n;
    const tally_history_cell *cols = tally_history_columns(r->h, &n);
    r->names = PyMem_Calloc(n ? n : 1, sizeof *r->names);
    if (!r->names) {
        Py_XDECREF(wanted);
        Py_DECREF(r);
        return PyErr_NoMemory();
    }
    r->ncols = n;
    for (size_t i = 0; i < n; i++) {
        PyObject *name = text(cols[i].metric->name);
        if (!name) {
            Py_XDECREF(wanted);
            Py_DECREF(r);
            return NULL;
        }
        int keep = 1;
        if (wanted) {
            keep = PySet_Contains(wanted, name);
            if (keep > 0)
                r->nwanted++;
        }
        if (keep > 0)
            r->names[i] = name;
        else
            Py_DECREF(name);
    }
    if (wanted) {
        /* asked-for keys the run does not have: no row holds them all */
        if ((size_t)PySet_GET_SIZE(wanted) > r->nwanted)
            rows_release(r);
        Py_DECREF(wanted);
    }
    return (PyObject *)r;
}

/* Store.points(name) -> [(step, value)]: a metric's raw points, also of a
 * hidden one (history rows leave those out); ints for integer metrics. */
static PyObject *store_points(ext_store *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:points", &name) || !store_ok(self))
        return NULL;
    int rc = tally_store_refresh(self->st, NULL);
    if (rc)
        return raise_rc(rc, "refresh");
    const tally_metric_info *m = tally_store_find_metric(self->st, name);
    if (!m || m->media) {
        PyErr_Format(PyExc_KeyError, "no scalar metric %s", name);
        return NULL;
    }
    tally_points *pts = NULL;
    rc = tally_points_open(self->st, m->id, INT64_MIN, INT64_MAX, &pts);
    if (rc)
        return raise_rc(rc, name);
    PyObject *out = PyList_New(0);
    int64_t x;
    double y;
    while (out && (rc = tally_points_next(pts, &x, &y)) != 0) {
        if (rc == TALLY_ECORRUPT)
            continue; /* skipped and recorded as damage */
        if (rc < 0) {
            Py_CLEAR(out);
            raise_rc(rc, name);
            break;
        }
        PyObject *v = m->is_int && isfinite(y) && fabs(y) < 9007199254740992.0
                          ? PyLong_FromDouble(y)
                          : PyFloat_FromDouble(y);
        PyObject *t = v ? Py_BuildValue("(LN)", (long long)x, v) : NULL;
        if (!t || PyList_Append(out, t) < 0)
            Py_CLEAR(out);
        Py_XDECREF(t);
    }
    tally_points_close(pts);
    return out;
}

/* ---- media objects ---- */

static PyObject *store_media_keys(ext_store *self, PyObject *unused)
{
    if (!store_ok(self))
        return NULL;
    int rc = tally_store_refresh(self->st, NULL);
    if (rc)
        return raise_rc(rc, "refresh");
    size_t n = tally_store_media_key_count(self->st);
    PyObject *out = PyList_New(0);
    for (size_t i = 0; out && i < n; i++) {
        const tally_media_key *k = tally_store_media_key(self->st, i);
        const char *type = tally_media_type_name(k->type);
        PyObject *d = Py_BuildValue("{s:N,s:L,s:s,s:L,s:L,s:L}", "name", text(k->name),
                                    "metric_id", (long long)k->metric_id, "type",
                                    type ? type : "unknown", "count", (long long)k->count,
                                    "first_step", (long long)k->first_step, "last_step",
                                    (long long)k->last_step);
        if (!d || PyList_Append(out, d) < 0)
            Py_CLEAR(out);
        Py_XDECREF(d);
    }
    return out;
}

static PyObject *media_file_dict(const tally_media_file *f)
{
    return Py_BuildValue("{s:s,s:L,s:N,s:i,s:i,s:N,s:N}", "sha256", f->sha256, "size",
                         (long long)f->size, "format", text(f->format), "width", f->width,
                         "height", f->height, "caption", text(f->caption), "path",
                         text(f->path));
}

/* One object as a dict: what wandb's history holds ("wandb", parsed), the
 * stored meta, its files, and the fields of its type. */
static PyObject *media_dict(const tally_media *m)
{
    PyObject *files = PyList_New((Py_ssize_t)m->nfiles);
    for (size_t i = 0; files && i < m->nfiles; i++) {
        PyObject *f = media_file_dict(&m->files[i]);
        if (!f) {
            Py_CLEAR(files);
            break;
        }
        PyList_SET_ITEM(files, (Py_ssize_t)i, f);
    }
    if (!files)
        return NULL;
    PyObject *wandb = NULL, *s = text(m->wandb_json);
    if (s) {
        wandb = m->wandb_json ? PyObject_CallOneArg(json_loads, s) : (Py_INCREF(Py_None), Py_None);
        Py_DECREF(s);
    }
    if (!wandb) {
        Py_DECREF(files);
        return NULL;
    }
    const char *type = tally_media_type_name(m->type);
    return Py_BuildValue(
        "{s:N,s:L,s:L,s:s,s:N,s:N,s:N,s:i,s:i,s:d,s:i,s:i,s:i,s:d,s:L,s:L,s:N,s:N,s:N}",
        "key", text(m->key), "metric_id", (long long)m->metric_id, "step", (long long)m->step,
        "type", type ? type : "unknown", "wandb", wandb, "meta", text(m->meta_json), "files",
        files, "width", m->width, "height", m->height, "fps", m->fps, "nframes", m->nframes,
        "sample_rate", m->sample_rate, "channels", m->channels, "duration", m->duration,
        "nrows", (long long)m->nrows, "ncols", (long long)m->ncols, "preset", text(m->preset),
        "fields", text(m->fields_json), "title", text(m->title));
}

/* What one media call wants of the object it finds. */
typedef enum { GET_DICT, GET_TABLE, GET_AUDIO } media_get;

static PyObject *table_value(ext_store *self, const tally_media *m)
{
    tally_table *t = NULL;
    int rc = tally_media_table(self->st, m, &t);
    if (rc)
        return raise_rc(rc, "table");
    PyObject *cols = PyList_New((Py_ssize_t)t->ncols), *rows = PyList_New((Py_ssize_t)t->nrows);
    int fail = !cols || !rows;
    for (size_t c = 0; !fail && c < t->ncols; c++) {
        PyObject *v = text(t->columns[c]);
        fail = !v;
        if (v)
            PyList_SET_ITEM(cols, (Py_ssize_t)c, v);
    }
    for (size_t r = 0; !fail && r < t->nrows; r++) {
        PyObject *row = PyList_New((Py_ssize_t)t->ncols);
        fail = !row;
        for (size_t c = 0; !fail && c < t->ncols; c++) {
            PyObject *cell = text(t->cells[r * t->ncols + c]), *v = NULL;
            if (cell) {
                v = PyObject_CallOneArg(json_loads, cell);
                Py_DECREF(cell);
            }
            fail = !v;
            if (v)
                PyList_SET_ITEM(row, (Py_ssize_t)c, v);
        }
        if (row)
            PyList_SET_ITEM(rows, (Py_ssize_t)r, row);
    }
    tally_table_free(t);
    if (fail) {
        Py_XDECREF(cols);
        Py_XDECREF(rows);
        return NULL;
    }
    return Py_BuildValue("(NN)", cols, rows);
}

static PyObject *audio_value(ext_store *self, const tally_media *m)
{
    tally_pcm pcm = {0};
    int rc = tally_media_audio(self->st, m, &pcm);
    if (rc)
        return raise_rc(rc, "audio");
    PyObject *b = PyBytes_FromStringAndSize((const char *)pcm.samples,
                                            (Py_ssize_t)(pcm.frames * (size_t)pcm.channels *
                                                         sizeof(float)));
    PyObject *r = b ? Py_BuildValue("(iinN)", pcm.sample_rate, pcm.channels,
                                    (Py_ssize_t)pcm.frames, b)
                    : NULL;
    tally_pcm_free(&pcm);
    return r;
}

/* Store.media(metric_id=-1, step0, step1, get="dict"): the objects of a key
 * (-1: every key) in [step0, step1], as dicts; get="table" / "audio": the
 * first object's table (columns, rows) or samples instead.  Damaged objects
 * are skipped (libtally records them). */
static PyObject *store_media(ext_store *self, PyObject *args)
{
    long long id = -1, x0 = INT64_MIN, x1 = INT64_MAX;
    const char *what = "dict";
    if (!PyArg_ParseTuple(args, "|LLLs:media", &id, &x0, &x1, &what) || !store_ok(self))
        return NULL;
    media_get get = strcmp(what, "table") == 0   ? GET_TABLE
                    : strcmp(what, "audio") == 0 ? GET_AUDIO
                                                 : GET_DICT;
    int rc = tally_store_refresh(self->st, NULL);
    tally_media_iter *it = NULL;
    if (!rc)
        rc = tally_media_open(self->st, (int64_t)id, (int64_t)x0, (int64_t)x1, &it);
    if (rc)
        return raise_rc(rc, "media");
    PyObject *out = get == GET_DICT ? PyList_New(0) : NULL;
    int fail = get == GET_DICT && !out;
    tally_media m;
    while (!fail && (rc = tally_media_next(it, &m)) != 0) {
        if (rc == TALLY_ECORRUPT)
            continue; /* skipped and recorded as damage */
        if (rc < 0) {
            raise_rc(rc, "media");
            fail = 1;
            break;
        }
        if (get != GET_DICT) {
            out = get == GET_TABLE ? table_value(self, &m) : audio_value(self, &m);
            fail = !out;
            break;
        }
        PyObject *d = media_dict(&m);
        fail = !d || PyList_Append(out, d) < 0;
        Py_XDECREF(d);
    }
    tally_media_close(it);
    if (fail) {
        Py_XDECREF(out);
        return NULL;
    }
    if (!out) {
        PyErr_SetString(PyExc_KeyError, "no such object");
        return NULL;
    }
    return out;
}

static PyObject *store_blob(ext_store *self, PyObject *args)
{
    const char *sha;
    if (!PyArg_ParseTuple(args, "s:blob", &sha) || !store_ok(self))
        return NULL;
    void *data = NULL;
    size_t size = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = tally_store_blob(self->st, sha, &data, &size);
    Py_END_ALLOW_THREADS
    return bytes_result(rc, data, size, sha);
}

/* Store.image_rgba(sha256) -> (width, height, RGBA bytes). */
static PyObject *store_image_rgba(ext_store *self, PyObject *args)
{
    const char *sha;
    if (!PyArg_ParseTuple(args, "s:image_rgba", &sha) || !store_ok(self))
        return NULL;
    tally_rgba img = {0};
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = tally_store_image_rgba(self->st, sha, &img);
    Py_END_ALLOW_THREADS
    if (rc)
        return raise_rc(rc, sha);
    PyObject *b = PyBytes_FromStringAndSize((const char *)img.pixels,
                                            (Py_ssize_t)img.width * img.height * 4);
    PyObject *r = b ? Py_BuildValue("(iiN)", img.width, img.height, b) : NULL;
    tally_rgba_free(&img);
    return r;
}

static PyMethodDef store_methods[] = {
    {"close", (PyCFunction)store_close, METH_NOARGS, NULL},
    {"info", (PyCFunction)store_info, METH_NOARGS, NULL},
    {"summary", (PyCFunction)store_summary, METH_NOARGS, NULL},
    {"config", (PyCFunction)store_config, METH_NOARGS, NULL},
    {"metrics", (PyCFunction)store_metrics, METH_NOARGS, NULL},
    {"files", (PyCFunction)store_files, METH_NOARGS, NULL},
    {"file_read", (PyCFunction)store_file_read, METH_VARARGS, NULL},
    {"rows", (PyCFunction)store_rows, METH_VARARGS, NULL},
    {"points", (PyCFunction)store_points, METH_VARARGS, NULL},
    {"media_keys", (PyCFunction)store_media_keys, METH_NOARGS, NULL},
    {"media", (PyCFunction)store_media, METH_VARARGS, NULL},
    {"blob", (PyCFunction)store_blob, METH_VARARGS, NULL},
    {"image_rgba", (PyCFunction)store_image_rgba, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ext_store_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tally._tally.Store",
    .tp_basicsize = sizeof(ext_store),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A run file opened read-only",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)store_init,
    .tp_dealloc = (destructor)store_dealloc,
    .tp_methods = store_methods,
};

static PyTypeObject ext_rows_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tally._tally.Rows",
    .tp_basicsize = sizeof(ext_rows),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)rows_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)rows_next,
};

PyMethodDef ext_store_methods[] = {
    {"list_runs", mod_list_runs, METH_VARARGS, "list_runs(root): run rows, newest first"},
    {"resolve", mod_resolve, METH_VARARGS, "resolve(root, run): a run file path, or None"},
    {NULL, NULL, 0, NULL}};

int ext_store_init(PyObject *module)
{
    PyObject *json = PyImport_ImportModule("json");
    if (!json)
        return -1;
    json_loads = PyObject_GetAttrString(json, "loads");
    Py_DECREF(json);
    if (!json_loads || PyType_Ready(&ext_store_type) < 0 || PyType_Ready(&ext_rows_type) < 0)
        return -1;
    Py_INCREF(&ext_store_type);
    return PyModule_AddObject(module, "Store", (PyObject *)&ext_store_type);
}
