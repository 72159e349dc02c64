/*
 * tables.c — metrics printed as tables (see tables.h).
 *
 * The idea: a table's row means nothing alone ("0  0.5234  0.4345"), so
 * the header before it is kept, and a row is taken only when each of its
 * fields stands exactly under a name: numbers that line up with names by
 * chance are rare, and prose never does.  Every check bails out at the
 * first byte that cannot belong to a table, so lines that are not cost a
 * few comparisons.
 */
#include "capture/tables.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tally.h"

#define TABLE_MAX_COLS 24
#define TABLE_NAME_MAX 64
#define TABLE_MIN_RULE 8   /* dashes that end a box */
#define TABLE_LINE_MAX 256 /* a header named over a ruler, at most */

enum { COL_METRIC, COL_EPOCH, COL_STEP };

typedef struct column {
    size_t start, end;             /* the name's field in the header line */
    char name[TABLE_NAME_MAX + 1]; /* the key */
    size_t len;
    int marker; /* COL_* */
} column;

struct table_state {
    char section[TABLE_NAME_MAX + 1]; /* a box's open section, "rollout/" */
    size_t section_len;
    int ncol; /* the header's columns; 0: none yet */
    int labelled; /* the first column is "Class": a row's first field names it */
    column col[TABLE_MAX_COLS];
    char pending[TABLE_LINE_MAX]; /* the last line, when a ruler may follow it */
    size_t pending_len;
};

typedef struct field {
    size_t start, end;
    int wide; /* two blanks or more, or a tab, before it */
} field;

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

static int letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void table_state_free(table_state *state)
{
    free(state);
}

/* The fields of s[0..n), runs of non-blanks: at most max are stored;
 * returns how many there are, up to max + 1. */
static size_t fields_of(const char *s, size_t n, field *f, size_t max)
{
    size_t nf = 0, i = 0;
    while (i < n && nf <= max) {
        size_t gap = i;
        int tab = 0;
        while (i < n && blank(s[i]))
            tab |= s[i++] == '\t';
        if (i >= n)
            break;
        size_t start = i;
        while (i < n && !blank(s[i]))
            i++;
        if (nf < max)
            f[nf] = (field){start, i, tab || start - gap >= 2};
        nf++;
    }
    return nf;
}

/* Does field f start a progress bar's bar, "100%|"? */
static int bar_at(const char *s, const field *f)
{
    size_t i = f->start;
    while (i < f->end && digit(s[i]))
        i++;
    return i > f->start && i + 1 < f->end && s[i] == '%' && s[i + 1] == '|';
}

/* "a/b", both whole: *a gets a. */
static int field_fraction(const char *s, size_t n, int64_t *a)
{
    size_t i = 0;
    int64_t x = 0;
    for (; i < n && i < 15 && digit(s[i]); i++)
        x = x * 10 + (s[i] - '0');
    if (i == 0 || i >= n || s[i] != '/')
        return 0;
    size_t j = ++i;
    while (i < n && digit(s[i]))
        i++;
    if (i == j || i != n)
        return 0;
    *a = x;
    return 1;
}

/* ---- boxes ---------------------------------------------------------------- */

/* The cell s[a..b), its blanks trimmed: [*ca, *cb). */
static void trim(const char *s, size_t a, size_t b, size_t *ca, size_t *cb)
{
    while (a < b && blank(s[a]))
        a++;
    while (b > a && blank(s[b - 1]))
        b--;
    *ca = a;
    *cb = b;
}

/* The length of a box's bar at s[i]: '|', or rich's U+2502 '│' and U+2503
 * '┃' (Lightning's test table); 0 when none. */
static size_t bar_len(const char *s, size_t i, size_t n)
{
    if (s[i] == '|')
        return 1;
    if (i + 2 < n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x94 &&
        ((unsigned char)s[i + 2] == 0x82 || (unsigned char)s[i + 2] == 0x83))
        return 3;
    return 0;
}

