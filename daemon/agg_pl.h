/*
 * agg_pl.h — domain pl, placements outside the home (DESIGN §4):
 * vårddygn, årsplaceringar, costs, persons, started/ended/active
 * placements, external share, per period and slice.
 *
 * Slices: total; unit=U; setting=S; regi=R; setting=S,regi=R;
 * target=T; legal_basis=L; gender=flicka|pojke|kvinna|man|x and
 * age_band=B by the person's age at the period's start (year of the
 * period's first month minus birth year; under 18: flicka/pojke).
 *
 * Open placements (no end) accrue care days up to the store's as-of day:
 * apply() counts them through as_of, and advance() moves them when the
 * day changes, so metrics() must be asked with the as_of the cells were
 * last applied or advanced with.
 */
#ifndef NYCKEL_AGG_PL_H
#define NYCKEL_AGG_PL_H

#include "agg.h"

extern const struct agg_domain agg_pl;

#endif
