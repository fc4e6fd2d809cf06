/*
 * gen_corpus.c — writes the seed corpus of the fuzz targets:
 * DIR/batch/ and DIR/query/, valid frames packed with the generated
 * protobuf-c code (named ok-*) and hand-built invalid ones, one per way
 * codec.c refuses a frame (named bad-*); DIR/push/, nyckel-push input
 * (JSON Lines and CSV behind fuzz_push.c's control byte) that the reader
 * accepts whole (ok-*) or that holds at least one record it refuses, or
 * makes the pusher fail (bad-*). replay.c holds each input to the
 * outcome its name promises. Deterministic: rerunning it rewrites the
 * same bytes (`make fuzz-corpus`). Inputs that libFuzzer found are
 * committed beside these under other names and are not touched.
 *
 * Usage: fuzz_gen_corpus DIR
 *
 * Like the unit tests, and unlike daemon code, this includes the
 * generated header: it plays the exporter and the query client.
 */
#include "nyckel.pb-c.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S(lit) ((char *)(uintptr_t)(lit))

static const char *out_dir;
static int n_files;

static void put(const char *sub, const char *name, const void *buf, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s/%s", out_dir, sub, name);
    f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "gen_corpus: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    n_files++;
}

/* Literal bytes: sizeof - 1 drops the literal's NUL. */
#define PUT_BYTES(sub, name, lit) put(sub, name, lit, sizeof(lit) - 1)

static void put_msg(const char *sub, const char *name,
                    const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);

    if (!buf)
        exit(1);
    protobuf_c_message_pack(m, buf);
    put(sub, name, buf, len);
    free(buf);
}

/* ------------------------------------------------------------ events */

struct events {
    Nyckel__Event ev[6];
    Nyckel__Event *ptrs[6];
    Nyckel__Payment pay, tomb;
    Nyckel__Placement pla;
    Nyckel__Decision dec;
    Nyckel__Referral ref;
    Nyckel__Budget bud;
    int64_t monthly[12];
};

static void common(Nyckel__Event *e, const char *id, uint64_t rev)
{
    nyckel__event__init(e);
    e->source = S("procapita-0127");
    e->id = (char *)id;
    e->has_revision = 1;
    e->revision = rev;
    e->municipality = S("0127");
    e->unit = S("barn-unga");
}

/* One valid event of each kind and a tombstone, as an exporter sends
 * them (all pass validate_event). */
