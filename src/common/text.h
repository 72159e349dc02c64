/*
 * text.h — UTF-8 validation and terminal-safe text.
 *
 * Text read from a run (metric names, config, console lines) is untrusted:
 * it must never drive the user's terminal.  text_sanitize() is the one gate
 * every such string goes through before the CLI prints it or the dashboard
 * draws it.
 */
#ifndef TALLY_TEXT_H
#define TALLY_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates, or code
 * points past U+10FFFF), else 0. */
int utf8_valid(const char *s, size_t n);

/* Decodes one code point at s (n bytes available).  Returns its length in
 * bytes, or 0 when the sequence is malformed (then *cp is undefined). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* 1 for a code point a terminal may act on rather than show: C0 and C1
 * controls, DEL, and the bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069). */
int text_unsafe(uint32_t cp);

#define TEXT_ASCII 0x1u   /* non-ASCII characters become '?' (non-UTF-8 terminal) */
#define TEXT_KEEP_TAB 0x2u /* keep tabs (else each becomes one space) */
#define TEXT_KEEP_NL 0x4u  /* keep line feeds (else each becomes '?') */

/* Appends a terminal-safe copy of s[0..n) to out: C0 and C1 control
 * characters, DEL, and bidirectional overrides become '?', malformed UTF-8
 * becomes U+FFFD (or '?' with TEXT_ASCII).  Never emits an ESC byte. */
void text_sanitize(buf *out, const char *s, size_t n, unsigned flags);

/* Copies s into out (size bytes, NUL-terminated) as valid UTF-8: each byte
 * of a malformed sequence becomes U+FFFD, and when it does not fit the cut
 * falls between characters.  For names that must read the same in a URL as
 * in JSON (which cannot carry malformed UTF-8). */
void text_utf8_copy(char *out, size_t size, const char *s);

/* Terminal display width of a sanitized UTF-8 string (wcwidth per code point). */
int text_width(const char *s);

#endif
