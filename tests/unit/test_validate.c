/*
 * test_validate.c — the field rules of DESIGN §2 (validate.c), the
 * personnummer detector and the categorical name tables (event.c).
 *
 * Table-driven: each row starts from a valid event of one kind, changes
 * a few fields by name, and states the reason expected (and, for some,
 * the exact text), with the rule that decides it in a comment. Every
 * reason text is also checked to be one line that names a field and
 * never carries a personnummer-shaped value.
 */
#include "validate.h"

/* cmocka.h needs setjmp.h, stdarg.h, stddef.h and stdint.h first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
/* clang-format on */

#include "event.h"

/* ------------------------------------------------------ base events */

/* Valid events, one per kind; rows override fields by name. */
static void base_event(enum event_kind kind, struct event_in *in)
{
    memset(in, 0, sizeof *in);
    in->kind = kind;
    in->source = "procapita-0127";
    in->id = "ev-1";
    in->has_revision = true;
    in->revision = 3;
    in->municipality = "0127";
    in->unit = "barn-unga";
    switch (kind) {
    case EVENT_PAYMENT: {
        struct payment_in *p = &in->u.payment;

        p->household = "hh-9f1c";
        p->month = "2014-03";
        p->paid_on = "2014-03-25";
        p->has_amount_ore = true;
        p->amount_ore = 845000;
        p->category = "livsuppehalle";
        p->has_head_birth_year = true;
        p->head_birth_year = 1980;
        p->head_gender = "F";
        break;
    }
    case EVENT_PLACEMENT: {
        struct placement_in *p = &in->u.placement;

        p->person = "p-77a1";
        p->gender = "M";
        p->has_birth_year = true;
        p->birth_year = 2001;
        p->setting = "institution";
        p->regi = "extern";
        p->target = "barn_unga";
        p->legal_basis = "LVU";
        p->start = "2014-02-10";
        p->end = "2014-05-01";
        p->has_daily_cost_ore = true;
        p->daily_cost_ore = 450000;
        break;
    }
    case EVENT_DECISION: {
        struct decision_in *d = &in->u.decision;

        d->person = "p-77a1";
        d->gender = "F";
        d->has_birth_year = true;
        d->birth_year = 1990;
        d->type = "bistand";
        d->outcome = "bifall";
        d->intervention = "kontaktperson";
        d->legal_basis = "SoL";
        d->decided_on = "2014-04-01";
        d->executed_on = "2014-04-15";
        d->target = "vuxna_missbruk";
        break;
    }
    case EVENT_REFERRAL: {
        struct referral_in *r = &in->u.referral;

        r->person = "p-12";
        r->gender = "X";
        r->has_birth_year = true;
        r->birth_year = 2008;
        r->received_on = "2014-01-15";
        r->reporter = "skola";
        r->target = "barn_unga";
        break;
    }
    case EVENT_BUDGET: {
        struct budget_in *b = &in->u.budget;

        b->has_year = true;
        b->year = 2014;
        b->has_amount_ore = true;
        b->amount_ore = 1200000000;
        break;
    }
    case EVENT_NONE:
    default:
        break;
    }
}

/* ------------------------------------------------ fields by name */

enum ftype { F_STR, F_U32, F_U64, F_I64, F_BOOL, F_MONTHLY, F_KIND };

struct fdesc {
    const char *name;
    enum ftype type;
    size_t off;     /* value in struct event_in */
    size_t has_off; /* its has_ flag (numbers, bools) */
};

#define EI struct event_in
#define S(n, m)                                                                \
    {                                                                          \
        n, F_STR, offsetof(EI, m), 0                                           \
    }
#define N(n, t, m, h)                                                          \
    {                                                                          \
        n, t, offsetof(EI, m), offsetof(EI, h)                                 \
    }

/* clang-format off */
static const struct fdesc fields[] = {
    {"kind", F_KIND, 0, 0},
    S("source", source), S("id", id), S("municipality", municipality),
    S("unit", unit),
    N("revision", F_U64, revision, has_revision),
    N("deleted", F_BOOL, deleted, has_deleted),

    S("payment.household", u.payment.household),
    S("payment.month", u.payment.month),
    S("payment.paid_on", u.payment.paid_on),
    S("payment.category", u.payment.category),
    S("payment.head_gender", u.payment.head_gender),
    N("payment.amount_ore", F_I64, u.payment.amount_ore,
      u.payment.has_amount_ore),
    N("payment.reversal", F_BOOL, u.payment.reversal,
      u.payment.has_reversal),
    N("payment.head_birth_year", F_U32, u.payment.head_birth_year,
      u.payment.has_head_birth_year),

    S("placement.person", u.placement.person),
    S("placement.gender", u.placement.gender),
    S("placement.setting", u.placement.setting),
    S("placement.regi", u.placement.regi),
    S("placement.target", u.placement.target),
    S("placement.legal_basis", u.placement.legal_basis),
    S("placement.start", u.placement.start),
    S("placement.end", u.placement.end),
    N("placement.birth_year", F_U32, u.placement.birth_year,
      u.placement.has_birth_year),
    N("placement.daily_cost_ore", F_I64, u.placement.daily_cost_ore,
      u.placement.has_daily_cost_ore),

    S("decision.person", u.decision.person),
    S("decision.household", u.decision.household),
    S("decision.gender", u.decision.gender),
    S("decision.type", u.decision.type),
    S("decision.case", u.decision.case_id),
    S("decision.outcome", u.decision.outcome),
    S("decision.intervention", u.decision.intervention),
    S("decision.legal_basis", u.decision.legal_basis),
    S("decision.decided_on", u.decision.decided_on),
    S("decision.executed_on", u.decision.executed_on),
    S("decision.target", u.decision.target),
    N("decision.birth_year", F_U32, u.decision.birth_year,
      u.decision.has_birth_year),

    S("referral.person", u.referral.person),
    S("referral.gender", u.referral.gender),
    S("referral.received_on", u.referral.received_on),
    S("referral.reporter", u.referral.reporter),
    S("referral.target", u.referral.target),
    N("referral.birth_year", F_U32, u.referral.birth_year,
      u.referral.has_birth_year),

    N("budget.year", F_U32, u.budget.year, u.budget.has_year),
    N("budget.amount_ore", F_I64, u.budget.amount_ore,
      u.budget.has_amount_ore),
    {"budget.monthly_ore", F_MONTHLY, 0, 0},
};
/* clang-format on */

#undef S
#undef N

/* Storage for a budget profile given as "a,b,c" (up to 20 amounts). */
static int64_t monthly_store[20];

/* Set field `name` of in to value; NULL = not sent. Fails the test on
 * an unknown name (a typo in a table must not pass silently). */
