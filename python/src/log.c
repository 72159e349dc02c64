/*
 * log.c — Run.log(): one call stages a whole dict through libtally.
 *
 * The dict is walked twice, both times in C.  The first walk converts every
 * value (nested dicts become "a/b" keys; floats, ints, bools, strings and
 * numpy / torch scalars through their __float__ / __index__ protocols) into
 * a flat list, and may raise TypeError or ValueError before anything is
 * staged, as wandb raises before it logs.  The second stages the list with
 * libtally's calls and commits by wandb's rules.  Values the walk does not
 * know (lists, arrays, tensors) go through the package's Python converter.
 */
#include "ext.h"

#include <math.h>
#include <string.h>

/* Nested dicts deeper than this are refused (a dict that holds itself). */
#define WALK_MAX_DEPTH 32

typedef enum { ITEM_DOUBLE, ITEM_INT, ITEM_STR, ITEM_JSON, ITEM_MEDIA } item_kind;

typedef struct {
    size_t key;      /* offset of the NUL-terminated key in walk.keys */
    item_kind kind;
    double d;
    long long i;
    const char *text; /* ITEM_STR / ITEM_JSON: UTF-8, owned by obj or static */
    PyObject *obj;    /* a reference that keeps text alive, the media spec, or NULL */
} item;

/* Scratch of one call.  Local to the call: a __float__ of a user object can
 * release the GIL, and another thread may log meanwhile. */
typedef struct {
    item *v;
    size_t n, cap;
    char *keys; /* keys of the items, one after the other */
    size_t klen, kcap;
    char *path; /* the key being built: "a/b/" prefixes */
    size_t plen, pcap;
    long long skipped;
    PyObject *first_skip; /* what the converter said about the first one */
    int media;            /* items of ITEM_MEDIA in the walk */
    ext_run *run;
    item small[32];
    char ksmall[1024], psmall[512];
} walk;

static int grow(char **p, size_t *cap, size_t need, char *small)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap * 2;
    while (n < need)
        n *= 2;
    char *q = *p == small ? PyMem_Malloc(n) : PyMem_Realloc(*p, n);
    if (!q) {
        PyErr_NoMemory();
        return -1;
    }
    if (*p == small)
        memcpy(q, small, *cap);
    *p = q;
    *cap = n;
    return 0;
}

static void walk_init(walk *w, ext_run *run)
{
    w->v = w->small;
    w->n = 0;
    w->cap = sizeof w->small / sizeof w->small[0];
    w->keys = w->ksmall;
    w->klen = 0;
    w->kcap = sizeof w->ksmall;
    w->path = w->psmall;
    w->plen = 0;
    w->pcap = sizeof w->psmall;
    w->skipped = 0;
    w->first_skip = NULL;
    w->media = 0;
    w->run = run;
}

static void walk_free(walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        Py_XDECREF(w->v[i].obj);
    if (w->v != w->small)
        PyMem_Free(w->v);
    if (w->keys != w->ksmall)
        PyMem_Free(w->keys);
    if (w->path != w->psmall)
        PyMem_Free(w->path);
    Py_XDECREF(w->first_skip);
}

/* Appends an item under the current path; takes the reference in obj. */
static int push(walk *w, item_kind kind, double d, long long i, const char *text, PyObject *obj)
{
    if (w->n == w->cap) {
        size_t cap = w->cap * 2;
        item *v = w->v == w->small ? PyMem_Malloc(cap * sizeof *v)
                                   : PyMem_Realloc(w->v, cap * sizeof *v);
        if (!v) {
            Py_XDECREF(obj);
            PyErr_NoMemory();
            return -1;
        }
        if (w->v == w->small)
            memcpy(v, w->small, sizeof w->small);
        w->v = v;
        w->cap = cap;
    }
    if (grow(&w->keys, &w->kcap, w->klen + w->plen + 1, w->ksmall) < 0) {
        Py_XDECREF(obj);
        return -1;
    }
    item *it = &w->v[w->n++];
    it->key = w->klen;
    memcpy(w->keys + w->klen, w->path, w->plen);
    w->keys[w->klen + w->plen] = '\0';
    w->klen += w->plen + 1;
    it->kind = kind;
    it->d = d;
    it->i = i;
    it->text = text;
    it->obj = obj;
    return 0;
}

