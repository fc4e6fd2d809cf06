/*
 * test_codec.c — codec.c against the protobuf-c code generated from
 * proto/nyckel.proto: frames built with the generated API decode to
 * the expected struct event_in; refusals (oversized, malformed,
 * truncated, wrong protocol, too many events) give their code and echo
 * the batch id where it could be read; stored bytes decode back to the
 * same event; every encoder's output unpacks to the values put in.
 *
 * Strict decoding: tables of hand-built frames (malformed_rows,
 * query_rows, stored_rows), each with its bytes decoded in a comment,
 * one row per way a frame is refused — unknown fields at every depth,
 * field number 0, cut, eleven-byte, over-64-bit and padded varints,
 * wrong wire types, fields out of order or twice, two oneof members,
 * values and strings out of range — and the expected why text; the caps
 * on strings and repeated fields; and the schema facts the walk relies
 * on (no recursive message). Negative control: with walk_message()
 * returning true, seven of these tests fail.
 *
 * The test, unlike daemon code, includes the generated header: it plays
 * the exporter and the client.
 */
#include "codec.h"

/* cmocka.h needs setjmp.h, stdarg.h, stddef.h and stdint.h first. */
/* clang-format off */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
/* clang-format on */

#include "nyckel.pb-c.h"
#include "validate.h"

/* ------------------------------------------------ building frames */

/* One event of each kind, with fixed field values; the bodies live in
 * the struct so that a struct test_events is self-contained. */
struct test_events {
    Nyckel__Event ev[6];
    Nyckel__Event *ptrs[6];
    Nyckel__Payment pay;
    Nyckel__Placement pla;
    Nyckel__Decision dec;
    Nyckel__Referral ref;
    Nyckel__Budget bud;
    Nyckel__Payment tomb;
    int64_t monthly[12];
};

#define N_TEST_EVENTS 6

static void common(Nyckel__Event *e, const char *id, uint64_t rev)
{
    Nyckel__Event init = NYCKEL__EVENT__INIT;

    *e = init;
    e->source = (char *)"procapita-0127";
    e->id = (char *)id;
    e->has_revision = 1;
    e->revision = rev;
    e->municipality = (char *)"0127";
    e->unit = (char *)"barn-unga";
}

static void test_events_init(struct test_events *t)
{
    Nyckel__Payment pay = NYCKEL__PAYMENT__INIT;
    Nyckel__Placement pla = NYCKEL__PLACEMENT__INIT;
    Nyckel__Decision dec = NYCKEL__DECISION__INIT;
    Nyckel__Referral ref = NYCKEL__REFERRAL__INIT;
    Nyckel__Budget bud = NYCKEL__BUDGET__INIT;

    memset(t, 0, sizeof *t);
    pay.household = (char *)"hh-9f1c";
    pay.month = (char *)"2014-03";
    pay.paid_on = (char *)"2014-03-25";
    pay.has_amount_ore = 1;
    pay.amount_ore = -845000;
    pay.has_reversal = 1;
    pay.reversal = 1;
    pay.category = (char *)"boende";
    pay.has_head_birth_year = 1;
    pay.head_birth_year = 1980;
    t->pay = pay;
    common(&t->ev[0], "pay-1", 2);
    t->ev[0].body_case = NYCKEL__EVENT__BODY_PAYMENT;
    t->ev[0].payment = &t->pay;

    pla.person = (char *)"p-77a1";
    pla.gender = (char *)"M";
    pla.has_birth_year = 1;
    pla.birth_year = 2001;
    pla.setting = (char *)"familjehem";
    pla.regi = (char *)"egen";
    pla.target = (char *)"barn_unga";
    pla.legal_basis = (char *)"SoL";
    pla.start = (char *)"2014-02-10";
    pla.has_daily_cost_ore = 1;
    pla.daily_cost_ore = 180000;
    t->pla = pla;
    common(&t->ev[1], "pla-1", 1);
    t->ev[1].body_case = NYCKEL__EVENT__BODY_PLACEMENT;
    t->ev[1].placement = &t->pla;

    dec.household = (char *)"hh-2";
    dec.type = (char *)"inleda_utredning";
    dec.case_ = (char *)"u-17";
    dec.decided_on = (char *)"2014-04-01";
    dec.has_birth_year = 1;
    dec.birth_year = 1975;
    t->dec = dec;
    common(&t->ev[2], "dec-1", 9);
    t->ev[2].body_case = NYCKEL__EVENT__BODY_DECISION;
    t->ev[2].decision = &t->dec;

    ref.person = (char *)"p-12";
    ref.gender = (char *)"X";
    ref.has_birth_year = 1;
    ref.birth_year = 2008;
    ref.received_on = (char *)"2014-01-15";
    ref.reporter = (char *)"polis";
    ref.target = (char *)"barn_unga";
    t->ref = ref;
    common(&t->ev[3], "ref-1", 1);
    t->ev[3].body_case = NYCKEL__EVENT__BODY_REFERRAL;
    t->ev[3].referral = &t->ref;

    bud.has_year = 1;
    bud.year = 2014;
    bud.has_amount_ore = 1;
    bud.amount_ore = 78;
    for (int i = 0; i < 12; i++)
        t->monthly[i] = i + 1; /* 1 + ... + 12 = 78 */
    bud.n_monthly_ore = 12;
    bud.monthly_ore = t->monthly;
    t->bud = bud;
    common(&t->ev[4], "bud-2014", 1);
    t->ev[4].body_case = NYCKEL__EVENT__BODY_BUDGET;
    t->ev[4].budget = &t->bud;

    /* a tombstone that still carries body fields */
    t->tomb = pay;
    common(&t->ev[5], "pay-0", 4);
    t->ev[5].has_deleted = 1;
    t->ev[5].deleted = 1;
    t->ev[5].body_case = NYCKEL__EVENT__BODY_PAYMENT;
    t->ev[5].payment = &t->tomb;

    for (int i = 0; i < N_TEST_EVENTS; i++)
        t->ptrs[i] = &t->ev[i];
}

/* Pack an IngestBatch; protocol < 0 leaves it out, batch_id 0 too. */
static uint8_t *pack_batch(int protocol, uint64_t batch_id, size_t n,
                           Nyckel__Event **events, size_t *len)
{
    Nyckel__IngestBatch b = NYCKEL__INGEST_BATCH__INIT;
    uint8_t *buf;

    if (protocol >= 0) {
        b.has_protocol = 1;
        b.protocol = (uint32_t)protocol;
    }
    if (batch_id) {
        b.has_batch_id = 1;
        b.batch_id = batch_id;
    }
    b.n_events = n;
    b.events = events;
    *len = nyckel__ingest_batch__get_packed_size(&b);
    buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(nyckel__ingest_batch__pack(&b, buf), *len);
    return buf;
}

static void assert_str_or_null(const char *got, const char *want)
{
    if (!want)
        assert_null(got);
    else
        assert_string_equal(got, want);
}

/* Two event_in describe the same event (strings by value). */
static void assert_same_event_in(const struct event_in *a,
                                 const struct event_in *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_str_or_null(a->source, b->source);
    assert_str_or_null(a->id, b->id);
    assert_str_or_null(a->municipality, b->municipality);
    assert_str_or_null(a->unit, b->unit);
    assert_int_equal(a->has_revision, b->has_revision);
    assert_int_equal(a->revision, b->revision);
    assert_int_equal(a->has_deleted && a->deleted,
                     b->has_deleted && b->deleted);
    switch (a->kind) {
    case EVENT_PAYMENT: {
        const struct payment_in *x = &a->u.payment, *y = &b->u.payment;

        assert_str_or_null(x->household, y->household);
        assert_str_or_null(x->month, y->month);
        assert_str_or_null(x->paid_on, y->paid_on);
        assert_str_or_null(x->category, y->category);
        assert_str_or_null(x->head_gender, y->head_gender);
        assert_int_equal(x->has_amount_ore, y->has_amount_ore);
        assert_int_equal(x->amount_ore, y->amount_ore);
        assert_int_equal(x->has_reversal, y->has_reversal);
        assert_int_equal(x->reversal, y->reversal);
        assert_int_equal(x->has_head_birth_year, y->has_head_birth_year);
        assert_int_equal(x->head_birth_year, y->head_birth_year);
        break;
    }
    case EVENT_PLACEMENT: {
        const struct placement_in *x = &a->u.placement, *y = &b->u.placement;

        assert_str_or_null(x->person, y->person);
        assert_str_or_null(x->gender, y->gender);
        assert_str_or_null(x->setting, y->setting);
        assert_str_or_null(x->regi, y->regi);
        assert_str_or_null(x->target, y->target);
        assert_str_or_null(x->legal_basis, y->legal_basis);
        assert_str_or_null(x->start, y->start);
        assert_str_or_null(x->end, y->end);
        assert_int_equal(x->has_birth_year, y->has_birth_year);
        assert_int_equal(x->birth_year, y->birth_year);
        assert_int_equal(x->has_daily_cost_ore, y->has_daily_cost_ore);
        assert_int_equal(x->daily_cost_ore, y->daily_cost_ore);
        break;
    }
    case EVENT_DECISION: {
        const struct decision_in *x = &a->u.decision, *y = &b->u.decision;

        assert_str_or_null(x->person, y->person);
        assert_str_or_null(x->household, y->household);
        assert_str_or_null(x->gender, y->gender);
        assert_str_or_null(x->type, y->type);
        assert_str_or_null(x->case_id, y->case_id);
        assert_str_or_null(x->outcome, y->outcome);
        assert_str_or_null(x->intervention, y->intervention);
        assert_str_or_null(x->legal_basis, y->legal_basis);
        assert_str_or_null(x->decided_on, y->decided_on);
        assert_str_or_null(x->executed_on, y->executed_on);
        assert_str_or_null(x->target, y->target);
        assert_int_equal(x->has_birth_year, y->has_birth_year);
        assert_int_equal(x->birth_year, y->birth_year);
        break;
    }
    case EVENT_REFERRAL: {
        const struct referral_in *x = &a->u.referral, *y = &b->u.referral;

        assert_str_or_null(x->person, y->person);
        assert_str_or_null(x->gender, y->gender);
        assert_str_or_null(x->received_on, y->received_on);
        assert_str_or_null(x->reporter, y->reporter);
        assert_str_or_null(x->target, y->target);
        assert_int_equal(x->has_birth_year, y->has_birth_year);
        assert_int_equal(x->birth_year, y->birth_year);
        break;
    }
    case EVENT_BUDGET: {
        const struct budget_in *x = &a->u.budget, *y = &b->u.budget;

        assert_int_equal(x->has_year, y->has_year);
        assert_int_equal(x->year, y->year);
        assert_int_equal(x->has_amount_ore, y->has_amount_ore);
        assert_int_equal(x->amount_ore, y->amount_ore);
        assert_int_equal(x->n_monthly, y->n_monthly);
        for (size_t i = 0; i < x->n_monthly; i++)
            assert_int_equal(x->monthly_ore[i], y->monthly_ore[i]);
        break;
    }
    case EVENT_NONE:
    default:
        break;
    }
}

