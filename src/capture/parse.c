/*
 * parse.c — metrics from output lines (see parse.h; the rules, with an
 * example of each, are in docs/capture.md).
 *
 * The idea: a line is first cleaned the way a terminal would show it
 * (escape sequences dropped, '\b' and '\r' overwrite), then read by the
 * first grammar that owns it:
 *
 *   dict lines      {...} as JSON or Python repr (dictline.c);
 *   tqdm bars       "DESC: 42%|####  | 5/12 [00:01<00:02, 3.1it/s, k=v]":
 *                   the description and the postfix are text, the rest is
 *                   the bar's chrome, never a metric;
 *   Keras progbars  "10/10 [=====] - 2s 10ms/step - loss: 0.34": the
 *                   fields after the timing are text;
 *   text            everything else.
 *
 * Text is split into tokens (words, numbers with their unit, fractions
 * "3/10", separators, and junk: dates, times, versions, IPs, paths, hex)
 * and a number becomes a metric when a key stands right before it:
 * "key=v" (one word), "key: v" or "key v" (up to three words, joined by
 * '_').  Words naming a step, an epoch or a batch set those instead.  The
 * bare "key v" form is prose-prone, so it counts only on a line that also
 * has a marker or another kind of pair, and only when the number ends its
 * field (a separator, the line's end, or the next pair follows).
 *
 * Cost (bench/bench_parse): every line a program prints comes through
 * here.  Most are of a shape read before (the same format string, other
 * numbers), and those are not read here at all: shapes.c replays the
 * reading of the first line of the shape, so every value read here notes
 * the text it came from (parse_src).  What is read in full still avoids
 * what a profile showed to be dear.  The test for bytes to clean reads
 * eight bytes a word; a line with no digit and no "nan"/"inf" is turned
 * away before any grammar runs; character classes are one table load,
 * with no locale; tokens are written in place into a reused array (never
 * built on the stack and copied); a number's length and value come from
 * one pass, with strtod only past the exact fast path; short tests (is it
 * a unit, a grouped number) reject on their first bytes.
 */
#include "capture/parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capture/bytes8.h"
#include "capture/dictline.h"
#include "capture/shapes.h"
#include "capture/tables.h"

#define PARSE_KEY_WORDS 3 /* words in a multi-word key at most */

/* ---- the result --------------------------------------------------------- */

int parse_mode_of(const char *name, parse_mode *out)
{
    static const char *const names[] = {"auto", "json", "kv", "none"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (parse_mode)i;
            return 0;
        }
    return -1;
}

void parse_result_reset(parse_result *r)
{
    r->n = 0;
    r->has_step = r->has_epoch = r->has_epoch_index = r->has_batch = 0;
    r->step = r->epoch_index = r->batch = r->batch_total = 0;
    r->epoch = 0;
    r->epoch_frac = r->total_guard = r->volatile_shape = 0;
}

void parse_result_free(parse_result *r)
{
    free(r->v);
    free(r->text);
    free(r->tok);
    free(r->soft);
    free(r->src);
    shape_cache_free(r->shapes);
    table_state_free(r->tables);
    memset(r, 0, sizeof *r);
}

/* A value that is no text of the line (nan, inf, a key's default). */
static parse_src const_src(double v)
{
    return (parse_src){.how = SRC_CONST, .k = v};
}

/* Adds or replaces key, with the text its value came from; *index gets
 * its place. */
static int put(parse_result *r, const char *key, size_t klen, double value, parse_src src,
               size_t *index)
{
    size_t i = 0;
    for (; i < r->n; i++) /* the last value of a key on the line wins */
        if (r->v[i].key[0] == key[0] && strncmp(r->v[i].key, key, klen) == 0 &&
            r->v[i].key[klen] == '\0')
            break;
    if (i == r->n) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 8;
            parse_metric *v = realloc(r->v, cap * sizeof *v);
            if (!v)
                return TALLY_ENOMEM;
            r->v = v;
            r->cap = cap;
        }
        if (r->src_cap < r->cap) { /* a replay (shapes.c) fills v alone */
            parse_src *sv = realloc(r->src, r->cap * sizeof *sv);
            if (!sv)
                return TALLY_ENOMEM;
            r->src = sv;
            r->src_cap = r->cap;
        }
        memcpy(r->v[i].key, key, klen);
        r->v[i].key[klen] = '\0';
        r->n++;
    }
    r->v[i].value = value;
    r->src[i] = src;
    *index = i;
    return 0;
}

static int add_checked(parse_result *r, const char *key, size_t klen, double value, parse_src src)
{
    size_t i;
    if (klen == 0 || klen > TALLY_KEY_MAX)
        return 0;
    for (i = 0; i < klen; i++) /* a NUL would cut the key, a control byte is no name */
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
            return 0;
    return put(r, key, klen, value, src, &i);
}

int parse_result_add(parse_result *r, const char *key, size_t klen, double value)
{
    return add_checked(r, key, klen, value, const_src(value));
}

void parse_result_remove(parse_result *r, size_t i)
{
    memmove(r->v + i, r->v + i + 1, (r->n - i - 1) * sizeof *r->v);
    if (r->soft_cap >= r->n)
        memmove(r->soft + i, r->soft + i + 1, r->n - i - 1);
    if (r->src_cap >= r->n)
        memmove(r->src + i, r->src + i + 1, (r->n - i - 1) * sizeof *r->src);
    r->n--;
}

int parse_whole(double v, int64_t *out)
{
    if (!(v >= 0 && v <= 9007199254740992.0) || floor(v) != v)
        return 0;
    *out = (int64_t)v;
    return 1;
}

static int is_step_key(const char *k, size_t n)
{
    char c = k[0] | 32;
    if (c != 's' && c != 'i' && c != 'g' && c != '_' && c != 'n')
        return 0;
    return (n == 4 && strncasecmp(k, "step", 4) == 0) || (n == 5 && memcmp(k, "_step", 5) == 0) ||
           (n == 11 && strncasecmp(k, "global_step", 11) == 0) ||
           (n == 11 && strncasecmp(k, "num_updates", 11) == 0) || /* fairseq */
           (n == 4 && strncasecmp(k, "iter", 4) == 0) ||
           (n == 9 && strncasecmp(k, "iteration", 9) == 0);
}

/* In a dict only these name the step (an "iter" member is a metric). */
static int is_dict_step_key(const char *k, size_t n)
{
    return (n == 4 && memcmp(k, "step", 4) == 0) || (n == 5 && memcmp(k, "_step", 5) == 0) ||
           (n == 11 && memcmp(k, "global_step", 11) == 0);
}

static int is_epoch_key(const char *k, size_t n)
{
    return n == 5 && (k[0] | 32) == 'e' && strncasecmp(k, "epoch", 5) == 0;
}

static int is_batch_key(const char *k, size_t n)
{
    return n == 5 && (k[0] | 32) == 'b' && strncasecmp(k, "batch", 5) == 0;
}

/* ---- cleaning: what the terminal would show ----------------------------- */

size_t parse_strip_escapes(const char *s, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c != 0x1b) {
            out[o++] = (char)c;
            i++;
            continue;
        }
        i++;
        if (i < n && s[i] == '[') { /* CSI: parameters, then a final byte 0x40-0x7e */
            i++;
            while (i < n && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e))
                i++;
            i++;
        } else if (i < n && s[i] == ']') { /* OSC: up to BEL or ESC \ */
            i++;
            while (i < n && s[i] != '\a' && !(s[i] == 0x1b && i + 1 < n && s[i + 1] == '\\'))
                i++;
            i += i < n && s[i] == 0x1b ? 2 : 1;
        } else {
            i++; /* ESC x */
        }
    }
    return o;
}

/* '\b' moves back one column and '\r' to the first; later bytes overwrite.
 * Keras redraws its bar that way.  In place; returns the shown length. */
static size_t overwrite(char *s, size_t n)
{
    size_t cur = 0, len = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\b') {
            if (cur > 0)
                cur--;
        } else if (s[i] == '\r') {
            cur = 0;
        } else {
            s[cur++] = s[i];
            if (cur > len)
                len = cur;
        }
    }
    return len;
}

size_t parse_clean(const char *line, size_t len, char *out)
{
    return overwrite(out, parse_strip_escapes(line, len, out));
}

/* ---- tokens --------------------------------------------------------------- */

typedef enum tok_kind { TK_WORD, TK_NUM, TK_FRAC, TK_SEP, TK_JUNK } tok_kind;

typedef enum unit_kind { U_NONE, U_TIME, U_PERCENT, U_RATE } unit_kind;

/* Small (48 bytes): a line's tokens are written once and read a few
 * times by the pair scan, so they should stay in a few cache lines. */
