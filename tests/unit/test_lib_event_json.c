/*
 * test_lib_event_json.c — libnyckel's record → protobuf Event conversion
 * (clients/lib/event_json.c) and the stream reader in front of it
 * (nyckel_push_read_fd: line numbers, CSV header and quoting, BOM, line
 * ceiling).
 *
 * Table-driven: each row is an input and either the expected fields,
 * written "path=value" (path "source" on the event, "payment.amount_ore"
 * on its body; value "-" for absent, repeated values joined by ';'), or
 * the expected local rejection reason. Fields not listed are checked to
 * be absent, so a row also proves that nothing else was set.
 */
/* clang-format off */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
/* clang-format on */

#include "../../clients/lib/event_json.h"
#include "nyckel.h"
#include "nyckel.pb-c.h"

#define MAX_EXPECT 24

/* ------------------------------------------------------------ helpers */

/* The value of one field as text: "-" absent, ints decimal, bools
 * true/false, repeated joined by ';'. */
static void field_text(const ProtobufCMessage *m,
                       const ProtobufCFieldDescriptor *f, char *out, size_t n)
{
    const char *base = (const char *)m;

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t count = *(const size_t *)(base + f->quantifier_offset);
        const int64_t *v = *(int64_t *const *)(base + f->offset);
        size_t used = 0;

        assert_int_equal(f->type, PROTOBUF_C_TYPE_INT64);
        if (!count) {
            snprintf(out, n, "-");
            return;
        }
        out[0] = '\0';
        for (size_t i = 0; i < count; i++)
            used += (size_t)snprintf(out + used, n - used, "%s%" PRId64,
                                     i ? ";" : "", v[i]);
        return;
    }
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)(base + f->offset);
        snprintf(out, n, "%s", s ? s : "-");
        return;
    }
    if (!*(const protobuf_c_boolean *)(base + f->quantifier_offset)) {
        snprintf(out, n, "-");
        return;
    }
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        snprintf(out, n, "%s",
                 *(const protobuf_c_boolean *)(base + f->offset) ? "true"
                                                                 : "false");
        break;
    case PROTOBUF_C_TYPE_INT64:
        snprintf(out, n, "%" PRId64, *(const int64_t *)(base + f->offset));
        break;
    case PROTOBUF_C_TYPE_UINT64:
        snprintf(out, n, "%" PRIu64, *(const uint64_t *)(base + f->offset));
        break;
    case PROTOBUF_C_TYPE_UINT32:
        snprintf(out, n, "%" PRIu32, *(const uint32_t *)(base + f->offset));
        break;
    default:
        fail_msg("field %s has a type the test does not know", f->name);
    }
}

/* Expected text of path in the list, or "-". */
static const char *expected(const char *const *expect, const char *path)
{
    size_t len = strlen(path);

    for (size_t i = 0; i < MAX_EXPECT && expect[i]; i++)
        if (!strncmp(expect[i], path, len) && expect[i][len] == '=')
            return expect[i] + len + 1;
    return "-";
}

static void check_message(const ProtobufCMessage *m, const char *prefix,
                          const char *const *expect, const char *row)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;

    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char path[64], got[512];

        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            continue;
        snprintf(path, sizeof path, "%s%s", prefix, f->name);
        field_text(m, f, got, sizeof got);
        if (strcmp(got, expected(expect, path)))
            fail_msg("row %s: %s is '%s', expected '%s'", row, path, got,
                     expected(expect, path));
    }
}

/* Check every field of ev against expect (which names the kind with
 * "kind=..."), and that the packed form unpacks to the same. */
