/*
 * groups.h — compare's runs grouped (by their group, or by the value of a
 * config key) and each group drawn as its mean with a min–max band.  Pure:
 * labels in, group numbers out; chart points in, the group's points out.
 */
#ifndef TALLY_TUI_GROUPS_H
#define TALLY_TUI_GROUPS_H

#include <stddef.h>

#include "tui/chart.h"

/* Numbers the distinct labels in first-seen order: group_of[i] for run i
 * (a NULL label is the group "(none)").  Returns the number of groups, at
 * most max_groups (later labels join the last group). */
size_t groups_assign(const char *const *labels, size_t n, int *group_of, size_t max_groups);

/* Merges the series of one group's runs (pts[i], n[i] points each, all
 * decimated over the same window [x0, x1] into nb buckets) bucket by
 * bucket: band[j] spans the lowest y_min to the highest y_max of the runs,
 * mean[j] is the mean of their y_last.  Each output holds at most nb
 * points; returns how many (the same for both). */
size_t groups_merge(const chart_point *const *pts, const size_t *n, size_t nruns, double x0,
                    double x1, size_t nb, chart_point *band, chart_point *mean);

#endif
