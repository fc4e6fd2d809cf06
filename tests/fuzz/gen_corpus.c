/*
 * gen_corpus.c — writes the seed corpus of the fuzz targets:
 * DIR/batch/ and DIR/query/, valid frames packed with the generated
 * protobuf-c code (named ok-*) and hand-built invalid ones, one per way
 * codec.c refuses a frame (named bad-*). replay.c holds each input to
 * the outcome its name promises. Deterministic: rerunning it rewrites
 * the same bytes (`make fuzz-corpus`). Inputs that libFuzzer found are
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
    gen_batches();
    gen_queries();
    printf("gen_corpus: %d files in %s\n", n_files, out_dir);
    return 0;
}