static void set_field(struct event_in *in, const char *name, const char *value)
{
    char *base = (char *)in;

    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct fdesc *f = &fields[i];

        if (strcmp(f->name, name) != 0)
            continue;
        switch (f->type) {
        case F_STR:
            *(const char **)(void *)(base + f->off) = value;
            return;
        case F_KIND:
            in->kind = EVENT_NONE;
            return;
        case F_MONTHLY: {
            size_t n = 0;
            const char *p = value;

            while (p && *p) {
                char *end;

                assert_true(n < 20);
                monthly_store[n++] = strtoll(p, &end, 10);
                p = *end == ',' ? end + 1 : end;
            }
            in->u.budget.n_monthly = n;
            in->u.budget.monthly_ore = n ? monthly_store : NULL;
            return;
        }
        default:
            break;
        }
        *(bool *)(void *)(base + f->has_off) = value != NULL;
        if (!value)
            return;
        switch (f->type) {
        case F_U32:
            *(uint32_t *)(void *)(base + f->off) =
                (uint32_t)strtoul(value, NULL, 10);
            break;
        case F_U64:
            *(uint64_t *)(void *)(base + f->off) = strtoull(value, NULL, 10);
            break;
        case F_I64:
            *(int64_t *)(void *)(base + f->off) = strtoll(value, NULL, 10);
            break;
        case F_BOOL:
            *(bool *)(void *)(base + f->off) = strcmp(value, "1") == 0;
            break;
        default:
            break;
        }
        return;
    }
    fail_msg("test table names unknown field '%s'", name);
}

/* ------------------------------------------------------ the table */

#define MAX_OV 4

struct ov {
    const char *field;
    const char *value; /* NULL: field not sent */
};

struct row {
    enum event_kind kind;
    struct ov ov[MAX_OV];
    enum reason want;
    const char *text; /* exact expected text, or NULL */
};

#define PAY EVENT_PAYMENT
#define PLA EVENT_PLACEMENT
#define DEC EVENT_DECISION
#define REF EVENT_REFERRAL
#define BUD EVENT_BUDGET

/* 64 and 65 bytes; 32 and 33 bytes. */
#define ID64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID65 ID64 "b"
#define CODE32 "cccccccccccccccccccccccccccccccc"
#define CODE33 CODE32 "d"