/* "| key | value |", s trimmed.  1 when it is a box's row. */
static int box_row(table_state *st, const char *s, size_t n, parse_result *r)
{
    size_t bars[3], nb = 0, len[3];
    for (size_t i = 0; i < n;) {
        size_t b = bar_len(s, i, n);
        if (!b) {
            i++;
            continue;
        }
        if (nb == 3)
            return 0; /* more cells than a key and a value */
        bars[nb] = i;
        len[nb++] = b;
        i += b;
    }
    if (nb != 3 || bars[0] != 0 || bars[2] + len[2] != n)
        return 0;
    size_t ka, kb, va, vb;
    trim(s, len[0], bars[1], &ka, &kb);
    trim(s, bars[1] + len[1], bars[2], &va, &vb);
    if (ka == kb || kb - ka > TABLE_NAME_MAX || !(letter(s[ka]) || s[ka] == '_'))
        return 0; /* a key is a name: "| 1 | 0.5 |" is a table's row of two values */
    for (size_t i = ka; i < kb; i++)
        if (blank(s[i]) || (unsigned char)s[i] < 0x20)
            return 0; /* a key is one word */
    if (va == vb) { /* "| rollout/ |  |" opens a section */
        if (s[kb - 1] == '/') {
            memcpy(st->section, s + ka, kb - ka);
            st->section_len = kb - ka;
        }
        return 1;
    }
    double v;
    if (!parse_number(s + va, vb - va, &v))
        return 1; /* "| env | CartPole |": the box's, no metric */
    char key[2 * TABLE_NAME_MAX + 1];
    size_t klen = 0;
    if (!memchr(s + ka, '/', kb - ka)) {
        memcpy(key, st->section, st->section_len);
        klen = st->section_len;
    }
    memcpy(key + klen, s + ka, kb - ka);
    klen += kb - ka;
    int rc = parse_result_add(r, key, klen, v);
    return rc < 0 ? rc : 1;
}

/* A line of dashes alone ends a box. */
static int is_rule(const char *s, size_t n)
{
    if (n < TABLE_MIN_RULE)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '-')
            return 0;
    return 1;
}

/* ---- column tables ---------------------------------------------------------- */

/* A column named epoch (or spaCy's "E") sets the epoch; step, iter,
 * iteration (or spaCy's "#") the step. */
static void set_marker(column *c)
{
    static const char *const steps[] = {"step", "iter", "iteration", "#"};
    c->marker = COL_METRIC;
    if (strcasecmp(c->name, "epoch") == 0 || strcmp(c->name, "E") == 0)
        c->marker = COL_EPOCH;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (strcasecmp(c->name, steps[i]) == 0)
            c->marker = COL_STEP;
}

/* A header's name in s[a..b): letters, digits and _ . - / % ( ); the key is
 * what follows the last '(' without ')' ("Box(P" -> P, "mAP50-95)" ->
 * mAP50-95).  0 when it is no name. */
static int header_name(const char *s, size_t a, size_t b, column *c)
{
    if (!letter(s[a]) && s[a] != '_')
        return 0;
    size_t from = a;
    for (size_t i = a; i < b; i++) {
        char ch = s[i];
        if (ch == '(')
            from = i + 1;
        else if (!letter(ch) && !digit(ch) && !strchr("_.-/%)", ch))
            return 0;
    }
    c->len = 0;
    for (size_t i = from; i < b && c->len < TABLE_NAME_MAX; i++)
        if (s[i] != ')')
            c->name[c->len++] = s[i];
    c->name[c->len] = '\0';
    if (c->len == 0 || !(letter(c->name[0]) || c->name[0] == '_'))
        return 0;
    set_marker(c);
    return 1;
}

/* The fields f[0..nf) with a bar after them cut off: "Size: 100%|██|" and
 * "640: 100%|██|" end at "Size" and "640".  Returns the fields left (nf
 * when no bar follows any). */
static long before_bar(const char *s, field *f, size_t nf)
{
    for (size_t i = 1; i < nf; i++)
        if (s[f[i - 1].end - 1] == ':' && bar_at(s, &f[i])) {
            f[i - 1].end--;
            return (long)i;
        }
    return (long)nf;
}