struct parse_token {
    const char *p;
    size_t len;
    unsigned char kind; /* tok_kind */
    unsigned char unit; /* TK_NUM: unit_kind */
    unsigned char stop; /* TK_WORD: a prose word ("to", "of") */
    unsigned char how;  /* TK_NUM: how its value was read (parse_how) */
    char c;             /* p[0], read without touching the line again */
    uint32_t nlen;      /* TK_NUM: the number's text, without its unit; TK_FRAC: a's */
    union {
        struct {               /* TK_NUM */
            double num;
            const char *uname; /* time: "ms", "s", ...; rate: the noun before "/s" */
            size_t ulen;
        };
        struct { /* TK_FRAC: a/b */
            int64_t a, b;
        };
    };
};

/* Character classes by table: one load per byte in the tokenizer's loops,
 * and no locale (ctype's answers depend on it, ours must not). */
enum {
    C_DIGIT = 1,
    C_ALPHA = 2,
    C_WORD = 4, /* in a word: letters, digits and _ . / - @ */
    C_SEP = 8,  /* a separator token: : = , ; | ( ) [ ] { } < > * # */
};
#define C_AW (C_ALPHA | C_WORD)
static const unsigned char cclass[256] = {
    ['0'] = C_DIGIT | C_WORD, ['1'] = C_DIGIT | C_WORD, ['2'] = C_DIGIT | C_WORD,
    ['3'] = C_DIGIT | C_WORD, ['4'] = C_DIGIT | C_WORD, ['5'] = C_DIGIT | C_WORD,
    ['6'] = C_DIGIT | C_WORD, ['7'] = C_DIGIT | C_WORD, ['8'] = C_DIGIT | C_WORD,
    ['9'] = C_DIGIT | C_WORD,
    ['a'] = C_AW, ['b'] = C_AW, ['c'] = C_AW, ['d'] = C_AW, ['e'] = C_AW, ['f'] = C_AW,
    ['g'] = C_AW, ['h'] = C_AW, ['i'] = C_AW, ['j'] = C_AW, ['k'] = C_AW, ['l'] = C_AW,
    ['m'] = C_AW, ['n'] = C_AW, ['o'] = C_AW, ['p'] = C_AW, ['q'] = C_AW, ['r'] = C_AW,
    ['s'] = C_AW, ['t'] = C_AW, ['u'] = C_AW, ['v'] = C_AW, ['w'] = C_AW, ['x'] = C_AW,
    ['y'] = C_AW, ['z'] = C_AW,
    ['A'] = C_AW, ['B'] = C_AW, ['C'] = C_AW, ['D'] = C_AW, ['E'] = C_AW, ['F'] = C_AW,
    ['G'] = C_AW, ['H'] = C_AW, ['I'] = C_AW, ['J'] = C_AW, ['K'] = C_AW, ['L'] = C_AW,
    ['M'] = C_AW, ['N'] = C_AW, ['O'] = C_AW, ['P'] = C_AW, ['Q'] = C_AW, ['R'] = C_AW,
    ['S'] = C_AW, ['T'] = C_AW, ['U'] = C_AW, ['V'] = C_AW, ['W'] = C_AW, ['X'] = C_AW,
    ['Y'] = C_AW, ['Z'] = C_AW,
    ['_'] = C_WORD, ['.'] = C_WORD, ['/'] = C_WORD, ['-'] = C_WORD, ['@'] = C_WORD,
    [':'] = C_SEP, ['='] = C_SEP, [','] = C_SEP, [';'] = C_SEP, ['|'] = C_SEP,
    ['('] = C_SEP, [')'] = C_SEP, ['['] = C_SEP, [']'] = C_SEP, ['{'] = C_SEP,
    ['}'] = C_SEP, ['<'] = C_SEP, ['>'] = C_SEP, ['*'] = C_SEP, ['#'] = C_SEP,
};
#undef C_AW

static int is_alpha(char c)
{
    return cclass[(unsigned char)c] & C_ALPHA;
}

static int is_digit(char c)
{
    return cclass[(unsigned char)c] & C_DIGIT;
}

static int is_alnum(char c)
{
    return cclass[(unsigned char)c] & (C_ALPHA | C_DIGIT);
}

static int is_word_char(char c)
{
    return cclass[(unsigned char)c] & C_WORD;
}

static int is_sep(char c)
{
    return cclass[(unsigned char)c] & C_SEP;
}

/* A table of words with their lengths, searched without strlen. */
struct word {
    const char *w;
    size_t len;
};
#define WORD(s) {s, sizeof s - 1}

static int lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The index of p[0..n) in the table (ignoring case when nocase), or -1. */
static long word_in(const struct word *t, size_t count, const char *p, size_t n, int nocase)
{
    for (size_t i = 0; i < count; i++) {
        if (t[i].len != n || (nocase ? lower(t[i].w[0]) != lower(p[0]) : t[i].w[0] != p[0]))
            continue;
        if (nocase ? strncasecmp(t[i].w, p, n) == 0 : memcmp(t[i].w, p, n) == 0)
            return (long)i;
    }
    return -1;
}

/* Prose words: they cut a multi-word key ("number of parameters"). */
static int is_stopword(const char *p, size_t n)
{
    static const char *const by_len[8] = {
        NULL, "a", "an to of in on at by is be or as", "the for are was and has",
        "from with will into than over have", "after", NULL, "reached"};
    /* the first letters of those words: a b f h i o r t w */
    static const unsigned long firsts = 1ul << 0 | 1ul << 1 | 1ul << 5 | 1ul << 7 | 1ul << 8 |
                                        1ul << 14 | 1ul << 17 | 1ul << 19 | 1ul << 22;
    if (n == 0 || n > 7 || !by_len[n] || !is_alpha(p[0]) || !(firsts >> (lower(p[0]) - 'a') & 1))
        return 0;
    char w[8];
    for (size_t i = 0; i < n; i++)
        w[i] = (char)lower(p[i]);
    for (const char *c = by_len[n]; *c; c += n + (c[n] == ' ')) /* words of length n, blank-separated */
        if (c[0] == w[0] && memcmp(c, w, n) == 0)
            return 1;
    return 0;
}

/* A unit spelled u[0..n): its kind, and its canonical name. */
static unit_kind unit_of(const char *u, size_t n, const char **name, size_t *nlen)
{
    static const struct word spelled[] = {
        WORD("ns"),  WORD("us"),   WORD("ms"),     WORD("s"),       WORD("sec"),
        WORD("secs"), WORD("second"), WORD("seconds"), WORD("min"), WORD("mins"),
        WORD("minutes"), WORD("h"), WORD("hr"),    WORD("hours")};
    static const struct word canon[] = {
        WORD("ns"), WORD("us"), WORD("ms"),  WORD("s"),   WORD("s"), WORD("s"), WORD("s"),
        WORD("s"),  WORD("min"), WORD("min"), WORD("min"), WORD("h"), WORD("h"), WORD("h")};
    /* time units start with one of "numsh": most words are turned away here */
    int timeish = n >= 1 && n <= 7 && (u[0] == 'n' || u[0] == 'u' || u[0] == 'm' || u[0] == 's' || u[0] == 'h');
    long k = timeish ? word_in(spelled, sizeof spelled / sizeof *spelled, u, n, 0) : -1;
    if (k >= 0) {
        *name = canon[k].w;
        *nlen = canon[k].len;
        return U_TIME;
    }
    if (n == 1 && u[0] == '%') {
        *name = "";
        *nlen = 0;
        return U_PERCENT;
    }
    if (n >= 2 && u[n - 2] == '/' && u[n - 1] == 's') { /* "/s", "tok/s", "samples/s" */
        for (size_t i = 0; i + 2 < n; i++)
            if (!is_alpha(u[i]))
                return U_NONE;
        *name = u;
        *nlen = n - 2;
        return U_RATE;
    }
    return U_NONE;
}

/* The value of a decimal with significand m (sig significant digits) and
 * the power of ten scale.  With at most 15 digits and a power up to 22,
 * both are exact doubles and one multiplication or division rounds
 * correctly (the fast path of correct decimal conversion); else strtod
 * on the text s[0..n). */
static double decimal_value(uint64_t m, size_t sig, int scale, int neg, const char *s, size_t n)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (sig > 15 || scale < -22 || scale > 22) {
        char tmp[64];
        if (n >= sizeof tmp)
            return 0;
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        return strtod(tmp, NULL);
    }
    double v = scale < 0 ? (double)m / pow10[-scale] : (double)m * pow10[scale];
    return neg ? -v : v;
}

/* The exponent digits at s[*i..n) (after 'e' and its sign), capped. */
static int exponent(const char *s, size_t n, size_t *i)
{
    int e = 0;
    for (; *i < n && e < 1000; (*i)++)
        e = e * 10 + (s[*i] - '0');
    return e;
}

