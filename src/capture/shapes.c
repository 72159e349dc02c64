/*
 * shapes.c — a line's reading, replayed on the next line of its shape
 * (see shapes.h).
 *
 * The shape.  A line's digits come in runs; a run that starts a number
 * (not one right after a letter or '_', which belongs to a word: "top5",
 * "gpt2", "v_num2") is folded to one byte naming its length: '1', '2' or
 * '3' for that many digits, '4' for 4 to 15, '5' for more.  Every other
 * byte stays.  Lines of one shape hold the same words, separators and
 * units in the same order, with numbers of the same form where the other
 * has numbers, so the grammars (parse.c) make the same decisions on both:
 * the only ones that look at a run's length (a group of "1,234", a
 * fraction's or a step's digits) see the same class.
 *
 * The reading.  parse.c notes, for every value it reads, the text it came
 * from and how it read it (parse_src).  Recorded against the runs, "the
 * number that starts 1 byte before run 3 and ends with run 4", it finds
 * the same number in any line of the shape; the keys are kept as they
 * are.  A replay reads the values there and copies the keys: no tokens,
 * no grammar.
 *
 * What is never replayed, read in full every time instead: a reading that
 * hung on a value rather than a shape (parse.c marks it: "step 1.0" is a
 * step, "step 1.5" is not), one whose key holds a folded digit
 * ("layer.0.weight": the next line may say layer.1), long lines and lines
 * with many values.  A replay that finds a value breaking what the
 * reading assumed (a total of 0 where it was a count) gives up, and the
 * line is read in full.  tests/unit/test_capture_shapes.c checks replays
 * against full readings, line by line.
 *
 * The cache: SHAPE_SLOTS shapes per parse_result, in sets of SHAPE_WAYS
 * by hash (so two shapes a program prints in turn cannot keep pushing
 * each other out); a new shape takes the place of its set's least
 * recently used one.  A shape is kept the second time a line of it is
 * missed (SHAPE_SEEN hashes remember the first), so the lines a program
 * prints once cost only their shape.
 */
#include "capture/shapes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/bytes8.h"

#define SHAPE_SLOTS 256      /* shapes kept (a power of two) */
#define SHAPE_WAYS 4         /* places a shape may take */
#define SHAPE_SEEN 1024      /* shapes remembered as seen once (a power of two) */
#define SHAPE_LINE_MAX 1024  /* longer lines are read in full */
#define SHAPE_RUNS_MAX 256   /* folded runs in a line */
#define SHAPE_VALUES_MAX 64  /* metrics in a replayed reading */

typedef struct run {
    uint32_t start, len;
} run;

/* Where a value is: from `before` bytes before run `first` starts to
 * `after` bytes after run `last` ends (the bytes between are the same in
 * every line of the shape), read as `how`; or the constant k. */
typedef struct ref {
    uint16_t first, last, before, after;
    uint8_t how;
    double k;
} ref;

typedef struct shape {
    uint64_t hash;
    size_t len;          /* of text */
    int mode;
    int full;            /* read in full every time */
    int has_step, has_epoch, epoch_frac, has_batch, total_guard;
    uint64_t used;       /* when it was last looked up (the cache's clock) */
    ref step, epoch, batch, total;
    size_t n;            /* metrics */
    ref *vals;           /* n */
    char *keys;          /* n keys, each with its NUL, one after the other */
    uint16_t *klen;      /* n: their lengths */
    char *text;          /* the shape */
} shape;

struct shape_cache {
    shape *slot[SHAPE_SLOTS];
    uint64_t seen[SHAPE_SEEN]; /* shapes missed once, by hash: the next miss records */
    uint64_t clock;      /* one tick per shape found or kept: "used" for LRU */
    size_t replays;
    /* the line shape_replay saw last */
    int pending;         /* it missed again: shape_record keeps its reading */
    uint64_t hash;
    size_t len, nruns;
    char text[SHAPE_LINE_MAX + 8]; /* + 8: shape_of copies words */
    run runs[SHAPE_RUNS_MAX];
};

static int is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static int in_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* 64 bits of s[0..n), eight bytes a step. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15u;
    uint64_t h = n * k;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        h = (h ^ x) * k;
        h ^= h >> 31;
    }
    if (i < n) {
        uint64_t x = 0;
        memcpy(&x, s + i, n - i);
        h = (h ^ x) * k;
        h ^= h >> 31;
    }
    return h;
}

/* The shape of s[0..n) into c (text, runs, hash).  0 when the line is
 * too long or has too many runs to keep.  Bytes that stay are copied
 * eight at a time (text has room for the overshoot), up to the next
 * digit the word holds. */
