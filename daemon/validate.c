/*
 * validate.c — the field rules of DESIGN §2: turns a struct event_in
 * (wire form, borrowed strings, presence flags) into a typed struct
 * event, or names the first rule it breaks.
 *
 * Order of the checks, so that "the first broken rule" is well defined:
 *   1. every string of the event, common and body, tombstone or not, is
 *      scanned for personnummer-shaped text: nyckeld must never store or
 *      echo one, so this refusal wins over every other;
 *   2. the common fields: source, id, revision, municipality, unit, then
 *      the body kind;
 *   3. unless the event is a tombstone, the body fields in the order of
 *      the per-kind functions below (subject ids, categories, dates,
 *      then rules that relate fields, such as a birth year that must not
 *      lie after the event's date).
 *
 * Reason texts are one line: "<field>: <what is wrong>", body fields
 * prefixed with their kind ("payment.month: month 13 out of range
 * 01-12"). Ids and subjects are never echoed (they are pseudonyms of
 * people); unknown categorical values are echoed sanitised and
 * truncated, and every finished text is passed through the personnummer
 * detector once more, withholding the value if it matches.
 *
 * Amounts are capped (VALIDATE_AMOUNT_MAX_ORE, VALIDATE_DAILY_COST_MAX_ORE)
 * far above any real municipal figure, so that the int64 sums of the
 * aggregation (care days x daily cost over centuries of dates, Σ amounts
 * over many events) cannot overflow.
 *
 * Pure: no allocation, no clock, no I/O.
 */
#include "validate.h"

#include "period.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BIRTH_YEAR_MIN 1890 /* oldest plausible birth year */
#define ECHO_MAX 24         /* bytes of an unknown value echoed */

static const char *const reason_codes[REASON_COUNT] = {
    [REASON_OK] = "ok",
    [REASON_MISSING_FIELD] = "missing_field",
    [REASON_UNKNOWN_KIND] = "unknown_kind",
    [REASON_BAD_ID] = "bad_id",
    [REASON_PERSONNUMMER] = "personnummer",
    [REASON_BAD_MUNICIPALITY] = "bad_municipality",
    [REASON_BAD_REVISION] = "bad_revision",
    [REASON_UNKNOWN_ENUM] = "unknown_enum",
    [REASON_BAD_DATE] = "bad_date",
    [REASON_BAD_MONTH] = "bad_month",
    [REASON_MONTH_OUT_OF_RANGE] = "month_out_of_range",
    [REASON_NEGATIVE_AMOUNT] = "negative_amount",
    [REASON_BAD_YEAR] = "bad_year",
    [REASON_END_BEFORE_START] = "end_before_start",
    [REASON_BAD_BUDGET_PROFILE] = "bad_budget_profile",
    [REASON_CONFLICTING_FIELDS] = "conflicting_fields",
    [REASON_TOO_LONG] = "too_long",
    [REASON_AMOUNT_OUT_OF_RANGE] = "amount_out_of_range",
    [REASON_FORBIDDEN_MUNICIPALITY] = "forbidden_municipality",
};

const char *reason_code(enum reason r)
{
    if ((int)r < 0 || r >= REASON_COUNT || !reason_codes[r])
        return "unknown";
    return reason_codes[r];
}

/* ------------------------------------------------ personnummer detector */

