/*
 * parse.c — metrics from output lines (see parse.h; the rules, precisely,
 * are in docs/capture.md).  A line is first stripped of terminal escape
 * sequences and surrounding blanks.  In auto mode a line that starts with
 * '{' and ends with '}' is read as JSON and nothing else; any other line is
 * read as key=value tokens.
 */
#include "capture/parse.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"

#define PARSE_MAX_DEPTH 8

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

void parse_result_free(parse_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].key);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static void reset(parse_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].key);
    r->n = 0;
    r->has_step = 0;
    r->step = 0;
}

static int add(parse_result *r, const char *key, size_t klen, double value)
{
    if (klen == 0 || klen > TALLY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < r->n; i++) /* the last value of a key on the line wins */
        if (strlen(r->v[i].key) == klen && memcmp(r->v[i].key, key, klen) == 0) {
            r->v[i].value = value;
            return 0;
        }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        parse_metric *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return TALLY_ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    char *k = malloc(klen + 1);
    if (!k)
        return TALLY_ENOMEM;
    memcpy(k, key, klen);
    k[klen] = '\0';
    r->v[r->n++] = (parse_metric){k, value};
    return 0;
}

static int is_step_key(const char *k, size_t n)
{
    return (n == 4 && memcmp(k, "step", 4) == 0) || (n == 5 && memcmp(k, "_step", 5) == 0) ||
           (n == 11 && memcmp(k, "global_step", 11) == 0);
}

/* A step value: a whole number in [0, 2^53]. */
static int step_value(double v, int64_t *out)
{
    if (!(v >= 0 && v <= 9007199254740992.0) || floor(v) != v)
        return 0;
    *out = (int64_t)v;
    return 1;
}

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

/* Members of a JSON object: numbers become metrics, nested objects "a/b". */
static int walk(const cJSON *obj, char *prefix, size_t plen, int depth, parse_result *r)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (!it->string)
            continue;
        size_t klen = strlen(it->string);
        if (plen + klen + 1 > TALLY_KEY_MAX)
            continue;
        char *key = prefix;
        memcpy(key + plen, it->string, klen);
        key[plen + klen] = '\0';
        int rc = 0;
        if (cJSON_IsNumber(it)) {
            if (depth == 0 && is_step_key(it->string, klen)) {
                int64_t step;
                if (step_value(it->valuedouble, &step)) {
                    r->has_step = 1;
                    r->step = step;
                }
            } else if (it->string[0] != '_' || depth > 0) {
                rc = add(r, key, plen + klen, it->valuedouble);
            }
        } else if (cJSON_IsObject(it) && depth + 1 < PARSE_MAX_DEPTH) {
            key[plen + klen] = '/';
            rc = walk(it, key, plen + klen + 1, depth + 1, r);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_json(const char *s, size_t n, parse_result *r)
{
    cJSON *o = cJSON_ParseWithLength(s, n);
    int rc = 0;
    if (cJSON_IsObject(o)) {
        char key[TALLY_KEY_MAX + 2];
        rc = walk(o, key, 0, 0, r);
    }
    cJSON_Delete(o);
    return rc;
}

static int key_char(char c, int first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return 1;
    return !first && ((c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-');
}

/* A decimal number filling s[0..n) exactly: [+-]digits[.digits][e[+-]digits]. */
static int number(const char *s, size_t n, double *v)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = ++i;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++, e++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e)
            return 0;
    }
    if (i != n)
        return 0;
    char tmp[64];
    if (n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *v = strtod(tmp, NULL);
    return 1;
}

static int parse_kv(const char *s, size_t n, parse_result *r)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t t0 = i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        size_t t1 = i;
        /* token: key=value, a trailing ',' or ';' allowed */
        while (t1 > t0 && (s[t1 - 1] == ',' || s[t1 - 1] == ';'))
            t1--;
        const char *eq = memchr(s + t0, '=', t1 - t0);
        if (!eq || eq == s + t0)
            continue;
        size_t klen = (size_t)(eq - (s + t0));
        int ok = 1;
        for (size_t k = 0; k < klen && ok; k++)
            ok = key_char(s[t0 + k], k == 0);
        double v;
        if (!ok || !number(eq + 1, (size_t)(s + t1 - (eq + 1)), &v))
            continue;
        int64_t step;
        if (is_step_key(s + t0, klen)) {
            if (step_value(v, &step)) {
                r->has_step = 1;
                r->step = step;
            }
            continue;
        }
        int rc = add(r, s + t0, klen, v);
        if (rc)
            return rc;
    }
    return 0;
}

int parse_line(const char *line, size_t len, parse_mode mode, parse_result *out)
{
    reset(out);
    if (mode == PARSE_NONE || len == 0)
        return 0;
    char *clean = malloc(len);
    if (!clean)
        return TALLY_ENOMEM;
    size_t n = parse_strip_escapes(line, len, clean);
    const char *s = clean;
    while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    int json = n >= 2 && s[0] == '{' && s[n - 1] == '}';
    int rc = 0;
    if (json && (mode == PARSE_AUTO || mode == PARSE_JSON))
        rc = parse_json(s, n, out);
    else if (!json && (mode == PARSE_AUTO || mode == PARSE_KV))
        rc = parse_kv(s, n, out);
    free(clean);
    if (rc) {
        reset(out);
        return rc;
    }
    if (out->n == 0)
        out->has_step = 0; /* a step alone logs nothing */
    return (int)out->n;
}
