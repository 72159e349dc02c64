/*
 * catalog.h — the store-internal side of catalog.c: finding a run file of
 * one project by the exact id it stores (tally_init's resume).
 */
#ifndef TALLY_CATALOG_H
#define TALLY_CATALOG_H

/* The run file in project_dir whose stored id is id: *path_out malloc'd,
 * or NULL when there is none. */
int catalog_find_id(const char *project_dir, const char *id, char **path_out);

#endif