double parse_decimal(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    int neg = 0, frac = 0, exp = 0, dot = 0;
    uint64_t m = 0;
    if (s[0] == '-' || s[0] == '+')
        neg = s[i++] == '-';
    for (; i < n; i++) {
        if (s[i] == '.') {
            dot = 1;
        } else if (is_digit(s[i])) {
            if (m == 0 && s[i] == '0') {
                frac += dot; /* leading zeros count for nothing but the scale */
                continue;
            }
            m = m * 10 + (uint64_t)(s[i] - '0');
            frac += dot;
            digits++;
        } else {
            break; /* the exponent */
        }
    }
    if (i < n) {
        int esign = 1;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            esign = s[i++] == '-' ? -1 : 1;
        exp = esign * exponent(s, n, &i);
    }
    return decimal_value(m, digits, exp - frac, neg, s, n);
}

int parse_number(const char *s, size_t n, double *v)
{
    size_t i = n > 0 && (s[0] == '-' || s[0] == '+'), d = 0;
    if (n - i == 3 && strncasecmp(s + i, "nan", 3) == 0) {
        *v = NAN;
        return 1;
    }
    if ((n - i == 3 && strncasecmp(s + i, "inf", 3) == 0) ||
        (n - i == 8 && strncasecmp(s + i, "infinity", 8) == 0)) {
        *v = s[0] == '-' ? -(double)INFINITY : (double)INFINITY;
        return 1;
    }
    for (; i < n && is_digit(s[i]); i++)
        d++;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            d++;
    if (d == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = ++i;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            e = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == e)
            return 0;
    }
    if (i != n)
        return 0;
    *v = parse_decimal(s, n);
    return 1;
}

/* The digits of a decimal at s[i..n): [+-]digits[.digits], as the
 * significand m (leading zeros count for nothing), its significant digits
 * and the power of ten.  bare_dot: a '.' with no digit after it is taken
 * ("5." is 5).  Returns the index after them; d->digits 0: none. */
typedef struct decimal {
    uint64_t m;
    size_t sig, digits;
    int scale, neg;
} decimal;

static size_t decimal_read(const char *s, size_t i, size_t n, int bare_dot, decimal *d)
{
    *d = (decimal){0};
    if (i < n && (s[i] == '+' || s[i] == '-'))
        d->neg = s[i++] == '-';
    for (; i < n && is_digit(s[i]); i++, d->digits++)
        if (d->m != 0 || s[i] != '0') {
            d->m = d->m * 10 + (uint64_t)(s[i] - '0');
            d->sig++;
        }
    if (i < n && s[i] == '.' && (bare_dot || (i + 1 < n && is_digit(s[i + 1]))))
        for (i++; i < n && is_digit(s[i]); i++, d->digits++) {
            d->scale--;
            if (d->m != 0 || s[i] != '0') {
                d->m = d->m * 10 + (uint64_t)(s[i] - '0');
                d->sig++;
            }
        }
    return i;
}

/* A decimal number at the start of s[0..n): its length (0: none) and, in
 * the same pass, its value (as parse_decimal reads it). */
static size_t number_len(const char *s, size_t n, double *v)
{
    decimal d;
    size_t i = decimal_read(s, 0, n, 1, &d);
    uint64_t m = d.m;
    size_t sig = d.sig;
    int neg = d.neg, scale = d.scale;
    if (!d.digits)
        return 0;
    if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = i + 1;
        int esign = 1;
        if (e < n && (s[e] == '+' || s[e] == '-'))
            esign = s[e++] == '-' ? -1 : 1;
        size_t end = e;
        while (end < n && is_digit(s[end]))
            end++;
        if (end > e) {
            scale += esign * exponent(s, end, &e);
            i = end;
        }
    }
    *v = decimal_value(m, sig, scale, neg, s, i);
    return i;
}

