/*
 * json.c — the relaxed JSON reader and the exact JSON writer.
 *
 * cJSON reads strict JSON only.  Before parsing, bare non-finite tokens
 * outside strings are rewritten: ±Infinity as ±1e999 (which strtod reads
 * as ±inf) and NaN as a marker string that is turned back into a NaN
 * number once the tree is built.  Integers past 2^53, which a double cannot
 * hold, travel the same way and come back as numbers that keep their digits
 * in valuestring, so json_write() writes them back exactly.
 *
 * The writer walks a cJSON tree itself (cJSON's printer keeps 15 digits of
 * a double and passes C1 and bidi controls through); json_string_n() is
 * the one place a string becomes a JSON literal.
 */
#include "common/json.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/numfmt.h"
#include "common/text.h"

#define NAN_MARK "\x01nan\x01"
#define INT_MARK "\x01int\x01"
#define INT_EXACT_DIGITS "9007199254740992" /* 2^53 */

static int ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The length of an integer token at s (digits after an optional '-'),
 * when it is one and its magnitude is past 2^53; else 0. */
static size_t big_integer(const char *s)
{
    size_t sign = s[0] == '-', n = strspn(s + sign, "0123456789");
    size_t limit = sizeof INT_EXACT_DIGITS - 1;
    if (n < limit || s[sign] == '0' || (s[sign + n] && strchr(".eE", s[sign + n])))
        return 0;
    if (n == limit && strncmp(s + sign, INT_EXACT_DIGITS, limit) <= 0)
        return 0;
    return sign + n;
}

/* Rewrites the tokens; returns 1 if any marker was written. */
static int rewrite(const char *s, buf *out)
{
    int in_string = 0, marks = 0, expect_value = 1;
    size_t n;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (in_string) {
            buf_putc(out, c);
            if (c == '\\' && s[i + 1])
                buf_putc(out, s[++i]);
            else if (c == '"')
                in_string = 0;
            continue;
        }
        int boundary = i == 0 || !ident(s[i - 1]);
        /* A number starts a value: first, or after '[', ',' or ':'. */
        int at_value = expect_value;
        if (!strchr(" \t\r\n", c))
            expect_value = strchr("[,:", c) != NULL;
        if (c == '"') {
            in_string = 1;
        } else if (boundary && strncmp(s + i, "NaN", 3) == 0 && !ident(s[i + 3])) {
            buf_puts(out, "\"" NAN_MARK "\"");
            i += 2;
            marks = 1;
            continue;
        } else if (boundary && strncmp(s + i, "Infinity", 8) == 0 && !ident(s[i + 8])) {
            buf_puts(out, "1e999");
            i += 7;
            continue;
        } else if (boundary && strncmp(s + i, "-Infinity", 9) == 0 && !ident(s[i + 9])) {
            buf_puts(out, "-1e999");
            i += 8;
            continue;
        } else if (at_value && (n = big_integer(s + i)) > 0) {
            buf_puts(out, "\"" INT_MARK);
            buf_append(out, s + i, n);
            buf_putc(out, '"');
            i += n - 1;
            marks = 1;
            continue;
        }
        buf_putc(out, c);
    }
    return marks;
}

static void restore_marks(cJSON *v)
{
    for (; v; v = v->next) {
        if (cJSON_IsString(v) && strcmp(v->valuestring, NAN_MARK) == 0) {
            cJSON_free(v->valuestring);
            v->valuestring = NULL;
            v->type = cJSON_Number;
            v->valuedouble = NAN;
            v->valueint = 0;
        } else if (cJSON_IsString(v) &&
                   strncmp(v->valuestring, INT_MARK, sizeof INT_MARK - 1) == 0 &&
                   strspn(v->valuestring + sizeof INT_MARK - 1, "-0123456789") ==
                       strlen(v->valuestring + sizeof INT_MARK - 1)) {
            /* The digits stay in valuestring (cJSON_Delete frees it). */
            char *digits = v->valuestring;
            memmove(digits, digits + sizeof INT_MARK - 1, strlen(digits) - sizeof INT_MARK + 2);
            v->type = cJSON_Number;
            v->valuedouble = strtod(digits, NULL);
            v->valueint = v->valuedouble > 0 ? INT_MAX : INT_MIN;
        }
        restore_marks(v->child);
    }
}

/* 1 when text may hold an integer too big for a double (16+ digits in a row). */
static int long_digits(const char *text)
{
    for (const char *p = text; (p = strpbrk(p, "0123456789")) != NULL;) {
        size_t n = strspn(p, "0123456789");
        if (n >= sizeof INT_EXACT_DIGITS - 1)
            return 1;
        p += n;
    }
    return 0;
}

cJSON *json_parse(const char *text)
{
    if (!text)
        return NULL;
    if (!strstr(text, "NaN") && !strstr(text, "Infinity") && !long_digits(text))
        return cJSON_ParseWithOpts(text, NULL, 1); /* nothing may follow the value */
    buf b = BUF_INIT;
    int marks = rewrite(text, &b);
    cJSON *v = b.oom ? NULL : cJSON_ParseWithOpts(buf_cstr(&b), NULL, 1);
    buf_free(&b);
    if (v && marks)
        restore_marks(v);
    return v;
}

/* ---- the writer ---- */

/* Code points a JSON string never carries raw: what a terminal may act on
 * (C0, DEL, C1, bidi controls) and the line and paragraph separators, which
 * some readers take for line ends. */
static int must_escape(uint32_t cp) { return text_unsafe(cp) || cp == 0x2028 || cp == 0x2029; }