/* ------------------------------------------------------- batches */

static void test_batch_round_trip(void **state)
{
    struct test_events t;
    struct codec_batch b;
    uint8_t *buf;
    size_t len;

    (void)state;
    test_events_init(&t);
    buf = pack_batch(1, 42, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    assert_int_equal(b.batch_id, 42);
    assert_int_equal(b.n_events, N_TEST_EVENTS);
    assert_non_null(b.msg);

    /* payment: every field as built, presence flags included */
    assert_int_equal(b.events[0].kind, EVENT_PAYMENT);
    assert_string_equal(b.events[0].source, "procapita-0127");
    assert_string_equal(b.events[0].id, "pay-1");
    assert_true(b.events[0].has_revision);
    assert_int_equal(b.events[0].revision, 2);
    assert_false(b.events[0].has_deleted);
    assert_string_equal(b.events[0].municipality, "0127");
    assert_string_equal(b.events[0].unit, "barn-unga");
    assert_string_equal(b.events[0].u.payment.household, "hh-9f1c");
    assert_string_equal(b.events[0].u.payment.month, "2014-03");
    assert_string_equal(b.events[0].u.payment.paid_on, "2014-03-25");
    assert_true(b.events[0].u.payment.has_amount_ore);
    assert_int_equal(b.events[0].u.payment.amount_ore, -845000);
    assert_true(b.events[0].u.payment.has_reversal);
    assert_true(b.events[0].u.payment.reversal);
    assert_string_equal(b.events[0].u.payment.category, "boende");
    assert_int_equal(b.events[0].u.payment.head_birth_year, 1980);
    assert_null(b.events[0].u.payment.head_gender); /* not sent */

    assert_int_equal(b.events[1].kind, EVENT_PLACEMENT);
    assert_string_equal(b.events[1].u.placement.setting, "familjehem");
    assert_null(b.events[1].u.placement.end); /* open */
    assert_int_equal(b.events[1].u.placement.daily_cost_ore, 180000);

    assert_int_equal(b.events[2].kind, EVENT_DECISION);
    assert_null(b.events[2].u.decision.person);
    assert_string_equal(b.events[2].u.decision.household, "hh-2");
    assert_string_equal(b.events[2].u.decision.case_id, "u-17");
    assert_null(b.events[2].u.decision.outcome);
    assert_int_equal(b.events[2].revision, 9);

    assert_int_equal(b.events[3].kind, EVENT_REFERRAL);
    assert_string_equal(b.events[3].u.referral.reporter, "polis");

    assert_int_equal(b.events[4].kind, EVENT_BUDGET);
    assert_int_equal(b.events[4].u.budget.n_monthly, 12);
    assert_int_equal(b.events[4].u.budget.monthly_ore[11], 12);
    assert_int_equal(b.events[4].u.budget.amount_ore, 78);

    assert_int_equal(b.events[5].kind, EVENT_PAYMENT);
    assert_true(b.events[5].has_deleted && b.events[5].deleted);
    /* the tombstone's body is still visible for the personnummer scan */
    assert_string_equal(b.events[5].u.payment.household, "hh-9f1c");

    /* all six pass validation */
    for (size_t i = 0; i < b.n_events; i++) {
        struct event ev;
        char text[VALIDATE_TEXT_MAX];

        assert_int_equal(validate_event(&b.events[i], &ev, text), REASON_OK);
    }

    /* raw: the five ordinary events are stored exactly as the generated
     * code packs them (no unknown fields here) */
    for (size_t i = 0; i < 5; i++) {
        size_t n = nyckel__event__get_packed_size(&t.ev[i]);
        uint8_t *want = malloc(n ? n : 1);

        assert_non_null(want);
        nyckel__event__pack(&t.ev[i], want);
        assert_int_equal(b.raw_len[i], n);
        assert_memory_equal(b.raw[i], want, n);
        free(want);
    }
    codec_batch_free(&b);
    assert_null(b.msg);
    assert_null(b.events);
    assert_int_equal(b.n_events, 0);
    codec_batch_free(&b); /* twice is harmless */
    codec_batch_free(NULL);
    free(buf);
}

/* Stored bytes decode to the same event_in as the batch gave. */
static void test_stored_event_round_trip(void **state)
{
    struct test_events t;
    struct codec_batch b;
    uint8_t *buf;
    size_t len;

    (void)state;
    test_events_init(&t);
    buf = pack_batch(1, 7, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    for (size_t i = 0; i < 5; i++) {
        struct event_in in;
        void *msg = NULL;

        assert_int_equal(codec_event_decode(b.raw[i], b.raw_len[i], &in, &msg),
                         0);
        assert_non_null(msg);
        assert_same_event_in(&in, &b.events[i]);
        codec_event_free(&msg);
        assert_null(msg);
        codec_event_free(&msg);
    }
    codec_event_free(NULL);

    /* the tombstone is stored with its common fields and an empty body
     * of the same kind */
    {
        struct event_in in;
        void *msg = NULL;
        struct event ev;
        char text[VALIDATE_TEXT_MAX];

        assert_int_equal(codec_event_decode(b.raw[5], b.raw_len[5], &in, &msg),
                         0);
        assert_int_equal(in.kind, EVENT_PAYMENT);
        assert_true(in.has_deleted && in.deleted);
        assert_string_equal(in.id, "pay-0");
        assert_int_equal(in.revision, 4);
        assert_null(in.u.payment.household);
        assert_null(in.u.payment.month);
        assert_false(in.u.payment.has_amount_ore);
        /* and still validates as a tombstone */
        assert_int_equal(validate_event(&in, &ev, text), REASON_OK);
        assert_true(ev.deleted);
        codec_event_free(&msg);
    }
    codec_batch_free(&b);
    free(buf);
}

/* "deleted: false" is stored as absent. Unknown fields, which a lax
 * decoder would drop (and once did), refuse the whole batch: a sender
 * that adds a field nyckeld does not know must not believe it stored. */
static void test_raw_is_canonical(void **state)
{
    struct test_events t;
    struct codec_batch b;
    ProtobufCMessageUnknownField unk[2];
    /* protobuf-c keeps a length-delimited unknown field's length
     * prefix in its data: 03 'x' 'y' 'z' */
    uint8_t data[4] = {3, 'x', 'y', 'z'};
    size_t len, n;
    uint8_t *buf, *want;

    (void)state;
    test_events_init(&t);
    memset(unk, 0, sizeof unk);
    unk[0].tag = 99;
    unk[0].wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    unk[0].len = sizeof data;
    unk[0].data = data;
    unk[1] = unk[0];
    unk[1].tag = 98;
    n = nyckel__event__get_packed_size(&t.ev[3]);
    want = malloc(n);
    assert_non_null(want);
    nyckel__event__pack(&t.ev[3], want);

    t.ev[3].has_deleted = 1;
    t.ev[3].deleted = 0;
    buf = pack_batch(1, 8, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    assert_string_equal(b.why, "");
    /* as sent: + the deleted flag (20 00); stored without it */
    assert_int_equal(nyckel__event__get_packed_size(&t.ev[3]), n + 2);
    assert_int_equal(b.raw_len[3], n);
    assert_memory_equal(b.raw[3], want, n);
    codec_batch_free(&b);
    free(buf);

    /* an unknown field in the event: refused, id echoed */
    t.ev[3].base.n_unknown_fields = 1;
    t.ev[3].base.unknown_fields = &unk[0];
    buf = pack_batch(1, 8, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EMALFORMED);
    assert_int_equal(b.batch_id, 8);
    assert_null(b.msg);
    assert_non_null(strstr(
        b.why,
        "IngestBatch.events[3]: unknown field 99 (wire type 2) at byte "));
    codec_batch_free(&b);
    free(buf);

    /* one in its body only */
    t.ev[3].base.n_unknown_fields = 0;
    t.ref.base.n_unknown_fields = 1;
    t.ref.base.unknown_fields = &unk[1];
    buf = pack_batch(1, 8, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EMALFORMED);
    assert_non_null(strstr(b.why, "IngestBatch.events[3].referral: unknown "
                                  "field 98 (wire type 2) at byte "));
    codec_batch_free(&b);
    free(buf);
    free(want);
}

struct bytes_row {
    const char *what;
    const char *bytes;
    size_t len;
    int want;
    uint64_t batch_id; /* expected echo */
    const char *why;   /* expected in the why text ("" when accepted) */
};

/* Bytes, with the hand-decoded meaning in the comment. Most frames
 * start 08 01 10 07: protocol 1, batch id 7, then 1a <len> <event>:
 * field 3 (events), length-delimited. In an Event, fields 1-6 are
 * source, id, revision, deleted, municipality, unit (keys 0a 12 18 20 2a
 * 32) and 10-14 the bodies (keys 52 5a 62 6a 72). Offsets in the why
 * texts count from the first byte of the frame. */
/* clang-format off */
static const struct bytes_row malformed_rows[] = {
    /* -------- the wire format, seen by the top-level scan */
    /* 08: field 1 varint, value missing */
    {"cut varint", "\x08", 1, CODEC_EMALFORMED, 0,
     "IngestBatch.protocol: varint cut by the end at byte 0"},
    /* 08 ff: continuation bit set, then end */
    {"cut varint 2", "\x08\xff", 2, CODEC_EMALFORMED, 0, "varint cut"},
    /* 08 01 10 then ten 0xff and 01: an eleven-byte varint (the tenth
     * byte may only be 00 or 01) */
    {"long varint", "\x08\x01\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                    "\x01", 14, CODEC_EMALFORMED, 0,
     "IngestBatch.batch_id: varint over 64 bits at byte 2"},
    /* 08 01 10 then nine 0xff and 02: ten bytes, but 2 in the tenth is
     * bit 64: overflow */
    {"varint bit 64", "\x08\x01\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                      "\x02", 13, CODEC_EMALFORMED, 0, "varint over 64 bits"},
    /* 08 01 10 87 00: batch id 7 padded to two bytes (87 00): not
     * minimal, which protobuf-c never writes ("overlong"); not read */
    {"padded batch id", "\x08\x01\x10\x87\x00", 5, CODEC_EMALFORMED, 0,
     "IngestBatch.batch_id: varint not minimal at byte 2"},
    /* 00 01: key 00, field number 0 */
    {"field 0", "\x00\x01", 2, CODEC_EMALFORMED, 0,
     "IngestBatch: field number 0 at byte 0"},
    /* 08 01 1a 05 0a: event of 5 bytes, 1 present */
    {"cut event", "\x08\x01\x1a\x05\x0a", 5, CODEC_EMALFORMED, 0,
     "IngestBatch.events: 5 bytes, only 1 left at byte 2"},
    /* 08 01 10 07 1a 05 0a: the same cut after batch id 7: echoed */
    {"cut event after id", "\x08\x01\x10\x07\x1a\x05\x0a", 7,
     CODEC_EMALFORMED, 7, "only 1 left"},
    /* 0b 0c: field 1, start group, end group */
    {"group", "\x0b\x0c", 2, CODEC_EMALFORMED, 0,
     "IngestBatch.protocol: wire type 3 at byte 0"},
    /* 08 01 09 + 3 bytes: field 1 fixed64, cut */
    {"cut fixed64", "\x08\x01\x09\x01\x02\x03", 6, CODEC_EMALFORMED, 0,
     "cut by the end"},
    /* 08 01 0d + 2 bytes: field 1 fixed32, cut */
    {"cut fixed32", "\x08\x01\x0d\x01\x02", 5, CODEC_EMALFORMED, 0,
     "cut by the end"},

    /* -------- protocol and count, before the schema */
    /* 08 02 10 09: protocol 2, batch 9 */
    {"protocol 2", "\x08\x02\x10\x09", 4, CODEC_EPROTOCOL, 9,
     "IngestBatch: protocol 2, not 1"},
    /* 10 09: batch 9, no protocol */
    {"no protocol", "\x10\x09", 2, CODEC_EPROTOCOL, 9,
     "protocol missing"},
    /* empty frame: no protocol, no batch id */
    {"empty", "", 0, CODEC_EPROTOCOL, 0, "protocol missing"},
    /* 08 00 10 2a: protocol 0, batch 42 */
    {"protocol 0", "\x08\x00\x10\x2a", 4, CODEC_EPROTOCOL, 42,
     "protocol 0, not 1"},
    /* 08 81 80 80 80 10 10 03: protocol 2^32 + 1, not 1 even if
     * truncated to 32 bits; batch 3 */
    {"protocol 2^32+1", "\x08\x81\x80\x80\x80\x10\x10\x03", 8,
     CODEC_EPROTOCOL, 3, "IngestBatch: protocol over 255, not 1"},
    /* 08 02 10 09 7a 01 00: protocol 2 with a field 15 that version 1
     * does not know: refused for the protocol, not for the field */
    {"protocol 2, unknown field", "\x08\x02\x10\x09\x7a\x01\x00", 7,
     CODEC_EPROTOCOL, 9, "protocol 2"},

    /* -------- the schema, at any depth */
    /* 08 01 10 05 7a 01 00: unknown field 15, 1 byte */
    {"unknown top field", "\x08\x01\x10\x05\x7a\x01\x00", 7,
     CODEC_EMALFORMED, 5,
     "IngestBatch: unknown field 15 (wire type 2) at byte 4"},
    /* ... 1a 06 | 0a 01 61 | 7a 01 00: event: source "a", then unknown
     * field 15 (7a) of 1 byte at offset 6 + 3 = 9 */
    {"unknown field in event",
     "\x08\x01\x10\x07\x1a\x06\x0a\x01\x61\x7a\x01\x00", 12,
     CODEC_EMALFORMED, 7,
     "IngestBatch.events[0]: unknown field 15 (wire type 2) at byte 9"},
    /* ... 1a 04 | 52 02 | 48 01: payment holding field 9 (48 = 9<<3 |
     * varint) = 1, at byte 8 */
    {"unknown field in payment", "\x08\x01\x10\x07\x1a\x04\x52\x02\x48\x01",
     10, CODEC_EMALFORMED, 7,
     "IngestBatch.events[0].payment: unknown field 9 (wire type 0) at "
     "byte 8"},
    /* ... 1a 04 | 72 02 | 20 01: budget holding field 4 varint */
    {"unknown field in budget", "\x08\x01\x10\x07\x1a\x04\x72\x02\x20\x01",
     10, CODEC_EMALFORMED, 7,
     "IngestBatch.events[0].budget: unknown field 4 (wire type 0)"},
    /* ... 1a 00 | 1a 02 78 00: an empty event, then one holding field
     * 15 (78 = 15<<3 | varint) = 0: the path names the second */
    {"unknown field in second event",
     "\x08\x01\x10\x07\x1a\x00\x1a\x02\x78\x00", 10, CODEC_EMALFORMED, 7,
     "IngestBatch.events[1]: unknown field 15 (wire type 0) at byte 8"},
    /* ... 1a 02 | 00 01: event holding key 00: field number 0 */
    {"field 0 in event", "\x08\x01\x10\x07\x1a\x02\x00\x01", 8,
     CODEC_EMALFORMED, 7, "IngestBatch.events[0]: field number 0 at byte 6"},
    /* ... 1a 04 | 52 02 | 00 01: field number 0 in the payment */
    {"field 0 in payment", "\x08\x01\x10\x07\x1a\x04\x52\x02\x00\x01", 10,
     CODEC_EMALFORMED, 7, "IngestBatch.events[0].payment: field number 0"},
    /* ... 1a 06 | 80 80 80 80 10 01: key 2^32, i.e. field 2^29 (over
     * the largest, 2^29-1) as varint, value 1 */
    {"field number too large", "\x08\x01\x10\x07\x1a\x06\x80\x80\x80\x80"
                               "\x10\x01", 12, CODEC_EMALFORMED, 7,
     "events[0]: field number over 2^29-1 at byte 6"},

    /* -------- varints inside messages */
    /* ... 1a 02 | 18 ff: revision, cut by the end of the event */
    {"cut varint in event", "\x08\x01\x10\x07\x1a\x02\x18\xff", 8,
     CODEC_EMALFORMED, 7,
     "IngestBatch.events[0].revision: varint cut by the end at byte 6"},
    /* ... 1a 02 | 18 ff | 1a 00: the same, though the frame goes on
     * with an empty event: the event's own length is the end */
    {"varint across event end",
     "\x08\x01\x10\x07\x1a\x02\x18\xff\x1a\x00", 10,
     CODEC_EMALFORMED, 7, "events[0].revision: varint cut"},
    /* ... 1a 0c | 18 ff*10 01: revision of eleven bytes */
    {"long varint in event", "\x08\x01\x10\x07\x1a\x0c\x18\xff\xff\xff\xff"
                             "\xff\xff\xff\xff\xff\xff\x01", 18,
     CODEC_EMALFORMED, 7, "events[0].revision: varint over 64 bits"},
    /* ... 1a 0b | 18 ff*9 02: ten bytes, bit 64 set */
    {"varint bit 64 in event", "\x08\x01\x10\x07\x1a\x0b\x18\xff\xff\xff"
                               "\xff\xff\xff\xff\xff\xff\x02", 17,
     CODEC_EMALFORMED, 7, "events[0].revision: varint over 64 bits"},
    /* ... 1a 03 | 18 81 00: revision 1 in two bytes */
    {"padded value", "\x08\x01\x10\x07\x1a\x03\x18\x81\x00", 9,
     CODEC_EMALFORMED, 7, "events[0].revision: varint not minimal at byte 6"},
    /* ... 1a 03 | 18 80 00: revision 0 in two bytes */
    {"padded zero", "\x08\x01\x10\x07\x1a\x03\x18\x80\x00", 9,
     CODEC_EMALFORMED, 7, "varint not minimal"},
    /* ... 1a 04 | 0a 81 00 61: source, length 1 in two bytes */
    {"padded length", "\x08\x01\x10\x07\x1a\x04\x0a\x81\x00\x61", 10,
     CODEC_EMALFORMED, 7, "events[0].source: length: varint not minimal"},
    /* ... 1a 04 | 8a 00 01 61: source's key 0a in two bytes */
    {"padded key", "\x08\x01\x10\x07\x1a\x04\x8a\x00\x01\x61", 10,
     CODEC_EMALFORMED, 7, "events[0]: field key: varint not minimal"},
    /* ... 1a 0d | 52 0b | 20 ff*9 01: payment amount_ore -1, ten bytes
     * as int64 needs: minimal, accepted */
    {"ten-byte varint", "\x08\x01\x10\x07\x1a\x0d\x52\x0b\x20\xff\xff\xff"
                        "\xff\xff\xff\xff\xff\xff\x01", 19, 0, 7, ""},

    /* -------- wire types */
    /* 08 01 10 07 1a 02 08 01: event whose field 1 (source, a string) is
     * a varint */
    {"wrong wire type in event", "\x08\x01\x10\x07\x1a\x02\x08\x01", 8,
     CODEC_EMALFORMED, 7,
     "IngestBatch.events[0].source: wire type 0, expected 2 at byte 6"},
    /* ... 1a 03 | 1a 01 31: revision (varint) length-delimited */
    {"revision as bytes", "\x08\x01\x10\x07\x1a\x03\x1a\x01\x31", 9,
     CODEC_EMALFORMED, 7, "events[0].revision: wire type 2, expected 0"},
    /* ... 1a 05 | 25 01 00 00 00: deleted (varint) as fixed32 */
    {"deleted as fixed32", "\x08\x01\x10\x07\x1a\x05\x25\x01\x00\x00\x00", 11,
     CODEC_EMALFORMED, 7, "events[0].deleted: wire type 5, expected 0"},
    /* ... 1a 02 | 50 01: payment (a message) as varint */
    {"payment as varint", "\x08\x01\x10\x07\x1a\x02\x50\x01", 8,
     CODEC_EMALFORMED, 7, "events[0].payment: wire type 0, expected 2"},
    /* ... 1a 02 | 0b 0c: source as a group */
    {"group in event", "\x08\x01\x10\x07\x1a\x02\x0b\x0c", 8,
     CODEC_EMALFORMED, 7, "events[0].source: wire type 3, expected 2"},
    /* ... 1a 06 | 72 04 | 1a 02 01 02: budget monthly_ore packed (field
     * 3 length-delimited: 1, 2); declared unpacked, as protobuf-c writes */
    {"packed monthly_ore", "\x08\x01\x10\x07\x1a\x06\x72\x04\x1a\x02\x01\x02",
     12, CODEC_EMALFORMED, 7,
     "IngestBatch.events[0].budget.monthly_ore: wire type 2, expected 0"},
    /* 08 01 18 05: events (field 3) as a varint */
    {"events as varint", "\x08\x01\x18\x05", 4, CODEC_EMALFORMED, 0,
     "IngestBatch.events: wire type 0, expected 2 at byte 2"},
    /* 08 01 11 + 8 bytes: batch id as fixed64: the scan does not read it
     * (no echo), the walk refuses it */
    {"batch id as fixed64", "\x08\x01\x11\x07\x00\x00\x00\x00\x00\x00\x00",
     11, CODEC_EMALFORMED, 0,
     "IngestBatch.batch_id: wire type 1, expected 0 at byte 2"},

    /* -------- canonical order and multiplicity */
    /* 08 02 08 01 10 05: protocol 2 then 1: protobuf would take the
     * last, canonical frames send it once */
    {"protocol twice", "\x08\x02\x08\x01\x10\x05", 6, CODEC_EMALFORMED, 5,
     "IngestBatch.protocol: sent twice at byte 2"},
    /* 10 05 08 01: batch id before protocol */
    {"top fields out of order", "\x10\x05\x08\x01", 4, CODEC_EMALFORMED, 5,
     "IngestBatch.protocol: field 1 after field 2: not in number order"},
    /* 08 01 10 07 1a 00 10 08: an event, then batch id again (8, the one
     * echoed: the last wins for the echo) */
    {"batch id after events", "\x08\x01\x10\x07\x1a\x00\x10\x08", 8,
     CODEC_EMALFORMED, 8,
     "IngestBatch.batch_id: field 2 after field 3: not in number order"},
    /* ... 1a 06 | 12 01 61 | 0a 01 62: id before source */
    {"event fields out of order",
     "\x08\x01\x10\x07\x1a\x06\x12\x01\x61\x0a\x01\x62", 12,
     CODEC_EMALFORMED, 7,
     "IngestBatch.events[0].source: field 1 after field 2: not in number "
     "order at byte 9"},
    /* ... 1a 06 | 0a 01 61 | 0a 01 62: source twice */
    {"source twice", "\x08\x01\x10\x07\x1a\x06\x0a\x01\x61\x0a\x01\x62", 12,
     CODEC_EMALFORMED, 7, "events[0].source: sent twice at byte 9"},
    /* ... 1a 04 | 52 00 | 5a 00: an empty payment and an empty
     * placement: two members of the body oneof */
    {"two bodies", "\x08\x01\x10\x07\x1a\x04\x52\x00\x5a\x00", 10,
     CODEC_EMALFORMED, 7,
     "events[0].placement: second member of a oneof, after payment"},
    /* ... 1a 06 | 72 04 | 18 01 08 01: monthly_ore 1, then year */
    {"budget out of order", "\x08\x01\x10\x07\x1a\x06\x72\x04\x18\x01\x08"
                            "\x01", 12, CODEC_EMALFORMED, 7,
     "budget.year: field 1 after field 3"},

    /* -------- values and strings */
    /* ... 1a 02 | 20 02: deleted = 2, not a bool */
    {"bool 2", "\x08\x01\x10\x07\x1a\x02\x20\x02", 8, CODEC_EMALFORMED, 7,
     "events[0].deleted: value not 0 or 1 at byte 6"},
    /* ... 1a 08 | 52 06 | 38 80 80 80 80 10: head_birth_year 2^32 */
    {"uint32 2^32", "\x08\x01\x10\x07\x1a\x08\x52\x06\x38\x80\x80\x80\x80"
                    "\x10", 14, CODEC_EMALFORMED, 7,
     "events[0].payment.head_birth_year: value over 32 bits"},
    /* ... 1a 05 | 0a 03 61 00 62: source "a\0b" */
    {"NUL in string", "\x08\x01\x10\x07\x1a\x05\x0a\x03\x61\x00\x62", 11,
     CODEC_EMALFORMED, 7, "events[0].source: NUL byte in a string at byte 6"},
    /* ... 1a 03 | 0a 03 61 | 7a 01 00: source of 3 bytes in an event
     * of 3: its length runs past the event's end */
    {"string past event end",
     "\x08\x01\x10\x07\x1a\x03\x0a\x03\x61\x7a\x01\x00", 12,
     CODEC_EMALFORMED, 7, "events[0].source: 3 bytes, only 1 left at byte 6"},
    /* 08 01 10 07 1a 04 0a 05 61 62: source says 5 bytes, 2 follow
     * (and the event says 4) */
    {"cut string in event", "\x08\x01\x10\x07\x1a\x04\x0a\x05\x61\x62", 10,
     CODEC_EMALFORMED, 7, "only 2 left"},

    /* -------- accepted */
    /* 08 01 10 05 1a 00: one empty event */
    {"empty event", "\x08\x01\x10\x05\x1a\x00", 6, 0, 5, ""},
    /* ... 1a 02 | 20 00: deleted = false, sent: canonical, accepted */
    {"deleted false", "\x08\x01\x10\x07\x1a\x02\x20\x00", 8, 0, 7, ""},
    /* ... 1a 02 | 52 00: an empty payment */
    {"empty body", "\x08\x01\x10\x07\x1a\x02\x52\x00", 8, 0, 7, ""},
    /* ... 1a 08 | 72 06 | 18 01 18 02 18 03: monthly_ore 1, 2, 3
     * unpacked: repeated fields repeat their key */
    {"repeated scalar", "\x08\x01\x10\x07\x1a\x08\x72\x06\x18\x01\x18\x02"
                        "\x18\x03", 14, 0, 7, ""},
};
/* clang-format on */

static void test_batch_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof malformed_rows / sizeof malformed_rows[0];
         i++) {
        const struct bytes_row *r = &malformed_rows[i];
        struct codec_batch b;
        int rc = codec_batch_decode(r->bytes, r->len, &b);

        if (rc != r->want || b.batch_id != r->batch_id)
            fail_msg("%s: want %d id %llu, got %d id %llu (%s)", r->what,
                     r->want, (unsigned long long)r->batch_id, rc,
                     (unsigned long long)b.batch_id, b.why);
        if (r->want == 0 ? b.why[0] != '\0' : !strstr(b.why, r->why))
            fail_msg("%s: want why \"%s\", got \"%s\"", r->what, r->why, b.why);
        if (rc != 0) {
            assert_null(b.msg);
            assert_null(b.events);
            assert_int_equal(b.n_events, 0);
        }
        codec_batch_free(&b);
    }
}

/* Every prefix of a valid frame decodes or is refused; none crashes (the
 * ASan build checks the reads), and a cut inside the last event is
 * malformed. */
static void test_batch_truncated(void **state)
{
    struct test_events t;
    uint8_t *buf;
    size_t len, ok = 0;

    (void)state;
    test_events_init(&t);
    buf = pack_batch(1, 42, N_TEST_EVENTS, t.ptrs, &len);
    for (size_t cut = 0; cut < len; cut++) {
        struct codec_batch b;
        /* a private copy, so ASan sees a read past the cut */
        uint8_t *copy = malloc(cut ? cut : 1);
        int rc;

        assert_non_null(copy);
        memcpy(copy, buf, cut);
        rc = codec_batch_decode(copy, cut, &b);
        assert_true(rc == 0 || rc == CODEC_EMALFORMED || rc == CODEC_EPROTOCOL);
        if (rc == 0)
            ok++;
        codec_batch_free(&b);
        free(copy);
    }
    /* Cuts at field boundaries are valid frames: after the protocol
     * (2 bytes: 08 01), after the batch id (4 bytes: 08 01 10 2a) and
     * after each but the last of the 6 events: 2 + 5 = 7. */
    assert_int_equal(ok, 7);
    {
        struct codec_batch b;

        assert_int_equal(codec_batch_decode(buf, len - 1, &b),
                         CODEC_EMALFORMED);
        assert_int_equal(b.batch_id, 42);
        codec_batch_free(&b);
    }
    free(buf);
}

/* A frame of 1 MiB + 1 is refused by its length before a byte is read
 * (zero bytes would be malformed: field 0); exactly 1 MiB is fine. */
static void test_batch_oversized(void **state)
{
    static Nyckel__Event *ptrs[684];
    static char pool[CODEC_STRING_MAX + 1]; /* 128 'a', then NUL */
    char **slots[11];
    Nyckel__Decision d = NYCKEL__DECISION__INIT;
    Nyckel__Event e;
    struct codec_batch b;
    uint8_t *buf = calloc(1, CODEC_BATCH_MAX_BYTES + 1), *frame;
    size_t len, size;

    (void)state;
    assert_non_null(buf);
    assert_int_equal(codec_batch_decode(buf, CODEC_BATCH_MAX_BYTES + 1, &b),
                     CODEC_EOVERSIZED);
    assert_int_equal(b.batch_id, 0);
    assert_string_equal(b.why, "IngestBatch: 1048577 bytes, at most 1048576");
    codec_batch_free(&b);
    free(buf);

    /* 1 048 576 = 4 (08 01 10 05) + 684 events * 1533 framed bytes
     * (1a, a 2-byte length, 1530 bytes of event): a decision whose
     * strings grow one byte at a time until the event is 1530 bytes */
    memset(pool, 'a', CODEC_STRING_MAX);
    common(&e, pool + CODEC_STRING_MAX - 100, 1); /* id of 100 bytes */
    e.body_case = NYCKEL__EVENT__BODY_DECISION;
    e.decision = &d;
    slots[0] = &d.person;
    slots[1] = &d.household;
    slots[2] = &d.gender;
    slots[3] = &d.type;
    slots[4] = &d.case_;
    slots[5] = &d.outcome;
    slots[6] = &d.intervention;
    slots[7] = &d.legal_basis;
    slots[8] = &d.decided_on;
    slots[9] = &d.executed_on;
    slots[10] = &d.target;
    for (size_t i = 0; i < 11; i++)
        *slots[i] = pool + CODEC_STRING_MAX; /* "" */
    for (size_t i = 0; (size = nyckel__event__get_packed_size(&e)) < 1530;) {
        char **s = slots[i];

        if (strlen(*s) == 127)
            i++; /* stay below 128: a one-byte length */
        else
            (*s)--;
        assert_true(i < 11);
    }
    assert_int_equal(size, 1530);
    for (size_t i = 0; i < 684; i++)
        ptrs[i] = &e;
    frame = pack_batch(1, 5, 684, ptrs, &len);
    assert_int_equal(len, CODEC_BATCH_MAX_BYTES);
    assert_int_equal(codec_batch_decode(frame, len, &b), 0);
    assert_int_equal(b.batch_id, 5);
    assert_int_equal(b.n_events, 684);
    codec_batch_free(&b);
    free(frame);
}

/* A 1 MiB frame that is one event full of 2-byte unknown fields would
 * make protobuf-c allocate ~30 MB (which the unpack budget refused when
 * unknown fields were allowed); the walk refuses it at the first one,
 * before anything is allocated. */
static void test_batch_flood(void **state)
{
    struct codec_batch b;
    size_t len = CODEC_BATCH_MAX_BYTES, body = len - 8, i;
    uint8_t *buf = malloc(len);

    (void)state;
    assert_non_null(buf);
    /* 08 01 10 05 1a <3-byte length> then (78 00)*: field 15 varint 0 */
    memcpy(buf, "\x08\x01\x10\x05\x1a", 5);
    buf[5] = (uint8_t)(0x80 | (body & 0x7f));
    buf[6] = (uint8_t)(0x80 | ((body >> 7) & 0x7f));
    buf[7] = (uint8_t)(body >> 14);
    for (i = 8; i + 1 < len; i += 2) {
        buf[i] = 0x78;
        buf[i + 1] = 0x00;
    }
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EMALFORMED);
    assert_int_equal(b.batch_id, 5);
    assert_string_equal(
        b.why,
        "IngestBatch.events[0]: unknown field 15 (wire type 0) at byte 8");
    codec_batch_free(&b);

    /* 1000 empty events (1a 00 each) are the most a frame may hold, and
     * cheap: 1000 structs */
    len = 4 + 2 * CODEC_BATCH_MAX_EVENTS;
    for (i = 4; i < len; i += 2) {
        buf[i] = 0x1a;
        buf[i + 1] = 0x00;
    }
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    assert_int_equal(b.n_events, CODEC_BATCH_MAX_EVENTS);
    assert_int_equal(b.events[999].kind, EVENT_NONE);
    codec_batch_free(&b);
    free(buf);
}

/* 1000 events are fine, 1001 are too many (batch id echoed). */
static void test_batch_too_many(void **state)
{
    static Nyckel__Event *ptrs[CODEC_BATCH_MAX_EVENTS + 1];
    struct test_events t;
    struct codec_batch b;
    uint8_t *buf;
    size_t len;

    (void)state;
    test_events_init(&t);
    for (size_t i = 0; i <= CODEC_BATCH_MAX_EVENTS; i++)
        ptrs[i] = &t.ev[i % 5];
    buf = pack_batch(1, 1001, CODEC_BATCH_MAX_EVENTS + 1, ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_ETOOMANY);
    assert_int_equal(b.batch_id, 1001);
    assert_null(b.msg);
    codec_batch_free(&b);
    free(buf);

    buf = pack_batch(1, 1000, CODEC_BATCH_MAX_EVENTS, ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    assert_int_equal(b.n_events, 1000);
    assert_int_equal(b.events[999].kind, EVENT_BUDGET); /* 999 % 5 = 4 */
    codec_batch_free(&b);
    free(buf);
}

/* The largest honest batch: 1000 decisions with every string at 64
 * bytes, about 940 bytes each, passes the unpack budget. */
static void test_batch_full_size(void **state)
{
    static Nyckel__Event *ptrs[CODEC_BATCH_MAX_EVENTS];
    static char s64[65];
    Nyckel__Decision d = NYCKEL__DECISION__INIT;
    Nyckel__Event e;
    struct codec_batch b;
    uint8_t *buf;
    size_t len;

    (void)state;
    memset(s64, 'a', 64);
    d.person = d.household = d.gender = d.type = d.case_ = s64;
    d.outcome = d.intervention = d.legal_basis = d.decided_on = s64;
    d.executed_on = d.target = s64;
    d.has_birth_year = 1;
    d.birth_year = 1990;
    common(&e, s64, 1);
    e.source = e.unit = s64;
    e.body_case = NYCKEL__EVENT__BODY_DECISION;
    e.decision = &d;
    for (size_t i = 0; i < CODEC_BATCH_MAX_EVENTS; i++)
        ptrs[i] = &e;
    buf = pack_batch(1, 3, CODEC_BATCH_MAX_EVENTS, ptrs, &len);
    assert_true(len > 900000 && len <= CODEC_BATCH_MAX_BYTES);
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    assert_int_equal(b.n_events, 1000);
    assert_string_equal(b.events[999].u.decision.executed_on, s64);
    codec_batch_free(&b);
    free(buf);
}

/* Wrong protocol built with the generated API: batch id still echoed. */
static void test_batch_wrong_protocol(void **state)
{
    struct test_events t;
    struct codec_batch b;
    uint8_t *buf;
    size_t len;

    (void)state;
    test_events_init(&t);
    buf = pack_batch(2, 77, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EPROTOCOL);
    assert_int_equal(b.batch_id, 77);
    assert_null(b.msg);
    codec_batch_free(&b);
    free(buf);

    buf = pack_batch(-1, 78, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EPROTOCOL);
    assert_int_equal(b.batch_id, 78);
    codec_batch_free(&b);
    free(buf);
}

/* Stored events: bytes codec_batch_decode made; anything else is
 * corruption and refused as strictly as a frame. */
/* clang-format off */
static const struct bytes_row stored_rows[] = {
    /* 0a 05 61: source of 5 bytes, 1 present */
    {"cut string", "\x0a\x05\x61", 3, CODEC_EMALFORMED, 0, NULL},
    /* 0a 01 61 78 00: source "a", unknown field 15 = 0 */
    {"unknown field", "\x0a\x01\x61\x78\x00", 5, CODEC_EMALFORMED, 0, NULL},
    /* 18 81 00: revision 1, padded */
    {"padded varint", "\x18\x81\x00", 3, CODEC_EMALFORMED, 0, NULL},
    /* 12 01 61 0a 01 62: id before source */
    {"out of order", "\x12\x01\x61\x0a\x01\x62", 6, CODEC_EMALFORMED, 0,
     NULL},
    /* 52 02 48 01: payment with unknown field 9 */
    {"unknown in body", "\x52\x02\x48\x01", 4, CODEC_EMALFORMED, 0, NULL},
    /* 0a 01 61 18 02 20 01 52 00: source "a", revision 2, deleted, an
     * empty payment: a stored tombstone */
    {"tombstone", "\x0a\x01\x61\x18\x02\x20\x01\x52\x00", 9, 0, 0, NULL},
    /* empty bytes: an event with nothing, kind none */
    {"empty", "", 0, 0, 0, NULL},
};
/* clang-format on */

static void test_event_decode_refusals(void **state)
{
    struct event_in in;
    void *msg = (void *)&in; /* must be reset to NULL */
    uint8_t *big = calloc(1, CODEC_EVENT_MAX_BYTES + 1);

    (void)state;
    assert_non_null(big);
    assert_int_equal(
        codec_event_decode(big, CODEC_EVENT_MAX_BYTES + 1, &in, &msg),
        CODEC_EOVERSIZED);
    assert_null(msg);
    for (size_t i = 0; i < sizeof stored_rows / sizeof stored_rows[0]; i++) {
        const struct bytes_row *r = &stored_rows[i];
        int rc = codec_event_decode(r->bytes, r->len, &in, &msg);

        if (rc != r->want)
            fail_msg("%s: want %d, got %d", r->what, r->want, rc);
        if (rc)
            assert_null(msg);
        else
            assert_non_null(msg);
        codec_event_free(&msg);
    }
    /* empty bytes: kind none, nothing set */
    assert_int_equal(codec_event_decode("", 0, &in, &msg), 0);
    assert_int_equal(in.kind, EVENT_NONE);
    assert_null(in.source);
    codec_event_free(&msg);
    free(big);
}

/* Every string of every message is at most CODEC_STRING_MAX bytes on the
 * wire; below that, validate's limits give a per-event reason. */
static void test_string_caps(void **state)
{
    static char pool[CODEC_STRING_MAX + 2]; /* 129 'a', then NUL */
    const char *s128 = pool + 1, *s129 = pool, *s33 = pool + 129 - 33;
    struct test_events t;
    struct codec_batch b;
    struct event ev;
    char text[VALIDATE_TEXT_MAX];
    uint8_t *buf;
    size_t len;

    (void)state;
    memset(pool, 'a', CODEC_STRING_MAX + 1);
    test_events_init(&t);

    /* source of 128 bytes: the codec takes it, validate says too long */
    t.ev[0].source = (char *)s128;
    buf = pack_batch(1, 11, 1, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    assert_int_equal(validate_event(&b.events[0], &ev, text), REASON_TOO_LONG);
    codec_batch_free(&b);
    free(buf);
    /* 129: the frame is refused; "0a 81 01" starts at byte 6 */
    t.ev[0].source = (char *)s129;
    buf = pack_batch(1, 11, 1, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EMALFORMED);
    assert_int_equal(b.batch_id, 11);
    assert_string_equal(
        b.why,
        "IngestBatch.events[0].source: 129 bytes, at most 128 at byte 7");
    codec_batch_free(&b);
    free(buf);
    t.ev[0].source = (char *)"procapita-0127";

    /* intervention, a free code: 33 bytes reach validate (too_long at
     * EVENT_CODE_MAX = 32), 129 do not */
    t.dec.intervention = (char *)s33;
    buf = pack_batch(1, 12, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    assert_int_equal(validate_event(&b.events[2], &ev, text), REASON_TOO_LONG);
    codec_batch_free(&b);
    free(buf);
    t.dec.intervention = (char *)s129;
    buf = pack_batch(1, 12, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EMALFORMED);
    assert_non_null(strstr(b.why, "IngestBatch.events[2].decision.intervention:"
                                  " 129 bytes, at most 128"));
    codec_batch_free(&b);
    free(buf);
    t.dec.intervention = NULL;

    /* a tombstone's body, which validate reads only for personnummer,
     * is bounded all the same */
    t.tomb.category = (char *)s129;
    buf = pack_batch(1, 13, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EMALFORMED);
    assert_non_null(strstr(b.why, "IngestBatch.events[5].payment.category:"));
    codec_batch_free(&b);
    free(buf);
}

/* Repeated fields: events at most 1000 (test_batch_too_many), domains
 * and filters 16 (test_query_refusals), any other (monthly_ore) 64. */
static void test_repeated_caps(void **state)
{
    int64_t months[CODEC_REPEATED_MAX + 1];
    struct test_events t;
    struct codec_batch b;
    struct event ev;
    char text[VALIDATE_TEXT_MAX];
    uint8_t *buf;
    size_t len;

    (void)state;
    memset(months, 0, sizeof months);
    test_events_init(&t);
    t.bud.monthly_ore = months;
    /* 64 monthly amounts: decoded; validate wants 0 or 12 */
    t.bud.n_monthly_ore = CODEC_REPEATED_MAX;
    buf = pack_batch(1, 21, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), 0);
    assert_int_equal(b.events[4].u.budget.n_monthly, 64);
    assert_int_equal(validate_event(&b.events[4], &ev, text),
                     REASON_BAD_BUDGET_PROFILE);
    codec_batch_free(&b);
    free(buf);
    /* 65: refused at the 65th, "18 00" number 65 */
    t.bud.n_monthly_ore = CODEC_REPEATED_MAX + 1;
    buf = pack_batch(1, 21, N_TEST_EVENTS, t.ptrs, &len);
    assert_int_equal(codec_batch_decode(buf, len, &b), CODEC_EMALFORMED);
    assert_non_null(strstr(b.why, "IngestBatch.events[4].budget.monthly_ore: "
                                  "more than 64 elements"));
    codec_batch_free(&b);
    free(buf);
}

/* The walk follows the schema's descriptors, so the schema has to be
 * what codec.c assumes: no message that contains itself (directly or
 * not), nesting at most IngestBatch > Event > body (the walk stops at
 * 4), at most 64 fields per message, no packed, required or defaulted
 * field (each would make protobuf-c's pack differ from what the walk
 * takes as canonical). */
static unsigned schema_check(const ProtobufCMessageDescriptor *d,
                             const ProtobufCMessageDescriptor **stack,
                             unsigned depth)
{
    unsigned deepest = depth + 1;

    for (unsigned i = 0; i < depth; i++)
        if (stack[i] == d)
            fail_msg("%s contains itself", d->name);
    assert_true(depth < 8);
    stack[depth] = d;
    assert_true(d->n_fields <= 64);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];

        if (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED)
            fail_msg("%s.%s is packed", d->name, f->name);
        if (f->label == PROTOBUF_C_LABEL_REQUIRED)
            fail_msg("%s.%s is required", d->name, f->name);
        if (f->default_value)
            fail_msg("%s.%s has a default", d->name, f->name);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            unsigned n = schema_check(f->descriptor, stack, depth + 1);

            if (n > deepest)
                deepest = n;
        }
    }
    return deepest;
}