enum { HEADER_MAYBE = 2 };

/* The header of columns col[0..nc) is st's from now on. */
static void take_header(table_state *st, const column *col, size_t nc)
{
    memcpy(st->col, col, nc * sizeof *col);
    st->ncol = (int)nc;
    st->labelled = strcmp(col[0].name, "Class") == 0;
}

/* Is s[0..n) a header?  Then its columns are col[0..*nc) (1).
 * HEADER_MAYBE: it is none, but its first word is followed by two blanks,
 * so a ruler may name its columns next (spaCy's "E    #       LOSS
 * TOK2VEC  LOSS NER"). */
static int header(const char *s, size_t n, column *col, size_t *nc)
{
    size_t k = 0, gap;
    while (k < n && blank(s[k]))
        k++;
    while (k < n && !blank(s[k]))
        k++;
    for (gap = k; k < n && s[k] == ' '; k++)
        ;
    if (k < n && s[k] != '\t' && k - gap < 2)
        return 0; /* prose: one blank after the first word */
    field f[TABLE_MAX_COLS + 1];
    size_t nf = fields_of(s, n, f, TABLE_MAX_COLS + 1);
    if (nf < 2 || nf > TABLE_MAX_COLS + 1)
        return HEADER_MAYBE;
    long names = before_bar(s, f, nf);
    if (names < 2 || names > TABLE_MAX_COLS)
        return HEADER_MAYBE;
    for (long i = 0; i < names; i++) {
        if ((i > 0 && !f[i].wide) || !header_name(s, f[i].start, f[i].end, &col[i]))
            return HEADER_MAYBE; /* names with blanks, over a ruler perhaps */
        col[i].start = f[i].start;
        col[i].end = f[i].end;
    }
    *nc = (size_t)names;
    return 1;
}

/* Is s[0..n) a row of st's header?  Then its values go into r. */
static int row(const table_state *st, const char *s, size_t n, parse_result *r)
{
    field f[TABLE_MAX_COLS + 1];
    size_t nf = fields_of(s, n, f, TABLE_MAX_COLS + 1);
    if (nf < (size_t)st->ncol || nf > TABLE_MAX_COLS + 1)
        return 0;
    if (nf > (size_t)st->ncol) { /* only a bar may follow */
        if (before_bar(s, f, nf) != st->ncol)
            return 0;
    }
    for (int i = 0; i < st->ncol; i++)
        if (f[i].start != st->col[i].start && f[i].end != st->col[i].end)
            return 0;
    const char *label = NULL;
    size_t label_len = 0;
    int first = 0;
    if (st->labelled && letter(s[f[0].start])) {
        label = s + f[0].start;
        label_len = f[0].end - f[0].start;
        first = 1;
        if (label_len > TABLE_NAME_MAX)
            return 0;
    }
    double v;
    int64_t a;
    for (int i = first; i < st->ncol; i++)
        if (letter(s[f[i].start]) && !parse_number(s + f[i].start, f[i].end - f[i].start, &v))
            return 0; /* a word where a value stands: no row */
    size_t found = r->n;
    int marked = 0;
    for (int i = first; i < st->ncol; i++) {
        const char *p = s + f[i].start;
        size_t len = f[i].end - f[i].start;
        const column *c = &st->col[i];
        if (c->marker == COL_EPOCH && field_fraction(p, len, &a)) {
            parse_set_epoch(r, 1, (double)a); /* "1/100" counts from 1 */
            marked = 1;
        } else if (!parse_number(p, len, &v)) {
            continue; /* "00:12", "3.21G" */
        } else if (c->marker == COL_EPOCH) {
            parse_set_epoch(r, 0, v);
            marked = 1;
        } else if (c->marker == COL_STEP && parse_whole(v, &a)) {
            r->has_step = 1;
            r->step = a;
            marked = 1;
        } else {
            char key[2 * TABLE_NAME_MAX + 2];
            size_t klen = 0;
            if (label) {
                memcpy(key, label, label_len);
                key[label_len] = '/';
                klen = label_len + 1;
            }
            memcpy(key + klen, c->name, c->len);
            int rc = parse_result_add(r, key, klen + c->len, v);
            if (rc < 0)
                return rc;
        }
    }
    if (r->n == found && !marked)
        return 0;
    r->volatile_shape = 1; /* read with the header: never replayed */
    return 1;
}

