/*
 * agg_ec.h — domain ec, economy (DESIGN §4): budget against the costs
 * nyckel sees (payments, eb.paid, and placement costs, pl.cost) per
 * municipality, period and slice (total, unit=U).
 *
 * Per period P with last month L (the as-of month when P is running):
 *   budget              budget amount of L's year
 *   budget_to_date      Σ monthly profile over P's months through L
 *   outcome             eb.paid + pl.cost in P
 *   deviation           budget_to_date − outcome (negative: overspend)
 *   consumed_share      outcome of L's year through L / budget
 *   forecast            that outcome / its days (January 1 through the
 *                       as-of day while L's year to date is running,
 *                       else through L's last day) × days of the year
 *   forecast_deviation  budget − forecast
 *   rolling_annual_cost outcome over the twelve months ending at L
 *
 * A unit without a budget for L's year has budget 0 (consumed_share
 * null).
 */
#ifndef NYCKEL_AGG_EC_H
#define NYCKEL_AGG_EC_H

#include "agg.h"

extern const struct agg_domain agg_ec;

#endif