static void check_event(const Nyckel__Event *ev, const char *const *expect,
                        const char *row)
{
    const char *kind = expected(expect, "kind");
    const ProtobufCFieldDescriptor *kf =
        protobuf_c_message_descriptor_get_field_by_name(
            &nyckel__event__descriptor, kind);
    const ProtobufCMessage *body;
    char prefix[32];
    size_t len;
    uint8_t *buf;
    Nyckel__Event *back;

    assert_non_null(kf);
    assert_int_equal(ev->body_case, kf->id);
    body = *(ProtobufCMessage *const *)((const char *)ev + kf->offset);
    assert_non_null(body);
    check_message(&ev->base, "", expect, row);
    snprintf(prefix, sizeof prefix, "%s.", kind);
    check_message(body, prefix, expect, row);

    /* what is sent must decode to the same event */
    len = nyckel__event__get_packed_size(ev);
    buf = malloc(len);
    assert_non_null(buf);
    nyckel__event__pack(ev, buf);
    back = nyckel__event__unpack(NULL, len, buf);
    assert_non_null(back);
    check_message(&back->base, "", expect, row);
    body = *(ProtobufCMessage *const *)((const char *)back + kf->offset);
    check_message(body, prefix, expect, row);
    nyckel__event__free_unpacked(back, NULL);
    free(buf);
}

/* ------------------------------------------------------------ JSON ok */

struct json_ok {
    const char *row;
    const char *json;
    const char *expect[MAX_EXPECT];
};