static int push_text(walk *w, item_kind kind, PyObject *str)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(str, &n);
    PyObject *owner = str;
    Py_INCREF(owner);
    if (!s) {
        /* Lone surrogates: keep the rest of the text, mark them '?'. */
        PyErr_Clear();
        Py_DECREF(owner);
        owner = PyUnicode_AsEncodedString(str, "utf-8", "replace");
        if (!owner)
            return -1;
        s = PyBytes_AS_STRING(owner);
    }
    return push(w, kind, 0, 0, s, owner);
}

static int walk_dict(walk *w, PyObject *dict, int depth);

static int is_numpy_bool(PyTypeObject *t)
{
    return strcmp(t->tp_name, "numpy.bool_") == 0 || strcmp(t->tp_name, "numpy.bool") == 0;
}

static int has_len(PyTypeObject *t)
{
    return (t->tp_as_sequence && t->tp_as_sequence->sq_length) ||
           (t->tp_as_mapping && t->tp_as_mapping->mp_length);
}

static int convert(walk *w, PyObject *v, int depth, int converted);

/* Lists, arrays, tensors, media objects and anything else: the package's
 * converter says what wandb would store (a scalar, JSON text, a media spec
 * for media.c, or something tally cannot store, skipped). */
static int convert_other(walk *w, PyObject *v, int depth)
{
    if (!w->run->converter || w->run->converter == Py_None) {
        PyErr_Format(PyExc_TypeError, "cannot log a value of type %.200s", Py_TYPE(v)->tp_name);
        return -1;
    }
    PyObject *r = PyObject_CallOneArg(w->run->converter, v);
    if (!r)
        return -1;
    int kind;
    PyObject *value;
    if (!PyTuple_Check(r) || !PyArg_ParseTuple(r, "iO", &kind, &value)) {
        Py_DECREF(r);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "tally: the converter returned no (kind, value)");
        return -1;
    }
    int rc;
    if (kind == 0) { /* a scalar to convert again */
        rc = convert(w, value, depth, 1);
    } else if (kind == 1 && PyUnicode_Check(value)) { /* JSON text */
        rc = push_text(w, ITEM_JSON, value);
    } else if (kind == 3) { /* an object for libtally's media calls */
        Py_INCREF(value);
        rc = push(w, ITEM_MEDIA, 0, 0, NULL, value);
        w->media += rc == 0;
    } else { /* skipped, value says why */
        w->skipped++;
        if (!w->first_skip) {
            Py_INCREF(value);
            w->first_skip = value;
        }
        rc = 0;
    }
    Py_DECREF(r);
    return rc;
}

static int convert(walk *w, PyObject *v, int depth, int converted)
{
    PyTypeObject *t = Py_TYPE(v);
    if (PyFloat_Check(v))
        return push(w, ITEM_DOUBLE, PyFloat_AS_DOUBLE(v), 0, NULL, NULL);
    if (PyBool_Check(v) || is_numpy_bool(t)) {
        int truth = PyObject_IsTrue(v);
        if (truth < 0)
            return -1;
        return push(w, ITEM_JSON, 0, 0, truth ? "true" : "false", NULL);
    }
    if (PyLong_Check(v)) {
        int overflow;
        long long i = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (i == -1 && PyErr_Occurred())
            return -1;
        if (!overflow)
            return push(w, ITEM_INT, 0, i, NULL, NULL);
        PyObject *digits = PyObject_Str(v); /* JSON keeps every digit */
        if (!digits)
            return -1;
        int rc = push_text(w, ITEM_JSON, digits);
        Py_DECREF(digits);
        return rc;
    }
    if (PyUnicode_Check(v))
        return push_text(w, ITEM_STR, v);
    if (PyDict_Check(v) && !converted)
        return walk_dict(w, v, depth + 1);
    if (v == Py_None)
        return push(w, ITEM_JSON, 0, 0, "null", NULL);
    /* numpy scalars (np.float32, np.int64, ...): numbers without a length. */
    if (!has_len(t) && t->tp_as_number) {
        if (t->tp_as_number->nb_index) {
            PyObject *i = PyNumber_Index(v);
            if (!i)
                return -1;
            int rc = convert(w, i, depth, 1);
            Py_DECREF(i);
            return rc;
        }
        if (t->tp_as_number->nb_float) {
            double d = PyFloat_AsDouble(v);
            if (d == -1.0 && PyErr_Occurred())
                return -1;
            return push(w, ITEM_DOUBLE, d, 0, NULL, NULL);
        }
    }
    if (converted) {
        PyErr_Format(PyExc_TypeError, "cannot log a value of type %.200s", t->tp_name);
        return -1;
    }
    return convert_other(w, v, depth);
}