/* clang-format off */
static const struct row rows[] = {
    /* ---- valid events: every kind passes as built */
    {PAY, {{0}}, REASON_OK, ""},
    {PLA, {{0}}, REASON_OK, ""},
    {DEC, {{0}}, REASON_OK, ""},
    {REF, {{0}}, REASON_OK, ""},
    {BUD, {{0}}, REASON_OK, ""},
    /* a reversal may be negative */
    {PAY, {{"payment.amount_ore", "-845000"}, {"payment.reversal", "1"}},
     REASON_OK, NULL},
    /* a reversal may also be positive (a correction) */
    {PAY, {{"payment.reversal", "1"}}, REASON_OK, NULL},
    /* amount 0 is not negative */
    {PAY, {{"payment.amount_ore", "0"}}, REASON_OK, NULL},
    /* head_gender is optional */
    {PAY, {{"payment.head_gender", NULL}}, REASON_OK, NULL},
    /* head born in the year of the month: upper bound inclusive */
    {PAY, {{"payment.head_birth_year", "2014"}}, REASON_OK, NULL},
    /* lower bound 1890 inclusive */
    {PAY, {{"payment.head_birth_year", "1890"}}, REASON_OK, NULL},
    /* leap day 2016-02-29 exists; 2000 is a leap year (÷400) */
    {PAY, {{"payment.paid_on", "2016-02-29"}}, REASON_OK, NULL},
    {PAY, {{"payment.paid_on", "2000-02-29"}}, REASON_OK, NULL},
    /* range of dates 1900-01-01 .. 2199-12-31 inclusive */
    {PAY, {{"payment.paid_on", "1900-01-01"}}, REASON_OK, NULL},
    {PAY, {{"payment.paid_on", "2199-12-31"}}, REASON_OK, NULL},
    /* ids of exactly EVENT_ID_MAX = 64 bytes */
    {PAY, {{"source", ID64}, {"id", ID64}, {"unit", ID64},
           {"payment.household", ID64}}, REASON_OK, NULL},
    /* UTF-8 letters are fine in ids: "hushåll-ö" */
    {PAY, {{"payment.household", "hush\xc3\xa5ll-\xc3\xb6"}}, REASON_OK,
     NULL},
    /* digits in ids are fine when not personnummer-shaped */
    {PAY, {{"id", "2014-03-25"}, {"payment.household", "hh-123456"}},
     REASON_OK, NULL},
    /* revision 1 is the first valid */
    {PAY, {{"revision", "1"}}, REASON_OK, NULL},
    /* deleted=false explicitly is an ordinary event */
    {PAY, {{"deleted", "0"}}, REASON_OK, NULL},
    /* open placement: no end */
    {PLA, {{"placement.end", NULL}}, REASON_OK, NULL},
    /* end == start: 0 care days, allowed */
    {PLA, {{"placement.end", "2014-02-10"}}, REASON_OK, NULL},
    /* daily cost 0 */
    {PLA, {{"placement.daily_cost_ore", "0"}}, REASON_OK, NULL},
    /* household decision without gender */
    {DEC, {{"decision.person", NULL}, {"decision.household", "hh-1"},
           {"decision.gender", NULL}}, REASON_OK, NULL},
    /* household decision with a gender (its head) */
    {DEC, {{"decision.person", NULL}, {"decision.household", "hh-1"}},
     REASON_OK, NULL},
    /* opening an investigation: case, no outcome */
    {DEC, {{"decision.type", "inleda_utredning"}, {"decision.case", "u-17"},
           {"decision.outcome", NULL}}, REASON_OK, NULL},
    {DEC, {{"decision.type", "avsluta_utredning"}, {"decision.case", "u-17"},
           {"decision.outcome", NULL}}, REASON_OK, NULL},
    /* ej_inleda_utredning needs no case */
    {DEC, {{"decision.type", "ej_inleda_utredning"},
           {"decision.outcome", NULL}}, REASON_OK, NULL},
    /* optional fields of a decision all absent */
    {DEC, {{"decision.birth_year", NULL}, {"decision.intervention", NULL},
           {"decision.legal_basis", NULL}, {"decision.executed_on", NULL}},
     REASON_OK, NULL},
    {DEC, {{"decision.target", NULL}}, REASON_OK, NULL},
    /* executed the day of the decision */
    {DEC, {{"decision.executed_on", "2014-04-01"}}, REASON_OK, NULL},
    /* intervention of exactly EVENT_CODE_MAX = 32 bytes */
    {DEC, {{"decision.intervention", CODE32}}, REASON_OK, NULL},
    /* a profile of 12 summing to the amount: 11 x 100 000 000 +
     * 100 000 000 = 1 200 000 000 */
    {BUD, {{"budget.monthly_ore",
            "100000000,100000000,100000000,100000000,100000000,100000000,"
            "100000000,100000000,100000000,100000000,100000000,100000000"}},
     REASON_OK, NULL},
    /* uneven profile: 11 x 0 + 1 200 000 000 */
    {BUD, {{"budget.monthly_ore", "0,0,0,0,0,0,0,0,0,0,0,1200000000"}},
     REASON_OK, NULL},
    /* budget year bounds 1900 and 2199 */
    {BUD, {{"budget.year", "1900"}}, REASON_OK, NULL},
    {BUD, {{"budget.year", "2199"}}, REASON_OK, NULL},
    /* amounts at the caps */
    {PAY, {{"payment.amount_ore", "10000000000000"}}, REASON_OK, NULL},
    {PLA, {{"placement.daily_cost_ore", "1000000000"}}, REASON_OK, NULL},

    /* ---- missing_field */
    {PAY, {{"source", NULL}}, REASON_MISSING_FIELD,
     "source: missing required field"},
    {PAY, {{"id", NULL}}, REASON_MISSING_FIELD, "id: missing required field"},
    {PAY, {{"revision", NULL}}, REASON_MISSING_FIELD,
     "revision: missing required field"},
    {PAY, {{"municipality", NULL}}, REASON_MISSING_FIELD, NULL},
    {BUD, {{"unit", NULL}}, REASON_MISSING_FIELD,
     "unit: missing required field"},
    {PAY, {{"payment.household", NULL}}, REASON_MISSING_FIELD,
     "payment.household: missing required field"},
    {PAY, {{"payment.month", NULL}}, REASON_MISSING_FIELD, NULL},
    {PAY, {{"payment.paid_on", NULL}}, REASON_MISSING_FIELD, NULL},
    {PAY, {{"payment.amount_ore", NULL}}, REASON_MISSING_FIELD, NULL},
    {PAY, {{"payment.category", NULL}}, REASON_MISSING_FIELD, NULL},
    {PAY, {{"payment.head_birth_year", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.person", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.gender", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.birth_year", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.setting", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.regi", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.target", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.legal_basis", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.start", NULL}}, REASON_MISSING_FIELD, NULL},
    {PLA, {{"placement.daily_cost_ore", NULL}}, REASON_MISSING_FIELD,
     "placement.daily_cost_ore: missing required field"},
    /* neither person nor household */
    {DEC, {{"decision.person", NULL}}, REASON_MISSING_FIELD,
     "decision.person: one of decision.person or decision.household "
     "required"},
    {DEC, {{"decision.type", NULL}}, REASON_MISSING_FIELD, NULL},
    {DEC, {{"decision.decided_on", NULL}}, REASON_MISSING_FIELD, NULL},
    /* a person's decision needs a gender */
    {DEC, {{"decision.gender", NULL}}, REASON_MISSING_FIELD,
     "decision.gender: missing required field"},
    /* bistand needs an outcome */
    {DEC, {{"decision.outcome", NULL}}, REASON_MISSING_FIELD,
     "decision.outcome: missing required field"},
    /* opening and closing investigations need the case */
    {DEC, {{"decision.type", "inleda_utredning"},
           {"decision.outcome", NULL}}, REASON_MISSING_FIELD,
     "decision.case: missing required field"},
    {DEC, {{"decision.type", "avsluta_utredning"},
           {"decision.outcome", NULL}}, REASON_MISSING_FIELD,
     "decision.case: missing required field"},
    {REF, {{"referral.person", NULL}}, REASON_MISSING_FIELD, NULL},
    {REF, {{"referral.gender", NULL}}, REASON_MISSING_FIELD, NULL},
    {REF, {{"referral.birth_year", NULL}}, REASON_MISSING_FIELD, NULL},
    {REF, {{"referral.received_on", NULL}}, REASON_MISSING_FIELD, NULL},
    {REF, {{"referral.reporter", NULL}}, REASON_MISSING_FIELD, NULL},
    {REF, {{"referral.target", NULL}}, REASON_MISSING_FIELD, NULL},
    {BUD, {{"budget.year", NULL}}, REASON_MISSING_FIELD, NULL},
    {BUD, {{"budget.amount_ore", NULL}}, REASON_MISSING_FIELD, NULL},

    /* ---- unknown_kind: no body */
    {PAY, {{"kind", ""}}, REASON_UNKNOWN_KIND, NULL},

    /* ---- bad_id */
    {PAY, {{"source", ""}}, REASON_BAD_ID, "source: empty"},
    /* space at byte 2 */
    {PAY, {{"id", "ev 1"}}, REASON_BAD_ID,
     "id: control or whitespace character at byte 2"},
    {PAY, {{"unit", "barn\tunga"}}, REASON_BAD_ID, NULL},
    {PAY, {{"payment.household", "hh-1\n"}}, REASON_BAD_ID, NULL},
    {PAY, {{"payment.household", "hh\x7f"}}, REASON_BAD_ID, NULL},
    /* a lone continuation byte is not UTF-8 */
    {PLA, {{"placement.person", "p-\x80"}}, REASON_BAD_ID,
     "placement.person: invalid UTF-8 at byte 2"},
    /* overlong encoding of '/' (C0 AF) */
    {PLA, {{"placement.person", "p-\xc0\xaf"}}, REASON_BAD_ID, NULL},
    /* truncated 3-byte sequence */
    {PLA, {{"placement.person", "p-\xe2\x82"}}, REASON_BAD_ID, NULL},
    /* UTF-16 surrogate encoded in UTF-8 (ED A0 80) */
    {PLA, {{"placement.person", "p-\xed\xa0\x80"}}, REASON_BAD_ID, NULL},
    /* NO-BREAK SPACE U+00A0 */
    {REF, {{"referral.person", "p\xc2\xa0" "1"}}, REASON_BAD_ID, NULL},
    /* C1 control NEL U+0085 */
    {REF, {{"referral.person", "p\xc2\x85" "1"}}, REASON_BAD_ID, NULL},
    /* ZERO WIDTH SPACE U+200B */
    {DEC, {{"decision.case", "u\xe2\x80\x8b" "1"}}, REASON_BAD_ID, NULL},
    /* IDEOGRAPHIC SPACE U+3000 */
    {DEC, {{"decision.intervention", "a\xe3\x80\x80" "b"}}, REASON_BAD_ID,
     NULL},
    /* empty subject */
    {DEC, {{"decision.person", ""}}, REASON_BAD_ID, NULL},

    /* ---- personnummer: each format, in each kind of field */
    /* YYMMDD-NNNN in household, value not echoed */
    {PAY, {{"payment.household", "800101-1234"}}, REASON_PERSONNUMMER,
     "payment.household: looks like a personnummer (value not shown)"},
    /* YYMMDD+NNNN (100 years or older) in person */
    {PLA, {{"placement.person", "p-800101+1234"}}, REASON_PERSONNUMMER,
     NULL},
    /* YYMMDDNNNN embedded after a prefix */
    {PAY, {{"payment.household", "hh-8001011234"}}, REASON_PERSONNUMMER,
     NULL},
    /* YYYYMMDDNNNN in id, letters around */
    {PAY, {{"id", "abc198001011234x"}}, REASON_PERSONNUMMER,
     "id: looks like a personnummer (value not shown)"},
    /* YYYYMMDD-NNNN in source */
    {PAY, {{"source", "19800101-1234"}}, REASON_PERSONNUMMER, NULL},
    /* YYYYMMDD+NNNN in unit */
    {PAY, {{"unit", "u19800101+1234"}}, REASON_PERSONNUMMER, NULL},
    /* samordningsnummer: day 01 + 60 = 61 in case */
    {DEC, {{"decision.type", "inleda_utredning"},
           {"decision.case", "800161-1234"}, {"decision.outcome", NULL}},
     REASON_PERSONNUMMER, NULL},
    /* intervention */
    {DEC, {{"decision.intervention", "x8001011234"}}, REASON_PERSONNUMMER,
     NULL},
    /* household of a decision; day 31 */
    {DEC, {{"decision.person", NULL},
           {"decision.household", "h-19991231-0000"}},
     REASON_PERSONNUMMER, NULL},
    /* referral person; samordningsnummer day 91 */
    {REF, {{"referral.person", "801291-9999"}}, REASON_PERSONNUMMER, NULL},
    /* wins over every other rule: the event is otherwise broken too */
    {PAY, {{"payment.household", "8001011234"}, {"revision", "0"},
           {"municipality", "x"}}, REASON_PERSONNUMMER, NULL},
    /* also in a categorical or date field, never echoed */
    {PAY, {{"payment.category", "800101-1234"}}, REASON_PERSONNUMMER,
     "payment.category: looks like a personnummer (value not shown)"},
    {PLA, {{"placement.start", "19800101-1234"}}, REASON_PERSONNUMMER, NULL},
    /* municipality is scanned too (10 digits) */
    {PAY, {{"municipality", "8001011234"}}, REASON_PERSONNUMMER, NULL},
    /* and it is not too_long first: the scan comes before lengths */
    {PAY, {{"payment.household", ID64 "-800101-1234"}}, REASON_PERSONNUMMER,
     NULL},

    /* ---- bad_municipality */
    {PAY, {{"municipality", "127"}}, REASON_BAD_MUNICIPALITY,
     "municipality: not a kommunkod of 4 digits"},
    {PAY, {{"municipality", "01270"}}, REASON_BAD_MUNICIPALITY, NULL},
    {PAY, {{"municipality", "01a7"}}, REASON_BAD_MUNICIPALITY, NULL},
    {PAY, {{"municipality", ""}}, REASON_BAD_MUNICIPALITY, NULL},

    /* ---- bad_revision */
    {PAY, {{"revision", "0"}}, REASON_BAD_REVISION,
     "revision: must be 1 or more"},

    /* ---- unknown_enum: exact, case-sensitive */
    {PAY, {{"payment.category", "Livsuppehalle"}}, REASON_UNKNOWN_ENUM,
     "payment.category: unknown value 'Livsuppehalle' (expected "
     "livsuppehalle|boende|tillfalligt_boende|ovrigt)"},
    {PAY, {{"payment.head_gender", "K"}}, REASON_UNKNOWN_ENUM,
     "payment.head_gender: unknown value 'K' (expected F|M|X)"},
    {PLA, {{"placement.gender", "f"}}, REASON_UNKNOWN_ENUM, NULL},
    {PLA, {{"placement.setting", "hvb"}}, REASON_UNKNOWN_ENUM, NULL},
    {PLA, {{"placement.regi", "privat"}}, REASON_UNKNOWN_ENUM, NULL},
    /* the list of six targets does not fit beside a long value: without */
    {PLA, {{"placement.target", "barn_och_unga_0_20_ar_alla_kategorier"}},
     REASON_UNKNOWN_ENUM,
     "placement.target: unknown value 'barn_och_unga_0_20_ar_al...'"},
    {PLA, {{"placement.legal_basis", "sol"}}, REASON_UNKNOWN_ENUM, NULL},
    {DEC, {{"decision.type", "beslut"}}, REASON_UNKNOWN_ENUM, NULL},
    {DEC, {{"decision.outcome", "ja"}}, REASON_UNKNOWN_ENUM, NULL},
    /* optional categorical fields are still checked when given */
    {DEC, {{"decision.legal_basis", "SOL"}}, REASON_UNKNOWN_ENUM, NULL},
    {DEC, {{"decision.target", "vuxna"}}, REASON_UNKNOWN_ENUM, NULL},
    {DEC, {{"decision.person", NULL}, {"decision.household", "hh-1"},
           {"decision.gender", "kvinna"}}, REASON_UNKNOWN_ENUM, NULL},
    {REF, {{"referral.reporter", "Polis"}}, REASON_UNKNOWN_ENUM, NULL},
    /* a control character in the value is not echoed raw */
    {REF, {{"referral.reporter", "po\nlis"}}, REASON_UNKNOWN_ENUM, NULL},
    {REF, {{"referral.target", ""}}, REASON_UNKNOWN_ENUM, NULL},
    /* 14 x and an 11-digit run pass the scan, but the echo cut at 24
     * bytes would end in a 10-digit personnummer: value withheld */
    {PAY, {{"payment.category", "xxxxxxxxxxxxxx80010112345"}},
     REASON_UNKNOWN_ENUM, "payment.category: value not accepted (not shown)"},

    /* ---- bad_date */
    {PAY, {{"payment.paid_on", "2014-02-30"}}, REASON_BAD_DATE,
     "payment.paid_on: day 30 does not exist in 2014-02"},
    /* 1900 is not a leap year (÷100, not ÷400) */
    {PAY, {{"payment.paid_on", "1900-02-29"}}, REASON_BAD_DATE, NULL},
    {PAY, {{"payment.paid_on", "2014-04-31"}}, REASON_BAD_DATE, NULL},
    {PAY, {{"payment.paid_on", "2014-13-01"}}, REASON_BAD_DATE,
     "payment.paid_on: month 13 out of range 01-12"},
    {PAY, {{"payment.paid_on", "2014-03-00"}}, REASON_BAD_DATE, NULL},
    {PAY, {{"payment.paid_on", "14-03-25"}}, REASON_BAD_DATE,
     "payment.paid_on: not a date YYYY-MM-DD"},
    {PAY, {{"payment.paid_on", "2014-3-25"}}, REASON_BAD_DATE, NULL},
    {PAY, {{"payment.paid_on", "2014-03-25T00:00"}}, REASON_BAD_DATE, NULL},
    {PAY, {{"payment.paid_on", "20140325"}}, REASON_BAD_DATE, NULL},
    {PAY, {{"payment.paid_on", ""}}, REASON_BAD_DATE, NULL},
    {PAY, {{"payment.paid_on", "1899-12-31"}}, REASON_BAD_DATE,
     "payment.paid_on: year 1899 outside 1900-2199"},
    {PAY, {{"payment.paid_on", "2200-01-01"}}, REASON_BAD_DATE, NULL},
    {PLA, {{"placement.start", "2014-02-29"}}, REASON_BAD_DATE, NULL},
    {PLA, {{"placement.end", "2014-06-31"}}, REASON_BAD_DATE, NULL},
    {DEC, {{"decision.decided_on", "2014/04/01"}}, REASON_BAD_DATE, NULL},
    {REF, {{"referral.received_on", "2014-01-32"}}, REASON_BAD_DATE, NULL},
    /* executed the day before the decision */
    {DEC, {{"decision.executed_on", "2014-03-31"}}, REASON_BAD_DATE,
     "decision.executed_on: before decision.decided_on"},
    {DEC, {{"decision.executed_on", "2014-04-31"}}, REASON_BAD_DATE, NULL},

    /* ---- bad_month */
    {PAY, {{"payment.month", "2014-3"}}, REASON_BAD_MONTH,
     "payment.month: not a month YYYY-MM"},
    {PAY, {{"payment.month", "201403"}}, REASON_BAD_MONTH, NULL},
    {PAY, {{"payment.month", "2014/03"}}, REASON_BAD_MONTH, NULL},
    {PAY, {{"payment.month", "2014-03-01"}}, REASON_BAD_MONTH, NULL},
    {PAY, {{"payment.month", ""}}, REASON_BAD_MONTH, NULL},
    {PAY, {{"payment.month", "1899-12"}}, REASON_BAD_MONTH,
     "payment.month: year 1899 outside 1900-2199"},

    /* ---- month_out_of_range */
    {PAY, {{"payment.month", "2014-13"}}, REASON_MONTH_OUT_OF_RANGE,
     "payment.month: month 13 out of range 01-12"},
    {PAY, {{"payment.month", "2014-00"}}, REASON_MONTH_OUT_OF_RANGE,
     "payment.month: month 00 out of range 01-12"},
    {PAY, {{"payment.month", "2014-99"}}, REASON_MONTH_OUT_OF_RANGE, NULL},

    /* ---- negative_amount */
    {PAY, {{"payment.amount_ore", "-1"}}, REASON_NEGATIVE_AMOUNT,
     "payment.amount_ore: negative amount without reversal"},
    {PAY, {{"payment.amount_ore", "-845000"}, {"payment.reversal", "0"}},
     REASON_NEGATIVE_AMOUNT, NULL},
    {PLA, {{"placement.daily_cost_ore", "-1"}}, REASON_NEGATIVE_AMOUNT,
     "placement.daily_cost_ore: negative daily cost"},

    /* ---- bad_year */
    {PAY, {{"payment.head_birth_year", "1889"}}, REASON_BAD_YEAR,
     "payment.head_birth_year: 1889 outside 1890-2014"},
    /* born after the month the assistance is for (2014) */
    {PAY, {{"payment.head_birth_year", "2015"}}, REASON_BAD_YEAR, NULL},
    /* bound follows the month: 2015 fine for 2015-01 */
    {PAY, {{"payment.head_birth_year", "2015"}, {"payment.month", "2015-01"}},
     REASON_OK, NULL},
    /* placement started 2014, person born 2015 */
    {PLA, {{"placement.birth_year", "2015"}}, REASON_BAD_YEAR,
     "placement.birth_year: 2015 outside 1890-2014"},
    {PLA, {{"placement.birth_year", "0"}}, REASON_BAD_YEAR, NULL},
    /* optional birth year of a decision is range-checked when sent */
    {DEC, {{"decision.birth_year", "0"}}, REASON_BAD_YEAR, NULL},
    {DEC, {{"decision.birth_year", "2015"}}, REASON_BAD_YEAR, NULL},
    {REF, {{"referral.birth_year", "1889"}}, REASON_BAD_YEAR, NULL},
    {REF, {{"referral.birth_year", "4294967295"}}, REASON_BAD_YEAR, NULL},
    {BUD, {{"budget.year", "1899"}}, REASON_BAD_YEAR,
     "budget.year: 1899 outside 1900-2199"},
    {BUD, {{"budget.year", "2200"}}, REASON_BAD_YEAR, NULL},

    /* ---- end_before_start: end 2014-02-09 < start 2014-02-10 */
    {PLA, {{"placement.end", "2014-02-09"}}, REASON_END_BEFORE_START,
     "placement.end: before placement.start"},

    /* ---- bad_budget_profile */
    /* 11 amounts */
    {BUD, {{"budget.monthly_ore", "1,1,1,1,1,1,1,1,1,1,1"}},
     REASON_BAD_BUDGET_PROFILE,
     "budget.monthly_ore: 11 amounts, expected 0 or 12"},
    /* 13 amounts */
    {BUD, {{"budget.monthly_ore", "0,0,0,0,0,0,0,0,0,0,0,0,0"}},
     REASON_BAD_BUDGET_PROFILE, NULL},
    /* 12 amounts summing to 12, amount 1 200 000 000 */
    {BUD, {{"budget.monthly_ore", "1,1,1,1,1,1,1,1,1,1,1,1"}},
     REASON_BAD_BUDGET_PROFILE,
     "budget.monthly_ore: months sum to 12 ore, budget.amount_ore is "
     "1200000000"},
    /* one öre short: 11 x 100 and 99 = 1199, amount 1200 */
    {BUD, {{"budget.amount_ore", "1200"},
           {"budget.monthly_ore", "100,100,100,100,100,100,100,100,100,100,"
                                  "100,99"}},
     REASON_BAD_BUDGET_PROFILE, NULL},

    /* ---- conflicting_fields */
    {DEC, {{"decision.household", "hh-1"}}, REASON_CONFLICTING_FIELDS,
     "decision.person: decision.person and decision.household both given"},
    /* outcome only for bistand */
    {DEC, {{"decision.type", "inleda_utredning"}, {"decision.case", "u-1"}},
     REASON_CONFLICTING_FIELDS, "decision.outcome: only for type bistand"},
    {DEC, {{"decision.type", "ej_inleda_utredning"}},
     REASON_CONFLICTING_FIELDS, NULL},

    /* ---- too_long: 65 > EVENT_ID_MAX, 33 > EVENT_CODE_MAX */
    {PAY, {{"source", ID65}}, REASON_TOO_LONG,
     "source: 65 bytes, at most 64 allowed"},
    {PAY, {{"id", ID65}}, REASON_TOO_LONG, NULL},
    {PAY, {{"unit", ID65}}, REASON_TOO_LONG, NULL},
    {PAY, {{"payment.household", ID65}}, REASON_TOO_LONG, NULL},
    {PLA, {{"placement.person", ID65}}, REASON_TOO_LONG, NULL},
    {DEC, {{"decision.case", ID65}}, REASON_TOO_LONG, NULL},
    {DEC, {{"decision.intervention", CODE33}}, REASON_TOO_LONG,
     "decision.intervention: 33 bytes, at most 32 allowed"},

    /* ---- amount_out_of_range: caps 1e13 öre, daily 1e9 öre */
    {PAY, {{"payment.amount_ore", "10000000000001"}},
     REASON_AMOUNT_OUT_OF_RANGE, NULL},
    {PAY, {{"payment.amount_ore", "-9223372036854775808"},
           {"payment.reversal", "1"}}, REASON_AMOUNT_OUT_OF_RANGE, NULL},
    {PLA, {{"placement.daily_cost_ore", "1000000001"}},
     REASON_AMOUNT_OUT_OF_RANGE, NULL},
    {BUD, {{"budget.amount_ore", "10000000000001"}},
     REASON_AMOUNT_OUT_OF_RANGE, NULL},
    {BUD, {{"budget.amount_ore", "0"},
           {"budget.monthly_ore", "9223372036854775807,"
                                  "-9223372036854775807,0,0,0,0,0,0,0,0,0,0"}},
     REASON_AMOUNT_OUT_OF_RANGE, NULL},

    /* ---- tombstones: common fields and kind only */
    /* body empty: fine */
    {PAY, {{"deleted", "1"}, {"payment.household", NULL},
           {"payment.month", NULL}, {"payment.amount_ore", NULL}},
     REASON_OK, NULL},
    /* body fields broken: ignored */
    {PAY, {{"deleted", "1"}, {"payment.month", "2014-13"},
           {"payment.category", "x"}, {"payment.amount_ore", "-5"}},
     REASON_OK, NULL},
    {PLA, {{"deleted", "1"}, {"placement.end", "2000-01-01"},
           {"placement.person", ID65}}, REASON_OK, NULL},
    {DEC, {{"deleted", "1"}, {"decision.household", "hh-1"}}, REASON_OK,
     NULL},
    {BUD, {{"deleted", "1"}, {"budget.monthly_ore", "1,2,3"},
           {"budget.year", NULL}}, REASON_OK, NULL},
    /* but still scanned for personnummer */
    {PAY, {{"deleted", "1"}, {"payment.household", "hh-8001011234"}},
     REASON_PERSONNUMMER, NULL},
    {REF, {{"deleted", "1"}, {"referral.reporter", "19800101-1234"}},
     REASON_PERSONNUMMER, NULL},
    /* and the common fields are still required */
    {PAY, {{"deleted", "1"}, {"unit", NULL}}, REASON_MISSING_FIELD, NULL},
    {PAY, {{"deleted", "1"}, {"revision", "0"}}, REASON_BAD_REVISION, NULL},
    {REF, {{"deleted", "1"}, {"municipality", "12"}},
     REASON_BAD_MUNICIPALITY, NULL},
    {PAY, {{"deleted", "1"}, {"id", ID65}}, REASON_TOO_LONG, NULL},
    /* and the body kind */
    {PAY, {{"deleted", "1"}, {"kind", ""}}, REASON_UNKNOWN_KIND, NULL},
    /* deleted=false is not a tombstone */
    {PAY, {{"deleted", "0"}, {"payment.household", NULL}},
     REASON_MISSING_FIELD, NULL},
};
/* clang-format on */