static void test_schema_not_recursive(void **state)
{
    const ProtobufCMessageDescriptor *stack[8];

    (void)state;
    /* IngestBatch > Event > Payment: 3 levels */
    assert_int_equal(schema_check(&nyckel__ingest_batch__descriptor, stack, 0),
                     3);
    assert_int_equal(schema_check(&nyckel__event__descriptor, stack, 0), 2);
    /* Query > Dim */
    assert_int_equal(schema_check(&nyckel__query__descriptor, stack, 0), 2);
}

/* ------------------------------------------------------- encoders */

static void test_ack_encode(void **state)
{
    static const struct codec_event_ack acks[3] = {
        {CODEC_ACCEPTED, NULL, NULL},
        {CODEC_DUPLICATE, NULL, NULL},
        {CODEC_REJECTED, "bad_date",
         "payment.paid_on: day 30 does not exist in 2014-02"},
    };
    struct codec_ack a = {
        .batch_id = 42,
        .status = CODEC_ACCEPTED,
        .n_acks = 3,
        .acks = acks,
        .seq = 1234,
    };
    Nyckel__IngestAck *m;
    uint8_t *buf;
    size_t len;

    (void)state;
    assert_int_equal(codec_ack_encode(&a, &buf, &len), 0);
    m = nyckel__ingest_ack__unpack(NULL, len, buf);
    assert_non_null(m);
    assert_true(m->has_protocol);
    assert_int_equal(m->protocol, 1);
    assert_int_equal(m->batch_id, 42);
    assert_int_equal(m->status, NYCKEL__STATUS__ACCEPTED);
    assert_null(m->reason);
    assert_null(m->text);
    assert_int_equal(m->seq, 1234);
    assert_int_equal(m->n_acks, 3);
    assert_int_equal(m->acks[0]->status, NYCKEL__STATUS__ACCEPTED);
    assert_null(m->acks[0]->reason);
    assert_int_equal(m->acks[1]->status, NYCKEL__STATUS__DUPLICATE);
    assert_int_equal(m->acks[2]->status, NYCKEL__STATUS__REJECTED);
    assert_string_equal(m->acks[2]->reason, "bad_date");
    assert_string_equal(m->acks[2]->text,
                        "payment.paid_on: day 30 does not exist in 2014-02");
    nyckel__ingest_ack__free_unpacked(m, NULL);
    free(buf);

    /* a whole-batch refusal: no acks, reason and text */
    a.status = CODEC_REJECTED;
    a.reason = "malformed";
    a.text = "malformed protobuf";
    a.n_acks = 0;
    a.acks = NULL;
    a.batch_id = 0;
    a.seq = 0;
    assert_int_equal(codec_ack_encode(&a, &buf, &len), 0);
    m = nyckel__ingest_ack__unpack(NULL, len, buf);
    assert_non_null(m);
    assert_int_equal(m->status, NYCKEL__STATUS__REJECTED);
    assert_string_equal(m->reason, "malformed");
    assert_string_equal(m->text, "malformed protobuf");
    assert_int_equal(m->n_acks, 0);
    assert_true(m->has_batch_id);
    assert_int_equal(m->batch_id, 0);
    nyckel__ingest_ack__free_unpacked(m, NULL);
    free(buf);
}