static void events_init(struct events *t)
{
    memset(t, 0, sizeof *t);
    nyckel__payment__init(&t->pay);
    t->pay.household = S("hh-9f1c");
    t->pay.month = S("2014-03");
    t->pay.paid_on = S("2014-03-25");
    t->pay.has_amount_ore = 1;
    t->pay.amount_ore = -845000;
    t->pay.has_reversal = 1;
    t->pay.reversal = 1;
    t->pay.category = S("boende");
    t->pay.has_head_birth_year = 1;
    t->pay.head_birth_year = 1980;
    t->pay.head_gender = S("F");
    common(&t->ev[0], "pay-1", 2);
    t->ev[0].body_case = NYCKEL__EVENT__BODY_PAYMENT;
    t->ev[0].payment = &t->pay;

    nyckel__placement__init(&t->pla);
    t->pla.person = S("p-77a1");
    t->pla.gender = S("M");
    t->pla.has_birth_year = 1;
    t->pla.birth_year = 2001;
    t->pla.setting = S("familjehem");
    t->pla.regi = S("egen");
    t->pla.target = S("barn_unga");
    t->pla.legal_basis = S("SoL");
    t->pla.start = S("2014-02-10");
    t->pla.end = S("2014-09-01");
    t->pla.has_daily_cost_ore = 1;
    t->pla.daily_cost_ore = 180000;
    common(&t->ev[1], "pla-1", 1);
    t->ev[1].body_case = NYCKEL__EVENT__BODY_PLACEMENT;
    t->ev[1].placement = &t->pla;

    nyckel__decision__init(&t->dec);
    t->dec.person = S("p-12");
    t->dec.gender = S("X");
    t->dec.type = S("bistand");
    t->dec.outcome = S("bifall");
    t->dec.intervention = S("kontaktperson");
    t->dec.legal_basis = S("SoL");
    t->dec.decided_on = S("2014-04-01");
    t->dec.executed_on = S("2014-04-15");
    t->dec.target = S("barn_unga");
    t->dec.has_birth_year = 1;
    t->dec.birth_year = 2005;
    common(&t->ev[2], "dec-1", 9);
    t->ev[2].body_case = NYCKEL__EVENT__BODY_DECISION;
    t->ev[2].decision = &t->dec;

    nyckel__referral__init(&t->ref);
    t->ref.person = S("p-12");
    t->ref.gender = S("X");
    t->ref.has_birth_year = 1;
    t->ref.birth_year = 2008;
    t->ref.received_on = S("2014-01-15");
    t->ref.reporter = S("polis");
    t->ref.target = S("barn_unga");
    common(&t->ev[3], "ref-1", 1);
    t->ev[3].body_case = NYCKEL__EVENT__BODY_REFERRAL;
    t->ev[3].referral = &t->ref;

    nyckel__budget__init(&t->bud);
    t->bud.has_year = 1;
    t->bud.year = 2014;
    t->bud.has_amount_ore = 1;
    t->bud.amount_ore = 78; /* 1 + ... + 12 */
    for (int i = 0; i < 12; i++)
        t->monthly[i] = i + 1;
    t->bud.n_monthly_ore = 12;
    t->bud.monthly_ore = t->monthly;
    common(&t->ev[4], "bud-2014", 1);
    t->ev[4].body_case = NYCKEL__EVENT__BODY_BUDGET;
    t->ev[4].budget = &t->bud;

    t->tomb = t->pay;
    common(&t->ev[5], "pay-0", 4);
    t->ev[5].has_deleted = 1;
    t->ev[5].deleted = 1;
    t->ev[5].body_case = NYCKEL__EVENT__BODY_PAYMENT;
    t->ev[5].payment = &t->tomb;

    for (int i = 0; i < 6; i++)
        t->ptrs[i] = &t->ev[i];
}

static void put_batch(const char *name, size_t n, Nyckel__Event **evs,
                      uint64_t id)
{
    Nyckel__IngestBatch b = NYCKEL__INGEST_BATCH__INIT;

    b.has_protocol = 1;
    b.protocol = 1;
    b.has_batch_id = 1;
    b.batch_id = id;
    b.n_events = n;
    b.events = evs;
    put_msg("batch", name, &b.base);
}

