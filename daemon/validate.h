/*
 * validate.h — pure field rules for one event (DESIGN §2): turns the
 * wire form (struct event_in) into a typed struct event, or names the
 * first rule it breaks with a reason code and a readable text.
 *
 * Includes the personnummer detector: no id or text field may look like
 * a Swedish personal identity or coordination number, with or without
 * century, separator '-' or '+', or embedded in a longer string.
 */
#ifndef NYCKEL_VALIDATE_H
#define NYCKEL_VALIDATE_H

#include "event.h"

#include <stdbool.h>
#include <stddef.h>

#define VALIDATE_TEXT_MAX 160 /* reason text buffer, bytes incl. NUL */

/* Amount caps, far above any municipal figure, so that the int64 sums of
 * aggregation cannot overflow: |amount_ore| of a payment, a budget and
 * each budget month at most 100 000 000 000 kr; a placement's
 * daily_cost_ore at most 10 000 000 kr per care day. */
#define VALIDATE_AMOUNT_MAX_ORE 10000000000000LL /* 1e13 öre */
#define VALIDATE_DAILY_COST_MAX_ORE 1000000000LL /* 1e9 öre */

/* One code per rule; the wire code is reason_code(). Order is stable:
 * append new reasons at the end. */
enum reason {
    REASON_OK = 0,
    REASON_MISSING_FIELD,       /* "missing_field": a required field absent */
    REASON_UNKNOWN_KIND,        /* "unknown_kind": no event body */
    REASON_BAD_ID,              /* "bad_id": empty, control/space, bad UTF-8 */
    REASON_PERSONNUMMER,        /* "personnummer": looks like a personnummer */
    REASON_BAD_MUNICIPALITY,    /* "bad_municipality": not 4 digits */
    REASON_BAD_REVISION,        /* "bad_revision": 0 */
    REASON_UNKNOWN_ENUM,        /* "unknown_enum": value not in the list */
    REASON_BAD_DATE,            /* "bad_date": not a real YYYY-MM-DD */
    REASON_BAD_MONTH,           /* "bad_month": not YYYY-MM */
    REASON_MONTH_OUT_OF_RANGE,  /* "month_out_of_range": YYYY-00, YYYY-13.. */
    REASON_NEGATIVE_AMOUNT,     /* "negative_amount": < 0 without reversal */
    REASON_BAD_YEAR,            /* "bad_year": birth/budget year out of range */
    REASON_END_BEFORE_START,    /* "end_before_start": placement end < start */
    REASON_BAD_BUDGET_PROFILE,  /* "bad_budget_profile": not 12 amounts, or sum
                                   differs */
    REASON_CONFLICTING_FIELDS,  /* "conflicting_fields": e.g. person and
                                   household */
    REASON_TOO_LONG,            /* "too_long": a text field over its limit */
    REASON_AMOUNT_OUT_OF_RANGE, /* "amount_out_of_range": over a cap */
    REASON_FORBIDDEN_MUNICIPALITY, /* "forbidden_municipality": the sender
                                      may not push for it (ingest, CURVE) */
    REASON_COUNT
};

/* Stable machine code of r, e.g. "bad_date". */
const char *reason_code(enum reason r);

/* Validate in and fill *out. Returns REASON_OK, or the first broken rule
 * with a one-line text in text[VALIDATE_TEXT_MAX] naming the field and
 * what is wrong. The text never repeats the offending value when it is
 * personnummer-shaped. A tombstone (deleted = true) needs only the common
 * fields and a body of the right kind; its body fields are still checked
 * for personnummer-shaped text. */
enum reason validate_event(const struct event_in *in, struct event *out,
                           char *text);

/* True when s contains something shaped like a personnummer or
 * samordningsnummer: YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN,
 * YYYYMMDD-NNNN, YYYYMMDDNNNN, with a plausible month and day (day + 60
 * for samordningsnummer), anywhere inside a longer string. Exposed for
 * tests and for the codec's checks of free text. */
bool validate_looks_like_personnummer(const char *s);

#endif
