/*
 * dictline.c — JSON and Python-repr dicts on one line (see dictline.h).
 *
 * The idea: both notations are the same tree with different spellings, so
 * one recursive-descent scanner reads either.  Strings take ' or ", the
 * literals true/false/null and True/False/None are skipped, numbers may be
 * NaN, Infinity, nan, inf, and a call with one number as its only
 * positional argument (np.float64(0.5), tensor(0.5, device='cuda:0')) is
 * that number.  Lists and tuples are walked for validity but yield nothing.
 * The scan is strict about structure: anything that is not one whole dict
 * is refused, so a half-printed line gives nothing rather than a guess.
 */
#include "capture/dictline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capture/parse.h"
#include "tally.h"

#define DICTLINE_MAX_NEST 16 /* dicts, lists and calls, together */
#define DICTLINE_MUTED ((size_t)-1) /* a path that cannot be a key: walk, give nothing */

typedef struct scanner {
    const char *s;
    size_t n, i;
    dictline_fn fn;
    void *ctx;
    int err;                       /* the callback's error, once set the scan stops */
    int long_key;                  /* a key was refused for its length */
    const char *text;              /* the last number read, as written (NULL: a word) */
    size_t tlen;
    char key[TALLY_KEY_MAX + 2];   /* the path of the member being read */
} scanner;

enum { V_FAIL = -1, V_OTHER = 0, V_NUMBER = 1 };

static void blanks(scanner *sc)
{
    while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t'))
        sc->i++;
}

static int eat(scanner *sc, char c)
{
    blanks(sc);
    if (sc->i < sc->n && sc->s[sc->i] == c) {
        sc->i++;
        return 1;
    }
    return 0;
}

static int ident_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* A word at i (letters, digits, _, and dots between them): its length. */
static size_t word_len(const scanner *sc)
{
    size_t j = sc->i;
    if (j >= sc->n || !ident_char(sc->s[j], 1))
        return 0;
    while (j < sc->n && (ident_char(sc->s[j], 0) || (sc->s[j] == '.' && j + 1 < sc->n &&
                                                      ident_char(sc->s[j + 1], 1))))
        j++;
    return j - sc->i;
}

static int word_is(const scanner *sc, size_t len, const char *w)
{
    return strlen(w) == len && memcmp(sc->s + sc->i, w, len) == 0;
}

/* A string in ' or " quotes.  With out, its text (escapes \" \' \\ \/ \n \t
 * kept as the character, \uXXXX refused as a key) goes there, up to cap-1
 * bytes; *len gets the length, or cap when it did not fit. */
static int string(scanner *sc, char *out, size_t cap, size_t *len)
{
    char q = sc->s[sc->i++];
    size_t o = 0;
    while (sc->i < sc->n) {
        char c = sc->s[sc->i++];
        if (c == q) {
            if (len)
                *len = o;
            return 1;
        }
        if (c == '\\') {
            if (sc->i >= sc->n)
                return 0;
            c = sc->s[sc->i++];
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c == 'u' || c == 'x')
                o = cap; /* a key spelled with escapes is not one we can log */
        }
        if (out && o < cap) {
            if (o + 1 < cap)
                out[o] = c;
            o = o + 1 < cap ? o + 1 : cap;
        }
    }
    return 0;
}

/* A number: JSON's or Python's decimal spelling, or a non-finite word. */
static int number(scanner *sc, double *v)
{
    size_t j = sc->i, digits = 0;
    int neg = 0;
    if (j < sc->n && (sc->s[j] == '-' || sc->s[j] == '+'))
        neg = sc->s[j++] == '-';
    static const struct {
        const char *w;
        double v;
    } words[] = {{"NaN", NAN}, {"nan", NAN}, {"Infinity", INFINITY}, {"inf", INFINITY}};
    for (size_t k = 0; k < sizeof words / sizeof *words; k++) {
        size_t wl = strlen(words[k].w);
        if (sc->n - j >= wl && memcmp(sc->s + j, words[k].w, wl) == 0 &&
            (j + wl == sc->n || !ident_char(sc->s[j + wl], 0))) {
            *v = neg ? -words[k].v : words[k].v;
            sc->i = j + wl;
            sc->text = NULL;
            return 1;
        }
    }
    size_t start = sc->i;
    while (j < sc->n && sc->s[j] >= '0' && sc->s[j] <= '9')
        j++, digits++;
    if (j < sc->n && sc->s[j] == '.')
        for (j++; j < sc->n && sc->s[j] >= '0' && sc->s[j] <= '9'; j++)
            digits++;
    if (!digits)
        return 0;
    if (j < sc->n && (sc->s[j] == 'e' || sc->s[j] == 'E')) {
        size_t e = j + 1;
        if (e < sc->n && (sc->s[e] == '+' || sc->s[e] == '-'))
            e++;
        size_t d = e;
        while (d < sc->n && sc->s[d] >= '0' && sc->s[d] <= '9')
            d++;
        if (d == e)
            return 0;
        j = d;
    }
    *v = parse_decimal(sc->s + start, j - start);
    sc->text = sc->s + start;
    sc->tlen = j - start;
    sc->i = j;
    return 1;
}