static void test_rules(void **state)
{
    int failed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        struct event_in in;
        struct event out;
        char text[VALIDATE_TEXT_MAX];
        enum reason got;
        bool ok = true;

        base_event(r->kind, &in);
        for (int k = 0; k < MAX_OV && r->ov[k].field; k++)
            set_field(&in, r->ov[k].field, r->ov[k].value);
        memset(text, 'Z', sizeof text);
        got = validate_event(&in, &out, text);
        if (got != r->want)
            ok = false;
        if (r->text && strcmp(text, r->text) != 0)
            ok = false;
        /* Every text: one line, terminated, no personnummer. */
        if (!memchr(text, '\0', sizeof text) || strchr(text, '\n') ||
            strchr(text, '\r') || validate_looks_like_personnummer(text))
            ok = false;
        if (got != REASON_OK && (text[0] == '\0' || !strchr(text, ':')))
            ok = false;
        if (got == REASON_OK && text[0] != '\0')
            ok = false;
        /* A personnummer refusal carries no digit at all: nothing of
         * the value, not even part of it. */
        if (r->want == REASON_PERSONNUMMER && strpbrk(text, "0123456789"))
            ok = false;
        if (!ok) {
            print_error("row %zu (%s, first field %s): want %s \"%s\", "
                        "got %s \"%s\"\n",
                        i, event_enum_name(ENUM_KIND, r->kind),
                        r->ov[0].field ? r->ov[0].field : "-",
                        reason_code(r->want), r->text ? r->text : "*",
                        reason_code(got),
                        memchr(text, '\0', sizeof text) ? text : "?");
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* Every reason code is covered by at least one failing row; but
 * forbidden_municipality, which ingest gives from the sender's key
 * (tests/it/curve.sh), not validate_event from the event. */
static void test_rules_cover_every_reason(void **state)
{
    bool seen[REASON_COUNT] = {false};

    (void)state;
    seen[REASON_FORBIDDEN_MUNICIPALITY] = true;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        seen[rows[i].want] = true;
    for (int r = 0; r < REASON_COUNT; r++) {
        if (!seen[r])
            print_error("no row for %s\n", reason_code((enum reason)r));
        assert_true(seen[r]);
    }
}

/* ------------------------------------------------- typed output */

static void test_output_payment(void **state)
{
    struct event_in in;
    struct event out;
    char text[VALIDATE_TEXT_MAX];

    (void)state;
    base_event(EVENT_PAYMENT, &in);
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    assert_int_equal(out.kind, EVENT_PAYMENT);
    assert_string_equal(out.source, "procapita-0127");
    assert_string_equal(out.id, "ev-1");
    assert_int_equal(out.revision, 3);
    assert_false(out.deleted);
    assert_string_equal(out.municipality, "0127");
    assert_string_equal(out.unit, "barn-unga");
    assert_string_equal(out.u.payment.household, "hh-9f1c");
    assert_int_equal(out.u.payment.month, 24170); /* 2014*12 + 3-1 */
    /* 2014-01-01 is day 44*365 + 11 leap days = 16071; + 31 + 28 + 24 */
    assert_int_equal(out.u.payment.paid_on, 16154);
    assert_int_equal(out.u.payment.amount_ore, 845000);
    assert_false(out.u.payment.reversal);
    assert_int_equal(out.u.payment.category, CAT_LIVSUPPEHALLE);
    assert_int_equal(out.u.payment.head_birth_year, 1980);
    assert_int_equal(out.u.payment.head_gender, GENDER_F);

    set_field(&in, "payment.head_gender", NULL);
    set_field(&in, "payment.category", "tillfalligt_boende");
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    assert_int_equal(out.u.payment.head_gender, GENDER_NONE);
    assert_int_equal(out.u.payment.category, CAT_TILLFALLIGT_BOENDE);
}

static void test_output_placement(void **state)
{
    struct event_in in;
    struct event out;
    char text[VALIDATE_TEXT_MAX];

    (void)state;
    base_event(EVENT_PLACEMENT, &in);
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    assert_string_equal(out.u.placement.person, "p-77a1");
    assert_int_equal(out.u.placement.gender, GENDER_M);
    assert_int_equal(out.u.placement.birth_year, 2001);
    assert_int_equal(out.u.placement.setting, SETTING_INSTITUTION);
    assert_int_equal(out.u.placement.regi, REGI_EXTERN);
    assert_int_equal(out.u.placement.target, TARGET_BARN_UNGA);
    assert_int_equal(out.u.placement.legal_basis, LEGAL_LVU);
    assert_int_equal(out.u.placement.start, 16111); /* 16071 + 31 + 9 */
    assert_int_equal(out.u.placement.end, 16191);   /* 16071 + 120 */
    assert_int_equal(out.u.placement.daily_cost_ore, 450000);

    set_field(&in, "placement.end", NULL);
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    assert_int_equal(out.u.placement.end, -1); /* open */
}

static void test_output_decision(void **state)
{
    struct event_in in;
    struct event out;
    char text[VALIDATE_TEXT_MAX];

    (void)state;
    base_event(EVENT_DECISION, &in);
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    assert_string_equal(out.u.decision.person, "p-77a1");
    assert_string_equal(out.u.decision.household, "");
    assert_int_equal(out.u.decision.gender, GENDER_F);
    assert_int_equal(out.u.decision.birth_year, 1990);
    assert_int_equal(out.u.decision.type, DTYPE_BISTAND);
    assert_string_equal(out.u.decision.case_id, "");
    assert_int_equal(out.u.decision.outcome, OUTCOME_BIFALL);
    assert_string_equal(out.u.decision.intervention, "kontaktperson");
    assert_int_equal(out.u.decision.legal_basis, LEGAL_SOL);
    assert_int_equal(out.u.decision.target, TARGET_VUXNA_MISSBRUK);
    assert_int_equal(out.u.decision.decided_on, 16161); /* 16071 + 90 */
    assert_int_equal(out.u.decision.executed_on, 16175);

    set_field(&in, "decision.person", NULL);
    set_field(&in, "decision.household", "hh-1");
    set_field(&in, "decision.gender", NULL);
    set_field(&in, "decision.birth_year", NULL);
    set_field(&in, "decision.executed_on", NULL);
    set_field(&in, "decision.legal_basis", NULL);
    set_field(&in, "decision.target", NULL);
    set_field(&in, "decision.intervention", NULL);
    set_field(&in, "decision.type", "avsluta_utredning");
    set_field(&in, "decision.outcome", NULL);
    set_field(&in, "decision.case", "u-17");
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    assert_string_equal(out.u.decision.person, "");
    assert_string_equal(out.u.decision.household, "hh-1");
    assert_int_equal(out.u.decision.gender, GENDER_NONE);
    assert_int_equal(out.u.decision.birth_year, 0);
    assert_int_equal(out.u.decision.executed_on, -1);
    assert_int_equal(out.u.decision.legal_basis, LEGAL_NONE);
    assert_int_equal(out.u.decision.target, TARGET_NONE);
    assert_int_equal(out.u.decision.outcome, OUTCOME_NONE);
    assert_string_equal(out.u.decision.intervention, "");
    assert_string_equal(out.u.decision.case_id, "u-17");
    assert_int_equal(out.u.decision.type, DTYPE_AVSLUTA_UTREDNING);
}

static void test_output_referral(void **state)
{
    struct event_in in;
    struct event out;
    char text[VALIDATE_TEXT_MAX];

    (void)state;
    base_event(EVENT_REFERRAL, &in);
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    assert_string_equal(out.u.referral.person, "p-12");
    assert_int_equal(out.u.referral.gender, GENDER_X);
    assert_int_equal(out.u.referral.birth_year, 2008);
    assert_int_equal(out.u.referral.received_on, 16085); /* 16071 + 14 */
    assert_int_equal(out.u.referral.reporter, REPORTER_SKOLA);
    assert_int_equal(out.u.referral.target, TARGET_BARN_UNGA);
}

static void test_output_tombstone(void **state)
{
    struct event_in in;
    struct event out;
    char text[VALIDATE_TEXT_MAX];

    (void)state;
    base_event(EVENT_PLACEMENT, &in);
    set_field(&in, "deleted", "1");
    set_field(&in, "placement.person", NULL);
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    assert_int_equal(out.kind, EVENT_PLACEMENT);
    assert_true(out.deleted);
    assert_int_equal(out.revision, 3);
    assert_string_equal(out.id, "ev-1");
    assert_string_equal(out.u.placement.person, ""); /* not used */
}

/* ------------------------------------------------- budget split */

struct split_row {
    const char *amount;
    int64_t first; /* months 1..12 - r */
    int64_t last;  /* the last r months */
    int n_last;    /* r */
};

/* clang-format off */
static const struct split_row split_rows[] = {
    /* 1 200 000 000 / 12 = 100 000 000, r 0 */
    {"1200000000", 100000000, 100000000, 0},
    /* 1 000 001 = 12 * 83 333 + 5: jan-jul 83 333, aug-dec 83 334 */
    {"1000001", 83333, 83334, 5},
    /* 11 = 12 * 0 + 11: jan 0, feb-dec 1 */
    {"11", 0, 1, 11},
    /* 0 */
    {"0", 0, 0, 0},
    /* -13 = 12 * -2 + 11 (floor): jan -2, feb-dec -1; -2 - 11 = -13 */
    {"-13", -2, -1, 11},
    /* 10^13 = 12 * 833 333 333 333 + 4 */
    {"10000000000000", 833333333333, 833333333334, 4},
};
/* clang-format on */

static void test_budget_even_split(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof split_rows / sizeof split_rows[0]; i++) {
        const struct split_row *r = &split_rows[i];
        struct event_in in;
        struct event out;
        char text[VALIDATE_TEXT_MAX];
        int64_t sum = 0;

        base_event(EVENT_BUDGET, &in);
        set_field(&in, "budget.amount_ore", r->amount);
        assert_int_equal(validate_event(&in, &out, text), REASON_OK);
        for (int m = 0; m < BUDGET_MONTHS; m++) {
            int64_t want = m >= BUDGET_MONTHS - r->n_last ? r->last : r->first;

            assert_int_equal(out.u.budget.monthly_ore[m], want);
            sum += out.u.budget.monthly_ore[m];
        }
        assert_int_equal(sum, strtoll(r->amount, NULL, 10));
        assert_int_equal(out.u.budget.amount_ore, sum);
        assert_int_equal(out.u.budget.year, 2014);
    }
}

static void test_budget_profile_kept(void **state)
{
    struct event_in in;
    struct event out;
    char text[VALIDATE_TEXT_MAX];

    (void)state;
    base_event(EVENT_BUDGET, &in);
    set_field(&in, "budget.amount_ore", "78");
    /* 1 + 2 + ... + 12 = 78 */
    set_field(&in, "budget.monthly_ore", "1,2,3,4,5,6,7,8,9,10,11,12");
    assert_int_equal(validate_event(&in, &out, text), REASON_OK);
    for (int m = 0; m < BUDGET_MONTHS; m++)
        assert_int_equal(out.u.budget.monthly_ore[m], m + 1);
}

/* ------------------------------------------- personnummer detector */

struct pnr_row {
    const char *s;
    bool want;
};

/* clang-format off */
static const struct pnr_row pnr_rows[] = {
    /* the five formats of validate.h, and YYYYMMDD+NNNN */
    {"800101-1234", true},      /* YYMMDD-NNNN */
    {"800101+1234", true},      /* YYMMDD+NNNN (100 or older) */
    {"8001011234", true},       /* YYMMDDNNNN */
    {"19800101-1234", true},    /* YYYYMMDD-NNNN */
    {"198001011234", true},     /* YYYYMMDDNNNN */
    {"19800101+1234", true},    /* YYYYMMDD+NNNN */
    /* embedded in longer strings, not in longer digit runs */
    {"hh-8001011234", true},
    {"abc198001011234x", true},
    {"x800101-1234y", true},
    {"p/800101-1234/", true},
    {"800101-1234-5", true},    /* tail digits then a non-digit */
    {"1234-800101-1234", true}, /* second run is the number */
    /* samordningsnummer: day + 60, 61..91 */
    {"800161-1234", true},
    {"800191-1234", true},
    {"198001611234", true},
    /* month and day bounds */
    {"801231-0000", true},      /* dec 31 */
    {"800131-1234", true},      /* day 31 in any month: not checked */
    {"800231-1234", true},      /* 31 feb still rejected: conservative */
    /* check digit not required: 800101-1235 has a wrong one */
    {"800101-1235", true},
    /* a timestamp YYYYMMDD-HHMM has the same shape: rejected */
    {"20140325-1200", true},
    /* any century: 9800-10-11 */
    {"980010112345", true},
    /* not personnummer-shaped */
    {"12345678901234567", false},   /* a 17-digit run */
    {"2014-03-25", false},          /* an ISO date */
    {"hh-9f1c", false},
    {"", false},
    {"0127", false},
    {"20140325", false},            /* YYYYMMDD alone */
    {"hh-80010112", false},
    {"800001-1234", false},         /* month 00 */
    {"801301-1234", false},         /* month 13 */
    {"800100-1234", false},         /* day 00 */
    {"800132-1234", false},         /* day 32 */
    {"800160-1234", false},         /* day 60 */
    {"800192-1234", false},         /* day 92 */
    {"18001011234", false},         /* 11-digit run */
    {"1800101-1234", false},        /* 7 digits before the dash */
    {"800101-12345", false},        /* 5 digits after */
    {"800101-123", false},          /* 3 digits after */
    {"800101--1234", false},
    {"800101-", false},
    {"800101", false},
    {"-1234", false},
    {"123456789012", false},        /* 12 digits, month 56 */
    {"1234567890", false},          /* 10 digits, month 45 */
    {"9f1c2a80010112341b", false},  /* an 11-digit run inside a hash */
    {"800101*1234", false},         /* not a separator */
};
/* clang-format on */

static void test_personnummer_detector(void **state)
{
    int failed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof pnr_rows / sizeof pnr_rows[0]; i++) {
        bool got = validate_looks_like_personnummer(pnr_rows[i].s);

        if (got != pnr_rows[i].want) {
            print_error("'%s': want %d got %d\n", pnr_rows[i].s,
                        pnr_rows[i].want, got);
            failed++;
        }
    }
    assert_false(validate_looks_like_personnummer(NULL));
    assert_int_equal(failed, 0);
}