static const struct codec_dim test_dims[2] = {
    {"unit", "barn-unga"},
    {"age_band", "13-17"},
};

static const struct codec_metric test_metrics[3] = {
    /* 13 311 / 12 = 1 109.25 */
    {"households_per_month", "hushåll per månad, snitt", "count", 0, 1109.25,
     "ok"},
    /* zero denominator: null */
    {"avg_months", NULL, "months", 1, 0.0, "null"},
    /* no status: none on the wire */
    {"paid", "utbetalt bistånd, kr", "kr", 0, 8544000.5, NULL},
};

static void assert_slice(const Nyckel__Slice *s, const struct codec_slice *c,
                         uint64_t seq)
{
    assert_string_equal(s->municipality, c->municipality);
    assert_string_equal(s->domain, c->domain);
    assert_string_equal(s->period, c->period);
    assert_true(s->has_seq);
    assert_int_equal(s->seq, seq);
    assert_int_equal(s->n_dims, c->n_dims);
    for (size_t i = 0; i < c->n_dims; i++) {
        assert_string_equal(s->dims[i]->key, c->dims[i].key);
        assert_string_equal(s->dims[i]->value, c->dims[i].value);
    }
    assert_int_equal(s->n_metrics, c->n_metrics);
    for (size_t i = 0; i < c->n_metrics; i++) {
        const Nyckel__Metric *m = s->metrics[i];

        assert_string_equal(m->id, c->metrics[i].id);
        assert_str_or_null(m->label, c->metrics[i].label);
        assert_str_or_null(m->unit, c->metrics[i].unit);
        assert_str_or_null(m->status, c->metrics[i].status);
        assert_int_equal(m->has_value, !c->metrics[i].is_null);
        if (m->has_value)
            assert_true(m->value == c->metrics[i].value);
    }
}

