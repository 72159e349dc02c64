/*
 * jscan.c — tally_log_json's fast scanner (see jscan.h).
 *
 * A recursive descent over the object, one pass: each member's key is
 * appended to the current path ("a" then "a/b"), a number or string value
 * ends an item, a nested object recurses with the path extended.  Every
 * rule it cannot apply exactly as the general path would (json_parse and
 * flatten in log.c) makes it decline instead.
 */
#include "core/jscan.h"

#include <float.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_PLAIN_INT_DIGITS 15 /* longer integer tokens may pass 2^53: general path */

enum { DECLINE = 0, OK = 1, NOMEM = -1 };

typedef struct scanner {
    const char *p;
    buf path;
    jscan *out;
} scanner;

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

/* Numbers are read in the C locale, whatever the host program set. */
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static void skip_ws(scanner *s)
{
    while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
        s->p++;
}

/* A string with no escape and no control byte: its bytes, as they are. */
static int plain_string(scanner *s, const char **start, size_t *len)
{
    if (*s->p != '"')
        return DECLINE;
    const char *b = ++s->p;
    while (*s->p != '"') {
        unsigned char c = (unsigned char)*s->p;
        if (c == '\0' || c == '\\' || c < 0x20)
            return DECLINE;
        s->p++;
    }
    *start = b;
    *len = (size_t)(s->p - b);
    s->p++;
    return OK;
}

/* Exact powers of ten: every one up to 1e22 is a double. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/*
 * 16 to 19 significant digits (what "%.17g" prints) through x87 extended
 * precision: the digits (< 2^64) and 10^k for k <= 27 are exact there, so
 * q = digits * or / 10^k is the exact value rounded once, within half of
 * its last place (ulp).  Rounding q to a double then rounds the exact value
 * correctly unless q sits exactly on a midpoint between two doubles (its 11
 * bits below a double's precision 10000000000): only then could the exact
 * value lie on the other side.  Those, and near a change of exponent where
 * the spacing differs, are declined (0) to strtod.
 */
#if defined(__x86_64__) && LDBL_MANT_DIG == 64
static const long double exact_pow10_ld[] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

static int long_double_value(uint64_t digits, int exp10, double *out)
{
    if (exp10 < -27 || exp10 > 27 || digits == 0)
        return 0;
    long double q = exp10 < 0 ? (long double)digits / exact_pow10_ld[-exp10]
                              : (long double)digits * exact_pow10_ld[exp10];
    uint64_t bits;
    memcpy(&bits, &q, sizeof bits); /* the explicit 64-bit significand */
    unsigned low = (unsigned)(bits & 0x7ff);
    if (low >= 0x3ff && low <= 0x401)
        return 0; /* on (or next to) a midpoint: strtod decides */
    if ((bits >> 53) == 0x7ff || (bits >> 53) == 0x400)
        return 0; /* at the top or bottom of a binade */
    double d = (double)q;
    if (!(d > 2.2250738585072014e-308 && d < 1.7976931348623157e308))
        return 0; /* subnormal, zero or overflow: strtod */
    *out = d;
    return 1;
}
#else
static int long_double_value(uint64_t digits, int exp10, double *out)
{
    (void)digits, (void)exp10, (void)out;
    return 0;
}
#endif

/* JSON's number grammar, exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 *
 * The value: when the digits make at most 15 significant figures and the
 * decimal exponent is within +-22, both the digits and the power of ten
 * are exact doubles, so one IEEE multiply or divide rounds correctly (the
 * classic fast path: "0.001", "3", "2.5e-3").  Longer ones go to strtod in
 * the C locale. */