static void put_escape(buf *out, uint32_t cp)
{
    static const char hex[] = "0123456789abcdef";
    switch (cp) {
    case '"': buf_puts(out, "\\\""); return;
    case '\\': buf_puts(out, "\\\\"); return;
    case '\n': buf_puts(out, "\\n"); return;
    case '\r': buf_puts(out, "\\r"); return;
    case '\t': buf_puts(out, "\\t"); return;
    default: {
        char esc[6] = {'\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15], hex[cp >> 4 & 15],
                       hex[cp & 15]};
        buf_append(out, esc, sizeof esc);
    }
    }
}

void json_string_n(buf *out, const char *s, size_t n)
{
    buf_putc(out, '"');
    size_t i = 0, run = 0; /* s[run..i) is copied as it is */
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }
        uint32_t cp = c;
        size_t len = c < 0x80 ? 1 : utf8_decode(s + i, n - i, &cp);
        if (len > 1 && !must_escape(cp)) {
            i += len;
            continue;
        }
        buf_append(out, s + run, i - run);
        if (len == 0) {
            buf_puts(out, "\xef\xbf\xbd"); /* U+FFFD for each byte of a malformed sequence */
            len = 1;
        } else {
            put_escape(out, cp);
        }
        i += len;
        run = i;
    }
    buf_append(out, s + run, n - run);
    buf_putc(out, '"');
}

void json_string(buf *out, const char *s) { json_string_n(out, s ? s : "", s ? strlen(s) : 0); }

/* The spelling of a non-finite v, or NULL when v is finite. */
static const char *nonfinite(double v, unsigned flags)
{
    if (isfinite(v))
        return NULL;
    if (flags & JSON_BARE_NONFINITE)
        return isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
    return isnan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
}

/* Writes finite v into out's spare room; returns the length of its text. */
static size_t put_finite(buf *out, double v)
{
    if (buf_reserve(out, NUMFMT_MAX) < 0)
        return 0;
    size_t n = numfmt_double_len(out->data + out->len, v);
    out->len += n;
    return n;
}

void json_number(buf *out, double v, unsigned flags)
{
    const char *special = nonfinite(v, flags);
    if (special)
        buf_puts(out, special);
    else
        put_finite(out, v);
}

void json_float(buf *out, double v, unsigned flags)
{
    const char *special = nonfinite(v, flags);
    if (special) {
        buf_puts(out, special);
        return;
    }
    size_t n = put_finite(out, v);
    if (n && strspn(out->data + out->len - n, "-0123456789") == n)
        buf_append(out, ".0", 2);
}

static void indent(buf *out, unsigned flags, int depth)
{
    if (!(flags & JSON_PRETTY))
        return;
    buf_putc(out, '\n');
    for (int i = 0; i < depth; i++)
        buf_puts(out, "  ");
}

static void write_value(buf *out, const cJSON *v, unsigned flags, int depth)
{
    if (cJSON_IsNumber(v) && v->valuestring) {
        buf_puts(out, v->valuestring); /* an integer past 2^53, as parsed */
    } else if (cJSON_IsNumber(v)) {
        json_number(out, v->valuedouble, flags);
    } else if (cJSON_IsString(v)) {
        json_string(out, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        buf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsRaw(v)) {
        json_text(out, v->valuestring, flags);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int obj = cJSON_IsObject(v);
        buf_putc(out, obj ? '{' : '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            indent(out, flags, depth + 1);
            if (obj) {
                json_string(out, c->string);
                buf_puts(out, (flags & JSON_PRETTY) ? ": " : ":");
            }
            write_value(out, c, flags, depth + 1);
            if (c->next)
                buf_putc(out, ',');
        }
        if (v->child)
            indent(out, flags, depth);
        buf_putc(out, obj ? '}' : ']');
    } else {
        buf_puts(out, "null");
    }
}

void json_write(buf *out, const cJSON *v, unsigned flags) { write_value(out, v, flags, 0); }

char *json_print(const cJSON *v, unsigned flags)
{
    buf b = BUF_INIT;
    json_write(&b, v, flags);
    if (b.oom) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

/* 1 when json is a JSON string literal that is already what this writer
 * makes: printable ASCII, well-formed UTF-8 that needs no escape, and
 * escapes (but none of a surrogate, which the parser refuses alone).  The
 * stored string cells of a run nearly all are, and copying them is some 15
 * times faster than parsing and writing them again. */
static int canonical_string(const char *json)
{
    const char *p = json, *end = json + strlen(json);
    if (*p++ != '"')
        return 0;
    while (p < end && *p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\\') {
            if (p[1] == 'u') {
                if (strspn(p + 2, "0123456789abcdefABCDEF") < 4 || p[2] == 'd' || p[2] == 'D')
                    return 0; /* not 4 hex digits, or (maybe) a surrogate */
                p += 6;
            } else if (p[1] && strchr("\"\\/bfnrt", p[1])) {
                p += 2;
            } else {
                return 0;
            }
        } else if (c >= 0x20 && c < 0x7f) {
            p++;
        } else {
            uint32_t cp;
            size_t len = c < 0x80 ? 0 : utf8_decode(p, (size_t)(end - p), &cp);
            if (len == 0 || must_escape(cp))
                return 0;
            p += len;
        }
    }
    return p + 1 == end && *p == '"';
}

void json_text(buf *out, const char *json, unsigned flags)
{
    if (json && canonical_string(json)) {
        buf_puts(out, json);
        return;
    }
    cJSON *v = json_parse(json);
    if (v)
        json_write(out, v, flags & ~JSON_PRETTY);
    else
        json_string(out, json);
    cJSON_Delete(v);
}