/* Is s[0..n) a ruler, groups of dashes two or more ("---  ------")?  Then
 * the pending line above it names its columns, each group's name the text
 * above it (blanks inside become '_': "LOSS TOK2VEC" -> LOSS_TOK2VEC), and
 * st takes that header. */
static void ruled_header(table_state *st, const char *s, size_t n)
{
    field f[TABLE_MAX_COLS + 1];
    size_t nf = fields_of(s, n, f, TABLE_MAX_COLS + 1);
    const char *p = st->pending;
    size_t plen = st->pending_len;
    if (nf < 2 || nf > TABLE_MAX_COLS || f[nf - 1].end < plen)
        return; /* the names must stand over the groups */
    column col[TABLE_MAX_COLS];
    for (size_t c = 0; c < nf; c++) {
        size_t from = c ? f[c - 1].end : 0;
        for (size_t k = from; k < f[c].start && k < plen; k++)
            if (!blank(p[k]))
                return; /* a name that overhangs its group */
        for (size_t k = f[c].start; k < f[c].end; k++)
            if (s[k] != '-')
                return;
        size_t a, b;
        trim(p, f[c].start, f[c].end < plen ? f[c].end : plen, &a, &b);
        if (a >= b || b - a > TABLE_NAME_MAX || !(letter(p[a]) || p[a] == '_' || p[a] == '#'))
            return;
        col[c].len = 0;
        for (size_t k = a; k < b; k++) {
            char ch = p[k];
            if (!letter(ch) && !digit(ch) && !blank(ch) && !strchr("_.-/%#", ch))
                return;
            col[c].name[col[c].len++] = blank(ch) ? '_' : ch;
        }
        col[c].name[col[c].len] = '\0';
        col[c].start = f[c].start;
        col[c].end = f[c].end;
        set_marker(&col[c]);
    }
    take_header(st, col, nf);
}

/* The state, made on first use; NULL when out of memory. */
static table_state *state_of(table_state **state)
{
    if (!*state)
        *state = calloc(1, sizeof **state);
    return *state;
}

int table_line(table_state **state, const char *s, size_t n, parse_result *r)
{
    size_t i = 0;
    while (i < n && blank(s[i]))
        i++;
    if (i == n)
        return 0;
    table_state *st = *state;
    size_t pending = st ? st->pending_len : 0;
    if (st)
        st->pending_len = 0; /* a ruler names the line right above it only */
    if (bar_len(s, i, n) || s[i] == '-') {
        size_t e = n;
        while (blank(s[e - 1]))
            e--;
        if (s[i] == '-') {
            if (st && is_rule(s + i, e - i)) {
                st->section_len = 0;
            } else if (pending) {
                st->pending_len = pending;
                ruled_header(st, s, e);
                st->pending_len = 0;
            }
            return 0;
        }
        if (!(st = state_of(state)))
            return TALLY_ENOMEM;
        return box_row(st, s + i, e - i, r);
    }
    if (st && st->ncol > 0) {
        int rc = row(st, s, n, r);
        if (rc)
            return rc;
    }
    if (!letter(s[i]) && s[i] != '_')
        return 0;
    column col[TABLE_MAX_COLS];
    size_t nc;
    int h = header(s, n, col, &nc);
    if (h == 0 || (h == HEADER_MAYBE && n > TABLE_LINE_MAX))
        return 0;
    if (!(st = state_of(state)))
        return TALLY_ENOMEM;
    if (h == HEADER_MAYBE) {
        memcpy(st->pending, s, n);
        st->pending_len = n;
        return 0;
    }
    take_header(st, col, nc);
    return 1;
}
