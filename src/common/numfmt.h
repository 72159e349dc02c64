/*
 * numfmt.h — numbers as text: the shortest decimal that reads back
 * bit-exact, with wandb's bare NaN / Infinity / -Infinity tokens.
 */
#ifndef TALLY_NUMFMT_H
#define TALLY_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define NUMFMT_MAX 32

/* Writes v into out (NUMFMT_MAX bytes) and returns out: the shortest
 * decimal that reads back as v, as dtoa_format() writes it ("0.1", "1e+100",
 * "5e-324"); whole numbers up to 2^53 print all their digits ("3", "-12",
 * "1000000000000000"). */
const char *numfmt_double(char out[NUMFMT_MAX], double v);
/* numfmt_double, returning the length of the text. */
size_t numfmt_double_len(char out[NUMFMT_MAX], double v);
/* Writes v in decimal ("-42") into out and returns out; printf's %lld,
 * without its cost. */
const char *numfmt_int(char out[NUMFMT_MAX], int64_t v);
/* Like numfmt_double but for a compact human display ("0.1235", "1.2e+06"). */
const char *numfmt_short(char out[NUMFMT_MAX], double v, int digits);

/* A duration for people: "42s", "3m07s", "2h05m", "4d03h"; "-" when negative
 * or NaN. */
const char *numfmt_duration(char *out, size_t size, double seconds);

#endif