/* ---------------------------------------------- codes and names */

static void test_reason_codes(void **state)
{
    static const char *const want[REASON_COUNT] = {
        "ok",
        "missing_field",
        "unknown_kind",
        "bad_id",
        "personnummer",
        "bad_municipality",
        "bad_revision",
        "unknown_enum",
        "bad_date",
        "bad_month",
        "month_out_of_range",
        "negative_amount",
        "bad_year",
        "end_before_start",
        "bad_budget_profile",
        "conflicting_fields",
        "too_long",
        "amount_out_of_range",
        "forbidden_municipality",
    };

    (void)state;
    for (int r = 0; r < REASON_COUNT; r++)
        assert_string_equal(reason_code((enum reason)r), want[r]);
    assert_string_equal(reason_code(REASON_COUNT), "unknown");
    assert_string_equal(reason_code((enum reason) - 1), "unknown");
}

struct enum_row {
    enum event_enum table;
    int count;         /* the _COUNT of the enum */
    const char *names; /* values 1.. separated by spaces */
};

/* clang-format off */
static const struct enum_row enum_rows[] = {
    {ENUM_KIND, EVENT_BUDGET + 1,
     "payment placement decision referral budget"},
    {ENUM_CATEGORY, CAT_COUNT,
     "livsuppehalle boende tillfalligt_boende ovrigt"},
    {ENUM_GENDER, GENDER_COUNT, "F M X"},
    {ENUM_SETTING, SETTING_COUNT,
     "institution familjehem jourhem stodboende skyddat_boende "
     "bostad_sarskild_service annat"},
    {ENUM_REGI, REGI_COUNT, "egen extern"},
    {ENUM_TARGET, TARGET_COUNT,
     "barn_unga vuxna_missbruk psykisk_funktionsnedsattning lss "
     "ensamkommande vald_nara_relation"},
    {ENUM_LEGAL_BASIS, LEGAL_COUNT, "SoL LVU LVM LSS"},
    {ENUM_DECISION_TYPE, DTYPE_COUNT,
     "inleda_utredning ej_inleda_utredning avsluta_utredning bistand"},
    {ENUM_OUTCOME, OUTCOME_COUNT, "bifall avslag"},
    {ENUM_REPORTER, REPORTER_COUNT,
     "polis skola halso_sjukvard socialtjanst enskild annan"},
};
/* clang-format on */