static void gen_batches(void)
{
    static char s128[129], s129[130];
    static const char *kinds[6] = {"ok-payment",  "ok-placement",
                                   "ok-decision", "ok-referral",
                                   "ok-budget",   "ok-tombstone"};
    struct events t;
    ProtobufCMessageUnknownField unk;
    uint8_t unk_data[2] = {1, 'x'};
    int64_t months[65];

    memset(s128, 'a', 128);
    memset(s129, 'b', 129);
    memset(months, 0, sizeof months);
    events_init(&t);
    for (int i = 0; i < 6; i++)
        put_batch(kinds[i], 1, &t.ptrs[i], 100 + (uint64_t)i);
    put_batch("ok-all-kinds", 6, t.ptrs, 7);
    put_batch("ok-no-events", 0, NULL, 1);

    /* an event that validation refuses still decodes */
    t.pay.month = S("2014-13");
    put_batch("ok-bad-month", 1, t.ptrs, 8);
    t.pay.month = S("2014-03");
    /* strings at the wire ceiling, 128 bytes */
    t.ev[0].source = s128;
    put_batch("ok-source-128", 1, t.ptrs, 9);
    t.ev[0].source = s129;
    put_batch("bad-source-129", 1, t.ptrs, 9);
    t.ev[0].source = S("procapita-0127");
    /* "deleted: false" sent */
    t.ev[0].has_deleted = 1;
    put_batch("ok-deleted-false", 1, t.ptrs, 10);
    t.ev[0].has_deleted = 0;
    /* 65 monthly amounts: one over CODEC_REPEATED_MAX */
    t.bud.n_monthly_ore = 65;
    t.bud.monthly_ore = months;
    put_batch("bad-65-months", 1, &t.ptrs[4], 11);
    t.bud.n_monthly_ore = 12;
    t.bud.monthly_ore = t.monthly;
    /* unknown field 99 in the event, then in its body */
    memset(&unk, 0, sizeof unk);
    unk.tag = 99;
    unk.wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    unk.len = sizeof unk_data;
    unk.data = unk_data;
    t.ev[3].base.n_unknown_fields = 1;
    t.ev[3].base.unknown_fields = &unk;
    put_batch("bad-unknown-in-event", 1, &t.ptrs[3], 12);
    t.ev[3].base.n_unknown_fields = 0;
    t.ref.base.n_unknown_fields = 1;
    t.ref.base.unknown_fields = &unk;
    put_batch("bad-unknown-in-referral", 1, &t.ptrs[3], 13);
    t.ref.base.n_unknown_fields = 0;
    /* protocol 2 */
    {
        Nyckel__IngestBatch b = NYCKEL__INGEST_BATCH__INIT;
        uint8_t buf[1024];
        size_t len;

        b.has_protocol = 1;
        b.protocol = 2;
        b.has_batch_id = 1;
        b.batch_id = 14;
        b.n_events = 1;
        b.events = t.ptrs;
        put_msg("batch", "bad-protocol-2", &b.base);
        /* the first event cut short by a frame 3 bytes short */
        b.protocol = 1;
        len = nyckel__ingest_batch__pack(&b, buf);
        put("batch", "bad-cut", buf, len - 3);
    }

    /* hand-built: 08 01 10 07 is protocol 1, batch 7; 1a LL an event */
    PUT_BYTES("batch", "bad-empty", "");
    PUT_BYTES("batch", "bad-no-protocol", "\x10\x07\x1a\x00");
    PUT_BYTES("batch", "bad-field-0", "\x08\x01\x10\x07\x1a\x02\x00\x01");
    PUT_BYTES("batch", "bad-group", "\x08\x01\x10\x07\x1a\x02\x0b\x0c");
    PUT_BYTES("batch", "bad-padded-varint",
              "\x08\x01\x10\x07\x1a\x03\x18\x81\x00");
    PUT_BYTES("batch", "bad-long-varint",
              "\x08\x01\x10\x07\x1a\x0c\x18\xff\xff\xff\xff\xff\xff\xff\xff"
              "\xff\xff\x01");
    PUT_BYTES("batch", "bad-varint-bit-64",
              "\x08\x01\x10\x07\x1a\x0b\x18\xff\xff\xff\xff\xff\xff\xff\xff"
              "\xff\x02");
    PUT_BYTES("batch", "ok-ten-byte-varint",
              "\x08\x01\x10\x07\x1a\x0d\x52\x0b\x20\xff\xff\xff\xff\xff\xff"
              "\xff\xff\xff\x01");
    PUT_BYTES("batch", "bad-packed-months",
              "\x08\x01\x10\x07\x1a\x06\x72\x04\x1a\x02\x01\x02");
    PUT_BYTES("batch", "bad-two-bodies",
              "\x08\x01\x10\x07\x1a\x04\x52\x00\x5a\x00");
    PUT_BYTES("batch", "bad-out-of-order",
              "\x08\x01\x10\x07\x1a\x06\x12\x01\x61\x0a\x01\x62");
    PUT_BYTES("batch", "bad-source-twice",
              "\x08\x01\x10\x07\x1a\x06\x0a\x01\x61\x0a\x01\x62");
    PUT_BYTES("batch", "bad-nul-in-string",
              "\x08\x01\x10\x07\x1a\x05\x0a\x03\x61\x00\x62");
    PUT_BYTES("batch", "bad-bool-2", "\x08\x01\x10\x07\x1a\x02\x20\x02");
    PUT_BYTES("batch", "bad-uint32-overflow",
              "\x08\x01\x10\x07\x1a\x08\x52\x06\x38\x80\x80\x80\x80\x10");
    PUT_BYTES("batch", "bad-wire-type", "\x08\x01\x10\x07\x1a\x03\x1a\x01\x31");
    PUT_BYTES("batch", "bad-string-past-event",
              "\x08\x01\x10\x07\x1a\x03\x0a\x03\x61\x7a\x01\x00");
    PUT_BYTES("batch", "ok-empty-event", "\x08\x01\x10\x07\x1a\x00");
}

/* ----------------------------------------------------------- queries */

