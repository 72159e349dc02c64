/*
 * run.c — the _tally.Run type: one libtally run (tally_run *) and the calls
 * the Python layer makes on it.  Anything that can wait (init creates the
 * file; flush and finish wait for the flusher) runs with the GIL released.
 * Calls return libtally's status code; the Python layer turns usage errors
 * into exceptions and the rest into one warning.
 */
#include "ext.h"

#include <structmember.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

PyObject *ext_error;

void ext_warn(ext_run *run, unsigned kind, const char *fmt, ...)
{
    if (run) {
        if (run->warned & kind)
            return;
        run->warned |= kind;
    }
    const char *quiet = getenv("TALLY_QUIET");
    if (quiet && quiet[0] && quiet[0] != '0')
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    const char *id = run && run->id ? PyUnicode_AsUTF8(run->id) : NULL;
    if (!id)
        PyErr_Clear();
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PySys_WriteStderr("tally: %s%s%s\n", id ? id : "", id ? ": " : "", line);
    PyErr_Restore(type, value, tb);
}

static PyObject *str_or_none(const char *s)
{
    if (s)
        return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
    Py_RETURN_NONE;
}

static int run_init(ext_run *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"project", "name", "dir", "id", "group", "job_type", "notes",
                             "tags", "config_json", "mode", "converter", "sample_ms",
                             "flush_ms", "capture", NULL};
    tally_options o = {0};
    PyObject *tags = Py_None, *converter = Py_None;
    unsigned int capture = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|zzzzzzzOzzOiiI:Run", kwlist, &o.project,
                                     &o.name, &o.dir, &o.id, &o.group, &o.job_type, &o.notes,
                                     &tags, &o.config_json, &o.mode, &converter, &o.sample_ms,
                                     &o.flush_ms, &capture))
        return -1;
    if (self->handle || self->id) {
        PyErr_SetString(ext_error, "Run.__init__ called twice");
        return -1;
    }
    o.capture = capture;
    /* tags: a sequence of str, copied into a NULL-terminated array. */
    PyObject *seq = NULL;
    const char **tagv = NULL;
    if (tags != Py_None) {
        seq = PySequence_Fast(tags, "tags must be a sequence of strings");
        if (!seq)
            return -1;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        tagv = PyMem_Calloc((size_t)n + 1, sizeof *tagv);
        if (!tagv) {
            Py_DECREF(seq);
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
            tagv[i] = PyUnicode_Check(t) ? PyUnicode_AsUTF8(t) : NULL;
            if (!tagv[i]) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "tags must be a sequence of strings");
                PyMem_Free(tagv);
                Py_DECREF(seq);
                return -1;
            }
        }
        o.tags = tagv;
    }
    self->disabled = o.mode && strcmp(o.mode, "disabled") == 0;
    tally_run *run = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = tally_init_ex(&o, &run);
    Py_END_ALLOW_THREADS
    PyMem_Free(tagv);
    Py_XDECREF(seq);
    Py_INCREF(converter);
    self->converter = converter;
    if (rc) {
        self->disabled = 1; /* the training goes on; nothing is recorded */
        ext_warn(NULL, 0, "the run could not start: %s; nothing will be recorded",
                 tally_strerror(rc));
        self->id = Py_None;
        Py_INCREF(Py_None);
        self->name = str_or_none(o.name);
        self->path = Py_None;
        Py_INCREF(Py_None);
        return self->name ? 0 : -1;
    }
    /* mode "disabled", also through $TALLY_MODE: libtally's handle has no id */
    self->disabled = self->disabled || tally_run_id(run) == NULL;
    self->handle = self->disabled ? NULL : run;
    if (self->disabled)
        tally_finish(run, 0); /* the no-op handle holds nothing */
    self->id = str_or_none(self->disabled ? o.id : tally_run_id(run));
    self->name = str_or_none(self->disabled ? o.name : tally_run_name(run));
    self->path = str_or_none(self->disabled ? NULL : tally_run_path(run));
    if (!self->id || !self->name || !self->path)
        return -1;
    return 0;
}