static void test_enum_tables(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof enum_rows / sizeof enum_rows[0]; i++) {
        const struct enum_row *r = &enum_rows[i];
        char buf[256], *save = NULL, *tok;
        int v = 1;

        snprintf(buf, sizeof buf, "%s", r->names);
        for (tok = strtok_r(buf, " ", &save); tok;
             tok = strtok_r(NULL, " ", &save), v++) {
            assert_string_equal(event_enum_name(r->table, v), tok);
            assert_int_equal(event_enum_parse(r->table, tok), v);
        }
        assert_int_equal(v, r->count); /* every value named, no more */
        assert_string_equal(event_enum_name(r->table, 0), "?");
        assert_string_equal(event_enum_name(r->table, r->count), "?");
        assert_string_equal(event_enum_name(r->table, -1), "?");
        assert_int_equal(event_enum_parse(r->table, ""), 0);
        assert_int_equal(event_enum_parse(r->table, NULL), 0);
        assert_int_equal(event_enum_parse(r->table, "?"), 0);
    }
    /* case-sensitive and exact */
    assert_int_equal(event_enum_parse(ENUM_LEGAL_BASIS, "sol"), 0);
    assert_int_equal(event_enum_parse(ENUM_LEGAL_BASIS, "SOL"), 0);
    assert_int_equal(event_enum_parse(ENUM_GENDER, "f"), 0);
    assert_int_equal(event_enum_parse(ENUM_CATEGORY, "boende "), 0);
    assert_int_equal(event_enum_parse(ENUM_CATEGORY, "boend"), 0);
    assert_int_equal(event_enum_parse(ENUM_KIND, "Payment"), 0);
    assert_string_equal(event_enum_name((enum event_enum)99, 1), "?");
    assert_int_equal(event_enum_parse((enum event_enum)99, "F"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_rules_cover_every_reason),
        cmocka_unit_test(test_output_payment),
        cmocka_unit_test(test_output_placement),
        cmocka_unit_test(test_output_decision),
        cmocka_unit_test(test_output_referral),
        cmocka_unit_test(test_output_tombstone),
        cmocka_unit_test(test_budget_even_split),
        cmocka_unit_test(test_budget_profile_kept),
        cmocka_unit_test(test_personnummer_detector),
        cmocka_unit_test(test_reason_codes),
        cmocka_unit_test(test_enum_tables),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
