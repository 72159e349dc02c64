/*
 * groups.c — grouping compared runs and merging their series (groups.h).
 */
#include "tui/groups.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *label_of(const char *const *labels, size_t i)
{
    return labels[i] ? labels[i] : "(none)";
}

size_t groups_assign(const char *const *labels, size_t n, int *group_of, size_t max_groups)
{
    if (max_groups == 0)
        return 0;
    size_t ng = 0, *first = malloc(max_groups * sizeof *first); /* a run of each group */
    for (size_t i = 0; i < n; i++) {
        size_t g = 0;
        while (first && g < ng && strcmp(label_of(labels, first[g]), label_of(labels, i)) != 0)
            g++;
        if (g == ng) {
            if (ng < max_groups && first)
                first[ng++] = i;
            else
                g = ng ? ng - 1 : 0;
        }
        group_of[i] = (int)g;
    }
    free(first);
    return ng ? ng : n > 0;
}

typedef struct acc {
    double x, x0, x1, lo, hi, sum;
    size_t k; /* runs with a finite value in the bucket */
} acc;

size_t groups_merge(const chart_point *const *pts, const size_t *n, size_t nruns, double x0,
                    double x1, size_t nb, chart_point *band, chart_point *mean)
{
    if (nb == 0 || !(x1 > x0))
        return 0;
    acc *a = calloc(nb, sizeof *a);
    if (!a)
        return 0;
    for (size_t j = 0; j < nb; j++)
        a[j].lo = a[j].x0 = INFINITY, a[j].hi = a[j].x1 = -INFINITY;
    for (size_t r = 0; r < nruns; r++)
        for (size_t i = 0; i < n[r]; i++) {
            const chart_point *p = &pts[r][i];
            if (!isfinite(p->y_last) || isnan(p->y_min) || isnan(p->y_max))
                continue;
            double f = (p->x - x0) / (x1 - x0) * (double)nb;
            if (!(f >= 0))
                f = 0;
            size_t j = f >= (double)nb ? nb - 1 : (size_t)f;
            a[j].x += p->x;
            /* The x span the bucket's points cover (x when it has none). */
            a[j].x0 = fmin(a[j].x0, p->x0 < p->x1 ? p->x0 : p->x);
            a[j].x1 = fmax(a[j].x1, p->x0 < p->x1 ? p->x1 : p->x);
            a[j].lo = fmin(a[j].lo, p->y_min);
            a[j].hi = fmax(a[j].hi, p->y_max);
            a[j].sum += p->y_last;
            a[j].k++;
        }
    size_t out = 0;
    for (size_t j = 0; j < nb; j++) {
        if (!a[j].k)
            continue;
        double x = a[j].x / (double)a[j].k, m = a[j].sum / (double)a[j].k;
        band[out] = (chart_point){x, a[j].lo, a[j].hi, a[j].lo, a[j].hi, a[j].x0, a[j].x1};
        mean[out] = (chart_point){x, m, m, m, m, a[j].x0, a[j].x1};
        out++;
    }
    free(a);
    return out;
}
