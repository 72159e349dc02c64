/*
 * sync_error.h — the error codes src/sync adds to the TALLY_E* ones, kept
 * apart from them (tally.h is the logging API's).  Negative, travelling
 * like any other code; sync_strerror() explains both kinds.
 */
#ifndef TALLY_SYNC_ERROR_H
#define TALLY_SYNC_ERROR_H

enum {
    SYNC_EAUTH = -100,   /* the server refused the API key (401 / 403) */
    SYNC_ENOKEY = -101,  /* no API key: WANDB_API_KEY, ~/.netrc or $NETRC */
    SYNC_EHTTP = -102,   /* the server refused a request (400, 404, 410, 413, 422, ...) */
    SYNC_ENET = -103,    /* the server was unreachable or kept failing: retries ran out */
    SYNC_EPROTO = -104,  /* the server's answer is not what the protocol says */
    SYNC_ECANCEL = -105, /* cancelled by the caller */
    SYNC_ETLS = -106     /* TLS: the server's certificate could not be verified */
};

/* A static English sentence for a SYNC_E* or TALLY_E* code. */
const char *sync_strerror(int code);

#endif