static int value(scanner *sc, size_t klen, int depth, double *v);

/* Members of a dict, after its '{'.  klen: the length of the path so far
 * (the path ends with '/' when it is not empty). */
static int dict(scanner *sc, size_t klen, int depth)
{
    if (eat(sc, '}'))
        return V_OTHER;
    for (;;) {
        blanks(sc);
        if (sc->i >= sc->n || (sc->s[sc->i] != '"' && sc->s[sc->i] != '\''))
            return V_FAIL;
        int muted = klen == DICTLINE_MUTED;
        size_t room = muted ? 0 : sizeof sc->key - klen - 1, len = 0;
        if (!string(sc, muted ? NULL : sc->key + klen, room, &len) || !eat(sc, ':'))
            return V_FAIL;
        /* room - 1: the path needs a byte left for a nested dict's '/' */
        int usable = !muted && len > 0 && len < room && klen + len <= TALLY_KEY_MAX;
        size_t path = usable ? klen + len : DICTLINE_MUTED;
        sc->long_key |= !muted && len > 0 && !usable;
        double v;
        int kind = value(sc, path, depth + 1, &v);
        if (kind == V_FAIL)
            return V_FAIL;
        if (kind == V_NUMBER && usable && !sc->err)
            sc->err = sc->fn(sc->ctx, sc->key, path, depth, v, sc->text, sc->tlen);
        if (sc->err)
            return V_FAIL;
        if (eat(sc, '}'))
            return V_OTHER;
        if (!eat(sc, ','))
            return V_FAIL;
    }
}

/* Items of a list or tuple (after '[' or '('), up to close.  A call's
 * arguments are the same with name=value items allowed; *single gets the
 * number when the only positional item is one. */
static int items(scanner *sc, char close, int depth, int call, double *single)
{
    int positional = 0, numbers = 0;
    double first = 0;
    const char *text = NULL;
    size_t tlen = 0;
    if (eat(sc, close))
        return V_OTHER;
    for (;;) {
        blanks(sc);
        size_t wl = call ? word_len(sc) : 0, save = sc->i;
        int named = 0;
        if (wl) { /* name=value */
            sc->i += wl;
            named = eat(sc, '=');
            if (!named)
                sc->i = save;
        }
        double v;
        int kind = value(sc, DICTLINE_MUTED, depth + 1, &v);
        if (kind == V_FAIL)
            return V_FAIL;
        if (!named) {
            if (positional++ == 0 && kind == V_NUMBER) {
                first = v;
                text = sc->text;
                tlen = sc->tlen;
                numbers = 1;
            }
        }
        if (eat(sc, close))
            break;
        if (!eat(sc, ','))
            return V_FAIL;
        if (eat(sc, close)) /* Python's one-tuple (x,) */
            break;
    }
    if (single && positional == 1 && numbers) {
        *single = first;
        sc->text = text;
        sc->tlen = tlen;
        return V_NUMBER;
    }
    return V_OTHER;
}

/* One value.  klen DICTLINE_MUTED: nested dicts there are walked but give
 * no numbers (items of lists, keys too long to log). */
static int value(scanner *sc, size_t klen, int depth, double *v)
{
    if (depth > DICTLINE_MAX_NEST)
        return V_FAIL;
    blanks(sc);
    if (sc->i >= sc->n)
        return V_FAIL;
    char c = sc->s[sc->i];
    if (c == '{') {
        sc->i++;
        if (klen != DICTLINE_MUTED) {
            sc->key[klen] = '/';
            klen++;
        }
        return dict(sc, klen, depth);
    }
    if (c == '[' || c == '(') {
        sc->i++;
        return items(sc, c == '[' ? ']' : ')', depth, 0, NULL) == V_FAIL ? V_FAIL : V_OTHER;
    }
    if (c == '"' || c == '\'')
        return string(sc, NULL, 0, NULL) ? V_OTHER : V_FAIL;
    if (number(sc, v))
        return V_NUMBER;
    size_t wl = word_len(sc);
    if (!wl)
        return V_FAIL;
    static const char *const literals[] = {"true", "false", "null", "True", "False", "None"};
    for (size_t k = 0; k < sizeof literals / sizeof *literals; k++)
        if (word_is(sc, wl, literals[k])) {
            sc->i += wl;
            return V_OTHER;
        }
    sc->i += wl; /* a call: np.float64(0.5), tensor(0.25, device='cuda:0') */
    if (!eat(sc, '('))
        return V_FAIL;
    return items(sc, ')', depth, 1, v);
}

int dictline_scan(const char *s, size_t n, dictline_fn fn, void *ctx)
{
    scanner sc = {.s = s, .n = n, .fn = fn, .ctx = ctx};
    if (!eat(&sc, '{'))
        return 0;
    int kind = dict(&sc, 0, 0);
    if (sc.err)
        return sc.err;
    blanks(&sc);
    if (kind == V_FAIL || sc.i != sc.n)
        return 0;
    return sc.long_key ? 2 : 1;
}