static int shape_of(shape_cache *c, const char *s, size_t n)
{
    if (n > SHAPE_LINE_MAX)
        return 0;
    size_t o = 0, nr = 0, i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t d = bytes8_digits(bytes8_load(s + i));
            memcpy(c->text + o, s + i, 8);
            if (!d) {
                i += 8;
                o += 8;
                continue;
            }
            size_t k = (size_t)__builtin_ctzll(d) >> 3;
            i += k;
            o += k;
        } else {
            while (i < n && !is_digit(s[i]))
                c->text[o++] = s[i++];
            if (i == n)
                break;
        }
        size_t j = i + 1; /* s[i] is a digit: its run, a few bytes long */
        while (j < n && is_digit(s[j]))
            j++;
        if (i > 0 && in_word(s[i - 1])) { /* part of a word: kept as it is */
            memcpy(c->text + o, s + i, j - i);
            o += j - i;
        } else {
            size_t len = j - i;
            if (nr == SHAPE_RUNS_MAX)
                return 0;
            c->runs[nr++] = (run){(uint32_t)i, (uint32_t)len};
            c->text[o++] = (char)(len <= 3 ? '0' + len : len <= 15 ? '4' : '5');
        }
        i = j;
    }
    c->len = o;
    c->nruns = nr;
    c->hash = hash_bytes(c->text, o);
    return 1;
}

/* The value at ref in the line s, whose runs c holds. */
static double value_at(const shape_cache *c, const char *s, const ref *f)
{
    if (f->how == SRC_CONST)
        return f->k;
    size_t a = c->runs[f->first].start - f->before;
    size_t b = c->runs[f->last].start + c->runs[f->last].len + f->after;
    parse_src src = {.p = s + a, .len = (uint32_t)(b - a), .how = f->how};
    return parse_src_value(&src);
}

size_t shape_replays(const parse_result *r)
{
    return r->shapes ? r->shapes->replays : 0;
}

void shape_cache_free(shape_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < SHAPE_SLOTS; i++)
        free(c->slot[i]);
    free(c);
}

/* Fills r with sh's reading of the line s.  SHAPE_FULL when a value
 * breaks what the reading assumed. */
static int apply(parse_result *r, const shape *sh, const shape_cache *c, const char *s)
{
    if (sh->n > r->cap) {
        parse_metric *v = realloc(r->v, sh->n * sizeof *v);
        if (!v)
            return TALLY_ENOMEM;
        r->v = v;
        r->cap = sh->n;
    }
    const char *key = sh->keys;
    for (size_t i = 0; i < sh->n; i++) {
        memcpy(r->v[i].key, key, sh->klen[i] + 1u);
        r->v[i].value = value_at(c, s, &sh->vals[i]);
        key += sh->klen[i] + 1u;
    }
    r->n = sh->n;
    if (sh->has_step) {
        r->has_step = 1;
        r->step = (int64_t)value_at(c, s, &sh->step);
    }
    if (sh->has_epoch)
        parse_set_epoch(r, sh->epoch_frac, value_at(c, s, &sh->epoch));
    if (sh->has_batch) {
        r->has_batch = 1;
        r->batch = (int64_t)value_at(c, s, &sh->batch);
        r->batch_total = (int64_t)value_at(c, s, &sh->total);
        if (sh->total_guard && r->batch_total <= 0)
            return SHAPE_FULL;
    }
    return SHAPE_REPLAYED;
}

/* The places the shape c holds may take. */
static shape **set_of(shape_cache *c)
{
    return &c->slot[(c->hash & (SHAPE_SLOTS / SHAPE_WAYS - 1)) * SHAPE_WAYS];
}

int shape_replay(parse_result *r, const char *s, size_t n, int mode)
{
    if (r->no_shapes)
        return SHAPE_FULL;
    shape_cache *c = r->shapes;
    if (!c) {
        c = r->shapes = calloc(1, sizeof *c);
        if (!c)
            return SHAPE_FULL; /* no memory for the cache: read in full */
    }
    c->pending = 0;
    if (!shape_of(c, s, n))
        return SHAPE_FULL;
    shape **set = set_of(c);
    shape *sh = NULL;
    for (size_t w = 0; w < SHAPE_WAYS && !sh; w++)
        if (set[w] && set[w]->hash == c->hash && set[w]->len == c->len && set[w]->mode == mode &&
            memcmp(set[w]->text, c->text, c->len) == 0)
            sh = set[w];
    if (!sh) { /* a shape is kept the second time it is missed: lines
                * printed once (most log lines) cost no more than this */
        uint64_t *seen = &c->seen[(c->hash >> 32) & (SHAPE_SEEN - 1)];
        c->pending = *seen == c->hash;
        *seen = c->hash;
        return c->pending ? SHAPE_MISS : SHAPE_FULL;
    }
    sh->used = ++c->clock;
    if (sh->full)
        return SHAPE_FULL;
    int rc = apply(r, sh, c, s);
    if (rc != SHAPE_REPLAYED)
        parse_result_reset(r);
    else
        c->replays++;
    return rc;
}

/* src as a ref against c's runs; 0 when it cannot be one (a value whose
 * text has no folded run, or that starts or ends inside one). */