static void gen_queries(void)
{
    static char s129[130];
    char *domains[17];
    Nyckel__Query q = NYCKEL__QUERY__INIT;
    Nyckel__Dim d0 = NYCKEL__DIM__INIT, d1 = NYCKEL__DIM__INIT;
    Nyckel__Dim *filters[2] = {&d0, &d1};

    memset(s129, 'c', 129);
    for (int i = 0; i < 17; i++)
        domains[i] = S(i % 2 ? "pl" : "eb");
    q.has_protocol = 1;
    q.protocol = 1;
    q.municipality = S("0127");
    q.period = S("2014");
    put_msg("query", "ok-minimal", &q.base);
    q.n_domains = 2;
    q.domains = domains;
    q.period = S("2014-T1");
    q.period_to = S("2014-T3");
    q.rollup = S("setting,regi");
    d0.key = S("regi");
    d0.value = S("extern");
    d1.key = S("setting");
    d1.value = S("institution");
    q.n_filters = 2;
    q.filters = filters;
    q.has_compare_previous_year = 1;
    q.compare_previous_year = 1;
    put_msg("query", "ok-full", &q.base);
    q.n_domains = 17;
    put_msg("query", "bad-17-domains", &q.base);
    q.n_domains = 2;
    q.rollup = s129;
    put_msg("query", "bad-rollup-129", &q.base);
    q.rollup = NULL;
    d1.value = NULL;
    put_msg("query", "bad-filter-no-value", &q.base);
    d1.value = S("institution");
    q.protocol = 2;
    put_msg("query", "bad-protocol-2", &q.base);

    /* hand-built: 08 01 is protocol 1 */
    PUT_BYTES("query", "bad-no-protocol", "\x12\x04\x30\x31\x32\x37");
    PUT_BYTES("query", "bad-unknown-field", "\x08\x01\x48\x01");
    PUT_BYTES("query", "bad-unknown-in-filter", "\x08\x01\x3a\x02\x18\x01");
    PUT_BYTES("query", "bad-interleaved",
              "\x08\x01\x1a\x02\x65\x62\x22\x04\x32\x30\x31\x34\x1a\x02\x70"
              "\x6c");
    PUT_BYTES("query", "bad-padded-varint", "\x08\x01\x40\x81\x00");
    PUT_BYTES("query", "bad-nul", "\x08\x01\x12\x04\x30\x31\x00\x37");
    PUT_BYTES("query", "bad-cut", "\x08\x01\x12\x05\x30");
}

/* ------------------------------------------------------------ push */

/* fuzz_push.c's control byte: 'j' JSON Lines, 'c' CSV; 0x00/0x01 JSON/CSV
 * with "H\0A\0B" made H, A repeated past the reader's buffer, B;
 * 0x80/0x81 the same with A repeated past the record ceiling only;
 * 0x84/0x85 JSON/CSV with a pusher that fails on its third call. */
#define BOM "\xef\xbb\xbf"

