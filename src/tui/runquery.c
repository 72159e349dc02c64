/*
 * runquery.c — filter expressions over runs (see runquery.h).
 */
#include "tui/runquery.h"

#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum field {
    F_TEXT, /* a bare word */
    F_STATE,
    F_NAME,
    F_PROJECT,
    F_ID,
    F_GROUP,
    F_JOB,
    F_NOTES,
    F_TAG,
    F_SUMMARY,
    F_CONFIG,
    F_ANY /* summary, then config */
} field;

typedef enum qop { OP_NONE, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_RE, OP_NRE } qop;

typedef struct term {
    field f;
    qop op;
    int negate; /* !WORD */
    char *key;  /* summary / config key */
    char *value;
    int is_num;
    double num;
    int glob;      /* value has * or ?: fnmatch */
    int has_re;
    regex_t re;
} term;

struct runquery {
    term *t;
    size_t n;
};

static const struct {
    const char *name;
    field f;
} fields[] = {{"state", F_STATE},   {"name", F_NAME},     {"project", F_PROJECT},
              {"id", F_ID},         {"group", F_GROUP},   {"job_type", F_JOB},
              {"notes", F_NOTES},   {"tag", F_TAG},       {"tags", F_TAG}};

/* The operators, longest first so "<=" is not read as "<". */
static const struct {
    const char *s;
    qop op;
} ops[] = {{"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"!~", OP_NRE}, {"==", OP_EQ},
           {"=", OP_EQ},  {"<", OP_LT},  {">", OP_GT},  {"~", OP_RE}};

static void term_free(term *t)
{
    free(t->key);
    free(t->value);
    if (t->has_re)
        regfree(&t->re);
}

void runquery_free(runquery *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n; i++)
        term_free(&q->t[i]);
    free(q->t);
    free(q);
}

size_t runquery_terms(const runquery *q) { return q ? q->n : 0; }

/* The next token of s at *pos (quotes group, and are dropped), malloc'd;
 * NULL at the end. */
static char *next_token(const char *s, size_t *pos, int *unclosed)
{
    size_t i = *pos;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    if (!s[i]) {
        *pos = i;
        return NULL;
    }
    size_t cap = strlen(s + i) + 1, n = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    int quoted = 0;
    for (; s[i] && (quoted || !isspace((unsigned char)s[i])); i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else
            out[n++] = s[i];
    }
    out[n] = 0;
    *unclosed = quoted;
    *pos = i;
    return out;
}

static int is_glob(const char *s) { return strpbrk(s, "*?") && !strpbrk(s, "^$()|+\\{}[]."); }

/* regcomp copies a repeated group once a repetition, so stacked
 * quantifiers ("a++++...") and nested bounds ("((a{1,99}){1,99}){1,99}")
 * take memory exponential in their number: a filter typed in a prompt
 * refuses them rather than take the machine down. */
int runquery_regex_too_costly(const char *p)
{
    int run = 0, bounds = 0;
    for (; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            run = 0;
            continue;
        }
        if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
            if (++run > 2)
                return 1;
            if (*p == '{') {
                long n = strtol(p + 1, NULL, 10);
                const char *comma = strchr(p, ',');
                const char *close = strchr(p, '}');
                if (comma && close && comma < close)
                    n = n > strtol(comma + 1, NULL, 10) ? n : strtol(comma + 1, NULL, 10);
                if (n > 100 || ++bounds > 2)
                    return 1;
                p = close ? close : p + strlen(p) - 1;
            }
        } else {
            run = 0;
        }
    }
    return 0;
}

static int compile(term *t, const char *pattern, const char *what, char *err, size_t errsize)
{
    if (runquery_regex_too_costly(pattern)) {
        snprintf(err, errsize, "regex too costly in \"%s\": stacked or large repetitions", what);
        return -1;
    }
    int rc = regcomp(&t->re, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc) {
        char why[128];
        regerror(rc, &t->re, why, sizeof why);
        snprintf(err, errsize, "invalid regex in \"%s\": %s", what, why);
        return -1;
    }
    t->has_re = 1;
    return 0;
}