static const struct json_ok json_ok_rows[] = {
    {"payment, DESIGN example",
     "{\"kind\":\"payment\",\"source\":\"procapita-0127\",\"id\":\"u-1\","
     "\"revision\":1,\"municipality\":\"0127\",\"unit\":\"ekb\","
     "\"household\":\"hh-9f1c\",\"month\":\"2014-03\",\"paid_on\":"
     "\"2014-03-25\",\"amount_ore\":853300,\"category\":\"livsuppehalle\","
     "\"head_birth_year\":1980}",
     {"kind=payment", "source=procapita-0127", "id=u-1", "revision=1",
      "municipality=0127", "unit=ekb", "payment.household=hh-9f1c",
      "payment.month=2014-03", "payment.paid_on=2014-03-25",
      "payment.amount_ore=853300", "payment.category=livsuppehalle",
      "payment.head_birth_year=1980"}},
    {"payment reversal, negative amount, gender, tombstone false",
     "{\"kind\":\"payment\",\"id\":\"u-2\",\"deleted\":false,"
     "\"reversal\":true,\"amount_ore\":-9223372036854775808,"
     "\"head_gender\":\"X\"}",
     {"kind=payment", "id=u-2", "deleted=false", "payment.reversal=true",
      "payment.amount_ore=-9223372036854775808", "payment.head_gender=X"}},
    {"placement, open (no end)",
     "{\"kind\":\"placement\",\"source\":\"treserva-1480\",\"id\":\"p-7\","
     "\"revision\":3,\"municipality\":\"1480\",\"unit\":\"barn-unga\","
     "\"person\":\"pp-1\",\"gender\":\"F\",\"birth_year\":2005,"
     "\"setting\":\"familjehem\",\"regi\":\"extern\",\"target\":"
     "\"barn_unga\",\"legal_basis\":\"LVU\",\"start\":\"2014-01-10\","
     "\"daily_cost_ore\":250000}",
     {"kind=placement", "source=treserva-1480", "id=p-7", "revision=3",
      "municipality=1480", "unit=barn-unga", "placement.person=pp-1",
      "placement.gender=F", "placement.birth_year=2005",
      "placement.setting=familjehem", "placement.regi=extern",
      "placement.target=barn_unga", "placement.legal_basis=LVU",
      "placement.start=2014-01-10", "placement.daily_cost_ore=250000"}},
    {"placement end, null counts as absent",
     "{\"kind\":\"placement\",\"end\":\"2014-02-01\",\"person\":null}",
     {"kind=placement", "placement.end=2014-02-01"}},
    {"decision with case (a C keyword) and every field",
     "{\"kind\":\"decision\",\"id\":\"d-1\",\"person\":\"pp\","
     "\"household\":\"hh\",\"gender\":\"M\",\"birth_year\":1990,"
     "\"type\":\"bistand\",\"case\":\"utr-9\",\"outcome\":\"bifall\","
     "\"intervention\":\"kontaktperson\",\"legal_basis\":\"SoL\","
     "\"decided_on\":\"2014-02-01\",\"executed_on\":\"2014-03-01\","
     "\"target\":\"vuxna_missbruk\"}",
     {"kind=decision", "id=d-1", "decision.person=pp", "decision.household=hh",
      "decision.gender=M", "decision.birth_year=1990", "decision.type=bistand",
      "decision.case=utr-9", "decision.outcome=bifall",
      "decision.intervention=kontaktperson", "decision.legal_basis=SoL",
      "decision.decided_on=2014-02-01", "decision.executed_on=2014-03-01",
      "decision.target=vuxna_missbruk"}},
    {"referral",
     "{\"kind\":\"referral\",\"id\":\"r-1\",\"person\":\"pp\",\"gender\":"
     "\"F\",\"birth_year\":2010,\"received_on\":\"2014-04-02\","
     "\"reporter\":\"skola\",\"target\":\"barn_unga\"}",
     {"kind=referral", "id=r-1", "referral.person=pp", "referral.gender=F",
      "referral.birth_year=2010", "referral.received_on=2014-04-02",
      "referral.reporter=skola", "referral.target=barn_unga"}},
    {"budget with a monthly profile",
     "{\"kind\":\"budget\",\"id\":\"b-1\",\"unit\":\"ekb\",\"year\":2014,"
     "\"amount_ore\":1331100,\"monthly_ore\":[1,2,3,4,5,6,7,8,9,10,11,"
     "1331034]}",
     {"kind=budget", "id=b-1", "unit=ekb", "budget.year=2014",
      "budget.amount_ore=1331100",
      "budget.monthly_ore=1;2;3;4;5;6;7;8;9;10;11;1331034"}},
    {"budget, 3 months passed through for nyckeld to refuse",
     "{\"kind\":\"budget\",\"monthly_ore\":[1,-2,3]}",
     {"kind=budget", "budget.monthly_ore=1;-2;3"}},
    {"unknown enum value and empty string pass through unchanged",
     "{\"kind\":\"payment\",\"category\":\"hyra\",\"household\":\"\"}",
     {"kind=payment", "payment.category=hyra", "payment.household="}},
    {"tombstone, highest revision, UTF-8 text",
     "{\"kind\":\"referral\",\"deleted\":true,"
     "\"revision\":9223372036854775807,\"unit\":\"\\u00c5sa \xc3\xa4\"}",
     {"kind=referral", "deleted=true", "revision=9223372036854775807",
      "unit=\xc3\x85sa \xc3\xa4"}},
    {"uint32 bounds",
     "{\"kind\":\"payment\",\"head_birth_year\":4294967295,"
     "\"revision\":0}",
     {"kind=payment", "payment.head_birth_year=4294967295", "revision=0"}},
    {"whitespace around the object",
     " \t{\"kind\":\"budget\"}\r\n",
     {"kind=budget"}},
};

static void test_json_ok(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof json_ok_rows / sizeof *json_ok_rows; i++) {
        const struct json_ok *r = &json_ok_rows[i];
        struct event_error err = {{0}, {0}};
        Nyckel__Event *ev = NULL;
        int rc = event_from_json(r->json, strlen(r->json), &ev, &err);

        if (rc)
            fail_msg("row %s: rejected %s: %s", r->row, err.reason, err.text);
        check_event(ev, r->expect, r->row);
        event_free(&ev);
        assert_null(ev);
    }
}

/* ------------------------------------------------------------ cells ok */

struct cells_ok {
    const char *row;
    const char *names[MAX_EXPECT];
    const char *values[MAX_EXPECT];
    const char *expect[MAX_EXPECT];
};

