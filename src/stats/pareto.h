/* pareto.h: the Pareto rule every front end marks points by (sweep's pareto columns, the HTML report's front,
 * the workbench's terminal scatter, the search): one definition, so they all ring the same points. */
#ifndef ET_STATS_PARETO_H
#define ET_STATS_PARETO_H

#include <stdbool.h>

/* Marks the rows that are Pareto-optimal for (cost lower is better, quality higher is better): no other row is at
 * least as good in both and strictly better in one. NaN values are never optimal and never dominate. */
void et_pareto(const double *cost, const double *quality, int n, bool *optimal);

#endif
