/*
 * module.c — the _tally extension module: its types (Run, Store), the
 * tally.Error exception and a few helpers.  Imported by tally/__init__.py.
 */
#include "ext.h"

static PyObject *mod_strerror(PyObject *m, PyObject *arg)
{
    long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred())
        return NULL;
    return PyUnicode_FromString(tally_strerror((int)code));
}

static PyObject *mod_warn(PyObject *m, PyObject *arg)
{
    const char *msg = PyUnicode_AsUTF8(arg);
    if (!msg)
        return NULL;
    ext_warn(NULL, 0, "%s", msg);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"strerror", mod_strerror, METH_O, "strerror(code): libtally's sentence for a code"},
    {"warn", mod_warn, METH_O, "warn(message): one 'tally: ' line on stderr"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_tally", "libtally for Python: the C core of the tally package.",
    -1, module_methods,
};

PyMODINIT_FUNC PyInit__tally(void); /* the interpreter finds it by name */

PyMODINIT_FUNC PyInit__tally(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    if (PyModule_AddFunctions(m, ext_store_methods) < 0 || ext_store_init(m) < 0)
        goto fail;
    ext_error = PyErr_NewExceptionWithDoc("tally.Error", "A usage error (as wandb.Error)",
                                          PyExc_RuntimeError, NULL);
    if (!ext_error || PyModule_AddObject(m, "Error", ext_error) < 0)
        goto fail;
    Py_INCREF(ext_error);
    if (PyType_Ready(&ext_run_type) < 0)
        goto fail;
    Py_INCREF(&ext_run_type);
    if (PyModule_AddObject(m, "Run", (PyObject *)&ext_run_type) < 0)
        goto fail;
    PyModule_AddStringConstant(m, "VERSION", TALLY_VERSION);
    PyModule_AddIntConstant(m, "ESTEP", TALLY_ESTEP);
    PyModule_AddIntConstant(m, "EFINISHED", TALLY_EFINISHED);
    PyModule_AddIntConstant(m, "EKEY", TALLY_EKEY);
    PyModule_AddIntConstant(m, "ENOTFOUND", TALLY_ENOTFOUND);
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