static const struct cells_ok cells_ok_rows[] = {
    {"payment, empty cells absent",
     {"kind", "source", "id", "revision", "deleted", "municipality", "unit",
      "household", "month", "paid_on", "amount_ore", "reversal", "category",
      "head_birth_year", "head_gender", "year"},
     {"payment", "procapita-0127", "u-1", "1", "", "0127", "ekb", "hh-9f1c",
      "2014-03", "2014-03-25", "853300", "0", "livsuppehalle", "1980", "", ""},
     {"kind=payment", "source=procapita-0127", "id=u-1", "revision=1",
      "municipality=0127", "unit=ekb", "payment.household=hh-9f1c",
      "payment.month=2014-03", "payment.paid_on=2014-03-25",
      "payment.amount_ore=853300", "payment.reversal=false",
      "payment.category=livsuppehalle", "payment.head_birth_year=1980"}},
    {"payment reversal with booleans in other spellings",
     {"kind", "deleted", "reversal", "amount_ore"},
     {"payment", "TRUE", "1", "-120000"},
     {"kind=payment", "deleted=true", "payment.reversal=true",
      "payment.amount_ore=-120000"}},
    {"placement",
     {"kind", "id", "person", "gender", "birth_year", "setting", "regi",
      "target", "legal_basis", "start", "end", "daily_cost_ore"},
     {"placement", "p-1", "pp", "M", "2001", "institution", "egen", "lss",
      "LSS", "2014-01-01", "2014-06-30", "410000"},
     {"kind=placement", "id=p-1", "placement.person=pp", "placement.gender=M",
      "placement.birth_year=2001", "placement.setting=institution",
      "placement.regi=egen", "placement.target=lss",
      "placement.legal_basis=LSS", "placement.start=2014-01-01",
      "placement.end=2014-06-30", "placement.daily_cost_ore=410000"}},
    {"decision",
     {"kind", "household", "type", "case", "decided_on", "legal_basis"},
     {"decision", "hh", "inleda_utredning", "utr-1", "2014-05-05", NULL},
     {"kind=decision", "decision.household=hh",
      "decision.type=inleda_utredning", "decision.case=utr-1",
      "decision.decided_on=2014-05-05"}},
    {"referral, unknown column left empty",
     {"kind", "person", "reporter", "received_on", "comment"},
     {"referral", "pp", "polis", "2014-06-01", ""},
     {"kind=referral", "referral.person=pp", "referral.reporter=polis",
      "referral.received_on=2014-06-01"}},
    {"budget, monthly_ore separated by ';'",
     {"kind", "year", "amount_ore", "monthly_ore"},
     {"budget", "2014", "1200",
      "100;100;100;100;100;100;100;100;100;100;"
      "100;100"},
     {"kind=budget", "budget.year=2014", "budget.amount_ore=1200",
      "budget.monthly_ore=100;100;100;100;100;100;100;100;100;100;100;"
      "100"}},
    {"bounds and UTF-8 (4-byte)",
     {"kind", "revision", "birth_year", "unit"},
     {"referral", "18446744073709551615", "4294967295",
      "\xf0\x9f\x98\x80 \xc3\xb6"},
     {"kind=referral", "revision=18446744073709551615",
      "referral.birth_year=4294967295", "unit=\xf0\x9f\x98\x80 \xc3\xb6"}},
};

static size_t count(const char *const *v)
{
    size_t n = 0;

    while (n < MAX_EXPECT && v[n])
        n++;
    return n;
}

static void test_cells_ok(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cells_ok_rows / sizeof *cells_ok_rows; i++) {
        const struct cells_ok *r = &cells_ok_rows[i];
        struct event_error err = {{0}, {0}};
        Nyckel__Event *ev = NULL;
        int rc =
            event_from_record(count(r->names), r->names, r->values, &ev, &err);

        if (rc)
            fail_msg("row %s: rejected %s: %s", r->row, err.reason, err.text);
        check_event(ev, r->expect, r->row);
        event_free(&ev);
    }
}

/* ------------------------------------------------------------ rejections */

struct json_bad {
    const char *json;
    const char *reason;
};

