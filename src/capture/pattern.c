/*
 * pattern.c — user grammars (see pattern.h).
 *
 * A template is translated into a regular expression: literal text is
 * quoted, blanks become \s+, and {name} becomes a numbered group that only
 * a number fills; the group's number maps back to the name, so any key
 * ("train/loss") can be a name, not only what PCRE2 allows in a group
 * name.  A --regex is compiled as given and its named groups are read from
 * PCRE2's name table.  Each match is searched anywhere in the line; a
 * group whose text is not a number (decimal, nan, inf) gives nothing.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "capture/pattern.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

#define PATTERN_NUMBER "([-+]?(?:(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?|(?i:nan|inf(?:inity)?)))"

typedef struct pattern_group {
    char *key;
    int number; /* the capture group's number */
} pattern_group;

typedef struct pattern {
    pcre2_code *code;
    pcre2_match_data *md;
    pattern_group *groups;
    size_t ngroups;
} pattern;

struct pattern_set {
    pattern *v;
    size_t n, cap;
};

int pattern_set_new(pattern_set **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : TALLY_ENOMEM;
}

static void pattern_clear(pattern *p)
{
    for (size_t i = 0; i < p->ngroups; i++)
        free(p->groups[i].key);
    free(p->groups);
    pcre2_match_data_free(p->md);
    pcre2_code_free(p->code);
}

void pattern_set_free(pattern_set *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n; i++)
        pattern_clear(&ps->v[i]);
    free(ps->v);
    free(ps);
}

size_t pattern_count(const pattern_set *ps)
{
    return ps ? ps->n : 0;
}

static int add_group(pattern *p, const char *key, size_t klen, int number)
{
    pattern_group *g = realloc(p->groups, (p->ngroups + 1) * sizeof *g);
    if (!g)
        return TALLY_ENOMEM;
    p->groups = g;
    char *k = malloc(klen + 1);
    if (!k)
        return TALLY_ENOMEM;
    memcpy(k, key, klen);
    k[klen] = '\0';
    g[p->ngroups++] = (pattern_group){k, number};
    return 0;
}

/* Compiles re into p (groups already in p stay).  Errors as sentences. */
static int compile(pattern *p, const char *re, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    p->code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
    if (!p->code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errlen, "%s at offset %zu", (const char *)msg, (size_t)off);
        return TALLY_EINVAL;
    }
    pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE); /* faster when there is a JIT; fine without */
    p->md = pcre2_match_data_create_from_pattern(p->code, NULL);
    return p->md ? 0 : TALLY_ENOMEM;
}

static int append(pattern_set *ps, pattern *p)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 4;
        pattern *v = realloc(ps->v, cap * sizeof *v);
        if (!v)
            return TALLY_ENOMEM;
        ps->v = v;
        ps->cap = cap;
    }
    ps->v[ps->n++] = *p;
    return 0;
}

int pattern_add_template(pattern_set *ps, const char *tpl, char *err, size_t errlen)
{
    pattern p = {0};
    buf re = BUF_INIT;
    int rc = 0, group = 0;
    for (const char *c = tpl; *c && !rc;) {
        if ((c[0] == '{' && c[1] == '{') || (c[0] == '}' && c[1] == '}')) {
            buf_printf(&re, "\\%c", c[0]);
            c += 2;
        } else if (*c == '{') {
            const char *close = strchr(c, '}');
            if (!close || close == c + 1 || (size_t)(close - c - 1) > TALLY_KEY_MAX) {
                snprintf(err, errlen, "'{' at offset %zu has no name and '}'", (size_t)(c - tpl));
                rc = TALLY_EINVAL;
                break;
            }
            rc = add_group(&p, c + 1, (size_t)(close - c - 1), ++group);
            buf_puts(&re, PATTERN_NUMBER);
            c = close + 1;
        } else if (*c == '}') {
            snprintf(err, errlen, "'}' at offset %zu closes nothing (write }} for a brace)",
                     (size_t)(c - tpl));
            rc = TALLY_EINVAL;
        } else if (*c == ' ' || *c == '\t') {
            while (*c == ' ' || *c == '\t')
                c++;
            buf_puts(&re, "\\s+");
        } else {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                  (unsigned char)*c >= 0x80))
                buf_puts(&re, "\\");
            buf_printf(&re, "%c", *c);
            c++;
        }
    }
    if (!rc && group == 0) {
        snprintf(err, errlen, "the template names no value: write {key} where a number is");
        rc = TALLY_EINVAL;
    }
    if (!rc && !buf_cstr(&re))
        rc = TALLY_ENOMEM;
    if (!rc)
        rc = compile(&p, re.data, err, errlen);
    if (!rc)
        rc = append(ps, &p);
    if (rc)
        pattern_clear(&p);
    buf_free(&re);
    return rc;
}

int pattern_add_regex(pattern_set *ps, const char *re, char *err, size_t errlen)
{
    pattern p = {0};
    int rc = compile(&p, re, err, errlen);
    uint32_t count = 0, size = 0;
    PCRE2_SPTR table = NULL;
    if (!rc) {
        pcre2_pattern_info(p.code, PCRE2_INFO_NAMECOUNT, &count);
        pcre2_pattern_info(p.code, PCRE2_INFO_NAMEENTRYSIZE, &size);
        pcre2_pattern_info(p.code, PCRE2_INFO_NAMETABLE, &table);
        if (count == 0) {
            snprintf(err, errlen, "the expression has no named group: write (?<key>...)");
            rc = TALLY_EINVAL;
        }
    }
    /* each entry: the group number (2 bytes, big-endian), then the name */
    for (uint32_t i = 0; i < count && !rc; i++) {
        PCRE2_SPTR e = table + (size_t)i * size;
        const char *name = (const char *)e + 2;
        rc = add_group(&p, name, strlen(name), (e[0] << 8) | e[1]);
    }
    if (!rc)
        rc = append(ps, &p);
    if (rc)
        pattern_clear(&p);
    return rc;
}

int pattern_match(pattern_set *ps, const char *line, size_t len, parse_result *out)
{
    int matched = 0;
    for (size_t i = 0; ps && i < ps->n; i++) {
        pattern *p = &ps->v[i];
        if (pcre2_match(p->code, (PCRE2_SPTR)line, len, 0, 0, p->md, NULL) < 0)
            continue;
        matched++;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
        for (size_t g = 0; g < p->ngroups; g++) {
            int k = p->groups[g].number;
            if (ov[2 * k] == PCRE2_UNSET)
                continue;
            double v;
            if (!parse_number(line + ov[2 * k], ov[2 * k + 1] - ov[2 * k], &v))
                continue;
            const char *key = p->groups[g].key;
            int64_t step;
            if (strcmp(key, "step") == 0) {
                if (parse_whole(v, &step)) {
                    out->has_step = 1;
                    out->step = step;
                }
            } else if (strcmp(key, "epoch") == 0) {
                out->has_epoch = 1;
                out->epoch = v;
                out->has_epoch_index = parse_whole(v, &out->epoch_index);
            } else {
                int rc = parse_result_add(out, key, strlen(key), v);
                if (rc)
                    return rc;
            }
        }
    }
    return matched;
}
