/*
 * event.h — the validated, typed form of one case-system event
 * (DESIGN §2). Pure data: no socket, no LMDB, no clock.
 *
 * The codec decodes wire bytes into a struct event_in (borrowed strings,
 * presence flags); validate turns that into a struct event or a reason.
 * Everything downstream (entity, agg_*) sees only struct event.
 */
#ifndef NYCKEL_EVENT_H
#define NYCKEL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_ID_MAX 64   /* longest source/id/unit/subject, bytes */
#define EVENT_CODE_MAX 32 /* longest free code (intervention) */
#define BUDGET_MONTHS 12

enum event_kind {
    EVENT_NONE = 0,
    EVENT_PAYMENT,
    EVENT_PLACEMENT,
    EVENT_DECISION,
    EVENT_REFERRAL,
    EVENT_BUDGET,
};

/* Categorical values. 0 is never a valid value ("absent"). The names are
 * the wire strings of DESIGN §2; event_enum_name() maps back. */
enum eb_category {
    CAT_NONE = 0,
    CAT_LIVSUPPEHALLE,
    CAT_BOENDE,
    CAT_TILLFALLIGT_BOENDE,
    CAT_OVRIGT,
    CAT_COUNT
};
enum gender { GENDER_NONE = 0, GENDER_F, GENDER_M, GENDER_X, GENDER_COUNT };
enum setting {
    SETTING_NONE = 0,
    SETTING_INSTITUTION,
    SETTING_FAMILJEHEM,
    SETTING_JOURHEM,
    SETTING_STODBOENDE,
    SETTING_SKYDDAT_BOENDE,
    SETTING_BOSTAD_SARSKILD_SERVICE,
    SETTING_ANNAT,
    SETTING_COUNT
};
enum regi { REGI_NONE = 0, REGI_EGEN, REGI_EXTERN, REGI_COUNT };
enum target {
    TARGET_NONE = 0,
    TARGET_BARN_UNGA,
    TARGET_VUXNA_MISSBRUK,
    TARGET_PSYKISK_FUNKTIONSNEDSATTNING,
    TARGET_LSS,
    TARGET_ENSAMKOMMANDE,
    TARGET_VALD_NARA_RELATION,
    TARGET_COUNT
};
enum legal_basis {
    LEGAL_NONE = 0,
    LEGAL_SOL,
    LEGAL_LVU,
    LEGAL_LVM,
    LEGAL_LSS,
    LEGAL_COUNT
};
enum decision_type {
    DTYPE_NONE = 0,
    DTYPE_INLEDA_UTREDNING,
    DTYPE_EJ_INLEDA_UTREDNING,
    DTYPE_AVSLUTA_UTREDNING,
    DTYPE_BISTAND,
    DTYPE_COUNT
};
enum outcome {
    OUTCOME_NONE = 0,
    OUTCOME_BIFALL,
    OUTCOME_AVSLAG,
    OUTCOME_COUNT
};
enum reporter {
    REPORTER_NONE = 0,
    REPORTER_POLIS,
    REPORTER_SKOLA,
    REPORTER_HALSO_SJUKVARD,
    REPORTER_SOCIALTJANST,
    REPORTER_ENSKILD,
    REPORTER_ANNAN,
    REPORTER_COUNT
};

/* Which table event_enum_name()/event_enum_parse() use. */
enum event_enum {
    ENUM_KIND,
    ENUM_CATEGORY,
    ENUM_GENDER,
    ENUM_SETTING,
    ENUM_REGI,
    ENUM_TARGET,
    ENUM_LEGAL_BASIS,
    ENUM_DECISION_TYPE,
    ENUM_OUTCOME,
    ENUM_REPORTER,
};

/* Dates are day numbers (days since 1970-01-01), months are month
 * indexes (year * 12 + month - 1); see period.h. -1 means absent. */