static const struct json_bad json_bad_rows[] = {
    {"{\"kind\":\"payment\",", "bad_json"},
    {"", "bad_json"},
    {"[{\"kind\":\"payment\"}]", "bad_json"}, /* not an object */
    {"\"payment\"", "bad_json"},
    {"{\"kind\":\"payment\"} {}", "bad_json"}, /* two values */
    {"{\"kind\":\"payment\",\"id\":\"a\",\"id\":\"b\"}", "bad_json"},
    {"{\"kind\":\"payment\",\"id\":\"a\\u0000b\"}", "bad_json"},
    {"{\"kind\":\"payment\",\"id\":\"\xff\"}", "bad_json"}, /* not UTF-8 */
    {"{\"source\":\"s\"}", "missing_field"},
    {"{\"kind\":null}", "missing_field"},
    {"{\"kind\":\"betalning\"}", "unknown_kind"},
    {"{\"kind\":\"Payment\"}", "unknown_kind"},
    {"{\"kind\":\"household\"}", "unknown_kind"}, /* a field, not a kind */
    {"{\"kind\":\"source\"}", "unknown_kind"},
    {"{\"kind\":5}", "bad_type"},
    {"{\"kind\":\"payment\",\"persn\":\"x\"}", "unknown_field"},
    {"{\"kind\":\"payment\",\"person\":\"x\"}", "unknown_field"},
    {"{\"kind\":\"budget\",\"month\":\"2014-01\"}", "unknown_field"},
    {"{\"kind\":\"payment\",\"payment\":{}}", "unknown_field"},
    {"{\"kind\":\"payment\",\"Source\":\"s\"}", "unknown_field"},
    {"{\"kind\":\"payment\",\"amount_ore\":\"5\"}", "bad_type"},
    {"{\"kind\":\"payment\",\"amount_ore\":5.0}", "bad_type"},
    {"{\"kind\":\"payment\",\"amount_ore\":5e2}", "bad_type"},
    {"{\"kind\":\"payment\",\"amount_ore\":true}", "bad_type"},
    {"{\"kind\":\"payment\",\"reversal\":1}", "bad_type"},
    {"{\"kind\":\"payment\",\"reversal\":\"true\"}", "bad_type"},
    {"{\"kind\":\"payment\",\"source\":12}", "bad_type"},
    {"{\"kind\":\"payment\",\"source\":[\"s\"]}", "bad_type"},
    {"{\"kind\":\"budget\",\"monthly_ore\":\"1;2\"}", "bad_type"},
    {"{\"kind\":\"budget\",\"monthly_ore\":[1,\"2\"]}", "bad_type"},
    {"{\"kind\":\"budget\",\"monthly_ore\":[1,2.5]}", "bad_type"},
    {"{\"kind\":\"budget\",\"year\":{}}", "bad_type"},
    {"{\"kind\":\"payment\",\"head_birth_year\":-1}", "out_of_range"},
    {"{\"kind\":\"payment\",\"head_birth_year\":4294967296}", "out_of_range"},
    {"{\"kind\":\"payment\",\"revision\":-1}", "out_of_range"},
    /* past int64: jansson itself refuses, still out_of_range */
    {"{\"kind\":\"payment\",\"revision\":18446744073709551615}",
     "out_of_range"},
    {"{\"kind\":\"payment\",\"amount_ore\":9223372036854775808}",
     "out_of_range"},
};

static void test_json_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof json_bad_rows / sizeof *json_bad_rows; i++) {
        const struct json_bad *r = &json_bad_rows[i];
        struct event_error err = {{0}, {0}};
        Nyckel__Event *ev = (Nyckel__Event *)&err; /* must become NULL */
        int rc = event_from_json(r->json, strlen(r->json), &ev, &err);

        if (rc != NYCKEL_EREJECTED)
            fail_msg("json %s: accepted, expected %s", r->json, r->reason);
        assert_null(ev);
        if (strcmp(err.reason, r->reason))
            fail_msg("json %s: %s (%s), expected %s", r->json, err.reason,
                     err.text, r->reason);
        assert_true(strlen(err.text) > 0);
    }
}

