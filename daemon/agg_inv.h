/*
 * agg_inv.h — domain inv, investigations, decisions and referrals
 * (DESIGN §4): the flows and legal deadlines that committees and IVO
 * follow.
 *
 * An investigation (utredning) is the pair of an inleda_utredning and an
 * avsluta_utredning decision with the same (municipality, source, case);
 * either may arrive first, be revised or deleted. Per period P, slice S,
 * as-of day A:
 *
 *   referrals              referrals with received_on in P
 *   opened                 inleda_utredning decisions with decided_on in P
 *   referral_conversion    opened / referrals
 *   ongoing                investigations open on at least one day of P:
 *                          opened on or before P's last day and closed on
 *                          or after its first day (not closed: counted
 *                          through A); an investigation whose opening is
 *                          not known is not counted
 *   closed                 avsluta_utredning decisions with decided_on in P
 *   closed_within_4_months of those, the ones whose investigation was
 *                          opened and closed on or before the opening date
 *                          + 4 calendar months (end-of-month clamping:
 *                          opened 2014-10-31 → by 2015-02-28)
 *   within_4_months_share  closed_within_4_months / closed
 *   avg_investigation_days Σ (close − open) days / closed investigations
 *                          whose opening is known
 *   granted / rejected     bistand decisions with decided_on in P by
 *                          outcome bifall / avslag
 *   rejection_share        rejected / (granted + rejected)
 *   not_executed_3_months  granted bistand decisions not executed on day D
 *                          although decided on or before D − 3 calendar
 *                          months, D = A when P is running, else P's last
 *                          day: decided_on + 3 months ≤ D < executed_on
 *                          (no executed_on: D ≤ A)
 *
 * Slices: total; unit=U; target=T; gender=flicka|pojke|kvinna|man|x and
 * age_band=B by age at P's start (age band: birth year given; gender: both);
 * legal_basis=L and intervention=I (decisions that have them);
 * reporter=R (referrals). Case figures (opened, closed, within, days,
 * ongoing) take the slices of the decision they count: opened and
 * ongoing the opening decision's, closed, within and days the closing
 * one's. In a slice a figure does not apply to (referrals per
 * intervention, decisions per reporter) it is null.
 */
#ifndef NYCKEL_AGG_INV_H
#define NYCKEL_AGG_INV_H

#include "agg.h"

extern const struct agg_domain agg_inv;

#endif
