/*
 * error.c — tally_strerror(): one sentence per error code.
 */
#include "tally.h"

const char *tally_strerror(int code)
{
    switch (code) {
    case TALLY_OK: return "success";
    case TALLY_EINVAL: return "invalid argument (a NULL run or value, or one out of range)";
    case TALLY_EKEY: return "invalid key: it must be 1 to 256 bytes of UTF-8 without control "
                            "characters, and not _step, _runtime or _timestamp";
    case TALLY_EUTF8: return "the string is not valid UTF-8";
    case TALLY_ESTEP: return "the step is earlier than the current step: history is append-only";
    case TALLY_EJSON: return "malformed JSON, or not the kind of JSON value expected";
    case TALLY_ENOMEM: return "out of memory";
    case TALLY_EIO: return "the run file could not be written or read";
    case TALLY_ENOSPC: return "the disk is full: values are kept in memory and written when "
                              "space frees up";
    case TALLY_EACCES: return "permission denied: the run directory or file is not writable";
    case TALLY_EFINISHED: return "the run is finished, or the handle is not a live run";
    case TALLY_EFULL: return "the write buffer is full because the disk is not keeping up: "
                             "the value was dropped";
    case TALLY_ECORRUPT: return "not a tally run file, or a damaged one";
    case TALLY_EVERSION: return "the run file was written by a newer tally: upgrade to read it";
    case TALLY_ENOTFOUND: return "no such run, metric or file";
    case TALLY_EBUSY: return "the run is being written by another live process";
    case TALLY_ETIMEDOUT: return "timed out waiting for the run file to be written";
    case TALLY_EMEDIA: return "media that cannot be used (bad size, format or values)";
    case TALLY_ETOOBIG: return "the object is over its size cap";
    default: return "unknown error";
    }
}