static void test_update_encode(void **state)
{
    struct codec_slice s = {
        .municipality = "0127",
        .domain = "eb",
        .period = "2014-08",
        .n_dims = 2,
        .dims = test_dims,
        .n_metrics = 3,
        .metrics = test_metrics,
        .seq = 17,
    };
    Nyckel__Update *m;
    uint8_t *buf;
    size_t len;

    (void)state;
    assert_int_equal(codec_update_encode(18, "2014-09-01", &s, &buf, &len), 0);
    m = nyckel__update__unpack(NULL, len, buf);
    assert_non_null(m);
    assert_int_equal(m->protocol, 1);
    assert_int_equal(m->seq, 18);
    assert_string_equal(m->as_of, "2014-09-01");
    /* the previous update of the slice travels as prev_seq; the slice's
     * own seq is now this update */
    assert_true(m->has_prev_seq);
    assert_int_equal(m->prev_seq, 17);
    assert_non_null(m->slice);
    assert_slice(m->slice, &s, 18);
    nyckel__update__free_unpacked(m, NULL);
    free(buf);

    /* the total slice: no dims; first update: prev_seq 0 */
    s.n_dims = 0;
    s.dims = NULL;
    s.seq = 0;
    assert_int_equal(codec_update_encode(1, "2014-09-01", &s, &buf, &len), 0);
    m = nyckel__update__unpack(NULL, len, buf);
    assert_non_null(m);
    assert_int_equal(m->prev_seq, 0);
    assert_int_equal(m->slice->n_dims, 0);
    nyckel__update__free_unpacked(m, NULL);
    free(buf);
}