/* Fills t from one token. */
static int parse_term(term *t, const char *tok, char *err, size_t errsize)
{
    /* KEY OP VALUE: the first operator after a non-empty key. */
    const char *at = NULL;
    size_t oplen = 0;
    for (const char *p = tok + 1; *p && !at; p++)
        for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
            if (strncmp(p, ops[k].s, strlen(ops[k].s)) == 0) {
                at = p;
                oplen = strlen(ops[k].s);
                t->op = ops[k].op;
                break;
            }
    if (!at) {
        t->f = F_TEXT;
        t->negate = tok[0] == '!' && tok[1];
        const char *word = tok + t->negate;
        t->value = strdup(word);
        if (!t->value)
            return -1;
        t->glob = is_glob(word);
        return t->glob ? 0 : compile(t, word, tok, err, errsize);
    }
    size_t klen = (size_t)(at - tok);
    t->key = strndup(tok, klen);
    t->value = strdup(at + oplen);
    if (!t->key || !t->value)
        return -1;
    if (!t->value[0]) {
        snprintf(err, errsize, "\"%s\" needs a value after %.*s", tok, (int)oplen, at);
        return -1;
    }
    t->f = F_ANY;
    for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
        if (strcasecmp(t->key, fields[k].name) == 0)
            t->f = fields[k].f;
    if (t->f == F_ANY) {
        static const struct {
            const char *prefix;
            field f;
        } sources[] = {{"summary.", F_SUMMARY}, {"config.", F_CONFIG}};
        for (size_t k = 0; k < 2; k++) {
            size_t n = strlen(sources[k].prefix);
            if (strncmp(t->key, sources[k].prefix, n) == 0 && t->key[n]) {
                memmove(t->key, t->key + n, strlen(t->key + n) + 1);
                t->f = sources[k].f;
            }
        }
    }
    if (t->op == OP_RE || t->op == OP_NRE)
        return compile(t, t->value, tok, err, errsize);
    char *end;
    t->num = strtod(t->value, &end);
    t->is_num = *end == 0 && end != t->value;
    t->glob = (t->op == OP_EQ || t->op == OP_NE) && strpbrk(t->value, "*?");
    return 0;
}

runquery *runquery_parse(const char *text, char *err, size_t errsize)
{
    if (errsize)
        err[0] = 0;
    runquery *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    size_t pos = 0, cap = 0;
    int unclosed = 0;
    char *tok;
    while (text && (tok = next_token(text, &pos, &unclosed)) != NULL) {
        if (!tok[0] && !unclosed) {
            free(tok); /* "": nothing to match */
            continue;
        }
        if (q->n == cap) {
            cap = cap ? cap * 2 : 4;
            term *v = realloc(q->t, cap * sizeof *v);
            if (!v) {
                free(tok);
                runquery_free(q);
                return NULL;
            }
            q->t = v;
        }
        term *t = &q->t[q->n++];
        memset(t, 0, sizeof *t);
        int rc = unclosed ? -1 : parse_term(t, tok, err, errsize);
        if (unclosed)
            snprintf(err, errsize, "unclosed quote in \"%.100s\"", tok);
        free(tok);
        if (rc) {
            if (!err[0])
                snprintf(err, errsize, "out of memory");
            runquery_free(q);
            return NULL;
        }
    }
    return q;
}

/* ---- values ---- */

const cJSON *runquery_lookup(const cJSON *obj, const char *key)
{
    if (!obj || !cJSON_IsObject(obj) || !key)
        return NULL;
    for (const cJSON *it = obj->child; it; it = it->next)
        if (it->string && strcmp(it->string, key) == 0)
            return it;
    /* A path: the longest prefix that names an object, then the rest in it. */
    for (size_t i = strlen(key); i-- > 1;) {
        if (key[i] != '.' && key[i] != '/')
            continue;
        for (const cJSON *it = obj->child; it; it = it->next)
            if (cJSON_IsObject(it) && it->string && strlen(it->string) == i &&
                strncmp(it->string, key, i) == 0) {
                const cJSON *v = runquery_lookup(it, key + i + 1);
                if (v)
                    return v;
            }
    }
    return NULL;
}

static int is_scalar(const cJSON *v)
{
    return cJSON_IsNumber(v) || cJSON_IsString(v) || cJSON_IsBool(v);
}

const cJSON *runquery_scalar(const cJSON *v)
{
    if (!v)
        return NULL;
    if (is_scalar(v))
        return v;
    if (!cJSON_IsObject(v) || !v->child)
        return NULL;
    if (!v->child->next)
        return is_scalar(v->child) ? v->child : NULL;
    static const char *const rules[] = {"last", "min", "max", "mean", "first"};
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, rules[i]);
        if (r && is_scalar(r))
            return r;
    }
    return NULL;
}

static void keys_of(const cJSON *obj, char *prefix, size_t len, size_t cap, runquery_key_fn fn,
                    void *ctx)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (!it->string)
            continue;
        int n = snprintf(prefix + len, cap - len, "%s%s", len ? "." : "", it->string);
        if (n < 0 || (size_t)n >= cap - len)
            continue; /* too deep to name */
        if (cJSON_IsObject(it)) {
            if (runquery_scalar(it) && it->child)
                fn(ctx, prefix); /* an object of summary rules: itself too */
            keys_of(it, prefix, len + (size_t)n, cap, fn, ctx);
        } else if (!cJSON_IsArray(it)) {
            fn(ctx, prefix);
        }
    }
    prefix[len] = 0;
}

void runquery_keys(const cJSON *obj, runquery_key_fn fn, void *ctx)
{
    char prefix[512] = "";
    if (obj && cJSON_IsObject(obj))
        keys_of(obj, prefix, 0, sizeof prefix, fn, ctx);
}

/* ---- matching ---- */

static int cmp_result(qop op, int c)
{
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    default: return 0;
    }
}