/* "1,234,567": digits grouped by commas; its length and value, else 0. */
static size_t grouped_len(const char *s, size_t n, double *v)
{
    size_t i = 0;
    double x = 0;
    if (!(n > 4 && (s[1] == ',' || s[2] == ',' || s[3] == ',')))
        return 0; /* the first comma comes after one to three digits */
    while (i < n && i < 3 && is_digit(s[i]))
        x = x * 10 + (s[i++] - '0');
    if (i == 0)
        return 0;
    size_t groups = 0;
    while (i + 3 < n && s[i] == ',' && is_digit(s[i + 1]) && is_digit(s[i + 2]) &&
           is_digit(s[i + 3]) && (i + 4 == n || !is_digit(s[i + 4]))) {
        x = x * 1000 + (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
        i += 4;
        groups++;
    }
    if (!groups)
        return 0;
    *v = x;
    return i;
}

/* The value of the digits s[0..n) (at most 15 of them). */
static int64_t digits_value(const char *s, size_t n)
{
    int64_t x = 0;
    for (size_t i = 0; i < n && i < 15 && is_digit(s[i]); i++)
        x = x * 10 + (s[i] - '0');
    return x;
}

static parse_src digits_src(const char *s, size_t n)
{
    return (parse_src){.p = s, .len = (uint32_t)n, .how = SRC_DIGITS};
}

/* The line names its step: x, read from src. */
static void set_step(parse_result *r, int64_t x, parse_src src)
{
    r->has_step = 1;
    r->step = x;
    r->step_src = src;
}

double parse_src_value(const parse_src *src)
{
    double v = 0;
    switch (src->how) {
    case SRC_DECIMAL: return parse_decimal(src->p, src->len);
    case SRC_GROUPED: grouped_len(src->p, src->len, &v); return v;
    case SRC_DIGITS: return (double)digits_value(src->p, src->len);
    default: return src->k;
    }
}

/* What a blob that starts like a number is: a number with an optional
 * unit, a fraction, or junk (a date, time, version, address, "12abc"). */
static void classify(parse_token *t)
{
    const char *s = t->p;
    size_t n = t->len;
    t->kind = TK_JUNK;
    const char *slash = s + 1; /* tokens are short: a loop, not a memchr call */
    while (slash < s + n && *slash != '/')
        slash++;
    if (slash == s + n)
        slash = NULL;
    if (slash && slash > s && slash + 1 < s + n) {
        size_t i = 0;
        while (i < n && is_digit(s[i]))
            i++;
        size_t j = i + 1;
        while (j < n && is_digit(s[j]))
            j++;
        if (s + i == slash && j == n && j > i + 1 && i <= 15 && j - i - 1 <= 15) {
            t->kind = TK_FRAC;
            t->nlen = (uint32_t)i;
            t->a = digits_value(s, i);
            t->b = digits_value(slash + 1, j - i - 1);
            return;
        }
    }
    double v;
    size_t k = grouped_len(s, n, &v);
    t->how = SRC_GROUPED;
    if (!k) {
        k = number_len(s, n, &v);
        t->how = SRC_DECIMAL;
    }
    if (!k)
        return;
    t->nlen = (uint32_t)k;
    if (k == n) {
        t->kind = TK_NUM;
        t->num = v;
        t->unit = U_NONE;
        return;
    }
    unit_kind u = unit_of(s + k, n - k, &t->uname, &t->ulen);
    if (u != U_NONE) {
        t->kind = TK_NUM;
        t->num = v;
        t->unit = u;
    }
}

/* nan, inf, infinity in any case, with an optional sign: the value. */
static int nonfinite(const char *s, size_t n, double *v)
{
    int neg = 0;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (n == 3 && strncasecmp(s, "nan", 3) == 0)
        *v = NAN;
    else if ((n == 3 && strncasecmp(s, "inf", 3) == 0) ||
             (n == 8 && strncasecmp(s, "infinity", 8) == 0))
        *v = neg ? -INFINITY : INFINITY;
    else
        return 0;
    return 1;
}

/* Room for one more token at r->tok[nt].  Tokens are written in place:
 * a token built on the stack and copied would be read back as wide loads
 * of narrower stores just made, which the CPU cannot forward (a stall). */
static int room(parse_result *r, size_t nt)
{
    if (nt < r->tok_cap)
        return 0;
    size_t cap = r->tok_cap ? r->tok_cap * 2 : 64;
    parse_token *tok = realloc(r->tok, cap * sizeof *tok);
    if (!tok)
        return TALLY_ENOMEM;
    r->tok = tok;
    r->tok_cap = cap;
    return 0;
}

/* Does a blob that reached s[j] end there?  At a blank, the line's end or
 * a separator; at a ':' or ',' only when a blank follows ("step 100:",
 * "0.5, "), not in "12:30" or "1,234". */
static int blob_ends(const char *s, size_t j, size_t n)
{
    if (j >= n)
        return 1;
    char c = s[j], d = j + 1 < n ? s[j + 1] : ' ';
    if (c == ':' || c == ',')
        return d == ' ' || d == '\t';
    return c == ' ' || c == '\t' || (is_sep(c) && c != '#' && c != '*');
}

/* A number at s[i..) that needs no more classifying, read in one pass:
 * [+-]digits[.digits], then nothing, a '%' or a time unit ("0.3412",
 * "-2", "26%", "0.123s", "12ms"), ending the blob.  Fills t's value and
 * unit and returns the blob's end; 0 for anything else (an exponent, a
 * rate, a date, a grouped or a trailing-dot number), which the blob path
 * classifies.  The value is number_len's, the unit unit_of's. */
static size_t plain_number(const char *s, size_t i, size_t n, parse_token *t)
{
    decimal d;
    size_t j = decimal_read(s, i, n, 0, &d);
    if (!d.digits)
        return 0;
    size_t end = j;
    unit_kind unit = U_NONE;
    const char *uname = "";
    size_t ulen = 0;
    if (j < n && s[j] == '%') {
        end = j + 1;
        unit = U_PERCENT;
    } else if (j < n && is_alpha(s[j]) && s[j] != 'e' && s[j] != 'E') {
        while (end < n && is_alpha(s[end]))
            end++;
        unit = unit_of(s + j, end - j, &uname, &ulen);
        if (unit != U_TIME)
            return 0; /* "12abc", "3rd": junk, as the blob path finds */
    }
    if (!blob_ends(s, end, n))
        return 0;
    t->num = decimal_value(d.m, d.sig, d.scale, d.neg, s + i, j - i);
    t->how = SRC_DECIMAL;
    t->nlen = (uint32_t)(j - i);
    t->unit = (unsigned char)unit;
    t->uname = uname;
    t->ulen = ulen;
    return end;
}

/* Does a ':' or '=' follow s[..i) (after blanks)?  Then the word before it
 * is the next pair's key, not a unit: "lr: 0.1  img/s: 120.5". */
static int names_next(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i < n && (s[i] == ':' || s[i] == '=');
}

/* s[i..j) is "a/" and blanks then digits follow ("100/  500000", a fraction
 * padded to its total's width): then t is that fraction, its text up to
 * the last digit. */
static int spaced_fraction(const char *s, size_t i, size_t j, size_t n, parse_token *t)
{
    if (j >= n || s[j - 1] != '/' || j - 1 - i > 15)
        return 0;
    for (size_t k = i; k < j - 1; k++)
        if (!is_digit(s[k]))
            return 0;
    size_t k = j;
    while (k < n && s[k] == ' ')
        k++;
    size_t m = k;
    while (m < n && is_digit(s[m]))
        m++;
    if (m == k || m - k > 15 || (m < n && !(s[m] == ' ' || s[m] == '\t' || is_sep(s[m]))))
        return 0;
    t->kind = TK_FRAC;
    t->nlen = (uint32_t)(j - 1 - i);
    t->len = m - i;
    t->a = digits_value(s + i, j - 1 - i);
    t->b = digits_value(s + k, m - k);
    return 1;
}

/* Splits s[0..n) into tokens (r->tok).  Returns their count or ENOMEM. */
static long tokenize(const char *s, size_t n, parse_result *r)
{
    size_t nt = 0, i = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= n)
            break;
        if (room(r, nt))
            return TALLY_ENOMEM;
        char c = s[i];
        parse_token *t = &r->tok[nt];
        t->p = s + i;
        t->c = c;
        t->unit = U_NONE;
        t->stop = 0;
        /* a sign after a blank or a separator may start a number: "-0.32", "-inf" */
        int sign = (c == '-' || c == '+') && i + 1 < n && (i == 0 || !is_alnum(s[i - 1]));
        int signed_num = sign && (is_digit(s[i + 1]) ||
                                  (s[i + 1] == '.' && i + 2 < n && is_digit(s[i + 2])));
        size_t plain = is_digit(c) || signed_num ? plain_number(s, i, n, t) : 0;
        if (plain) { /* the common case, in one pass: "0.3412", "-2", "100" */
            t->kind = TK_NUM;
            t->len = plain - i;
            i = plain;
        } else if (is_alpha(c) || c == '_') {
            size_t j = i + 1;
            while (j < n && is_word_char(s[j]))
                j++;
            size_t end = j;
            while (end > i + 1 && (s[end - 1] == '.' || s[end - 1] == '-' || s[end - 1] == '/'))
                end--; /* "Avg." */
            t->len = end - i;
            t->kind = TK_WORD;
            t->stop = is_stopword(t->p, t->len);
            if (end == j && j + 1 < n && s[j] == '\'' && s[j + 1] == 's' &&
                (j + 2 == n || s[j + 2] == ' ' || s[j + 2] == '\t'))
                j += 2; /* a possessive, dropped: LightGBM's "valid_0's auc" is valid_0_auc */
            i = j;
        } else if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(s[i + 1])) || signed_num) {
            size_t j = i + 1;
            while (j < n && (is_word_char(s[j]) || s[j] == ':' || s[j] == '%' || s[j] == '+' ||
                             (s[j] == ',' && j + 1 < n && is_digit(s[j + 1]) && grouped_len(s + i, n - i, &t->num))))
                j++;
            if (spaced_fraction(s, i, j, n, t)) { /* Megatron's "iteration  100/  500000" */
                i = (size_t)(t->p - s) + t->len;
                nt++;
                continue;
            }
            size_t end = j;
            while (end > i + 1 && (s[end - 1] == ':' || s[end - 1] == '.' || s[end - 1] == ','))
                end--; /* "step 100:" and a sentence's full stop, */
            t->len = end - i;
            classify(t);
            while (end < j && s[end] == '.')
                end++; /* which is dropped; a ':' or ',' stays a separator */
            i = end;
        } else if (sign && (s[i + 1] == 'i' || s[i + 1] == 'n' || s[i + 1] == 'I' || s[i + 1] == 'N')) {
            size_t j = i + 1;
            while (j < n && is_word_char(s[j]))
                j++;
            size_t end = j;
            while (end > i + 1 && (s[end - 1] == '.' || s[end - 1] == '-' || s[end - 1] == '/'))
                end--;
            t->len = end - i;
            if (!nonfinite(t->p, t->len, &t->num)) {
                t->len = 1; /* a lone sign: a separator, as Keras' " - " */
                t->kind = TK_SEP;
                j = i + 1;
            } else {
                t->kind = TK_NUM;
                t->how = SRC_CONST;
            }
            i = j;
        } else if (c == '.' && i + 1 < n && s[i + 1] == '.') { /* leader dots "END ....x=1" */
            while (i < n && s[i] == '.')
                i++;
            t->kind = TK_SEP;
            t->len = 1;
        } else if (is_sep(c) || c == '-') {
            t->kind = TK_SEP;
            t->len = 1;
            i++;
        } else { /* a path, a quote, anything else: junk up to the next blank */
            size_t j = i + 1;
            while (j < n && s[j] != ' ' && s[j] != '\t' && !(c != '/' && is_sep(s[j])))
                j++;
            t->kind = TK_JUNK;
            t->len = j - i;
            i = j;
        }
        nt++;
        /* "19.64 ms", "26073 tok/s", "0.01 seconds": a unit as its own word */
        if (t->kind == TK_WORD && nt >= 2 && t[-1].kind == TK_NUM && t[-1].unit == U_NONE &&
            t[-1].p + t[-1].len < t->p && !names_next(s, (size_t)(t->p - s) + t->len, n)) {
            unit_kind u = unit_of(t->p, t->len, &t[-1].uname, &t[-1].ulen);
            if (u == U_TIME || u == U_RATE) {
                t[-1].unit = u;
                nt--;
            }
        }
    }
    return (long)nt;
}

/* ---- text: pairs from tokens -------------------------------------------- */

static int tok_sep(const parse_token *t, char c)
{
    return t->kind == TK_SEP && t->c == c;
}

/* Where a number token's value came from. */
static parse_src num_src(const parse_token *t)
{
    if (t->how == SRC_CONST)
        return const_src(t->num);
    return (parse_src){.p = t->p, .len = t->nlen, .how = t->how};
}

/* The numerator and the denominator of a fraction token "a/b". */
static parse_src frac_a(const parse_token *t)
{
    return (parse_src){.p = t->p, .len = t->nlen, .how = SRC_DIGITS};
}

static parse_src frac_b(const parse_token *t)
{
    uint32_t b = 0; /* b's digits end the token ("100/600", "100/  600") */
    while (b < t->len && is_digit(t->p[t->len - 1 - b]))
        b++;
    return (parse_src){.p = t->p + t->len - b, .len = b, .how = SRC_DIGITS};
}

/* Is s[0..n) digits only, few enough to be a whole step on any line of
 * its shape (shapes.c sorts digit runs of 4 to 15 together)? */
