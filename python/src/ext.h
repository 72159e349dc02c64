/*
 * ext.h — what the files of the _tally extension module share: the Run
 * object, the warning voice and the converters.  The module is a thin C
 * layer over the public libtally API (tally.h, tally_store.h); the friendly
 * surface is the pure-Python package around it (python/tally/).
 */
#ifndef TALLY_PY_EXT_H
#define TALLY_PY_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <tally.h>
#include <tally_store.h>

/* A live run.  `handle` is NULL once finished (or when init failed).  Every
 * use of it re-reads it with the GIL held: finish clears it before it lets
 * the GIL go, so a non-NULL handle is always a live run. */
typedef struct {
    PyObject_HEAD
    tally_run *handle;
    int disabled;      /* mode="disabled", or init failed: every call is a no-op */
    int foreign;       /* we are a fork()ed child: the run is the parent's */
    int busy;          /* calls waiting without the GIL (flush): finish waits for them */
    unsigned warned;   /* one bit per kind of warning already printed */
    long long skipped; /* values tally cannot store (charts of custom Vega specs, ...) */
    long long media_refused; /* objects libtally refused (it warned) */
    PyObject *converter; /* Python callable for values the C walk does not know */
    PyObject *id, *name, *path;
} ext_run;

extern PyTypeObject ext_run_type;

/* The kinds of warning a run prints once each. */
enum {
    WARN_KEY = 1u << 0,
    WARN_VALUE = 1u << 1,
    WARN_FINISHED = 1u << 2,
    WARN_SKIPPED = 1u << 3,
    WARN_FORK = 1u << 4,
    WARN_OTHER = 1u << 5,
    WARN_MEDIA = 1u << 6,      /* a media spec the module cannot read */
    WARN_MEDIA_NAN = 1u << 7,  /* histogram values left out */
    WARN_MEDIA_CUT = 1u << 8,  /* table rows / gallery images past the cap */
    WARN_WATCH = 1u << 9       /* a tensor watch() could not bin */
};

/* Prints "tally: <id>: message" on sys.stderr once per kind per run (run may
 * be NULL: always); TALLY_QUIET=1 silences it.  Never raises. */
void ext_warn(ext_run *run, unsigned kind, const char *fmt, ...);

/* fn(run) with the GIL released, finish() held off meanwhile (run.c):
 * for the calls that can wait.  TALLY_EFINISHED when the run is over. */
int ext_run_wait(ext_run *self, int (*fn)(tally_run *));

/* Logs a dict (see log.c). */
PyObject *ext_run_log(ext_run *self, PyObject *args, PyObject *kwargs);

/* Stages one media spec (a tuple built by tally/_media.py) under key with
 * libtally's media calls (see media.c): 0 or a TALLY_E* code. */
int ext_stage_media(ext_run *self, const char *key, PyObject *spec);

/* The read API (see store.c), added to the module at init. */
int ext_store_init(PyObject *module);
extern PyMethodDef ext_store_methods[];

/* tally.Error, raised for usage errors only. */
extern PyObject *ext_error;

#endif