static void test_json_too_long(void **state)
{
    size_t n = NYCKEL_LINE_MAX_BYTES + 100;
    char *json = malloc(n + 1);
    struct event_error err;
    Nyckel__Event *ev;

    (void)state;
    assert_non_null(json);
    memset(json, ' ', n);
    memcpy(json, "{\"kind\":\"payment\"}", 18);
    json[n] = '\0';
    assert_int_equal(event_from_json(json, n, &ev, &err), NYCKEL_EREJECTED);
    assert_string_equal(err.reason, "line_too_long");
    /* exactly at the ceiling is fine */
    assert_int_equal(event_from_json(json, NYCKEL_LINE_MAX_BYTES, &ev, &err),
                     0);
    event_free(&ev);
    free(json);
}

struct cells_bad {
    const char *names[4];
    const char *values[4];
    const char *reason;
};

static const struct cells_bad cells_bad_rows[] = {
    {{"source"}, {"s"}, "missing_field"},
    {{"kind", "source"}, {"", "s"}, "missing_field"},
    {{"kind"}, {"betalning"}, "unknown_kind"},
    {{"kind", "year"}, {"payment", "2014"}, "unknown_field"},
    {{"kind", "comment"}, {"payment", "x"}, "unknown_field"},
    {{"kind", ""}, {"payment", "x"}, "unknown_field"},
    {{"kind", "revision"}, {"payment", "x"}, "bad_type"},
    {{"kind", "revision"}, {"payment", "1.0"}, "bad_type"},
    {{"kind", "revision"}, {"payment", "+1"}, "bad_type"},
    {{"kind", "revision"}, {"payment", " 1"}, "bad_type"},
    {{"kind", "revision"}, {"payment", "0x10"}, "bad_type"},
    {{"kind", "revision"}, {"payment", "-"}, "bad_type"},
    {{"kind", "reversal"}, {"payment", "yes"}, "bad_type"},
    {{"kind", "deleted"}, {"payment", "2"}, "bad_type"},
    {{"kind", "monthly_ore"}, {"budget", "1;;2"}, "bad_type"},
    {{"kind", "monthly_ore"}, {"budget", "1;2;"}, "bad_type"},
    {{"kind", "monthly_ore"}, {"budget", "1,2"}, "bad_type"},
    {{"kind", "revision"}, {"payment", "-1"}, "out_of_range"},
    {{"kind", "revision"}, {"payment", "18446744073709551616"}, "out_of_range"},
    {{"kind", "birth_year"}, {"referral", "4294967296"}, "out_of_range"},
    {{"kind", "amount_ore"},
     {"payment", "9223372036854775808"},
     "out_of_range"},
    {{"kind", "amount_ore"},
     {"payment", "-9223372036854775809"},
     "out_of_range"},
    {{"kind", "monthly_ore"},
     {"budget", "1;99999999999999999999"},
     "out_of_range"},
    {{"kind", "unit"}, {"payment", "\xff"}, "bad_encoding"},
    {{"kind", "unit"}, {"payment", "G\xf6teborg"}, "bad_encoding"}, /* latin1 */
    {{"kind", "unit"}, {"payment", "\xc3"}, "bad_encoding"},
    {{"kind", "unit"}, {"payment", "\xc0\xaf"}, "bad_encoding"},
    {{"kind", "unit"}, {"payment", "\xed\xa0\x80"}, "bad_encoding"},
    {{"kind", "unit"}, {"payment", "\xf4\x90\x80\x80"}, "bad_encoding"},
};