static int walk_dict(walk *w, PyObject *dict, int depth)
{
    if (depth > WALK_MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "log: dicts nested too deep (a dict inside itself?)");
        return -1;
    }
    size_t mark = w->plen;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    int rc = 0;
    Py_INCREF(dict);
    while (rc == 0 && PyDict_Next(dict, &pos, &k, &v)) {
        Py_INCREF(k);
        Py_INCREF(v);
        PyObject *ks = NULL;
        if (PyUnicode_Check(k)) {
            ks = k;
            Py_INCREF(ks);
        } else if (depth == 0) {
            PyErr_SetString(PyExc_ValueError, "Key values passed to `log` must be strings.");
            rc = -1;
        } else {
            ks = PyObject_Str(k); /* nested keys print as JSON would */
            rc = ks ? 0 : -1;
        }
        Py_ssize_t n = 0;
        const char *s = ks ? PyUnicode_AsUTF8AndSize(ks, &n) : NULL;
        if (ks && !s) {
            PyErr_SetString(PyExc_ValueError, "log: a key is not valid text (lone surrogates)");
            rc = -1;
        }
        if (rc == 0) {
            size_t add = (size_t)n + (mark ? 1 : 0);
            rc = grow(&w->path, &w->pcap, mark + add + 1, w->psmall);
            if (rc == 0) {
                if (mark)
                    w->path[mark] = '/';
                memcpy(w->path + mark + (mark ? 1 : 0), s, (size_t)n);
                w->plen = mark + add;
                rc = convert(w, v, depth, 0);
                w->plen = mark;
            }
        }
        Py_XDECREF(ks);
        Py_DECREF(k);
        Py_DECREF(v);
    }
    Py_DECREF(dict);
    return rc;
}

/* Appends s to a PyMem buffer as a JSON string. */
static int json_quote(char **buf, size_t *len, size_t *cap, char *small, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    if (grow(buf, cap, *len + n * 6 + 3, small) < 0)
        return -1;
    char *o = *buf + *len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *len = (size_t)(o - *buf);
    return 0;
}

/* Stages one JSON value under key: {"key": value} through tally_log_json. */
static int stage_json(tally_run *run, const char *key, const char *value)
{
    char small[512];
    char *buf = small;
    size_t len = 0, cap = sizeof small;
    int rc = TALLY_ENOMEM;
    if (grow(&buf, &cap, 2, small) == 0) {
        buf[len++] = '{';
        if (json_quote(&buf, &len, &cap, small, key) == 0 &&
            grow(&buf, &cap, len + strlen(value) + 3, small) == 0) {
            buf[len++] = ':';
            memcpy(buf + len, value, strlen(value));
            len += strlen(value);
            buf[len++] = '}';
            buf[len] = '\0';
            rc = tally_log_json(run, buf);
        }
    }
    if (buf != small)
        PyMem_Free(buf);
    PyErr_Clear(); /* a failed grow() set MemoryError: reported as a warning instead */
    return rc;
}

/* A copy of an untrusted key fit for a terminal: C0 controls, DEL and the
 * C1 controls (U+0080..U+009F, 0xC2 0x80..0x9F in UTF-8) become '?'. */
static void printable(char *out, size_t size, const char *s)
{
    size_t i = 0, o = 0;
    while (s[i] && o + 1 < size) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xC2 && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F) {
            out[o++] = '?';
            i += 2;
        } else {
            out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
            i++;
        }
    }
    out[o] = '\0';
    if (s[i] && size > 4)
        memcpy(out + size - 4, "...", 4);
}

static void warn_item(ext_run *run, const char *key, int rc)
{
    char shown[96];
    printable(shown, sizeof shown, key);
    switch (rc) {
    case TALLY_EKEY:
        ext_warn(run, WARN_KEY, "key '%s' not logged: %s", shown, tally_strerror(rc));
        break;
    case TALLY_EUTF8:
    case TALLY_EJSON:
    case TALLY_EINVAL:
    case TALLY_ENOMEM:
        ext_warn(run, WARN_VALUE, "the value of '%s' not logged: %s", shown, tally_strerror(rc));
        break;
    case TALLY_EFINISHED:
        ext_warn(run, WARN_FINISHED, "the run is finished: values not logged");
        break;
    default:
        break; /* disk trouble, a full buffer, an old step: libtally warned already */
    }
}

