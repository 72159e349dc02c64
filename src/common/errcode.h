/*
 * errcode.h — the TALLY_E* code for an errno from a file operation, one
 * mapping for the core and the store.
 */
#ifndef TALLY_ERRCODE_H
#define TALLY_ERRCODE_H

#include <errno.h>

#include "tally.h"

static inline int errcode_from_errno(int e)
{
    switch (e) {
    case EACCES:
    case EPERM:
    case EROFS: return TALLY_EACCES;
    case ENOSPC:
    case EDQUOT: return TALLY_ENOSPC;
    case ENOMEM: return TALLY_ENOMEM;
    case ENOENT:
    case ENOTDIR: return TALLY_ENOTFOUND;
    case EEXIST:
    case EAGAIN: return TALLY_EBUSY;
    default: return TALLY_EIO;
    }
}

#endif
