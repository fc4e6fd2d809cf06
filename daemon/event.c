/*
 * event.c — the wire names of the categorical values of DESIGN §2 and
 * their mapping to the enums of event.h.
 *
 * One table per enum, indexed by value, so that a name and its value
 * cannot drift apart: entry 0 is the NONE value and has no name.
 * Matching is byte-exact (case-sensitive): "SoL" is a legal basis,
 * "sol" is an unknown value that validation answers with a reason, so
 * that every cell key has exactly one spelling.
 */
#include "event.h"

#include <string.h>

static const char *const kind_names[] = {
    [EVENT_PAYMENT] = "payment",   [EVENT_PLACEMENT] = "placement",
    [EVENT_DECISION] = "decision", [EVENT_REFERRAL] = "referral",
    [EVENT_BUDGET] = "budget",
};

static const char *const category_names[CAT_COUNT] = {
    [CAT_LIVSUPPEHALLE] = "livsuppehalle",
    [CAT_BOENDE] = "boende",
    [CAT_TILLFALLIGT_BOENDE] = "tillfalligt_boende",
    [CAT_OVRIGT] = "ovrigt",
};

static const char *const gender_names[GENDER_COUNT] = {
    [GENDER_F] = "F",
    [GENDER_M] = "M",
    [GENDER_X] = "X",
};

static const char *const setting_names[SETTING_COUNT] = {
    [SETTING_INSTITUTION] = "institution",
    [SETTING_FAMILJEHEM] = "familjehem",
    [SETTING_JOURHEM] = "jourhem",
    [SETTING_STODBOENDE] = "stodboende",
    [SETTING_SKYDDAT_BOENDE] = "skyddat_boende",
    [SETTING_BOSTAD_SARSKILD_SERVICE] = "bostad_sarskild_service",
    [SETTING_ANNAT] = "annat",
};

static const char *const regi_names[REGI_COUNT] = {
    [REGI_EGEN] = "egen",
    [REGI_EXTERN] = "extern",
};

static const char *const target_names[TARGET_COUNT] = {
    [TARGET_BARN_UNGA] = "barn_unga",
    [TARGET_VUXNA_MISSBRUK] = "vuxna_missbruk",
    [TARGET_PSYKISK_FUNKTIONSNEDSATTNING] = "psykisk_funktionsnedsattning",
    [TARGET_LSS] = "lss",
    [TARGET_ENSAMKOMMANDE] = "ensamkommande",
    [TARGET_VALD_NARA_RELATION] = "vald_nara_relation",
};

static const char *const legal_names[LEGAL_COUNT] = {
    [LEGAL_SOL] = "SoL",
    [LEGAL_LVU] = "LVU",
    [LEGAL_LVM] = "LVM",
    [LEGAL_LSS] = "LSS",
};

static const char *const dtype_names[DTYPE_COUNT] = {
    [DTYPE_INLEDA_UTREDNING] = "inleda_utredning",
    [DTYPE_EJ_INLEDA_UTREDNING] = "ej_inleda_utredning",
    [DTYPE_AVSLUTA_UTREDNING] = "avsluta_utredning",
    [DTYPE_BISTAND] = "bistand",
};

static const char *const outcome_names[OUTCOME_COUNT] = {
    [OUTCOME_BIFALL] = "bifall",
    [OUTCOME_AVSLAG] = "avslag",
};

static const char *const reporter_names[REPORTER_COUNT] = {
    [REPORTER_POLIS] = "polis",
    [REPORTER_SKOLA] = "skola",
    [REPORTER_HALSO_SJUKVARD] = "halso_sjukvard",
    [REPORTER_SOCIALTJANST] = "socialtjanst",
    [REPORTER_ENSKILD] = "enskild",
    [REPORTER_ANNAN] = "annan",
};

#define TABLE(a)                                                               \
    {                                                                          \
        a, sizeof(a) / sizeof((a)[0])                                          \
    }

/* Indexed by enum event_enum. */
static const struct {
    const char *const *names;
    int count; /* entries incl. the unnamed NONE */
} tables[] = {
    [ENUM_KIND] = TABLE(kind_names),
    [ENUM_CATEGORY] = TABLE(category_names),
    [ENUM_GENDER] = TABLE(gender_names),
    [ENUM_SETTING] = TABLE(setting_names),
    [ENUM_REGI] = TABLE(regi_names),
    [ENUM_TARGET] = TABLE(target_names),
    [ENUM_LEGAL_BASIS] = TABLE(legal_names),
    [ENUM_DECISION_TYPE] = TABLE(dtype_names),
    [ENUM_OUTCOME] = TABLE(outcome_names),
    [ENUM_REPORTER] = TABLE(reporter_names),
};

#define N_TABLES ((int)(sizeof(tables) / sizeof(tables[0])))

const char *event_enum_name(enum event_enum e, int v)
{
    if ((int)e < 0 || (int)e >= N_TABLES || v <= 0 || v >= tables[e].count)
        return "?";
    return tables[e].names[v];
}

int event_enum_parse(enum event_enum e, const char *s)
{
    if (!s || (int)e < 0 || (int)e >= N_TABLES)
        return 0;
    for (int v = 1; v < tables[e].count; v++)
        if (strcmp(tables[e].names[v], s) == 0)
            return v;
    return 0;
}