static void stage_all(ext_run *self, walk *w)
{
    for (size_t i = 0; i < w->n; i++) {
        const item *it = &w->v[i];
        const char *key = w->keys + it->key;
        /* Re-read each time: a warning writes to sys.stderr, which may let
         * another thread run, and finish, meanwhile. */
        tally_run *run = self->handle;
        int rc;
        if (!run) {
            warn_item(self, key, TALLY_EFINISHED);
            break;
        }
        switch (it->kind) {
        case ITEM_DOUBLE:
            rc = tally_log(run, key, it->d);
            break;
        case ITEM_INT:
            rc = tally_log_int(run, key, it->i);
            break;
        case ITEM_STR:
            rc = tally_log_str(run, key, it->text);
            break;
        case ITEM_MEDIA:
            rc = ext_stage_media(self, key, it->obj);
            if (rc == TALLY_EFINISHED)
                warn_item(self, key, rc);
            else if (rc) /* libtally refused it with its own warning */
                self->media_refused++;
            continue;
        default:
            rc = stage_json(run, key, it->text);
            break;
        }
        if (rc)
            warn_item(self, key, rc);
    }
    if (w->skipped) {
        self->skipped += w->skipped;
        const char *why = w->first_skip && PyUnicode_Check(w->first_skip)
                              ? PyUnicode_AsUTF8(w->first_skip)
                              : NULL;
        if (!why)
            PyErr_Clear();
        ext_warn(self, WARN_SKIPPED, "%s: not logged (run.skipped counts them)",
                 why ? why : "a value needs media support");
    }
}

/* Run.log(data, step=None, commit=None), with wandb's rules: each call is
 * a step of its own unless commit=False; step= moves to that step (closing
 * the pending row), commits only when commit=True, and an earlier step is
 * refused with one warning. */
PyObject *ext_run_log(ext_run *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"data", "step", "commit", NULL};
    PyObject *data, *step = Py_None, *commit = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OO:log", kwlist, &data, &step, &commit))
        return NULL;
    if (self->disabled)
        Py_RETURN_NONE;
    if (!PyDict_Check(data)) {
        PyErr_SetString(PyExc_ValueError, "log must be passed a dictionary");
        return NULL;
    }
    long long at = 0;
    if (step != Py_None) {
        if (PyBool_Check(step) || !PyIndex_Check(step)) {
            PyErr_Format(PyExc_TypeError, "log: step must be an integer, not %.200s",
                         Py_TYPE(step)->tp_name);
            return NULL;
        }
        PyObject *i = PyNumber_Index(step);
        if (!i)
            return NULL;
        at = PyLong_AsLongLong(i);
        Py_DECREF(i);
        if (at == -1 && PyErr_Occurred())
            return NULL;
    }
    int do_commit = step == Py_None; /* wandb: with step=, only commit=True commits */
    if (commit != Py_None) {
        do_commit = PyObject_IsTrue(commit);
        if (do_commit < 0)
            return NULL;
    }
    if (self->foreign) {
        ext_warn(self, WARN_FORK, "log in a fork()ed child: the run belongs to the parent "
                                  "process, values not logged");
        Py_RETURN_NONE;
    }
    if (!self->handle) {
        ext_warn(self, WARN_FINISHED, "the run is finished: values not logged");
        Py_RETURN_NONE;
    }

    walk w;
    walk_init(&w, self);
    if (walk_dict(&w, data, 0) < 0) {
        walk_free(&w);
        return NULL;
    }
    /* The walk may have run Python code (converters, __float__), and so
     * other threads: the run may be finished by now. */
    int rc = !self->handle      ? TALLY_EFINISHED
             : step == Py_None ? TALLY_OK
                               : tally_set_step(self->handle, (int64_t)at);
    if (rc == TALLY_EFINISHED) {
        warn_item(self, "", rc);
    } else if (rc != TALLY_ESTEP && rc != TALLY_EINVAL) {
        stage_all(self, &w);
        if (do_commit && w.media) {
            /* objects may fill the media queue: the commit can wait */
            rc = ext_run_wait(self, tally_commit);
        } else if (do_commit) {
            rc = self->handle ? tally_commit(self->handle) : TALLY_EFINISHED;
        }
        if (do_commit && rc == TALLY_EFINISHED)
            warn_item(self, "", rc);
    } /* else an earlier step: libtally refused it with a warning */
    walk_free(&w);
    Py_RETURN_NONE;
}