static void run_dealloc(ext_run *self)
{
    /* A run dropped without finish stays as it is on disk (reads as crashed
     * once the process is gone): finishing here would guess an exit code.
     * The Python layer finishes runs at exit. */
    Py_XDECREF(self->converter);
    Py_XDECREF(self->id);
    Py_XDECREF(self->name);
    Py_XDECREF(self->path);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The run can take calls: not finished, and not a fork()ed child's copy. */
#define LIVE(self) ((self)->handle && !(self)->foreign)

static PyObject *rc_result(int rc)
{
    return PyLong_FromLong(rc);
}

static PyObject *run_commit(ext_run *self, PyObject *unused)
{
    if (self->disabled)
        return rc_result(0);
    return rc_result(LIVE(self) ? tally_commit(self->handle) : TALLY_EFINISHED);
}

static PyObject *run_define_metric(ext_run *self, PyObject *args)
{
    const char *pattern, *step_metric;
    unsigned int summary;
    int goal;
    if (!PyArg_ParseTuple(args, "szIi:define_metric", &pattern, &step_metric, &summary, &goal))
        return NULL;
    if (self->disabled)
        return rc_result(0);
    return rc_result(LIVE(self) ? tally_define_metric(self->handle, pattern, step_metric,
                                                      summary, goal)
                                : TALLY_EFINISHED);
}

static PyObject *run_summary_set(ext_run *self, PyObject *args)
{
    const char *key;
    double v;
    if (!PyArg_ParseTuple(args, "sd:summary_set", &key, &v))
        return NULL;
    if (self->disabled)
        return rc_result(0);
    return rc_result(LIVE(self) ? tally_summary_set(self->handle, key, v) : TALLY_EFINISHED);
}

/* The calls that take a key and a JSON text. */
typedef int (*key_json_fn)(tally_run *, const char *, const char *);

static PyObject *key_json(ext_run *self, PyObject *args, key_json_fn fn)
{
    const char *key, *json;
    if (!PyArg_ParseTuple(args, "ss", &key, &json))
        return NULL;
    if (self->disabled)
        return rc_result(0);
    return rc_result(LIVE(self) ? fn(self->handle, key, json) : TALLY_EFINISHED);
}

static PyObject *run_summary_set_json(ext_run *self, PyObject *args)
{
    return key_json(self, args, tally_summary_set_json);
}

static PyObject *run_config_set(ext_run *self, PyObject *args)
{
    return key_json(self, args, tally_config_set);
}

/* The calls that take one text. */
static PyObject *run_config_json(ext_run *self, PyObject *arg)
{
    const char *json = PyUnicode_AsUTF8(arg);
    if (!json)
        return NULL;
    if (self->disabled)
        return rc_result(0);
    return rc_result(LIVE(self) ? tally_config_json(self->handle, json) : TALLY_EFINISHED);
}

static PyObject *run_save_file(ext_run *self, PyObject *arg)
{
    PyObject *bytes;
    if (!PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    int rc = 0;
    if (!self->disabled)
        rc = LIVE(self) ? tally_save_file(self->handle, PyBytes_AS_STRING(bytes))
                        : TALLY_EFINISHED;
    Py_DECREF(bytes);
    return rc_result(rc);
}

int ext_run_wait(ext_run *self, int (*fn)(tally_run *))
{
    if (!self->handle)
        return TALLY_EFINISHED;
    tally_run *run = self->handle;
    int rc;
    self->busy++;
    Py_BEGIN_ALLOW_THREADS
    rc = fn(run);
    Py_END_ALLOW_THREADS
    self->busy--;
    return rc;
}

static PyObject *run_flush(ext_run *self, PyObject *unused)
{
    if (self->disabled)
        return rc_result(0);
    if (!LIVE(self))
        return rc_result(TALLY_EFINISHED);
    return rc_result(ext_run_wait(self, tally_flush));
}

/* Ends the run; later calls on it are no-ops (finish returns EFINISHED). */
static PyObject *run_finish(ext_run *self, PyObject *args)
{
    int exit_code = 0;
    if (!PyArg_ParseTuple(args, "|i:finish", &exit_code))
        return NULL;
    if (self->disabled)
        return rc_result(0);
    if (!LIVE(self))
        return rc_result(TALLY_EFINISHED);
    tally_run *run = self->handle;
    self->handle = NULL; /* other threads now see a finished run */
    /* A flush on another thread still holds the handle: let it return. */
    while (self->busy) {
        Py_BEGIN_ALLOW_THREADS
        usleep(1000);
        Py_END_ALLOW_THREADS
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = tally_finish(run, exit_code);
    Py_END_ALLOW_THREADS
    return rc_result(rc);
}

static PyObject *run_step(ext_run *self, void *closure)
{
    return PyLong_FromLongLong(LIVE(self) ? (long long)tally_step(self->handle) : 0);
}

static PyObject *run_finished(ext_run *self, void *closure)
{
    return PyBool_FromLong(!self->disabled && !self->handle);
}

/* After fork(), in the child: the run is the parent's (os.register_at_fork). */
static PyObject *run_mark_forked(ext_run *self, PyObject *unused)
{
    self->foreign = 1;
    Py_RETURN_NONE;
}

static PyObject *run_warn_once(ext_run *self, PyObject *args)
{
    unsigned int kind;
    const char *msg;
    if (!PyArg_ParseTuple(args, "Is:_warn", &kind, &msg))
        return NULL;
    ext_warn(self, kind, "%s", msg);
    Py_RETURN_NONE;
}

static PyMethodDef run_methods[] = {
    {"log", (PyCFunction)(void (*)(void))ext_run_log, METH_VARARGS | METH_KEYWORDS,
     "log(data, step=None, commit=None): log a dict of values"},
    {"_commit", (PyCFunction)run_commit, METH_NOARGS, "close the current step"},
    {"_define_metric", (PyCFunction)run_define_metric, METH_VARARGS, NULL},
    {"_summary_set", (PyCFunction)run_summary_set, METH_VARARGS, NULL},
    {"_summary_set_json", (PyCFunction)run_summary_set_json, METH_VARARGS, NULL},
    {"_config_set", (PyCFunction)run_config_set, METH_VARARGS, NULL},
    {"_config_json", (PyCFunction)run_config_json, METH_O, NULL},
    {"_save_file", (PyCFunction)run_save_file, METH_O, NULL},
    {"_flush", (PyCFunction)run_flush, METH_NOARGS, NULL},
    {"_finish", (PyCFunction)run_finish, METH_VARARGS, NULL},
    {"_mark_forked", (PyCFunction)run_mark_forked, METH_NOARGS, NULL},
    {"_warn", (PyCFunction)run_warn_once, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyMemberDef run_members[] = {
    {"id", T_OBJECT, offsetof(ext_run, id), READONLY, "the run id"},
    {"name", T_OBJECT, offsetof(ext_run, name), READONLY, "the display name"},
    {"path", T_OBJECT, offsetof(ext_run, path), READONLY, "the run file"},
    {"disabled", T_INT, offsetof(ext_run, disabled), READONLY, "every call is a no-op"},
    {"skipped", T_LONGLONG, offsetof(ext_run, skipped), READONLY,
     "values not logged because tally cannot store them"},
    {"media_refused", T_LONGLONG, offsetof(ext_run, media_refused), READONLY,
     "media objects libtally refused (bad pixels, sizes, ...; it warned)"},
    {NULL, 0, 0, 0, NULL}};

static PyGetSetDef run_getset[] = {
    {"step", (getter)run_step, NULL, "the step the next log() goes to", NULL},
    {"_finished", (getter)run_finished, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject ext_run_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tally._tally.Run",
    .tp_basicsize = sizeof(ext_run),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A tally run (use tally.init())",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)run_init,
    .tp_dealloc = (destructor)run_dealloc,
    .tp_methods = run_methods,
    .tp_members = run_members,
    .tp_getset = run_getset,
};
