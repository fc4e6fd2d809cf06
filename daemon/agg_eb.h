/*
 * agg_eb.h — domain eb, ekonomiskt bistånd (DESIGN §4): payments into
 * paid amounts, distinct households, household-months and long-term
 * households per period and slice.
 */
#ifndef NYCKEL_AGG_EB_H
#define NYCKEL_AGG_EB_H

#include "agg.h"

extern const struct agg_domain agg_eb;

#endif