static int whole_by_shape(const char *s, size_t n)
{
    if (n == 0 || n > 15)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

static int word_is_nonfinite(const parse_token *t, double *v)
{
    return (t->kind == TK_WORD || t->kind == TK_NUM) && nonfinite(t->p, t->len, v);
}

static int stopword(const parse_token *t)
{
    return t->stop;
}

typedef enum pair_kind { PAIR_EQ, PAIR_COLON, PAIR_SPACE, PAIR_BARE } pair_kind;

typedef struct text_scan {
    parse_result *r;
    const parse_token *t;
    long nt;
    const char *end;    /* the end of the text */
    int marker;         /* a step, epoch or batch was named */
    int other;          /* a pair other than a bare "key value" was found */
    int measure;        /* a bare pair's key names a measurement ("val loss") */
    int64_t step_total; /* the step was "a/b": b */
    parse_src total_src;
} text_scan;

/* A pair goes into the result at once; a bare "key value" one is marked
 * soft, and taken out again at the end when nothing else on the line
 * vouches for it. */
static int keep_pair(text_scan *ts, pair_kind kind, const char *key, size_t klen, double v,
                     parse_src src)
{
    parse_result *r = ts->r;
    size_t i;
    if (klen == 0 || klen > TALLY_KEY_MAX)
        return 0;
    int rc = put(r, key, klen, v, src, &i);
    if (rc)
        return rc;
    if (r->n > r->soft_cap) {
        unsigned char *soft = realloc(r->soft, r->cap);
        if (!soft)
            return TALLY_ENOMEM;
        r->soft = soft;
        r->soft_cap = r->cap;
    }
    r->soft[i] = kind == PAIR_SPACE;
    ts->other |= kind != PAIR_SPACE;
    return 0;
}

/* The key: words w0..w1 (inclusive) joined by '_', then the unit for times
 * ("time 12ms" -> time_ms, unless the key already ends so). */
static size_t make_key(const parse_token *t, long w0, long w1, const parse_token *num, char *out)
{
    size_t o = 0;
    for (long w = w0; w <= w1; w++) {
        if (o + t[w].len + 1 > TALLY_KEY_MAX)
            return 0;
        if (w > w0)
            out[o++] = '_';
        memcpy(out + o, t[w].p, t[w].len);
        o += t[w].len;
    }
    if (num && num->unit == U_TIME) {
        int has = o > num->ulen && out[o - num->ulen - 1] == '_' &&
                  memcmp(out + o - num->ulen, num->uname, num->ulen) == 0;
        if (!has) {
            if (o + 1 + num->ulen > TALLY_KEY_MAX)
                return 0;
            out[o++] = '_';
            memcpy(out + o, num->uname, num->ulen);
            o += num->ulen;
        }
    }
    out[o] = '\0';
    return o;
}

/* Is a part of words w0..w1 (split at '_' '.' '-' '/' '@') in the table?
 * The table's words are lens[0]..lens[1] bytes long and start with the
 * letters in firsts: most parts are turned away by those two. */
static int part_in(const parse_token *t, long w0, long w1, const struct word *words, size_t count,
                   const size_t lens[2], unsigned long firsts)
{
    for (long w = w0; w <= w1; w++) {
        const char *p = t[w].p, *end = t[w].p + t[w].len;
        while (p < end) {
            const char *q = p;
            while (q < end && is_alnum(*q))
                q++;
            size_t len = (size_t)(q - p);
            if (len >= lens[0] && len <= lens[1] && is_alpha(*p) &&
                (firsts >> (lower(*p) - 'a') & 1) &&
                word_in(words, count, p, len, 1) >= 0)
                return 1;
            p = q + 1;
        }
    }
    return 0;
}

#define LETTER(c) (1ul << ((c) - 'a'))

/* Is the word a source file's name?  "train.py:123" (absl, Python logging's
 * %(filename)s:%(lineno)d) is a line number. */
static int source_file(const parse_token *w)
{
    static const struct word exts[] = {WORD("py"), WORD("c"),  WORD("cc"), WORD("cpp"),
                                       WORD("h"),  WORD("rs"), WORD("go"), WORD("js"),
                                       WORD("ts"), WORD("java"), WORD("jl"), WORD("lua")};
    const char *dot = w->p + w->len;
    while (dot > w->p && dot[-1] != '.')
        dot--;
    if (dot <= w->p + 1)
        return 0;
    return word_in(exts, sizeof exts / sizeof *exts, dot, (size_t)(w->p + w->len - dot), 0) >= 0;
}

/* Keys that name what is not a measurement: "torch version: 2.1",
 * "Timestamp: 1704457845", "Port: 8080", "progress: 100%"; and how a run
 * is laid out, which a W&B user keeps in the config: "world size 8",
 * "LOCAL_RANK: 0", "num_workers=4", "cuda:0", "seed: 42" (a --regex
 * reads one when wanted, and --config puts it in the config). */
static int not_a_metric(const parse_token *t, long w0, long w1)
{
    static const struct word words[] = {
        WORD("version"), WORD("timestamp"), WORD("date"),    WORD("port"),
        WORD("pid"),     WORD("progress"),  WORD("rank"),    WORD("world"),
        WORD("worker"),  WORD("workers"),   WORD("cuda"),    WORD("seed")};
    static const unsigned long firsts = LETTER('c') | LETTER('d') | LETTER('p') | LETTER('r') |
                                        LETTER('s') | LETTER('t') | LETTER('v') | LETTER('w');
    static const size_t lens[2] = {3, 9};
    return part_in(t, w0, w1, words, sizeof words / sizeof *words, lens, firsts) ||
           (w0 <= w1 && source_file(&t[w1]));
}

/* Does the last word of a bare "key value" name a measurement?  Then the
 * line is read although nothing else on it vouches for the pair: llm.c's
 * "val loss 4.123456", timm's " * Acc@1 79.125 (20.875) Acc@5 94.625".
 * "error" is not one: "HTTP error 404" is a code. */
static int names_a_measure(const parse_token *t, long w1)
{
    static const struct word words[] = {
        WORD("loss"), WORD("acc"),  WORD("accuracy"), WORD("ppl"),  WORD("perplexity"),
        WORD("f1"),   WORD("auc"),  WORD("bleu"),     WORD("iou"),  WORD("mse"),
        WORD("mae"),  WORD("rmse"), WORD("reward")};
    static const unsigned long firsts = LETTER('a') | LETTER('b') | LETTER('f') | LETTER('i') |
                                        LETTER('l') | LETTER('m') | LETTER('p') | LETTER('r');
    static const size_t lens[2] = {2, 10};
    return part_in(t, w1, w1, words, sizeof words / sizeof *words, lens, firsts);
}

#undef LETTER

/* Does token i end a value's field?  A separator, the end, or a word that
 * opens the next pair ("loss 0.5 acc 0.9"). */
static int ends_field(const text_scan *ts, long i)
{
    if (i >= ts->nt)
        return 1;
    const parse_token *t = &ts->t[i];
    if (t->kind == TK_SEP && t->c == ',') /* "1,2" is a tuple, not a value and a separator */
        return !(t->p + 1 < ts->end && is_digit(t->p[1]));
    if (t->kind == TK_SEP)
        return t->c == ';' || t->c == '|' || t->c == ')' || t->c == ']' || t->c == '}' ||
               t->c == '-' || t->c == '(';
    long k = i;
    while (k < ts->nt && k - i < PARSE_KEY_WORDS && ts->t[k].kind == TK_WORD && !stopword(&ts->t[k]))
        k++;
    if (k == i || k >= ts->nt)
        return 0;
    const parse_token *u = &ts->t[k];
    return u->kind == TK_NUM || tok_sep(u, '=') || tok_sep(u, ':');
}

static int starts_field(const text_scan *ts, long i)
{
    if (i < 0)
        return 1;
    const parse_token *t = &ts->t[i];
    return t->kind == TK_SEP && (t->c == ',' || t->c == ';' || t->c == '|' || t->c == '(' ||
                                 t->c == '[' || t->c == '{' || t->c == '-');
}

/* A bracket at i: "[ 100/390]" or "[ 100/390 ( 26%)]", the batch.  Returns
 * the index after the bracket, or -1 when it is no such thing. */
static long batch_bracket(const text_scan *ts, long i, int64_t *a, int64_t *b)
{
    if (i + 1 >= ts->nt || !tok_sep(&ts->t[i], '[') || ts->t[i + 1].kind != TK_FRAC)
        return -1;
    long j = i + 2;
    while (j < ts->nt && !tok_sep(&ts->t[j], ']'))
        j++;
    if (j >= ts->nt)
        return -1;
    *a = ts->t[i + 1].a;
    *b = ts->t[i + 1].b;
    return j + 1;
}

void parse_set_epoch(parse_result *r, int frac, double v)
{
    r->has_epoch = 1;
    r->epoch = v;
    r->epoch_frac = frac;
    if (frac) { /* "Epoch 3/10" counts from 1 */
        r->has_epoch_index = v >= 1;
        r->epoch_index = (int64_t)v - 1;
    } else {
        r->has_epoch_index = parse_whole(v, &r->epoch_index);
    }
}

static void set_epoch(parse_result *r, const parse_token *v)
{
    if (v->kind == TK_FRAC) {
        parse_set_epoch(r, 1, (double)v->a);
        r->epoch_src = frac_a(v);
    } else if (v->kind == TK_NUM && v->unit == U_NONE) {
        parse_set_epoch(r, 0, v->num);
        r->epoch_src = num_src(v);
    }
}

/* A marker word (step, epoch, batch) with its value at v.  1 when taken. */
static int marker(text_scan *ts, const parse_token *w, const parse_token *v)
{
    parse_result *r = ts->r;
    int64_t x;
    if (is_step_key(w->p, w->len)) {
        if (v->kind == TK_FRAC) {
            set_step(r, v->a, frac_a(v));
            ts->step_total = v->b;
            ts->total_src = frac_b(v);
        } else if (v->kind == TK_NUM && v->unit == U_NONE) {
            if (v->how != SRC_CONST && !whole_by_shape(v->p, v->nlen))
                r->volatile_shape = 1; /* "step 1.0" is a step, "step 1.5" is not */
            if (!parse_whole(v->num, &x))
                return 0;
            set_step(r, x, digits_src(v->p, v->nlen));
        } else {
            return 0;
        }
    } else if (is_epoch_key(w->p, w->len)) {
        if (v->kind != TK_FRAC && !(v->kind == TK_NUM && v->unit == U_NONE))
            return 0;
        set_epoch(r, v);
    } else if (is_batch_key(w->p, w->len)) {
        if (v->kind != TK_FRAC)
            return 0;
        r->has_batch = 1;
        r->batch = v->a;
        r->batch_total = v->b;
        r->batch_src = frac_a(v);
        r->total_src = frac_b(v);
    } else {
        return 0;
    }
    ts->marker = 1;
    return 1;
}

/* Skips a parenthesised group starting at i; returns the index after it. */
static long skip_group(const text_scan *ts, long i)
{
    int depth = 0;
    for (; i < ts->nt; i++) {
        if (tok_sep(&ts->t[i], '('))
            depth++;
        else if (tok_sep(&ts->t[i], ')') && --depth == 0)
            return i + 1;
    }
    return i;
}

/* Is the token a number written with a point or an exponent ("0.5",
 * "1e-3")?  (A word's nlen means nothing: only a number's is looked at.) */
static int has_point(const parse_token *t)
{
    if (t->kind != TK_NUM || t->how == SRC_CONST)
        return 0;
    for (uint32_t i = 0; i < t->nlen; i++)
        if (t->p[i] == '.' || t->p[i] == 'e' || t->p[i] == 'E')
            return 1;
    return 0;
}

/* The word a '[' at i belongs to: the word right before it, or the word
 * before a "(word)" right before it (mmengine's "Epoch(train) [1][50/500]",
 * "Iter(train) [50/1000]"); -1 when none. */
static long bracket_owner(const text_scan *ts, long i)
{
    const parse_token *t = ts->t;
    if (i >= 1 && t[i - 1].kind == TK_WORD)
        return i - 1;
    if (i >= 4 && tok_sep(&t[i - 1], ')') && t[i - 2].kind == TK_WORD && tok_sep(&t[i - 3], '(') &&
        t[i - 4].kind == TK_WORD)
        return i - 4;
    return -1;
}

/* Is the '[' at i "[N]" around a whole number written in digits alone (so
 * that every line of its shape has one too)? */
static int whole_bracket(const text_scan *ts, long i)
{
    const parse_token *t = ts->t;
    return i + 2 < ts->nt && t[i + 1].kind == TK_NUM && t[i + 1].unit == U_NONE &&
           t[i + 1].how != SRC_CONST && whole_by_shape(t[i + 1].p, t[i + 1].nlen) &&
           tok_sep(&t[i + 2], ']');
}

/* Is token i followed by a blank (or the end of the text)? */
static int blank_after(const text_scan *ts, long i)
{
    const char *e = ts->t[i].p + 1;
    return e >= ts->end || *e == ' ' || *e == '\t';
}

/* Reads the pairs of tokens [0, nt) into the result, and the markers. */
static int scan_pairs(text_scan *ts)
{
    const parse_token *t = ts->t;
    long nt = ts->nt;
    char key[TALLY_KEY_MAX + 1];
    long i = 0;
    if (nt >= 2 && t[0].kind == TK_NUM && t[0].unit == U_NONE && t[0].how != SRC_CONST &&
        whole_by_shape(t[0].p, t[0].nlen) && tok_sep(&t[1], ':') && t[1].p + 1 < ts->end &&
        t[1].p[1] == '\t') { /* CatBoost's "10:\tlearn: 0.68": the line opens with its step */
        set_step(ts->r, (int64_t)t[0].num, digits_src(t[0].p, t[0].nlen));
        ts->marker = 1;
        i = 2;
    }
    for (; i < nt; i++) {
        int64_t ba, bb;
        double v = 0;
        int value = t[i].kind == TK_NUM || t[i].kind == TK_FRAC;
        if (t[i].kind == TK_SEP) { /* only a '(' after a number and a '[' mean anything */
            if (t[i].c == '(' && i > 0 && t[i - 1].kind == TK_NUM) {
                i = skip_group(ts, i) - 1; /* "260.16/s (0.130s, 246.15/s)": averages */
                continue;
            }
            if (t[i].c != '[')
                continue;
            long after = batch_bracket(ts, i, &ba, &bb);
            long w = bracket_owner(ts, i);
            if (after >= 0 && w >= 0 && marker(ts, &t[w], &t[i + 1])) {
                i = after - 1; /* "Epoch [1/5], Step [100/600]", "Iter(train) [50/1000]" */
                continue;
            }
            if (after < 0 && whole_bracket(ts, i)) {
                /* "Epoch [2][50/500]" (mmdet, Ignite: counted from 1), "Epoch: [0]
                 * [10/782]" (torchvision: from 0); or XGBoost's "[10]\ttrain-logloss:
                 * 0.31", a line that opens with its step */
                int colon = w < 0 && i >= 2 && tok_sep(&t[i - 1], ':') && t[i - 2].kind == TK_WORD;
                long e = colon ? i - 2 : w;
                if (e >= 0 && is_epoch_key(t[e].p, t[e].len)) {
                    parse_set_epoch(ts->r, !colon, t[i + 1].num);
                    ts->r->epoch_src = num_src(&t[i + 1]);
                } else if (i == 0 && blank_after(ts, i + 2)) {
                    set_step(ts->r, (int64_t)t[1].num, digits_src(t[1].p, t[1].nlen));
                } else {
                    continue; /* its number may be a value: "lr=[3]" */
                }
                ts->marker = 1;
                i += 2;
                continue;
            }
            if (after >= 0) { /* the bracket's fraction is t[i + 1] */
                ts->r->has_batch = 1;
                ts->r->batch = ba;
                ts->r->batch_total = bb;
                ts->r->batch_src = frac_a(&t[i + 1]);
                ts->r->total_src = frac_b(&t[i + 1]);
                ts->marker = 1;
                i = after - 1;
            }
            continue;
        }
        if (!value && !(i >= 1 && (tok_sep(&t[i - 1], '=') || tok_sep(&t[i - 1], ':')) &&
                        word_is_nonfinite(&t[i], &v)))
            continue;
        if (t[i].kind == TK_NUM)
            v = t[i].num;
        /* the key before it */
        long j = i - 1;
        pair_kind kind = PAIR_SPACE;
        if (j >= 1 && tok_sep(&t[j], '[') && i + 1 < nt && tok_sep(&t[i + 1], ']') &&
            (tok_sep(&t[j - 1], '=') || tok_sep(&t[j - 1], ':')))
            j--; /* DeepSpeed's "lr=[0.0001]": a list of one value is the value */
        if (j >= 0 && tok_sep(&t[j], '=')) {
            kind = PAIR_EQ;
            j--;
        } else if (j >= 0 && tok_sep(&t[j], ':')) {
            kind = PAIR_COLON;
            j--;
        }
        long w1 = j, w0 = j + 1;
        while (w0 - 1 >= 0 && t[w0 - 1].kind == TK_WORD && w1 - (w0 - 1) < PARSE_KEY_WORDS &&
               !(kind == PAIR_EQ && w0 <= w1))
            w0--;
        for (long w = w1; w >= w0 && kind != PAIR_EQ; w--) /* prose words cut the key */
            if (stopword(&t[w])) {
                w0 = w + 1;
                break;
            }
        if (kind == PAIR_SPACE && w0 <= w1 && w0 > 0 &&
            (t[w0 - 1].kind == TK_WORD || t[w0 - 1].kind == TK_JUNK))
            continue; /* prose: "saved as top 1" */
        if (kind == PAIR_EQ && w0 - 1 >= 0 && tok_sep(&t[w0 - 1], '='))
            continue; /* "a==1", "b=1=2" */
        if (i + 1 < nt && tok_sep(&t[i + 1], '='))
            continue;
        /* markers: the last word of the key names a step, an epoch, a batch */
        if (w0 <= w1 && marker(ts, &t[w1], &t[i]))
            continue;
        if (t[i].kind == TK_FRAC)
            continue;
        /* timm's "Train: 3 [ 100/390 ( 26%)]": a number before the batch is the epoch */
        if (t[i].unit == U_NONE && batch_bracket(ts, i + 1, &ba, &bb) >= 0) {
            set_epoch(ts->r, &t[i]);
            ts->marker = 1;
            continue;
        }
        size_t klen = 0;
        if (w0 <= w1) {
            if (!ends_field(ts, i + 1))
                continue;
            klen = make_key(t, w0, w1, &t[i], key);
        } else if (kind == PAIR_SPACE && starts_field(ts, i - 1) && ends_field(ts, i + 1) &&
                   (t[i].unit == U_TIME || (t[i].unit == U_RATE && t[i].ulen > 0))) {
            /* a value alone in its field, named by its unit: "(19.64 ms | 26073 tok/s)" */
            kind = PAIR_BARE;
            if (t[i].unit == U_TIME) {
                klen = (size_t)snprintf(key, sizeof key, "time_%.*s", (int)t[i].ulen, t[i].uname);
            } else {
                klen = (size_t)snprintf(key, sizeof key, "%.*s_per_s", (int)t[i].ulen, t[i].uname);
            }
        }
        if (klen == 0 || key[0] == '_' || not_a_metric(t, w0, w1))
            continue;
        if (kind == PAIR_SPACE && !ts->measure && w0 <= w1)
            ts->measure = names_a_measure(t, w1);
        int rc = keep_pair(ts, kind, key, klen, v, t[i].kind == TK_NUM ? num_src(&t[i]) : const_src(v));
        if (rc)
            return rc;
        /* "Loss: 2.345 (2.401)": the running average; other groups, and a
         * bare pair's ("Acc@1 79.125 (20.875)": the error), are skipped */
        long k = i + 1;
        if (k < nt && tok_sep(&t[k], '(')) {
            /* a decimal's average is written as one: CatBoost's "best: 0.68 (4)"
             * is the best round */
            int avg = (kind == PAIR_EQ || kind == PAIR_COLON) &&
                      (!has_point(&t[i]) || (k + 1 < nt && has_point(&t[k + 1])));
            if (avg && k + 2 < nt && t[k + 1].kind == TK_NUM && tok_sep(&t[k + 2], ')')) {
                if (klen + 4 <= TALLY_KEY_MAX) {
                    memcpy(key + klen, "_avg", 5);
                    rc = keep_pair(ts, kind, key, klen + 4, t[k + 1].num, num_src(&t[k + 1]));
                    if (rc)
                        return rc;
                }
                i = k + 2;
            } else {
                i = skip_group(ts, k) - 1;
            }
        }
    }
    return 0;
}

/* Text grammar over s[0..n): pairs, markers, then the line's verdict. */
static int parse_text(const char *s, size_t n, parse_result *r)
{
    long nt = tokenize(s, n, r);
    if (nt < 0)
        return (int)nt;
    size_t first = r->n; /* the bars' grammars call this twice on one line */
    text_scan ts = {.r = r, .t = r->tok, .nt = nt, .end = s + n};
    int rc = scan_pairs(&ts);
    if (rc)
        return rc;
    if (r->has_step && ts.step_total > 0 && r->has_epoch && !r->has_batch) {
        /* "Epoch [2/5], Step [100/600]": a step counted within the epoch */
        r->has_batch = 1;
        r->batch = r->step;
        r->batch_total = ts.step_total;
        r->has_step = 0;
        r->batch_src = r->step_src;
        r->total_src = ts.total_src;
        r->total_guard = 1; /* the same shape with "100/0" reads otherwise */
    } else if (r->has_step && ts.total_src.how == SRC_DIGITS && r->has_epoch && !r->has_batch) {
        r->volatile_shape = 1; /* "Step [100/0]": with b > 0 it would be a batch */
    }
    if (!ts.marker && !ts.other && !ts.measure)
        for (size_t i = r->n; i-- > first;)
            if (r->soft[i])
                parse_result_remove(r, i);
    return 0;
}

/* ---- dict lines ----------------------------------------------------------- */

static int dict_member(void *ctx, const char *key, size_t klen, int depth, double v,
                       const char *text, size_t tlen)
{
    parse_result *r = ctx;
    parse_src src = text ? (parse_src){.p = text, .len = (uint32_t)tlen, .how = SRC_DECIMAL}
                         : const_src(v);
    if (depth == 0 && is_dict_step_key(key, klen)) {
        int64_t step;
        if (text && !whole_by_shape(text, tlen))
            r->volatile_shape = 1; /* "step": 1.0 is a step, "step": 1.5 is not */
        if (parse_whole(v, &step)) {
            set_step(r, step, digits_src(text, tlen));
        }
        return 0;
    }
    if (depth == 0 && key[0] == '_') /* _runtime, _timestamp are tally's own */
        return 0;
    return add_checked(r, key, klen, v, src);
}

/* ---- progress bars -------------------------------------------------------- */

/* tqdm: "DESC: 42%|####  | 5/12 [00:01<00:02,  3.10it/s, k=v, k=v]".  The
 * description and the postfix are text; the count is the batch; the rest
 * (percentage, bar, times, rate) is never a metric.  Returns 1 when the
 * line is a bar (metrics, if any, are in r), 0 when it is not one. */
static int parse_tqdm(const char *s, size_t n, parse_result *r, int *rc)
{
    const char *bar = NULL;
    for (const char *p = s; (p = memchr(p, '%', (size_t)(s + n - p))) != NULL; p++)
        if (p > s && p + 1 < s + n && p[1] == '|' && is_digit(p[-1])) {
            bar = p;
            break;
        }
    if (!bar)
        return 0;
    const char *pct = bar;
    while (pct > s && (is_digit(pct[-1]) || pct[-1] == '.'))
        pct--;
    const char *close = memchr(bar + 2, '|', (size_t)(s + n - (bar + 2)));
    if (!close)
        return 0;
    size_t dlen = (size_t)(pct - s);
    while (dlen > 0 && (s[dlen - 1] == ' ' || s[dlen - 1] == ':'))
        dlen--;
    *rc = parse_text(s, dlen, r);
    if (*rc)
        return 1;
    const char *p = close + 1, *end = s + n;
    while (p < end && *p == ' ')
        p++;
    const char *slash = p;
    while (slash < end && is_digit(*slash))
        slash++;
    if (slash > p && slash < end && *slash == '/') {
        const char *q = slash + 1;
        while (q < end && is_digit(*q))
            q++;
        if (q > slash + 1 && (q == end || *q == ' ')) {
            r->has_batch = 1;
            r->batch = digits_value(p, (size_t)(slash - p));
            r->batch_total = digits_value(slash + 1, (size_t)(q - slash - 1));
            r->batch_src = digits_src(p, (size_t)(slash - p));
            r->total_src = digits_src(slash + 1, (size_t)(q - slash - 1));
        }
    }
    const char *open = memchr(p, '[', (size_t)(end - p));
    if (!open)
        return 1;
    const char *last = end;
    while (last > open && last[-1] != ']')
        last--;
    if (last == open)
        last = end + 1; /* no ']': the postfix runs to the end */
    /* postfix items come after the times ("00:01<00:02") and the rate */
    const char *item = open + 1, *stop = last - 1;
    while (item < stop) {
        const char *comma = memchr(item, ',', (size_t)(stop - item));
        const char *iend = comma ? comma : stop;
        const char *a = item;
        while (a < iend && *a == ' ')
            a++;
        int chrome = memchr(a, '<', (size_t)(iend - a)) != NULL || memchr(a, '=', (size_t)(iend - a)) == NULL;
        if (!chrome) {
            *rc = parse_text(a, (size_t)(stop - a), r);
            return 1;
        }
        item = iend + 1;
    }
    return 1;
}

static int is_bar_byte(const char *s, size_t n, size_t i, size_t *adv)
{
    if (s[i] == '=' || s[i] == '>' || s[i] == '.') {
        *adv = 1;
        return 1;
    }
    /* U+2501 BOX DRAWINGS HEAVY HORIZONTAL, Keras 3's bar */
    if (i + 2 < n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x94 &&
        (unsigned char)s[i + 2] == 0x81) {
        *adv = 3;
        return 1;
    }
    return 0;
}

/* Keras: "10/10 [=====] - 2s 10ms/step - loss: 0.34 - acc: 0.91" (Keras 2)
 * or "469/469 ━━━━━━ 2s 3ms/step - accuracy: 0.86 - loss: 0.47" (Keras 3).
 * The count is the batch; the fields with a ':' after the timing are text. */
static int parse_progbar(const char *s, size_t n, parse_result *r, int *rc)
{
    size_t i = 0;
    while (i < n && is_digit(s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != '/')
        return 0;
    size_t j = i + 1;
    while (j < n && is_digit(s[j]))
        j++;
    if (j == i + 1 || j >= n || s[j] != ' ')
        return 0;
    size_t k = j + 1, adv = 0, bar = 0;
    if (k < n && s[k] == '[')
        k++;
    while (k < n && is_bar_byte(s, n, k, &adv)) {
        k += adv;
        bar++;
    }
    if (bar < 3)
        return 0;
    r->has_batch = 1;
    r->batch = digits_value(s, i);
    r->batch_total = digits_value(s + i + 1, j - i - 1);
    r->batch_src = digits_src(s, i);
    r->total_src = digits_src(s + i + 1, j - i - 1);
    /* the first " - " field that is "name: value" (not the ETA) */
    for (const char *f = s + k; (f = memchr(f, '-', (size_t)(s + n - f))) != NULL; f++) {
        if (f[-1] != ' ' || f + 1 >= s + n || f[1] != ' ')
            continue;
        const char *a = f + 2;
        const char *colon = memchr(a, ':', (size_t)(s + n - a));
        const char *next = memchr(a, '-', (size_t)(s + n - a));
        if (!colon || (next && next < colon))
            continue;
        if ((size_t)(colon - a) == 3 && memcmp(a, "ETA", 3) == 0)
            continue;
        *rc = parse_text(a, (size_t)(s + n - a), r);
        return 1;
    }
    return 1;
}

/* ---- the line -------------------------------------------------------------- */

/* The first look, in one pass of eight bytes a word: does the line hold
 * a control byte (an ESC, '\b' or '\r' to clean; a tab sends the word to
 * the exact test), and could it hold a value at all?  Every value, step,
 * epoch and batch a grammar reads is a number (so a digit) or a
 * non-finite word (nan, inf, infinity): a line with neither ("Loading
 * checkpoint shards...", most of a log) gives nothing, and no grammar
 * runs on it.
 *
 * Digits by bytes8_digits; a control byte by y + 0x60, which sets the
 * top bit of each byte y >= 0x20 (y: x without its top bits, so no sum
 * carries into the next byte; bytes >= 0x80 are kept out by ~x): a word
 * with a byte it leaves clear is tested byte by byte. */
enum { LOOK_CLEAN = 1, LOOK_DIGIT = 2 };

static unsigned first_look(const char *s, size_t n)
{
    unsigned got = 0;
    size_t i = 0;
    for (; i + 8 <= n && got != (LOOK_CLEAN | LOOK_DIGIT); i += 8) {
        uint64_t x = bytes8_load(s + i), y = x & ~BYTES8_TOPS;
        if (bytes8_digits(x))
            got |= LOOK_DIGIT;
        if (~(y + BYTES8_ONES * 0x60) & ~x & BYTES8_TOPS)
            for (size_t k = i; k < i + 8; k++)
                if (s[k] == 0x1b || s[k] == '\b' || s[k] == '\r')
                    got |= LOOK_CLEAN;
    }
    for (; i < n; i++) {
        if (is_digit(s[i]))
            got |= LOOK_DIGIT;
        else if (s[i] == 0x1b || s[i] == '\b' || s[i] == '\r')
            got |= LOOK_CLEAN;
    }
    return got;
}

/* Could a number token start at the digit s[i]?  Not right after a
 * letter, a digit or '_': tokenize() takes such a digit into the word or
 * number it follows.  Nor inside a run of word characters that begins with
 * a letter, '_', '/' or '@' ("gpt2", "checkpoint-500", "/data/run1",
 * "user@host1"): that run is one word, or junk up to the next blank. */
static int number_may_start(const char *s, size_t i)
{
    if (i == 0)
        return 1;
    char p = s[i - 1];
    if (is_alnum(p) || p == '_')
        return 0;
    if (!is_word_char(p))
        return 1;
    size_t k = i - 1;
    while (k > 0 && is_word_char(s[k - 1]))
        k--;
    return !(is_alpha(s[k]) || s[k] == '_' || s[k] == '/' || s[k] == '@');
}

/* Does s[0..n) hold a digit where a number may start?  A line without
 * one gives the text grammars no value ("You are using gpt2", "saved to
 * out/checkpoint-500"), however many digits it holds.  Words of eight
 * bytes without a digit are passed over (the digit test of first_look,
 * exact per byte). */
static int has_number_start(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t d = bytes8_digits(bytes8_load(s + i));
        for (; d; d &= d - 1)
            if (number_may_start(s, i + (size_t)(__builtin_ctzll(d) >> 3)))
                return 1;
    }
    for (; i < n; i++)
        if (is_digit(s[i]) && number_may_start(s, i))
            return 1;
    return 0;
}

/* A "nan" or "inf" ending at s[i] (i >= 2), in any case? */
static int nonfinite_at(const char *s, size_t i)
{
    char c = (char)lower(s[i]);
    if (c != 'n' && c != 'f')
        return 0;
    char a = (char)lower(s[i - 2]), b = (char)lower(s[i - 1]);
    return (a == 'n' && b == 'a' && c == 'n') || (a == 'i' && b == 'n' && c == 'f');
}

/* Is there a "nan" or "inf" in any case?  Eight bytes at a time: with the
 * case folded (x | 0x20 maps only 'N' to 'n', 'A' to 'a', ...), a word
 * holds "nan" ending at byte k when bytes k-2, k-1, k are n, a, n: the
 * masks of those letters, shifted by one and two bytes, meet there.
 * Words overlap by two bytes so no match falls between them. */
static int has_nonfinite_word(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 6) {
        uint64_t x = bytes8_load(s + i) | BYTES8_ONES * 0x20;
        uint64_t nn = bytes8_equal(x, 'n');
        if (!nn)
            continue;
        if ((nn & (bytes8_equal(x, 'a') << 8) & (nn << 16)) ||
            (bytes8_equal(x, 'f') & (nn << 8) & (bytes8_equal(x, 'i') << 16)))
            return 1;
    }
    for (i = i < 2 ? 2 : i; i < n; i++)
        if (nonfinite_at(s, i))
            return 1;
    return 0;
}