static void test_cells_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cells_bad_rows / sizeof *cells_bad_rows;
         i++) {
        const struct cells_bad *r = &cells_bad_rows[i];
        struct event_error err = {{0}, {0}};
        Nyckel__Event *ev = NULL;
        size_t n = 0;
        int rc;

        while (n < 4 && r->names[n])
            n++;
        rc = event_from_record(n, r->names, r->values, &ev, &err);
        if (rc != NYCKEL_EREJECTED)
            fail_msg("row %zu: accepted, expected %s", i, r->reason);
        assert_null(ev);
        if (strcmp(err.reason, r->reason))
            fail_msg("row %zu: %s (%s), expected %s", i, err.reason, err.text,
                     r->reason);
    }
}

/* A rejection text never carries control bytes from the input. */
static void test_text_is_clean(void **state)
{
    const char *json = "{\"kind\":\"payment\",\"a\\nb\\u001b[2J\":1}";
    struct event_error err;
    Nyckel__Event *ev;

    (void)state;
    assert_int_equal(event_from_json(json, strlen(json), &ev, &err),
                     NYCKEL_EREJECTED);
    assert_string_equal(err.reason, "unknown_field");
    for (const char *p = err.text; *p; p++)
        assert_true((unsigned char)*p >= 0x20);
}

/* ------------------------------------------------------------ reader */

struct seen {
    char lines[32][160]; /* "origin:line:reason" */
    size_t n;
};

static void on_reject(const struct nyckel_rejection *r, void *arg)
{
    struct seen *s = arg;

    if (s->n < 32)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%s:%" PRIu64 ":%s",
                 r->origin, r->line, r->reason);
}

/* Feed text through nyckel_push_read_fd with no daemon (nothing is sent
 * before a batch of 1000 is full) and collect the rejections. */
static void read_text(const char *text, size_t len, enum nyckel_input fmt,
                      struct seen *seen, struct nyckel_push_summary *sum)
{
    struct nyckel_push_opts o = {
        .endpoint = "tcp://127.0.0.1:1",
        .batch_size = 1000,
        .on_reject = on_reject,
        .arg = seen,
    };
    struct nyckel_push *p = NULL;
    FILE *f = tmpfile(); /* deleted on close: no file left behind */

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fflush(f), 0);
    assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
    memset(seen, 0, sizeof *seen);
    assert_int_equal(nyckel_push_new(&p, &o), 0);
    assert_int_equal(nyckel_push_read_fd(p, fileno(f), "in", fmt), 0);
    nyckel_push_summary(p, sum);
    nyckel_push_destroy(&p);
    assert_null(p);
    fclose(f);
}

struct read_row {
    const char *row;
    enum nyckel_input fmt;
    const char *text;
    uint64_t read;          /* events counted */
    const char *rejects[8]; /* "in:LINE:reason", in order */
};

static const struct read_row read_rows[] = {
    {"JSON lines, blank lines skipped, last line without newline",
     NYCKEL_INPUT_JSON,
     "\xef\xbb\xbf{\"kind\":\"budget\"}\n"
     "\n"
     "   \r\n"
     "{\"kind\":\"budget\",\n"
     "{\"kind\":\"x\"}\r\n"
     "{\"kind\":\"budget\",\"year\":1}",
     4,
     {"in:4:bad_json", "in:5:unknown_kind"}},
    {"CSV: BOM, CRLF, quoted newline, short row, bad cell",
     NYCKEL_INPUT_CSV,
     "\xef\xbb\xbfkind,id,revision,unit\r\n"
     "payment,a,1,ekb\r\n"
     "\r\n"
     "payment,\"b\nstill b\",2,\"x,y\"\r\n"
     "payment,c\r\n"
     "payment,d,zwei,ekb\n"
     "payment,e,3,\"G\xf6teborg\"\n"
     "payment,f,4,ekb",
     6,
     {"in:6:bad_csv", "in:7:bad_type", "in:8:bad_encoding"}},
    {"CSV: broken quoting is bad_csv, reading goes on",
     NYCKEL_INPUT_CSV,
     "kind,id\n"
     "payment,a\"b\n"
     "payment,ok\n",
     2,
     {"in:2:bad_csv"}},
    {"CSV: unterminated quote at the end",
     NYCKEL_INPUT_CSV,
     "kind,id\n"
     "payment,ok\n"
     "payment,\"open\n",
     2,
     {"in:3:bad_csv"}},
    {"CSV: a duplicate column makes every row bad_header",
     NYCKEL_INPUT_CSV,
     "kind,id,id\n"
     "payment,a,b\n"
     "payment,c,d\n",
     2,
     {"in:2:bad_header", "in:3:bad_header"}},
    {"CSV: header only, no events", NYCKEL_INPUT_CSV, "kind,id\n", 0, {NULL}},
    {"empty input", NYCKEL_INPUT_JSON, "", 0, {NULL}},
};