static int number(scanner *s, double *out)
{
    const char *b = s->p, *p = s->p;
    int digits = 0, plain = 1, negative = 0;
    uint64_t mantissa = 0;
    int significant = 0, exp10 = 0;
#define DIGIT(d)                                                                                 \
    do {                                                                                         \
        if (mantissa || (d)) {                                                                   \
            if (significant < 19)                                                                \
                mantissa = mantissa * 10 + (uint64_t)(d);                                        \
            significant++;                                                                       \
        }                                                                                        \
    } while (0)
    if (*p == '-') {
        negative = 1;
        p++;
    }
    if (*p == '0') {
        p++;
        digits = 1;
    } else if (*p >= '1' && *p <= '9') {
        while (*p >= '0' && *p <= '9') {
            DIGIT(*p - '0');
            p++, digits++;
        }
    } else {
        return DECLINE; /* NaN, Infinity, a leading + or . : the general path */
    }
    if (*p == '.') {
        plain = 0;
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return DECLINE;
        while (*p >= '0' && *p <= '9') {
            DIGIT(*p - '0');
            exp10--;
            p++;
        }
    }
#undef DIGIT
    if (*p == 'e' || *p == 'E') {
        plain = 0;
        p++;
        int sign = 1, e = 0;
        if (*p == '+' || *p == '-')
            sign = *p++ == '-' ? -1 : 1;
        if (!(*p >= '0' && *p <= '9'))
            return DECLINE;
        while (*p >= '0' && *p <= '9') {
            if (e < 100000)
                e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += sign * e;
    }
    if (plain && digits > MAX_PLAIN_INT_DIGITS)
        return DECLINE; /* may need its digits kept exact */
    if (significant <= 15 && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mantissa;
        v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
        *out = negative ? -v : v;
        s->p = p;
        return OK;
    }
    if (significant <= 19 && long_double_value(mantissa, exp10, out)) {
        if (negative)
            *out = -*out;
        s->p = p;
        return OK;
    }
    pthread_once(&c_locale_once, make_c_locale);
    if (!c_locale)
        return DECLINE;
    char *end;
    *out = strtod_l(b, &end, c_locale);
    if (end != p)
        return DECLINE;
    s->p = p;
    return OK;
}

static int push(jscan *o, size_t key, size_t str, double number, int is_str)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 32;
        jscan_item *v = realloc(o->items, cap * sizeof *v);
        if (!v)
            return NOMEM;
        o->items = v;
        o->cap = cap;
    }
    o->items[o->n++] = (jscan_item){key, str, number, is_str};
    return OK;
}

/* Appends the current path, NUL-terminated, to the text; its offset. */
static size_t put_path(scanner *s)
{
    size_t at = s->out->text.len;
    buf_append(&s->out->text, s->path.data ? s->path.data : "", s->path.len);
    buf_putc(&s->out->text, '\0');
    return at;
}

static int object(scanner *s, int depth)
{
    if (depth > MAX_DEPTH || *s->p != '{')
        return DECLINE;
    s->p++;
    skip_ws(s);
    if (*s->p == '}') {
        s->p++;
        return OK;
    }
    for (;;) {
        skip_ws(s);
        const char *key;
        size_t len;
        if (plain_string(s, &key, &len) != OK)
            return DECLINE;
        if (len == 5 && memcmp(key, "_type", 5) == 0)
            return DECLINE; /* a typed value (histogram, ...): not flattened */
        skip_ws(s);
        if (*s->p++ != ':')
            return DECLINE;
        skip_ws(s);
        size_t mark = s->path.len;
        if (mark)
            buf_putc(&s->path, '/');
        buf_append(&s->path, key, len);
        if (s->path.oom || s->out->text.oom)
            return NOMEM;
        int rc;
        if (*s->p == '{') {
            rc = object(s, depth + 1);
        } else if (*s->p == '"') {
            const char *str;
            size_t slen;
            rc = plain_string(s, &str, &slen);
            if (rc == OK) {
                size_t k = put_path(s);
                size_t v = s->out->text.len;
                buf_append(&s->out->text, str, slen);
                buf_putc(&s->out->text, '\0');
                rc = s->out->text.oom ? NOMEM : push(s->out, k, v, 0, 1);
            }
        } else {
            double d;
            rc = number(s, &d);
            if (rc == OK) {
                size_t k = put_path(s);
                rc = s->out->text.oom ? NOMEM : push(s->out, k, 0, d, 0);
            }
        }
        if (rc != OK)
            return rc;
        s->path.len = mark;
        skip_ws(s);
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p != '}')
            return DECLINE;
        s->p++;
        return OK;
    }
}

int jscan_object(const char *json, jscan *out)
{
    memset(out, 0, sizeof *out);
    out->text = (buf)BUF_INIT;
    scanner s = {json, BUF_INIT, out};
    skip_ws(&s);
    int rc = object(&s, 0);
    if (rc == OK) {
        skip_ws(&s);
        if (*s.p != '\0')
            rc = DECLINE;
    }
    buf_free(&s.path);
    if (rc != OK)
        jscan_free(out);
    return rc;
}

void jscan_free(jscan *s)
{
    buf_free(&s->text);
    free(s->items);
    s->items = NULL;
    s->n = s->cap = 0;
}