/* A small deterministic generator for test_update_bytes. */
static uint64_t test_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static const char *test_pick(uint64_t *x, const char *const *v, size_t n)
{
    return v[test_rand(x) % n];
}

/* n random metrics into m: every optional part present or not. */
static void test_random_metrics(uint64_t *x, struct codec_metric *m, size_t n)
{
    static const char *const ids[] = {"paid", "households", "x", ""};
    static const char *const labels[] = {NULL, "utbetalt bistånd, kr", ""};
    static const char *const units[] = {NULL, "kr", "count", "share"};
    static const char *const status[] = {NULL, "ok", "null", "suppressed"};
    static const double values[] = {0.0,       -0.0,  1.0,     -1109.25,
                                    8544000.5, 1e300, 4.9e-324};
    for (size_t i = 0; i < n; i++) {
        m[i] = (struct codec_metric){
            .id = test_pick(x, ids, 4),
            .label = test_pick(x, labels, 3),
            .unit = test_pick(x, units, 4),
            .is_null = test_rand(x) % 3 == 0,
            .value = values[test_rand(x) % 7],
            .status = test_pick(x, status, 4),
        };
    }
}

/* The hand-made Update is protobuf-c's: decoded and packed again by
 * protobuf-c it gives the same bytes, and it decodes to what was put
 * in, over slices with and without dims, previous-year metrics, null
 * values, absent labels, units and statuses, and sequences of every
 * varint length. codec_update_set_prev()'s bytes are protobuf-c's too. */