struct payment {
    char household[EVENT_ID_MAX + 1];
    int32_t month;      /* month index the assistance is for */
    int32_t paid_on;    /* day number */
    int64_t amount_ore; /* < 0 only when reversal */
    bool reversal;
    enum eb_category category;
    int head_birth_year;     /* 1890..year of month */
    enum gender head_gender; /* GENDER_NONE when not given */
};

struct placement {
    char person[EVENT_ID_MAX + 1];
    enum gender gender;
    int birth_year;
    enum setting setting;
    enum regi regi;
    enum target target;
    enum legal_basis legal_basis;
    int32_t start;          /* day number, first care day */
    int32_t end;            /* day number, exclusive; -1 = open */
    int64_t daily_cost_ore; /* >= 0 */
};

struct decision {
    char person[EVENT_ID_MAX + 1]; /* person or household, one set */
    char household[EVENT_ID_MAX + 1];
    enum gender gender; /* GENDER_NONE for households */
    int birth_year;     /* 0 when not given */
    enum decision_type type;
    char case_id[EVENT_ID_MAX + 1]; /* "" for bistand without case */
    enum outcome outcome;           /* bistand only */
    char intervention[EVENT_CODE_MAX + 1];
    enum legal_basis legal_basis; /* LEGAL_NONE when not given */
    enum target target;           /* TARGET_NONE when not given */
    int32_t decided_on;
    int32_t executed_on; /* -1 = not executed */
};

struct referral {
    char person[EVENT_ID_MAX + 1];
    enum gender gender;
    int birth_year;
    int32_t received_on;
    enum reporter reporter;
    enum target target;
};

struct budget {
    int year;
    int64_t amount_ore;
    int64_t monthly_ore[BUDGET_MONTHS]; /* even split when not given */
};

struct event {
    enum event_kind kind;
    char source[EVENT_ID_MAX + 1];
    char id[EVENT_ID_MAX + 1];
    uint64_t revision;    /* >= 1 */
    bool deleted;         /* tombstone: body fields are not used */
    char municipality[5]; /* 4 digits */
    char unit[EVENT_ID_MAX + 1];
    union {
        struct payment payment;
        struct placement placement;
        struct decision decision;
        struct referral referral;
        struct budget budget;
    } u;
};

/* Wire form before validation. Strings are borrowed from the decoded
 * message and live as long as it; NULL means the field was not sent. */
struct payment_in {
    const char *household, *month, *paid_on, *category, *head_gender;
    bool has_amount_ore, has_reversal, has_head_birth_year;
    int64_t amount_ore;
    bool reversal;
    uint32_t head_birth_year;
};

struct placement_in {
    const char *person, *gender, *setting, *regi, *target, *legal_basis, *start,
        *end;
    bool has_birth_year, has_daily_cost_ore;
    uint32_t birth_year;
    int64_t daily_cost_ore;
};

struct decision_in {
    const char *person, *household, *gender, *type, *case_id, *outcome,
        *intervention, *legal_basis, *decided_on, *executed_on, *target;
    bool has_birth_year;
    uint32_t birth_year;
};

struct referral_in {
    const char *person, *gender, *received_on, *reporter, *target;
    bool has_birth_year;
    uint32_t birth_year;
};

struct budget_in {
    bool has_year, has_amount_ore;
    uint32_t year;
    int64_t amount_ore;
    size_t n_monthly;           /* as sent; valid: 0 or 12 */
    const int64_t *monthly_ore; /* n_monthly amounts */
};

struct event_in {
    enum event_kind kind; /* EVENT_NONE when no body was sent */
    const char *source, *id, *municipality, *unit;
    bool has_revision, has_deleted;
    uint64_t revision;
    bool deleted;
    union {
        struct payment_in payment;
        struct placement_in placement;
        struct decision_in decision;
        struct referral_in referral;
        struct budget_in budget;
    } u;
};

/* Wire name of value v of table e ("livsuppehalle"); "?" if out of range. */
const char *event_enum_name(enum event_enum e, int v);

/* Value of wire name s in table e, or 0 (the NONE value) if unknown. */
int event_enum_parse(enum event_enum e, const char *s);

#endif