/* Every grammar on the cleaned, trimmed line s[0..n), a dict or not. */
static int parse_full(const char *s, size_t n, int dict, parse_mode mode, parse_result *out)
{
    int rc = 0;
    if (dict) {
        if (mode == PARSE_AUTO || mode == PARSE_JSON) {
            rc = dictline_scan(s, n, dict_member, out);
            if (rc == 0)
                parse_result_reset(out); /* not one whole dict: nothing */
            if (rc == 2)
                out->volatile_shape = 1; /* a key refused for its length */
        }
    } else if (mode == PARSE_AUTO || mode == PARSE_KV) {
        if (!parse_tqdm(s, n, out, &rc) && !parse_progbar(s, n, out, &rc))
            rc = parse_text(s, n, out);
    }
    if (rc < 0)
        return rc;
    if (out->n == 0)
        out->has_step = 0; /* a step alone logs nothing */
    return 0;
}

int parse_line(const char *line, size_t len, parse_mode mode, parse_result *out)
{
    parse_result_reset(out);
    if (mode == PARSE_NONE || len == 0)
        return 0;
    if (len + 1 > out->text_cap) {
        char *t = realloc(out->text, len + 1);
        if (!t)
            return TALLY_ENOMEM;
        out->text = t;
        out->text_cap = len + 1;
    }
    /* most lines have nothing to clean: read them where they are */
    size_t n = len;
    const char *s = line;
    unsigned look = first_look(line, len);
    if (look & LOOK_CLEAN) {
        n = parse_clean(line, len, out->text);
        out->text[n] = '\0';
        s = out->text;
        look = first_look(s, n); /* what is left on the screen */
    }
    if (mode == PARSE_AUTO || mode == PARSE_KV) { /* a header has no digit */
        int rc = table_line(&out->tables, s, n, out);
        if (rc)
            return rc < 0 ? rc : (int)out->n;
    }
    if (!(look & LOOK_DIGIT) && !has_nonfinite_word(s, n))
        return 0;
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    int dict = n >= 2 && s[0] == '{' && s[n - 1] == '}';
    if (!dict && (mode == PARSE_AUTO || mode == PARSE_KV) && !has_number_start(s, n) &&
        !has_nonfinite_word(s, n))
        return 0; /* digits only inside words: no grammar reads a value */
    /* a line of a shape read before is read the same way (shapes.c) */
    int rc = shape_replay(out, s, n, mode);
    if (rc == SHAPE_REPLAYED)
        return (int)out->n;
    if (rc < 0)
        return rc;
    rc = parse_full(s, n, dict, mode, out);
    if (rc < 0) {
        parse_result_reset(out);
        return rc;
    }
    shape_record(out, s, n, mode);
    return (int)out->n;
}