/* Not isdigit(): that depends on the locale. */
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int two_digits(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* "MMDD" at p: month 01-12, day 01-31 or 61-91 (samordningsnummer adds
 * 60 to the day). Days are not checked against the month: a 31 in
 * February is still too close to a real number to accept. */
static bool mmdd_plausible(const char *p)
{
    int m = two_digits(p), d = two_digits(p + 2);

    return m >= 1 && m <= 12 && ((d >= 1 && d <= 31) || (d >= 61 && d <= 91));
}

bool validate_looks_like_personnummer(const char *s)
{
    size_t i = 0;

    if (!s)
        return false;
    while (s[i]) {
        size_t start, run;

        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        /* A maximal run of digits: a personnummer inside a longer run
         * (an account number, a 17-digit hash) is not one. */
        start = i;
        while (is_digit(s[i]))
            i++;
        run = i - start;
        /* YYMMDDNNNN, YYYYMMDDNNNN */
        if ((run == 10 || run == 12) && mmdd_plausible(s + i - 8))
            return true;
        /* YYMMDD-NNNN, YYMMDD+NNNN, YYYYMMDD-NNNN, YYYYMMDD+NNNN; the
         * checks stop at the NUL before reading past it. */
        if ((run == 6 || run == 8) && (s[i] == '-' || s[i] == '+') &&
            is_digit(s[i + 1]) && is_digit(s[i + 2]) && is_digit(s[i + 3]) &&
            is_digit(s[i + 4]) && !is_digit(s[i + 5]) &&
            mmdd_plausible(s + i - 4))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------- texts */

static enum reason fail(char *text, enum reason r, const char *field,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "<field>: <fmt...>" to text and returns r. */
static enum reason fail(char *text, enum reason r, const char *field,
                        const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!text)
        return r;
    n = snprintf(text, VALIDATE_TEXT_MAX, "%s: ", field);
    if (n < 0 || n >= VALIDATE_TEXT_MAX)
        return r;
    va_start(ap, fmt);
    vsnprintf(text + n, VALIDATE_TEXT_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    /* Belt and braces: a truncated echo could form a personnummer. */
    if (validate_looks_like_personnummer(text))
        snprintf(text, VALIDATE_TEXT_MAX,
                 "%s: value not accepted "
                 "(not shown)",
                 field);
    return r;
}

/* A printable, quotable excerpt of an untrusted value for a reason text:
 * at most ECHO_MAX bytes, anything but printable ASCII (and the quote)
 * replaced by '?', "..." when cut. out must hold ECHO_MAX + 4 bytes. */
static void echo_value(const char *s, char *out)
{
    size_t i;

    for (i = 0; s[i] && i < ECHO_MAX; i++) {
        unsigned char c = (unsigned char)s[i];

        out[i] =
            (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') ? (char)c : '?';
    }
    if (s[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

/* ------------------------------------------------------------ ids */

/* Length of the UTF-8 sequence at s and its code point, or 0 when s
 * does not start a valid, shortest-form sequence (no surrogates, at
 * most U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n, i;
    uint32_t v, min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0; /* also stops at the NUL */
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* Code points an id may not contain: controls, every Unicode White_Space
 * character, and the invisible format characters (zero-width, bidi
 * controls, BOM) that would let two different ids look the same. */
static bool cp_forbidden(uint32_t cp)
{
    return cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200f) ||
           (cp >= 0x2028 && cp <= 0x202f) || (cp >= 0x205f && cp <= 0x206f) ||
           cp == 0x3000 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

/* An id, subject or code: present (when required), 1..max bytes, valid
 * UTF-8 without controls or whitespace. The value is never echoed. */
static enum reason check_id(const char *s, const char *field, size_t max,
                            bool required, char *text)
{
    size_t len, i, n;
    uint32_t cp;

    if (!s)
        return required ? fail(text, REASON_MISSING_FIELD, field,
                               "missing required field")
                        : REASON_OK;
    len = strlen(s);
    if (len == 0)
        return fail(text, REASON_BAD_ID, field, "empty");
    if (len > max)
        return fail(text, REASON_TOO_LONG, field,
                    "%zu bytes, at most %zu allowed", len, max);
    for (i = 0; i < len; i += n) {
        n = utf8_decode((const unsigned char *)s + i, &cp);
        if (n == 0)
            return fail(text, REASON_BAD_ID, field, "invalid UTF-8 at byte %zu",
                        i);
        if (cp_forbidden(cp))
            return fail(text, REASON_BAD_ID, field,
                        "control or whitespace character at byte %zu", i);
    }
    return REASON_OK;
}

/* s has been checked by check_id() against a max that fits dst. */
static void copy_id(char *dst, const char *s)
{
    if (s)
        memcpy(dst, s, strlen(s) + 1);
    else
        dst[0] = '\0';
}

/* ---------------------------------------------------------- values */

/* A categorical value of table e into *out (0 when absent and optional). */
static enum reason check_enum(const char *s, enum event_enum e,
                              const char *field, bool required, int *out,
                              char *text)
{
    char shown[ECHO_MAX + 4], list[128];
    size_t used = 0;

    *out = 0;
    if (!s)
        return required ? fail(text, REASON_MISSING_FIELD, field,
                               "missing required field")
                        : REASON_OK;
    *out = event_enum_parse(e, s);
    if (*out)
        return REASON_OK;
    echo_value(s, shown);
    list[0] = '\0';
    for (int v = 1; strcmp(event_enum_name(e, v), "?") != 0; v++) {
        int n = snprintf(list + used, sizeof list - used, "%s%s",
                         v > 1 ? "|" : "", event_enum_name(e, v));

        if (n < 0 || (size_t)n >= sizeof list - used)
            break;
        used += (size_t)n;
    }
    /* The list of accepted values only when the whole line fits. */
    if (strlen(field) + strlen(shown) + strlen(list) + 32 < VALIDATE_TEXT_MAX)
        return fail(text, REASON_UNKNOWN_ENUM, field,
                    "unknown value '%s' (expected %s)", shown, list);
    return fail(text, REASON_UNKNOWN_ENUM, field, "unknown value '%s'", shown);
}

/* n ASCII digits at s (stops at a NUL). */
static bool all_digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* A date "YYYY-MM-DD" into a day number; *day = -1 when absent and
 * optional. */
static enum reason check_date(const char *s, const char *field, bool required,
                              int32_t *day, char *text)
{
    int y, m, d;

    *day = -1;
    if (!s)
        return required ? fail(text, REASON_MISSING_FIELD, field,
                               "missing required field")
                        : REASON_OK;
    if (strlen(s) != 10 || !all_digits(s, 4, &y) || s[4] != '-' ||
        !all_digits(s + 5, 2, &m) || s[7] != '-' || !all_digits(s + 8, 2, &d))
        return fail(text, REASON_BAD_DATE, field, "not a date YYYY-MM-DD");
    if (y < PERIOD_YEAR_MIN || y > PERIOD_YEAR_MAX)
        return fail(text, REASON_BAD_DATE, field, "year %d outside %d-%d", y,
                    PERIOD_YEAR_MIN, PERIOD_YEAR_MAX);
    if (m < 1 || m > 12)
        return fail(text, REASON_BAD_DATE, field,
                    "month %02d out of range 01-12", m);
    if (d < 1 || d > period_days_in_month(period_month_from_ym(y, m)))
        return fail(text, REASON_BAD_DATE, field,
                    "day %02d does not exist in %04d-%02d", d, y, m);
    if (period_date_parse(s, day) != 0)
        return fail(text, REASON_BAD_DATE, field, "not a calendar date");
    return REASON_OK;
}

/* A month "YYYY-MM" into a month index (always required). */
static enum reason check_month(const char *s, const char *field, int32_t *month,
                               char *text)
{
    int y, m;

    if (!s)
        return fail(text, REASON_MISSING_FIELD, field,
                    "missing required field");
    if (strlen(s) != 7 || !all_digits(s, 4, &y) || s[4] != '-' ||
        !all_digits(s + 5, 2, &m))
        return fail(text, REASON_BAD_MONTH, field, "not a month YYYY-MM");
    if (m < 1 || m > 12)
        return fail(text, REASON_MONTH_OUT_OF_RANGE, field,
                    "month %02d out of range 01-12", m);
    if (y < PERIOD_YEAR_MIN || y > PERIOD_YEAR_MAX)
        return fail(text, REASON_BAD_MONTH, field, "year %d outside %d-%d", y,
                    PERIOD_YEAR_MIN, PERIOD_YEAR_MAX);
    if (period_month_parse(s, month) != 0)
        return fail(text, REASON_BAD_MONTH, field, "not a month YYYY-MM");
    return REASON_OK;
}

/* A birth year in BIRTH_YEAR_MIN..max_year (the year of the event). */
static enum reason check_birth_year(uint32_t v, int max_year, const char *field,
                                    char *text)
{
    if (v < BIRTH_YEAR_MIN || v > (uint32_t)max_year)
        return fail(text, REASON_BAD_YEAR, field, "%u outside %d-%d", v,
                    BIRTH_YEAR_MIN, max_year);
    return REASON_OK;
}

static int year_of_day(int32_t day)
{
    return period_month_year(period_month_of_day(day));
}

/* |v| <= max, without negating INT64_MIN. */
static bool amount_in_range(int64_t v, int64_t max)
{
    return v >= -max && v <= max;
}

#define TRY(expr)                                                              \
    do {                                                                       \
        enum reason r_ = (expr);                                               \
        if (r_ != REASON_OK)                                                   \
            return r_;                                                         \
    } while (0)

/* ------------------------------------------------------------- kinds */

static enum reason validate_payment(const struct payment_in *in,
                                    struct payment *o, char *text)
{
    int v;

    TRY(check_id(in->household, "payment.household", EVENT_ID_MAX, true, text));
    copy_id(o->household, in->household);
    TRY(check_month(in->month, "payment.month", &o->month, text));
    TRY(check_date(in->paid_on, "payment.paid_on", true, &o->paid_on, text));
    if (!in->has_amount_ore)
        return fail(text, REASON_MISSING_FIELD, "payment.amount_ore",
                    "missing required field");
    o->reversal = in->has_reversal && in->reversal;
    if (in->amount_ore < 0 && !o->reversal)
        return fail(text, REASON_NEGATIVE_AMOUNT, "payment.amount_ore",
                    "negative amount without reversal");
    if (!amount_in_range(in->amount_ore, VALIDATE_AMOUNT_MAX_ORE))
        return fail(text, REASON_AMOUNT_OUT_OF_RANGE, "payment.amount_ore",
                    "beyond +-%lld ore", (long long)VALIDATE_AMOUNT_MAX_ORE);
    o->amount_ore = in->amount_ore;
    TRY(check_enum(in->category, ENUM_CATEGORY, "payment.category", true, &v,
                   text));
    o->category = (enum eb_category)v;
    if (!in->has_head_birth_year)
        return fail(text, REASON_MISSING_FIELD, "payment.head_birth_year",
                    "missing required field");
    TRY(check_birth_year(in->head_birth_year, period_month_year(o->month),
                         "payment.head_birth_year", text));
    o->head_birth_year = (int)in->head_birth_year;
    TRY(check_enum(in->head_gender, ENUM_GENDER, "payment.head_gender", false,
                   &v, text));
    o->head_gender = (enum gender)v;
    return REASON_OK;
}

static enum reason validate_placement(const struct placement_in *in,
                                      struct placement *o, char *text)
{
    int v;

    TRY(check_id(in->person, "placement.person", EVENT_ID_MAX, true, text));
    copy_id(o->person, in->person);
    TRY(check_enum(in->gender, ENUM_GENDER, "placement.gender", true, &v,
                   text));
    o->gender = (enum gender)v;
    if (!in->has_birth_year)
        return fail(text, REASON_MISSING_FIELD, "placement.birth_year",
                    "missing required field");
    TRY(check_enum(in->setting, ENUM_SETTING, "placement.setting", true, &v,
                   text));
    o->setting = (enum setting)v;
    TRY(check_enum(in->regi, ENUM_REGI, "placement.regi", true, &v, text));
    o->regi = (enum regi)v;
    TRY(check_enum(in->target, ENUM_TARGET, "placement.target", true, &v,
                   text));
    o->target = (enum target)v;
    TRY(check_enum(in->legal_basis, ENUM_LEGAL_BASIS, "placement.legal_basis",
                   true, &v, text));
    o->legal_basis = (enum legal_basis)v;
    TRY(check_date(in->start, "placement.start", true, &o->start, text));
    TRY(check_date(in->end, "placement.end", false, &o->end, text));
    /* end is exclusive: end == start is a placement of 0 care days. */
    if (o->end >= 0 && o->end < o->start)
        return fail(text, REASON_END_BEFORE_START, "placement.end",
                    "before placement.start");
    TRY(check_birth_year(in->birth_year, year_of_day(o->start),
                         "placement.birth_year", text));
    o->birth_year = (int)in->birth_year;
    if (!in->has_daily_cost_ore)
        return fail(text, REASON_MISSING_FIELD, "placement.daily_cost_ore",
                    "missing required field");
    if (in->daily_cost_ore < 0)
        return fail(text, REASON_NEGATIVE_AMOUNT, "placement.daily_cost_ore",
                    "negative daily cost");
    if (in->daily_cost_ore > VALIDATE_DAILY_COST_MAX_ORE)
        return fail(text, REASON_AMOUNT_OUT_OF_RANGE,
                    "placement.daily_cost_ore", "above %lld ore per day",
                    (long long)VALIDATE_DAILY_COST_MAX_ORE);
    o->daily_cost_ore = in->daily_cost_ore;
    return REASON_OK;
}

static enum reason validate_decision(const struct decision_in *in,
                                     struct decision *o, char *text)
{
    int v;

    if (in->person && in->household)
        return fail(text, REASON_CONFLICTING_FIELDS, "decision.person",
                    "decision.person and decision.household both given");
    if (!in->person && !in->household)
        return fail(text, REASON_MISSING_FIELD, "decision.person",
                    "one of decision.person or decision.household required");
    TRY(check_id(in->person, "decision.person", EVENT_ID_MAX, false, text));
    TRY(check_id(in->household, "decision.household", EVENT_ID_MAX, false,
                 text));
    copy_id(o->person, in->person);
    copy_id(o->household, in->household);
    /* A person has a gender; a household may be given one (its head). */
    TRY(check_enum(in->gender, ENUM_GENDER, "decision.gender",
                   in->person != NULL, &v, text));
    o->gender = (enum gender)v;
    TRY(check_enum(in->type, ENUM_DECISION_TYPE, "decision.type", true, &v,
                   text));
    o->type = (enum decision_type)v;
    /* The case links the opening and closing of an investigation. */
    TRY(check_id(in->case_id, "decision.case", EVENT_ID_MAX,
                 o->type == DTYPE_INLEDA_UTREDNING ||
                     o->type == DTYPE_AVSLUTA_UTREDNING,
                 text));
    copy_id(o->case_id, in->case_id);
    if (o->type == DTYPE_BISTAND) {
        TRY(check_enum(in->outcome, ENUM_OUTCOME, "decision.outcome", true, &v,
                       text));
        o->outcome = (enum outcome)v;
    } else if (in->outcome) {
        return fail(text, REASON_CONFLICTING_FIELDS, "decision.outcome",
                    "only for type bistand");
    }
    TRY(check_date(in->decided_on, "decision.decided_on", true, &o->decided_on,
                   text));
    TRY(check_date(in->executed_on, "decision.executed_on", false,
                   &o->executed_on, text));
    if (o->executed_on >= 0 && o->executed_on < o->decided_on)
        return fail(text, REASON_BAD_DATE, "decision.executed_on",
                    "before decision.decided_on");
    if (in->has_birth_year) {
        TRY(check_birth_year(in->birth_year, year_of_day(o->decided_on),
                             "decision.birth_year", text));
        o->birth_year = (int)in->birth_year;
    }
    TRY(check_enum(in->legal_basis, ENUM_LEGAL_BASIS, "decision.legal_basis",
                   false, &v, text));
    o->legal_basis = (enum legal_basis)v;
    TRY(check_enum(in->target, ENUM_TARGET, "decision.target", false, &v,
                   text));
    o->target = (enum target)v;
    TRY(check_id(in->intervention, "decision.intervention", EVENT_CODE_MAX,
                 false, text));
    copy_id(o->intervention, in->intervention);
    return REASON_OK;
}

static enum reason validate_referral(const struct referral_in *in,
                                     struct referral *o, char *text)
{
    int v;

    TRY(check_id(in->person, "referral.person", EVENT_ID_MAX, true, text));
    copy_id(o->person, in->person);
    TRY(check_enum(in->gender, ENUM_GENDER, "referral.gender", true, &v, text));
    o->gender = (enum gender)v;
    if (!in->has_birth_year)
        return fail(text, REASON_MISSING_FIELD, "referral.birth_year",
                    "missing required field");
    TRY(check_date(in->received_on, "referral.received_on", true,
                   &o->received_on, text));
    TRY(check_enum(in->reporter, ENUM_REPORTER, "referral.reporter", true, &v,
                   text));
    o->reporter = (enum reporter)v;
    TRY(check_enum(in->target, ENUM_TARGET, "referral.target", true, &v, text));
    o->target = (enum target)v;
    TRY(check_birth_year(in->birth_year, year_of_day(o->received_on),
                         "referral.birth_year", text));
    o->birth_year = (int)in->birth_year;
    return REASON_OK;
}

/*
 * Budget profile. Without one the year's amount is split evenly: with
 * amount = 12 q + r, 0 <= r < 12 (floor division, so also for a
 * negative amount), every month gets q öre and the last r months one
 * öre more. The twelve then sum to exactly the amount, and the
 * remainder lands at the end of the year, where budget_to_date has
 * reached the whole amount anyway. 1 000 001 öre: q = 83 333, r = 5:
 * jan-jul 83 333, aug-dec 83 334.
 */
static enum reason validate_budget(const struct budget_in *in, struct budget *o,
                                   char *text)
{
    int64_t q, r, sum = 0;

    if (!in->has_year)
        return fail(text, REASON_MISSING_FIELD, "budget.year",
                    "missing required field");
    if (in->year < PERIOD_YEAR_MIN || in->year > PERIOD_YEAR_MAX)
        return fail(text, REASON_BAD_YEAR, "budget.year", "%u outside %d-%d",
                    in->year, PERIOD_YEAR_MIN, PERIOD_YEAR_MAX);
    o->year = (int)in->year;
    if (!in->has_amount_ore)
        return fail(text, REASON_MISSING_FIELD, "budget.amount_ore",
                    "missing required field");
    if (!amount_in_range(in->amount_ore, VALIDATE_AMOUNT_MAX_ORE))
        return fail(text, REASON_AMOUNT_OUT_OF_RANGE, "budget.amount_ore",
                    "beyond +-%lld ore", (long long)VALIDATE_AMOUNT_MAX_ORE);
    o->amount_ore = in->amount_ore;
    if (in->n_monthly == 0) {
        q = in->amount_ore / BUDGET_MONTHS;
        r = in->amount_ore % BUDGET_MONTHS;
        if (r < 0) {
            q -= 1;
            r += BUDGET_MONTHS;
        }
        for (int i = 0; i < BUDGET_MONTHS; i++)
            o->monthly_ore[i] = q + (i >= BUDGET_MONTHS - r ? 1 : 0);
        return REASON_OK;
    }
    if (in->n_monthly != BUDGET_MONTHS || !in->monthly_ore)
        return fail(text, REASON_BAD_BUDGET_PROFILE, "budget.monthly_ore",
                    "%zu amounts, expected 0 or 12", in->n_monthly);
    for (int i = 0; i < BUDGET_MONTHS; i++) {
        /* Each capped, so the sum of twelve cannot overflow. */
        if (!amount_in_range(in->monthly_ore[i], VALIDATE_AMOUNT_MAX_ORE))
            return fail(text, REASON_AMOUNT_OUT_OF_RANGE, "budget.monthly_ore",
                        "month %d beyond +-%lld ore", i + 1,
                        (long long)VALIDATE_AMOUNT_MAX_ORE);
        o->monthly_ore[i] = in->monthly_ore[i];
        sum += in->monthly_ore[i];
    }
    if (sum != in->amount_ore)
        return fail(text, REASON_BAD_BUDGET_PROFILE, "budget.monthly_ore",
                    "months sum to %lld ore, budget.amount_ore is %lld",
                    (long long)sum, (long long)in->amount_ore);
    return REASON_OK;
}

/* ------------------------------------------------------------ event */

/* Every string the event carries, with its field name; returns the
 * count. Kept in one place so that no field escapes the scan. */
#define MAX_STRINGS 16
static size_t event_strings(const struct event_in *in, const char **names,
                            const char **vals)
{
    size_t n = 0;

#define ADD(name, val)                                                         \
    do {                                                                       \
        names[n] = (name);                                                     \
        vals[n++] = (val);                                                     \
    } while (0)
    ADD("source", in->source);
    ADD("id", in->id);
    ADD("municipality", in->municipality);
    ADD("unit", in->unit);
    switch (in->kind) {
    case EVENT_PAYMENT:
        ADD("payment.household", in->u.payment.household);
        ADD("payment.month", in->u.payment.month);
        ADD("payment.paid_on", in->u.payment.paid_on);
        ADD("payment.category", in->u.payment.category);
        ADD("payment.head_gender", in->u.payment.head_gender);
        break;
    case EVENT_PLACEMENT:
        ADD("placement.person", in->u.placement.person);
        ADD("placement.gender", in->u.placement.gender);
        ADD("placement.setting", in->u.placement.setting);
        ADD("placement.regi", in->u.placement.regi);
        ADD("placement.target", in->u.placement.target);
        ADD("placement.legal_basis", in->u.placement.legal_basis);
        ADD("placement.start", in->u.placement.start);
        ADD("placement.end", in->u.placement.end);
        break;
    case EVENT_DECISION:
        ADD("decision.person", in->u.decision.person);
        ADD("decision.household", in->u.decision.household);
        ADD("decision.gender", in->u.decision.gender);
        ADD("decision.type", in->u.decision.type);
        ADD("decision.case", in->u.decision.case_id);
        ADD("decision.outcome", in->u.decision.outcome);
        ADD("decision.intervention", in->u.decision.intervention);
        ADD("decision.legal_basis", in->u.decision.legal_basis);
        ADD("decision.decided_on", in->u.decision.decided_on);
        ADD("decision.executed_on", in->u.decision.executed_on);
        ADD("decision.target", in->u.decision.target);
        break;
    case EVENT_REFERRAL:
        ADD("referral.person", in->u.referral.person);
        ADD("referral.gender", in->u.referral.gender);
        ADD("referral.received_on", in->u.referral.received_on);
        ADD("referral.reporter", in->u.referral.reporter);
        ADD("referral.target", in->u.referral.target);
        break;
    case EVENT_BUDGET: /* no strings */
    case EVENT_NONE:
    default:
        break;
    }
#undef ADD
    return n;
}

static enum reason validate_common(const struct event_in *in, struct event *out,
                                   char *text)
{
    const char *m = in->municipality;

    TRY(check_id(in->source, "source", EVENT_ID_MAX, true, text));
    TRY(check_id(in->id, "id", EVENT_ID_MAX, true, text));
    if (!in->has_revision)
        return fail(text, REASON_MISSING_FIELD, "revision",
                    "missing required field");
    if (in->revision < 1)
        return fail(text, REASON_BAD_REVISION, "revision", "must be 1 or more");
    if (!m)
        return fail(text, REASON_MISSING_FIELD, "municipality",
                    "missing required field");
    if (strlen(m) != 4 || !is_digit(m[0]) || !is_digit(m[1]) ||
        !is_digit(m[2]) || !is_digit(m[3]))
        return fail(text, REASON_BAD_MUNICIPALITY, "municipality",
                    "not a kommunkod of 4 digits");
    TRY(check_id(in->unit, "unit", EVENT_ID_MAX, true, text));
    if (in->kind <= EVENT_NONE || in->kind > EVENT_BUDGET)
        return fail(text, REASON_UNKNOWN_KIND, "event",
                    "no body (payment, placement, decision, referral or "
                    "budget)");
    out->kind = in->kind;
    copy_id(out->source, in->source);
    copy_id(out->id, in->id);
    out->revision = in->revision;
    out->deleted = in->has_deleted && in->deleted;
    memcpy(out->municipality, m, 5);
    copy_id(out->unit, in->unit);
    return REASON_OK;
}

enum reason validate_event(const struct event_in *in, struct event *out,
                           char *text)
{
    const char *names[MAX_STRINGS], *vals[MAX_STRINGS];
    size_t n;

    if (text)
        text[0] = '\0';
    memset(out, 0, sizeof *out);
    n = event_strings(in, names, vals);
    for (size_t i = 0; i < n; i++)
        if (validate_looks_like_personnummer(vals[i]))
            return fail(text, REASON_PERSONNUMMER, names[i],
                        "looks like a personnummer (value not shown)");
    TRY(validate_common(in, out, text));
    if (out->deleted)
        return REASON_OK; /* a tombstone's body is not used */
    switch (in->kind) {
    case EVENT_PAYMENT:
        return validate_payment(&in->u.payment, &out->u.payment, text);
    case EVENT_PLACEMENT:
        return validate_placement(&in->u.placement, &out->u.placement, text);
    case EVENT_DECISION:
        return validate_decision(&in->u.decision, &out->u.decision, text);
    case EVENT_REFERRAL:
        return validate_referral(&in->u.referral, &out->u.referral, text);
    case EVENT_BUDGET:
        return validate_budget(&in->u.budget, &out->u.budget, text);
    case EVENT_NONE:
    default:
        break;
    }
    return fail(text, REASON_UNKNOWN_KIND, "event", "no body");
}