static void test_update_bytes(void **state)
{
    static const char *const munis[] = {"0127", "", "2584"};
    static const char *const periods[] = {"2014-08", "2015-R12-03", "2014"};
    static const char *const keys[] = {"unit", "age_band", "setting"};
    static const char *const vals[] = {"ekb", "25-64", "", "institution"};
    static const uint64_t seqs[] = {0,     1,     127,      128,
                                    16383, 16384, 1u << 31, UINT64_MAX};
    uint64_t x = 88172645463325252u;

    (void)state;
    for (int round = 0; round < 2000; round++) {
        struct codec_dim dims[3];
        struct codec_metric metrics[12], previous[12], change[12];
        size_t n_dims = test_rand(&x) % 4;
        for (size_t i = 0; i < n_dims; i++)
            dims[i] = (struct codec_dim){test_pick(&x, keys, 3),
                                         test_pick(&x, vals, 4)};
        size_t n_metrics = test_rand(&x) % 13;
        size_t n_previous = test_rand(&x) % 2 ? n_metrics : 0;
        test_random_metrics(&x, metrics, n_metrics);
        test_random_metrics(&x, previous, n_previous);
        test_random_metrics(&x, change, n_previous);
        struct codec_slice s = {
            .municipality = test_pick(&x, munis, 3),
            .domain = round % 5 ? "eb" : NULL,
            .period = test_pick(&x, periods, 3),
            .n_dims = n_dims,
            .dims = dims,
            .n_metrics = n_metrics,
            .metrics = metrics,
            .seq = seqs[test_rand(&x) % 8],
            .n_previous = n_previous,
            .previous = previous,
            .change_pct = change,
        };
        uint64_t seq = seqs[test_rand(&x) % 8];
        const char *as_of = round % 7 ? "2014-09-01" : NULL;
        uint8_t *buf, *again;
        size_t len;

        assert_int_equal(codec_update_encode(seq, as_of, &s, &buf, &len), 0);
        Nyckel__Update *m = nyckel__update__unpack(NULL, len, buf);
        assert_non_null(m);
        assert_int_equal(m->protocol, 1);
        assert_int_equal(m->seq, seq);
        assert_int_equal(m->prev_seq, s.seq);
        if (as_of)
            assert_string_equal(m->as_of, as_of);
        else
            assert_null(m->as_of);
        assert_non_null(m->slice);
        assert_int_equal(m->slice->n_previous, n_previous);
        assert_int_equal(m->slice->n_change_pct, n_previous);
        if (s.domain)
            assert_slice(m->slice, &s, seq);
        else
            assert_null(m->slice->domain);
        size_t size = protobuf_c_message_get_packed_size(&m->base);
        assert_int_equal(size, len);
        again = malloc(size ? size : 1);
        assert_non_null(again);
        assert_int_equal(protobuf_c_message_pack(&m->base, again), len);
        assert_memory_equal(again, buf, len);
        free(again);

        /* prev_seq set again by hand: protobuf-c's bytes for it */
        uint64_t prev = seqs[test_rand(&x) % 8];
        uint8_t *set;
        size_t set_len;
        assert_int_equal(codec_update_set_prev(buf, len, prev, &set, &set_len),
                         0);
        m->prev_seq = prev;
        size = protobuf_c_message_get_packed_size(&m->base);
        assert_int_equal(set_len, size);
        again = malloc(size);
        assert_non_null(again);
        assert_int_equal(protobuf_c_message_pack(&m->base, again), size);
        assert_memory_equal(again, set, size);
        free(again);
        free(set);
        nyckel__update__free_unpacked(m, NULL);
        free(buf);
    }
    /* what is no Update is refused */
    static const uint8_t cut[] = {0x08, 0x01, 0x22, 0x05, 0x0a};
    static const uint8_t bad_wire[] = {0x0b, 0x00};
    uint8_t *set = (uint8_t *)1;
    size_t set_len = 1;
    assert_int_equal(codec_update_set_prev(cut, sizeof cut, 3, &set, &set_len),
                     -EINVAL);
    assert_null(set);
    assert_int_equal(codec_update_set_prev(bad_wire, sizeof bad_wire, 3, &set,
                                           &set_len),
                     -EINVAL);
    assert_int_equal(set_len, 0);
}

static void test_heartbeat_encode(void **state)
{
    Nyckel__Heartbeat *m;
    uint8_t *buf;
    size_t len;

    (void)state;
    assert_int_equal(codec_heartbeat_encode(99, "2014-09-01", &buf, &len), 0);
    m = nyckel__heartbeat__unpack(NULL, len, buf);
    assert_non_null(m);
    assert_int_equal(m->protocol, 1);
    assert_true(m->has_seq);
    assert_int_equal(m->seq, 99);
    assert_string_equal(m->as_of, "2014-09-01");
    nyckel__heartbeat__free_unpacked(m, NULL);
    free(buf);
}

static void test_result_encode(void **state)
{
    const struct codec_slice slices[2] = {
        {"0127", "eb", "2014", 0, NULL, 3, test_metrics, 5, 0, NULL, NULL},
        {"0127", "pl", "2014-T2", 2, test_dims, 1, test_metrics, 0, 0, NULL,
         NULL},
    };
    Nyckel__QueryResult *m;
    uint8_t *buf;
    size_t len;

    (void)state;
    assert_int_equal(codec_result_encode(30, "2014-09-01", 2, slices, NULL,
                                         NULL, &buf, &len),
                     0);
    m = nyckel__query_result__unpack(NULL, len, buf);
    assert_non_null(m);
    assert_int_equal(m->protocol, 1);
    assert_int_equal(m->seq, 30);
    assert_string_equal(m->as_of, "2014-09-01");
    assert_null(m->error);
    assert_null(m->text);
    assert_int_equal(m->n_slices, 2);
    assert_slice(m->slices[0], &slices[0], 5);
    assert_slice(m->slices[1], &slices[1], 0);
    nyckel__query_result__free_unpacked(m, NULL);
    free(buf);

    /* a refusal: no slices, error and text */
    assert_int_equal(codec_result_encode(30, "2014-09-01", 0, NULL,
                                         "bad_period", "period: 2014-13", &buf,
                                         &len),
                     0);
    m = nyckel__query_result__unpack(NULL, len, buf);
    assert_non_null(m);
    assert_int_equal(m->n_slices, 0);
    assert_string_equal(m->error, "bad_period");
    assert_string_equal(m->text, "period: 2014-13");
    nyckel__query_result__free_unpacked(m, NULL);
    free(buf);
}

/* --------------------------------------------------------- queries */

static uint8_t *pack_query(const Nyckel__Query *q, size_t *len)
{
    uint8_t *buf;

    *len = nyckel__query__get_packed_size(q);
    buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    nyckel__query__pack(q, buf);
    return buf;
}

static void test_query_decode(void **state)
{
    Nyckel__Query q = NYCKEL__QUERY__INIT;
    Nyckel__Dim d0 = NYCKEL__DIM__INIT, d1 = NYCKEL__DIM__INIT;
    Nyckel__Dim *filters[2] = {&d0, &d1};
    char *domains[2] = {(char *)"eb", (char *)"pl"};
    struct codec_query cq;
    uint8_t *buf;
    size_t len;

    (void)state;
    q.has_protocol = 1;
    q.protocol = 1;
    q.municipality = (char *)"0127";
    q.n_domains = 2;
    q.domains = domains;
    q.period = (char *)"2014-T1";
    q.period_to = (char *)"2014-T3";
    q.rollup = (char *)"setting,regi";
    d0.key = (char *)"regi";
    d0.value = (char *)"extern";
    d1.key = (char *)"setting";
    d1.value = (char *)"institution";
    q.n_filters = 2;
    q.filters = filters;
    q.has_compare_previous_year = 1;
    q.compare_previous_year = 1;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), 0);
    assert_string_equal(cq.municipality, "0127");
    assert_int_equal(cq.n_domains, 2);
    assert_string_equal(cq.domains[0], "eb");
    assert_string_equal(cq.domains[1], "pl");
    assert_string_equal(cq.period, "2014-T1");
    assert_string_equal(cq.period_to, "2014-T3");
    assert_string_equal(cq.rollup, "setting,regi");
    assert_int_equal(cq.n_filters, 2);
    assert_string_equal(cq.filters[0].key, "regi");
    assert_string_equal(cq.filters[0].value, "extern");
    assert_string_equal(cq.filters[1].key, "setting");
    assert_string_equal(cq.filters[1].value, "institution");
    assert_true(cq.compare_previous_year);
    assert_non_null(cq.msg);
    codec_query_free(&cq);
    assert_null(cq.msg);
    codec_query_free(&cq);
    codec_query_free(NULL);
    free(buf);

    /* the minimal query: absent fields are NULL / 0 */
    q.n_domains = 0;
    q.period_to = NULL;
    q.rollup = NULL;
    q.n_filters = 0;
    q.has_compare_previous_year = 0;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), 0);
    assert_int_equal(cq.n_domains, 0);
    assert_null(cq.period_to);
    assert_null(cq.rollup);
    assert_int_equal(cq.n_filters, 0);
    assert_false(cq.compare_previous_year);
    codec_query_free(&cq);
    free(buf);
}