static void test_reader(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof read_rows / sizeof *read_rows; i++) {
        const struct read_row *r = &read_rows[i];
        struct seen seen;
        struct nyckel_push_summary sum;
        size_t n = 0;

        read_text(r->text, strlen(r->text), r->fmt, &seen, &sum);
        while (n < 8 && r->rejects[n])
            n++;
        if (seen.n != n)
            fail_msg("row %s: %zu rejections, expected %zu (first: %s)", r->row,
                     seen.n, n, seen.n ? seen.lines[0] : "none");
        for (size_t k = 0; k < n; k++)
            if (strcmp(seen.lines[k], r->rejects[k]))
                fail_msg("row %s: rejection %zu is %s, expected %s", r->row, k,
                         seen.lines[k], r->rejects[k]);
        if (sum.read != r->read)
            fail_msg("row %s: read %" PRIu64 ", expected %" PRIu64, r->row,
                     sum.read, r->read);
        assert_int_equal(sum.rejected, n);
        assert_int_equal(sum.rejected_local, n);
        assert_int_equal(sum.accepted, 0); /* nothing was sent */
    }
}

/* A line over the reader's buffer is one line_too_long, and the line
 * numbers after it stay right. */
static void test_reader_huge_line(void **state)
{
    size_t huge = 5 * NYCKEL_LINE_MAX_BYTES;
    const char *head = "{\"kind\":\"budget\"}\n{\"kind\":\"budget\",\"id\":\"";
    const char *tail = "\"}\n{\"kind\":\"nope\"}\n";
    size_t len = strlen(head) + huge + strlen(tail);
    char *text = malloc(len + 1);
    struct seen seen;
    struct nyckel_push_summary sum;

    (void)state;
    assert_non_null(text);
    strcpy(text, head);
    memset(text + strlen(head), 'a', huge);
    strcpy(text + strlen(head) + huge, tail);
    read_text(text, len, NYCKEL_INPUT_JSON, &seen, &sum);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.lines[0], "in:2:line_too_long");
    assert_string_equal(seen.lines[1], "in:3:unknown_kind");
    assert_int_equal(sum.read, 3);
    free(text);
}

static void test_input_from_name(void **state)
{
    (void)state;
    assert_int_equal(nyckel_input_from_name("a.jsonl"), NYCKEL_INPUT_JSON);
    assert_int_equal(nyckel_input_from_name("a.NDJSON"), NYCKEL_INPUT_JSON);
    assert_int_equal(nyckel_input_from_name("dir.x/a.json"), NYCKEL_INPUT_JSON);
    assert_int_equal(nyckel_input_from_name("a.csv"), NYCKEL_INPUT_CSV);
    assert_int_equal(nyckel_input_from_name("a.txt"), NYCKEL_INPUT_AUTO);
    assert_int_equal(nyckel_input_from_name("dir.csv/a"), NYCKEL_INPUT_AUTO);
    assert_int_equal(nyckel_input_from_name("-"), NYCKEL_INPUT_AUTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_ok),
        cmocka_unit_test(test_cells_ok),
        cmocka_unit_test(test_json_bad),
        cmocka_unit_test(test_json_too_long),
        cmocka_unit_test(test_cells_bad),
        cmocka_unit_test(test_text_is_clean),
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_reader_huge_line),
        cmocka_unit_test(test_input_from_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