static void gen_push_json(void)
{
    PUT_BYTES("push", "ok-json-empty", "j");
    PUT_BYTES("push", "ok-json-blank-lines", "j\n  \t\r\n\n");
    PUT_BYTES("push", "ok-json-payment",
              "j{\"kind\":\"payment\",\"source\":\"procapita-0127\","
              "\"id\":\"p-1\",\"revision\":1,\"municipality\":\"0127\","
              "\"unit\":\"ekb\",\"household\":\"hh-1\",\"month\":\"2014-03\","
              "\"paid_on\":\"2014-03-25\",\"amount_ore\":512300,"
              "\"reversal\":false,\"category\":\"livsuppehalle\","
              "\"head_birth_year\":1980,\"head_gender\":\"F\"}\n");
    /* BOM, CRLF, blank lines, nulls, a tombstone, no final newline */
    PUT_BYTES(
        "push", "ok-json-all-kinds",
        "j" BOM "{\"kind\":\"placement\",\"source\":\"s\",\"id\":\"pl-1\","
        "\"revision\":2,\"person\":\"pp-1\",\"gender\":\"M\","
        "\"birth_year\":2005,\"setting\":\"familjehem\",\"regi\":\"extern\","
        "\"target\":\"barn_unga\",\"legal_basis\":\"LVU\","
        "\"start\":\"2014-01-10\",\"end\":null,\"daily_cost_ore\":150000}\r\n"
        "\r\n"
        "{\"kind\":\"decision\",\"id\":\"d-1\",\"person\":\"pp-2\","
        "\"household\":\"hh-2\",\"gender\":\"X\",\"birth_year\":1999,"
        "\"type\":\"bistand\",\"case\":\"c-1\",\"outcome\":\"bifall\","
        "\"intervention\":\"kontaktperson\",\"legal_basis\":\"SoL\","
        "\"decided_on\":\"2014-02-01\",\"executed_on\":\"2014-02-03\","
        "\"target\":\"vuxna\"}\n"
        "   \n"
        "{\"kind\":\"referral\",\"id\":\"r-1\",\"person\":\"pp-3\","
        "\"gender\":\"F\",\"birth_year\":2010,\"received_on\":\"2014-03-01\","
        "\"reporter\":\"polis\",\"target\":\"barn_unga\"}\n"
        "{\"kind\":\"budget\",\"id\":\"b-1\",\"unit\":\"ekb\",\"year\":2014,"
        "\"amount_ore\":120000000,\"monthly_ore\":[1,2,3,4,5,6,7,8,9,10,11,"
        "12]}\n"
        "{\"kind\":\"payment\",\"id\":\"p-1\",\"revision\":3,"
        "\"deleted\":true,\"monthly_ore\":null}");
    PUT_BYTES("push", "ok-json-extremes",
              "j{\"kind\":\"payment\",\"revision\":9223372036854775807,"
              "\"amount_ore\":-9223372036854775808,"
              "\"head_birth_year\":4294967295,\"reversal\":true,"
              "\"household\":\"G\xc3\xb6teborg \\u00e5\\ud83d\\ude00\","
              "\"category\":\"\"}\n"
              "{\"kind\":\"budget\",\"monthly_ore\":[],\"year\":0}\n");
    PUT_BYTES("push", "ok-json-many-lines",
              "\x00\x00{\"kind\":\"referral\",\"id\":\"r-0123456789abcdef\","
              "\"revision\":7}\n\x00{\"kind\":\"budget\"}");

    PUT_BYTES("push", "bad-json-syntax", "j{\"kind\":\"payment\",}\n");
    PUT_BYTES("push", "bad-json-not-object", "j[\"kind\",\"payment\"]\n");
    PUT_BYTES("push", "bad-json-two-objects",
              "j{\"kind\":\"budget\"}{\"kind\":\"budget\"}\n");
    PUT_BYTES("push", "bad-json-duplicate-key",
              "j{\"kind\":\"payment\",\"id\":\"a\",\"id\":\"b\"}\n");
    PUT_BYTES("push", "bad-json-no-kind", "j{\"id\":\"a\"}\n");
    PUT_BYTES("push", "bad-json-kind-null", "j{\"kind\":null}\n");
    PUT_BYTES("push", "bad-json-kind-number", "j{\"kind\":1}\n");
    PUT_BYTES("push", "bad-json-unknown-kind", "j{\"kind\":\"loan\"}\n");
    PUT_BYTES("push", "bad-json-field-of-other-kind",
              "j{\"kind\":\"payment\",\"person\":\"x\"}\n");
    PUT_BYTES("push", "bad-json-body-as-field",
              "j{\"kind\":\"payment\",\"payment\":{}}\n");
    PUT_BYTES("push", "bad-json-int-as-string",
              "j{\"kind\":\"payment\",\"amount_ore\":\"100\"}\n");
    PUT_BYTES("push", "bad-json-bool-as-int",
              "j{\"kind\":\"payment\",\"reversal\":1}\n");
    PUT_BYTES("push", "bad-json-string-as-int",
              "j{\"kind\":\"payment\",\"id\":7}\n");
    PUT_BYTES("push", "bad-json-object-as-string",
              "j{\"kind\":\"payment\",\"id\":{}}\n");
    PUT_BYTES("push", "bad-json-bool-as-string",
              "j{\"kind\":\"payment\",\"id\":true}\n");
    PUT_BYTES("push", "bad-json-null-in-array",
              "j{\"kind\":\"budget\",\"monthly_ore\":[1,null]}\n");
    PUT_BYTES("push", "bad-json-fraction",
              "j{\"kind\":\"payment\",\"amount_ore\":1.5}\n");
    PUT_BYTES("push", "bad-json-int64-overflow",
              "j{\"kind\":\"payment\",\"amount_ore\":9223372036854775808}\n");
    PUT_BYTES("push", "bad-json-uint32-range",
              "j{\"kind\":\"referral\",\"birth_year\":4294967296}\n");
    PUT_BYTES("push", "bad-json-negative-uint",
              "j{\"kind\":\"payment\",\"revision\":-1}\n");
    PUT_BYTES("push", "bad-json-monthly-not-array",
              "j{\"kind\":\"budget\",\"monthly_ore\":5}\n");
    PUT_BYTES("push", "bad-json-monthly-string-item",
              "j{\"kind\":\"budget\",\"monthly_ore\":[1,\"2\"]}\n");
    PUT_BYTES("push", "bad-json-nul-escape",
              "j{\"kind\":\"payment\",\"id\":\"a\\u0000b\"}\n");
    PUT_BYTES("push", "bad-json-lone-surrogate",
              "j{\"kind\":\"payment\",\"id\":\"\\ud800\"}\n");
    PUT_BYTES("push", "bad-json-invalid-utf8",
              "j{\"kind\":\"payment\",\"id\":\"\xc3\x28\"}\n");
    PUT_BYTES("push", "bad-json-one-of-three",
              "j{\"kind\":\"budget\"}\n{\"kind\":\"budget\",\"year\":-1}\n"
              "{\"kind\":\"budget\"}\n");
    /* a line past the reader's buffer, then one more: line 2 */
    PUT_BYTES("push", "bad-json-huge-line",
              "\x00{\"kind\":\"budget\",\"id\":\"\x00"
              "a\x00\"}\n{\"kind\":\"budget\"}\n");
    /* a line within the buffer but past NYCKEL_LINE_MAX_BYTES */
    PUT_BYTES("push", "bad-json-line-over-64k",
              "\x80{\"kind\":\"budget\",\"id\":\"\x00"
              "a\x00\"}\n");
    PUT_BYTES("push", "bad-json-pusher-fails",
              "\x84{\"kind\":\"budget\"}\n{\"kind\":\"budget\"}\n"
              "{\"kind\":\"budget\"}\n{\"kind\":\"budget\"}\n");
}