static void test_query_refusals(void **state)
{
    Nyckel__Query q = NYCKEL__QUERY__INIT;
    Nyckel__Dim d = NYCKEL__DIM__INIT;
    Nyckel__Dim *filters[CODEC_QUERY_MAX_LIST + 1];
    char *domains[CODEC_QUERY_MAX_LIST + 1];
    struct codec_query cq;
    uint8_t *buf, *big;
    size_t len;

    (void)state;
    for (int i = 0; i <= CODEC_QUERY_MAX_LIST; i++) {
        domains[i] = (char *)"eb";
        filters[i] = &d;
    }
    d.key = (char *)"unit";
    d.value = (char *)"barn-unga";
    q.municipality = (char *)"0127";
    q.period = (char *)"2014";

    /* no protocol */
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), CODEC_EPROTOCOL);
    assert_null(cq.msg);
    free(buf);
    /* protocol 2 */
    q.has_protocol = 1;
    q.protocol = 2;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), CODEC_EPROTOCOL);
    free(buf);
    q.protocol = 1;
    /* 16 domains and 16 filters are the most */
    q.n_domains = CODEC_QUERY_MAX_LIST;
    q.domains = domains;
    q.n_filters = CODEC_QUERY_MAX_LIST;
    q.filters = filters;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), 0);
    assert_int_equal(cq.n_domains, 16);
    assert_int_equal(cq.n_filters, 16);
    codec_query_free(&cq);
    free(buf);
    /* 17 domains */
    q.n_domains = CODEC_QUERY_MAX_LIST + 1;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), CODEC_EMALFORMED);
    assert_null(cq.msg);
    free(buf);
    /* 17 filters */
    q.n_domains = 1;
    q.n_filters = CODEC_QUERY_MAX_LIST + 1;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), CODEC_EMALFORMED);
    free(buf);
    /* a filter without a value */
    q.n_filters = 1;
    d.value = NULL;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), CODEC_EMALFORMED);
    free(buf);
    /* malformed bytes: 12 05 30: municipality of 5 bytes, 1 present */
    assert_int_equal(codec_query_decode("\x12\x05\x30", 3, &cq),
                     CODEC_EMALFORMED);
    /* oversized: 64 KiB + 1, refused before reading */
    big = calloc(1, CODEC_QUERY_MAX_BYTES + 1);
    assert_non_null(big);
    assert_int_equal(codec_query_decode(big, CODEC_QUERY_MAX_BYTES + 1, &cq),
                     CODEC_EOVERSIZED);
    assert_null(cq.msg);
    free(big);
}

/* Query frames, strictly. Fields: protocol 1 (08), municipality 2 (12),
 * domains 3 (1a), period 4 (22), period_to 5 (2a), rollup 6 (32),
 * filters 7 (3a), compare_previous_year 8 (40); in a Dim key 1 (0a),
 * value 2 (12). batch_id is unused (0). */
/* clang-format off */
static const struct bytes_row query_rows[] = {
    /* 08 01 12 04 "0127": the smallest useful query */
    {"minimal", "\x08\x01\x12\x04\x30\x31\x32\x37", 8, 0, 0, ""},
    /* 08 01 48 01: field 9 varint: unknown */
    {"unknown field", "\x08\x01\x48\x01", 4, CODEC_EMALFORMED, 0,
     "Query: unknown field 9 (wire type 0) at byte 2"},
    /* 08 01 3a 02 18 01: a filter holding field 3: unknown in Dim */
    {"unknown field in filter", "\x08\x01\x3a\x02\x18\x01", 6,
     CODEC_EMALFORMED, 0,
     "Query.filters[0]: unknown field 3 (wire type 0) at byte 4"},
    /* 08 01 3a 00 3a 02 00 01: an empty filter, then one with field 0 */
    {"field 0 in second filter", "\x08\x01\x3a\x00\x3a\x02\x00\x01", 8,
     CODEC_EMALFORMED, 0, "Query.filters[1]: field number 0 at byte 6"},
    /* 08 01 1a 02 "eb" 22 04 "2014" 1a 02 "pl": domains around period */
    {"domains interleaved", "\x08\x01\x1a\x02\x65\x62\x22\x04\x32\x30\x31"
                            "\x34\x1a\x02\x70\x6c", 16, CODEC_EMALFORMED, 0,
     "Query.domains: field 3 after field 4: not in number order at byte 12"},
    /* 12 01 61 08 01: municipality before protocol */
    {"protocol last", "\x12\x01\x61\x08\x01", 5, CODEC_EMALFORMED, 0,
     "Query.protocol: field 1 after field 2"},
    /* 08 01 22 01 31 22 01 32: period twice */
    {"period twice", "\x08\x01\x22\x01\x31\x22\x01\x32", 8, CODEC_EMALFORMED,
     0, "Query.period: sent twice at byte 5"},
    /* 08 01 40 02: compare_previous_year = 2 */
    {"bool 2", "\x08\x01\x40\x02", 4, CODEC_EMALFORMED, 0,
     "Query.compare_previous_year: value not 0 or 1"},
    /* 08 01 12 04 30 31 00 37: municipality "01\0" "7" */
    {"NUL", "\x08\x01\x12\x04\x30\x31\x00\x37", 8, CODEC_EMALFORMED, 0,
     "Query.municipality: NUL byte in a string"},
    /* 08 01 10 01: municipality as varint */
    {"wrong wire type", "\x08\x01\x10\x01", 4, CODEC_EMALFORMED, 0,
     "Query.municipality: wire type 0, expected 2"},
    /* 08 01 40 ff*10 01: eleven-byte varint */
    {"long varint", "\x08\x01\x40\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                    "\x01", 14, CODEC_EMALFORMED, 0, "varint over 64 bits"},
    /* 08 01 40 81 00: compare 1 in two bytes */
    {"padded varint", "\x08\x01\x40\x81\x00", 5, CODEC_EMALFORMED, 0,
     "Query.compare_previous_year: varint not minimal at byte 2"},
    /* 08 81 00: protocol 1 in two bytes: the scan refuses it */
    {"padded protocol", "\x08\x81\x00", 3, CODEC_EMALFORMED, 0,
     "Query.protocol: varint not minimal at byte 0"},
    /* 08 01 00 00: field 0 */
    {"field 0", "\x08\x01\x00\x00", 4, CODEC_EMALFORMED, 0,
     "Query: field number 0 at byte 2"},
    /* 08 01 3a 03 0a 01 61: a filter with a key and no value */
    {"filter without value", "\x08\x01\x3a\x03\x0a\x01\x61", 7,
     CODEC_EMALFORMED, 0, "Query.filters[0]: value missing"},
    /* 08 01 3a 03 12 01 61: a filter with a value and no key */
    {"filter without key", "\x08\x01\x3a\x03\x12\x01\x61", 7,
     CODEC_EMALFORMED, 0, "Query.filters[0]: key missing"},
    /* 08 02 48 01: protocol 2 and a field 9: the protocol is refused */
    {"protocol 2, unknown field", "\x08\x02\x48\x01", 4, CODEC_EPROTOCOL, 0,
     "Query: protocol 2, not 1"},
    /* 12 01 61: no protocol */
    {"no protocol", "\x12\x01\x61", 3, CODEC_EPROTOCOL, 0,
     "Query: protocol missing, not 1"},
    /* 08 01 3a 00: an empty filter: both missing */
    {"empty filter", "\x08\x01\x3a\x00", 4, CODEC_EMALFORMED, 0,
     "key missing"},
};
/* clang-format on */

static void test_query_strict(void **state)
{
    static char pool[CODEC_STRING_MAX + 2];
    Nyckel__Query q = NYCKEL__QUERY__INIT;
    struct codec_query cq;
    uint8_t *buf;
    size_t len;

    (void)state;
    for (size_t i = 0; i < sizeof query_rows / sizeof query_rows[0]; i++) {
        const struct bytes_row *r = &query_rows[i];
        int rc = codec_query_decode(r->bytes, r->len, &cq);

        if (rc != r->want)
            fail_msg("%s: want %d, got %d (%s)", r->what, r->want, rc, cq.why);
        if (r->want == 0 ? cq.why[0] != '\0' : !strstr(cq.why, r->why))
            fail_msg("%s: want why \"%s\", got \"%s\"", r->what, r->why,
                     cq.why);
        if (rc)
            assert_null(cq.msg);
        codec_query_free(&cq);
    }

    /* rollup of 128 bytes is decoded (query.c judges it), 129 are not */
    memset(pool, 'a', CODEC_STRING_MAX + 1);
    q.has_protocol = 1;
    q.protocol = 1;
    q.rollup = pool + 1;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), 0);
    assert_int_equal(strlen(cq.rollup), 128);
    codec_query_free(&cq);
    free(buf);
    q.rollup = pool;
    buf = pack_query(&q, &len);
    assert_int_equal(codec_query_decode(buf, len, &cq), CODEC_EMALFORMED);
    assert_string_equal(cq.why,
                        "Query.rollup: 129 bytes, at most 128 at byte 2");
    codec_query_free(&cq);
    free(buf);
}

/* ------------------------------------------------------- strerror */

static void test_strerror(void **state)
{
    static const struct {
        int code;
        const char *want;
    } rows[] = {
        {0, "success"},
        {CODEC_EOVERSIZED, "frame too large"},
        {CODEC_EMALFORMED, "malformed protobuf"},
        {CODEC_EPROTOCOL, "protocol version missing or not supported"},
        {CODEC_ETOOMANY, "too many events in batch"},
        {-1100, "unknown codec error"},
        {5, "unknown codec error"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_string_equal(codec_strerror(rows[i].code), rows[i].want);
    /* negative errno values fall through to strerror */
    assert_string_equal(codec_strerror(-ENOMEM), strerror(ENOMEM));
    assert_string_equal(codec_strerror(-ENOSPC), strerror(ENOSPC));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_round_trip),
        cmocka_unit_test(test_stored_event_round_trip),
        cmocka_unit_test(test_raw_is_canonical),
        cmocka_unit_test(test_batch_refusals),
        cmocka_unit_test(test_batch_truncated),
        cmocka_unit_test(test_batch_oversized),
        cmocka_unit_test(test_batch_flood),
        cmocka_unit_test(test_batch_too_many),
        cmocka_unit_test(test_batch_full_size),
        cmocka_unit_test(test_batch_wrong_protocol),
        cmocka_unit_test(test_event_decode_refusals),
        cmocka_unit_test(test_string_caps),
        cmocka_unit_test(test_repeated_caps),
        cmocka_unit_test(test_schema_not_recursive),
        cmocka_unit_test(test_ack_encode),
        cmocka_unit_test(test_update_encode),
        cmocka_unit_test(test_update_bytes),
        cmocka_unit_test(test_heartbeat_encode),
        cmocka_unit_test(test_result_encode),
        cmocka_unit_test(test_query_decode),
        cmocka_unit_test(test_query_refusals),
        cmocka_unit_test(test_query_strict),
        cmocka_unit_test(test_strerror),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