static int match_text(const term *t, const char *s)
{
    if (!s)
        return 0;
    if (t->op == OP_RE || t->op == OP_NRE || t->op == OP_NONE) {
        int hit = t->glob ? fnmatch(t->value, s, FNM_CASEFOLD) == 0
                          : regexec(&t->re, s, 0, NULL, 0) == 0;
        return t->op == OP_NRE ? !hit : hit;
    }
    if (t->glob) {
        int hit = fnmatch(t->value, s, FNM_CASEFOLD) == 0;
        return t->op == OP_NE ? !hit : hit;
    }
    return cmp_result(t->op, strcasecmp(s, t->value));
}

static int match_value(const term *t, const cJSON *v)
{
    v = runquery_scalar(v);
    if (!v)
        return 0;
    if (cJSON_IsString(v)) {
        /* Text is not ordered against a number ("ok" > 1 is no match). */
        int ordered = t->op == OP_LT || t->op == OP_LE || t->op == OP_GT || t->op == OP_GE;
        return t->is_num && ordered ? 0 : match_text(t, v->valuestring);
    }
    double x = cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? 1 : 0) : v->valuedouble;
    if (t->op == OP_RE || t->op == OP_NRE) {
        char s[64];
        snprintf(s, sizeof s, "%.17g", x);
        return match_text(t, s);
    }
    if (!t->is_num) {
        /* true / false against a bool, else nothing to compare. */
        if (cJSON_IsBool(v) && (strcasecmp(t->value, "true") == 0 ||
                                strcasecmp(t->value, "false") == 0))
            return cmp_result(t->op, (x != 0) - (strcasecmp(t->value, "true") == 0));
        return 0;
    }
    if (isnan(x) || isnan(t->num))
        return t->op == OP_NE;
    return cmp_result(t->op, x < t->num ? -1 : x > t->num);
}

static int match_tags(const term *t, const cJSON *tags)
{
    int any = 0;
    /* != and !~: no tag is equal / matches. */
    term pos = *t;
    if (t->op == OP_NE)
        pos.op = OP_EQ;
    if (t->op == OP_NRE)
        pos.op = OP_RE;
    for (const cJSON *it = tags ? tags->child : NULL; it && !any; it = it->next)
        if (cJSON_IsString(it))
            any = match_text(&pos, it->valuestring);
    return pos.op != t->op ? !any : any;
}

static int match_word(const term *t, const runquery_run *r)
{
    const char *s[] = {r->name, r->project, r->id, r->group, r->notes, r->state};
    int hit = 0;
    for (size_t i = 0; i < sizeof s / sizeof *s && !hit; i++)
        hit = match_text(t, s[i]);
    for (const cJSON *it = r->tags ? r->tags->child : NULL; it && !hit; it = it->next)
        hit = cJSON_IsString(it) && match_text(t, it->valuestring);
    return t->negate ? !hit : hit;
}

static int match_term(const term *t, const runquery_run *r)
{
    switch (t->f) {
    case F_TEXT: return match_word(t, r);
    case F_STATE: return match_text(t, r->state);
    case F_NAME: return match_text(t, r->name);
    case F_PROJECT: return match_text(t, r->project);
    case F_ID: return match_text(t, r->id);
    case F_GROUP: return match_text(t, r->group);
    case F_JOB: return match_text(t, r->job_type);
    case F_NOTES: return match_text(t, r->notes);
    case F_TAG: return match_tags(t, r->tags);
    case F_SUMMARY: return match_value(t, runquery_lookup(r->summary, t->key));
    case F_CONFIG: return match_value(t, runquery_lookup(r->config, t->key));
    case F_ANY: {
        const cJSON *v = runquery_lookup(r->summary, t->key);
        return match_value(t, v ? v : runquery_lookup(r->config, t->key));
    }
    }
    return 0;
}

int runquery_match(const runquery *q, const runquery_run *r)
{
    for (size_t i = 0; q && i < q->n; i++)
        if (!match_term(&q->t[i], r))
            return 0;
    return 1;
}

/* ---- differing keys ---- */

void runquery_keylist_add(void *list, const char *key)
{
    runquery_keylist *l = list;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->keys[i], key) == 0)
            return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **v = realloc(l->keys, cap * sizeof *v);
        if (!v)
            return;
        l->keys = v;
        l->cap = cap;
    }
    if ((l->keys[l->n] = strdup(key)) != NULL)
        l->n++;
}

void runquery_keylist_free(runquery_keylist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->keys[i]);
    free(l->keys);
    memset(l, 0, sizeof *l);
}

void runquery_diff_keys(const cJSON *const *objs, size_t n, runquery_key_fn fn, void *ctx)
{
    runquery_keylist ks = {0};
    for (size_t i = 0; i < n; i++)
        runquery_keys(objs[i], runquery_keylist_add, &ks);
    for (size_t k = 0; k < ks.n; k++) {
        const cJSON *first = runquery_lookup(objs[0], ks.keys[k]);
        int leaf = !cJSON_IsObject(first), differs = n > 1 && !first;
        for (size_t i = 1; i < n && leaf && !differs; i++) {
            const cJSON *v = runquery_lookup(objs[i], ks.keys[k]);
            leaf = !cJSON_IsObject(v);
            differs = !v || !cJSON_Compare(first, v, 1);
        }
        if (differs && leaf)
            fn(ctx, ks.keys[k]);
    }
    runquery_keylist_free(&ks);
}