static int to_ref(const shape_cache *c, const char *s, size_t n, const parse_src *src, ref *out)
{
    *out = (ref){.how = src->how, .k = src->k};
    if (src->how == SRC_CONST)
        return 1;
    if (!src->p || src->p < s || src->p + src->len > s + n)
        return 0;
    size_t a = (size_t)(src->p - s), b = a + src->len;
    size_t lo = 0, hi = c->nruns; /* the first run starting at a or later */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->runs[mid].start < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == c->nruns || c->runs[lo].start >= b)
        return 0;
    if (lo > 0 && c->runs[lo - 1].start + c->runs[lo - 1].len > a)
        return 0;
    size_t last = lo;
    while (last + 1 < c->nruns && c->runs[last + 1].start < b)
        last++;
    size_t end = c->runs[last].start + c->runs[last].len;
    if (end > b || c->runs[lo].start - a > UINT16_MAX || b - end > UINT16_MAX)
        return 0;
    out->first = (uint16_t)lo;
    out->last = (uint16_t)last;
    out->before = (uint16_t)(c->runs[lo].start - a);
    out->after = (uint16_t)(b - end);
    return 1;
}

/* Could any line of the shape have spelled this key otherwise?  Only
 * when a digit in it starts a run the shape folds. */
static int key_is_shaped(const char *k)
{
    for (size_t i = 0; k[i]; i++)
        if (is_digit(k[i]) && (i == 0 || !(in_word(k[i - 1]) || is_digit(k[i - 1]))))
            return 0;
    return 1;
}

/* Can r's reading be replayed on other lines of its shape?  *keys gets
 * the bytes its keys take, with their NULs (0 when it cannot). */
static int replayable(const parse_result *r, size_t *keys)
{
    size_t bytes = 0;
    *keys = 0;
    if (r->volatile_shape || r->n > SHAPE_VALUES_MAX || r->src_cap < r->n)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!key_is_shaped(r->v[i].key))
            return 0;
        bytes += strlen(r->v[i].key) + 1;
    }
    *keys = bytes;
    return 1;
}

/* r's reading into sh, which has room for it; 0 when a value cannot be
 * found again on other lines of the shape. */
static int reading_of(const parse_result *r, const shape_cache *c, const char *s, size_t n, shape *sh)
{
    sh->has_step = r->has_step;
    sh->has_epoch = r->has_epoch;
    sh->epoch_frac = r->epoch_frac;
    sh->has_batch = r->has_batch;
    sh->total_guard = r->total_guard;
    if ((sh->has_step && !to_ref(c, s, n, &r->step_src, &sh->step)) ||
        (sh->has_epoch && !to_ref(c, s, n, &r->epoch_src, &sh->epoch)) ||
        (sh->has_batch && (!to_ref(c, s, n, &r->batch_src, &sh->batch) ||
                           !to_ref(c, s, n, &r->total_src, &sh->total))))
        return 0;
    char *k = sh->keys;
    for (size_t i = 0; i < r->n; i++) {
        if (!to_ref(c, s, n, &r->src[i], &sh->vals[i]))
            return 0;
        size_t klen = strlen(r->v[i].key); /* <= TALLY_KEY_MAX */
        memcpy(k, r->v[i].key, klen + 1);
        sh->klen[i] = (uint16_t)klen;
        k += klen + 1;
    }
    sh->n = r->n;
    return 1;
}

void shape_record(parse_result *r, const char *s, size_t n, int mode)
{
    shape_cache *c = r->shapes;
    if (!c || !c->pending)
        return;
    c->pending = 0;
    size_t keys;
    int ok = replayable(r, &keys);
    size_t nv = ok ? r->n : 0;
    /* one block: the shape, its refs, key lengths, keys and text */
    shape *sh = malloc(sizeof *sh + nv * (sizeof(ref) + sizeof(uint16_t)) + keys + c->len);
    if (!sh)
        return;
    memset(sh, 0, sizeof *sh);
    sh->vals = (ref *)(sh + 1);
    sh->klen = (uint16_t *)(sh->vals + nv);
    sh->keys = (char *)(sh->klen + nv);
    sh->text = sh->keys + keys;
    memcpy(sh->text, c->text, c->len);
    sh->len = c->len;
    sh->hash = c->hash;
    sh->mode = mode;
    if (!ok || !reading_of(r, c, s, n, sh)) { /* kept all the same, so it is not tried again */
        sh->n = 0;
        sh->full = 1;
    }
    shape **set = set_of(c), **slot = &set[0];
    for (size_t w = 0; w < SHAPE_WAYS; w++) /* an empty place, else the least recently used */
        if (!set[w] || set[w]->used < (*slot)->used) {
            slot = &set[w];
            if (!set[w])
                break;
        }
    sh->used = ++c->clock;
    free(*slot);
    *slot = sh;
}