static void gen_push_csv(void)
{
    char wide[4096];
    size_t n;

    PUT_BYTES("push", "ok-csv-header-only", "ckind,id\n");
    PUT_BYTES("push", "ok-csv-payment",
              "ckind,source,id,revision,municipality,unit,household,month,"
              "paid_on,amount_ore,reversal,category,head_birth_year,"
              "head_gender\n"
              "payment,procapita-0127,p-1,1,0127,ekb,hh-1,2014-03,2014-03-25,"
              "512300,false,livsuppehalle,1980,F\n");
    /* one header for every kind: the other kinds' cells stay empty */
    PUT_BYTES("push", "ok-csv-all-kinds",
              "c" BOM "kind,id,revision,deleted,person,birth_year,setting,"
              "household,amount_ore,year,monthly_ore,case\r\n"
              "placement,pl-1,2,,pp-1,2005,familjehem,,,,,\r\n"
              "\r\n"
              "decision,d-1,1,FALSE,pp-2,1999,,hh-2,,,,c-1\r\n"
              "referral,r-1,1,0,pp-3,2010,,,,,,\r\n"
              "budget,b-1,1,,,,,,120000000,2014,1;2;3;4;5;6;7;8;9;10;11;12,\r\n"
              "payment,p-1,3,True,,,,hh-1,,,,\r\n");
    /* quoted comma, quoted newline, doubled quote, last row unended */
    PUT_BYTES("push", "ok-csv-quoting",
              "c\"kind\",id,household\n"
              "payment,\"a,b\",\"line one\nline two\"\n"
              "payment,\"say \"\"hej\"\"\",\"G\xc3\xb6teborg\"\n"
              "\n"
              "payment,,\"\"");
    PUT_BYTES("push", "ok-csv-extremes",
              "ckind,revision,amount_ore,head_birth_year\n"
              "payment,18446744073709551615,-9223372036854775808,4294967295\n"
              "payment,0,-0,0\n");
    /* the header, then rows spanning lines past the reader's buffer */
    PUT_BYTES("push", "ok-csv-many-rows",
              "\x01kind,id,household\n\x00"
              "payment,p-0123456789,\"two\nlines\"\n\x00payment,x,y");

    PUT_BYTES("push", "bad-csv-short-row", "ckind,id\npayment\n");
    PUT_BYTES("push", "bad-csv-long-row", "ckind,id\npayment,a,b\n");
    PUT_BYTES("push", "bad-csv-duplicate-column",
              "ckind,id,id\npayment,a,b\npayment,c,d\n");
    PUT_BYTES("push", "bad-csv-header-quote", "c\"ki\"nd,id\npayment,a\n");
    PUT_BYTES("push", "bad-csv-quote-in-cell", "ckind,id\npayment,a\"b\n");
    PUT_BYTES("push", "bad-csv-open-quote-at-end",
              "ckind,id\npayment,ok\npayment,\"open\n");
    PUT_BYTES("push", "bad-csv-nul-in-cell",
              "ckind,id\npayment,a\x00"
              "b\n");
    PUT_BYTES("push", "bad-csv-invalid-utf8", "ckind,id\npayment,\xff\n");
    PUT_BYTES("push", "bad-csv-overlong-utf8", "ckind,id\npayment,\xc0\xaf\n");
    PUT_BYTES("push", "bad-csv-surrogate-utf8",
              "ckind,id\npayment,\xed\xa0\x80\n");
    PUT_BYTES("push", "bad-csv-plus-sign", "ckind,amount_ore\npayment,+5\n");
    PUT_BYTES("push", "bad-csv-exponent", "ckind,amount_ore\npayment,1e3\n");
    PUT_BYTES("push", "bad-csv-int64-overflow",
              "ckind,amount_ore\npayment,9223372036854775808\n");
    PUT_BYTES("push", "bad-csv-uint64-overflow",
              "ckind,revision\npayment,18446744073709551616\n");
    PUT_BYTES("push", "bad-csv-negative-uint", "ckind,revision\npayment,-1\n");
    PUT_BYTES("push", "bad-csv-bool", "ckind,reversal\npayment,yes\n");
    PUT_BYTES("push", "bad-csv-monthly-empty-item",
              "ckind,monthly_ore\nbudget,1;;2\n");
    PUT_BYTES("push", "bad-csv-field-of-other-kind",
              "ckind,person\npayment,x\n");
    PUT_BYTES("push", "bad-csv-no-kind-column", "cid\nx\n");
    PUT_BYTES("push", "bad-csv-empty-kind", "ckind,id\n,x\n");
    PUT_BYTES("push", "bad-csv-unknown-kind", "ckind\nloan\n");
    PUT_BYTES("push", "bad-csv-unnamed-column", "ckind,\npayment,x\n");
    /* 257 columns: the header is unusable, the row bad_header */
    n = (size_t)snprintf(wide, sizeof wide, "ckind");
    for (int i = 1; i < 257; i++)
        n += (size_t)snprintf(wide + n, sizeof wide - n, ",c%d", i);
    n += (size_t)snprintf(wide + n, sizeof wide - n, "\npayment\n");
    put("push", "bad-csv-257-columns", wide, n);
    /* a header past the reader's buffer, then a header-like row */
    PUT_BYTES("push", "bad-csv-huge-header",
              "\x01kind,id\x00,id\x00\nkind,id\npayment,a\n");
    /* a header within the buffer but past NYCKEL_LINE_MAX_BYTES */
    PUT_BYTES("push", "bad-csv-header-over-64k",
              "\x81kind,id\x00,x\x00\npayment,a\n");
    /* a row past the reader's buffer, inside quotes */
    PUT_BYTES("push", "bad-csv-huge-quoted-row",
              "\x01kind,id\npayment,\"\x00"
              "a\n\x00\"\npayment,b\n");
    PUT_BYTES("push", "bad-csv-pusher-fails",
              "\x85kind\nbudget\nbudget\nbudget\nbudget\n");
}

int main(int argc, char **argv)
{
    char path[4096];

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    mkdir(out_dir, 0777);
    snprintf(path, sizeof path, "%s/batch", out_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/query", out_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/push", out_dir);
    mkdir(path, 0777);
    gen_batches();
    gen_queries();
    gen_push_json();
    gen_push_csv();
    printf("gen_corpus: %d files in %s\n", n_files, out_dir);
    return 0;
}
