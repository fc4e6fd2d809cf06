/*
 * codec.c — the only door to the protobuf-c code generated from
 * proto/nyckel.proto (STYLE 2): strict decoding of ingest batches,
 * stored events and queries into the plain structs of event.h and
 * codec.h, and encoding of acks, updates, heartbeats and query results.
 *
 * Why the care before unpacking: protobuf-c allocates a struct for every
 * submessage and a copy of every string and unknown field, so a hostile
 * 1 MiB frame can ask for tens of megabytes. Hence, in order:
 *   1. the frame length against its cap (CODEC_EOVERSIZED);
 *   2. for a batch, a walk over the top-level fields only, which reads
 *      protocol and batch id and counts the events without allocating
 *      (CODEC_EMALFORMED, CODEC_EPROTOCOL, CODEC_ETOOMANY);
 *   3. protobuf-c's unpack with an allocator that grants at most
 *      UNPACK_BUDGET(len) bytes (CODEC_EOVERSIZED when exceeded,
 *      CODEC_EMALFORMED for anything protobuf-c refuses).
 *
 * Canonical stored bytes: every event of a batch is re-encoded on its
 * own (raw[i]) from the unpacked message, so what is stored does not
 * depend on how the exporter encoded it. Unknown fields are dropped,
 * "deleted: false" is the same as absent, and a tombstone keeps only
 * its common fields and an empty body of its kind: its body is never
 * used, and it would otherwise be stored unbounded (validation does not
 * look at a tombstone's body beyond the personnummer scan). A non-deleted
 * event that passes validation is always far below
 * CODEC_EVENT_MAX_BYTES, since all its strings are bounded. A string
 * with an embedded NUL reaches C (and validation) cut at the NUL, and is
 * re-encoded cut the same way: what is stored is what was validated.
 *
 * Allocation: the unpack allocator and the decoders' arrays abort on
 * OOM (xalloc.h), since a failed unpack cannot tell OOM from bad input;
 * the encoders report -ENOMEM as codec.h promises.
 */
#include "codec.h"

#include "nyckel.pb-c.h"
#include "xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Bytes protobuf-c may allocate to unpack a frame of len bytes: honest
 * frames need about len plus a few hundred bytes per event (at most
 * 1000), floods of tiny unknown fields far more. */
#define UNPACK_BUDGET(len) ((len)*8 + 4 * 1024 * 1024)
#define ALLOC_OVERHEAD 16 /* malloc bookkeeping, counted per block */

/* ------------------------------------------------------ allocators */

struct unpack_budget {
    size_t left;   /* bytes still granted */
    bool exceeded; /* an allocation was refused */
};

static void *budget_alloc(void *data, size_t size)
{
    struct unpack_budget *b = data;

    if (size > b->left || b->left - size < ALLOC_OVERHEAD) {
        b->exceeded = true;
        return NULL;
    }
    b->left -= size + ALLOC_OVERHEAD;
    return xmalloc(size);
}

static void *libc_alloc(void *data, size_t size)
{
    (void)data;
    return xmalloc(size);
}

static void libc_free(void *data, void *p)
{
    (void)data;
    free(p);
}

/* Frees what budget_alloc gave (plain malloc blocks). */
static ProtobufCAllocator libc_allocator = {libc_alloc, libc_free, NULL};

/* ---------------------------------------------------- batch pre-scan */

struct batch_scan {
    bool has_protocol, has_batch_id;
    uint64_t protocol, batch_id;
    size_t n_events; /* occurrences of field 3 */
};

/* A base-128 varint at p[*pos..len) into *v; false if cut or longer than
 * ten bytes. */
static bool scan_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;

    for (unsigned i = 0; i < 10; i++) {
        uint8_t c;

        if (*pos >= len)
            return false;
        c = p[(*pos)++];
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* Walk the top-level fields of an IngestBatch without allocating: well
 * formed at this level, protocol and batch id (last one wins, as in
 * protobuf), and how many events. Nested messages are protobuf-c's.
 * On failure, *s holds what was read before the fault. */
static bool scan_batch(const uint8_t *p, size_t len, struct batch_scan *s)
{
    size_t pos = 0;

    memset(s, 0, sizeof *s);
    while (pos < len) {
        uint64_t key, v;
        uint64_t field;

        if (!scan_varint(p, len, &pos, &key))
            return false;
        field = key >> 3;
        if (field == 0 || field > 0x1fffffff)
            return false;
        switch (key & 7) {
        case 0: /* varint */
            if (!scan_varint(p, len, &pos, &v))
                return false;
            if (field == 1) {
                s->has_protocol = true;
                s->protocol = v;
            } else if (field == 2) {
                s->has_batch_id = true;
                s->batch_id = v;
            }
            break;
        case 1: /* fixed64 */
            if (len - pos < 8)
                return false;
            pos += 8;
            break;
        case 2: /* length-delimited */
            if (!scan_varint(p, len, &pos, &v) || v > len - pos)
                return false;
            pos += (size_t)v;
            if (field == 3)
                s->n_events++;
            break;
        case 5: /* fixed32 */
            if (len - pos < 4)
                return false;
            pos += 4;
            break;
        default: /* groups (3, 4), as protobuf-c: unsupported */
            return false;
        }
    }
    return true;
}

/* ----------------------------------------------------------- events */

static void payment_fill(const Nyckel__Payment *m, struct payment_in *o)
{
    o->household = m->household;
    o->month = m->month;
    o->paid_on = m->paid_on;
    o->category = m->category;
    o->head_gender = m->head_gender;
    o->has_amount_ore = m->has_amount_ore;
    o->amount_ore = m->amount_ore;
    o->has_reversal = m->has_reversal;
    o->reversal = m->reversal;
    o->has_head_birth_year = m->has_head_birth_year;
    o->head_birth_year = m->head_birth_year;
}

static void placement_fill(const Nyckel__Placement *m, struct placement_in *o)
{
    o->person = m->person;
    o->gender = m->gender;
    o->setting = m->setting;
    o->regi = m->regi;
    o->target = m->target;
    o->legal_basis = m->legal_basis;
    o->start = m->start;
    o->end = m->end;
    o->has_birth_year = m->has_birth_year;
    o->birth_year = m->birth_year;
    o->has_daily_cost_ore = m->has_daily_cost_ore;
    o->daily_cost_ore = m->daily_cost_ore;
}

static void decision_fill(const Nyckel__Decision *m, struct decision_in *o)
{
    o->person = m->person;
    o->household = m->household;
    o->gender = m->gender;
    o->type = m->type;
    o->case_id = m->case_;
    o->outcome = m->outcome;
    o->intervention = m->intervention;
    o->legal_basis = m->legal_basis;
    o->decided_on = m->decided_on;
    o->executed_on = m->executed_on;
    o->target = m->target;
    o->has_birth_year = m->has_birth_year;
    o->birth_year = m->birth_year;
}

static void referral_fill(const Nyckel__Referral *m, struct referral_in *o)
{
    o->person = m->person;
    o->gender = m->gender;
    o->received_on = m->received_on;
    o->reporter = m->reporter;
    o->target = m->target;
    o->has_birth_year = m->has_birth_year;
    o->birth_year = m->birth_year;
}

static void budget_fill(const Nyckel__Budget *m, struct budget_in *o)
{
    o->has_year = m->has_year;
    o->year = m->year;
    o->has_amount_ore = m->has_amount_ore;
    o->amount_ore = m->amount_ore;
    o->n_monthly = m->n_monthly_ore;
    o->monthly_ore = m->monthly_ore;
}

/* The wire event as a struct event_in borrowing m's strings. */
static void event_fill(const Nyckel__Event *m, struct event_in *o)
{
    memset(o, 0, sizeof *o);
    o->source = m->source;
    o->id = m->id;
    o->municipality = m->municipality;
    o->unit = m->unit;
    o->has_revision = m->has_revision;
    o->revision = m->revision;
    o->has_deleted = m->has_deleted;
    o->deleted = m->deleted;
    switch (m->body_case) {
    case NYCKEL__EVENT__BODY_PAYMENT:
        o->kind = EVENT_PAYMENT;
        payment_fill(m->payment, &o->u.payment);
        break;
    case NYCKEL__EVENT__BODY_PLACEMENT:
        o->kind = EVENT_PLACEMENT;
        placement_fill(m->placement, &o->u.placement);
        break;
    case NYCKEL__EVENT__BODY_DECISION:
        o->kind = EVENT_DECISION;
        decision_fill(m->decision, &o->u.decision);
        break;
    case NYCKEL__EVENT__BODY_REFERRAL:
        o->kind = EVENT_REFERRAL;
        referral_fill(m->referral, &o->u.referral);
        break;
    case NYCKEL__EVENT__BODY_BUDGET:
        o->kind = EVENT_BUDGET;
        budget_fill(m->budget, &o->u.budget);
        break;
    case NYCKEL__EVENT__BODY__NOT_SET:
    default:
        o->kind = EVENT_NONE;
        break;
    }
}

/* Storage for the shallow copy of one body. */
union body_copy {
    Nyckel__Payment payment;
    Nyckel__Placement placement;
    Nyckel__Decision decision;
    Nyckel__Referral referral;
    Nyckel__Budget budget;
};

/* The body member `name` of c: an empty message for a tombstone, else a
 * shallow copy of m's; without unknown fields either way. */
#define BODY_COPY(name, Type, INIT)                                            \
    do {                                                                       \
        if (tomb) {                                                            \
            Type empty_ = INIT;                                                \
            b->name = empty_;                                                  \
        } else {                                                               \
            b->name = *m->name;                                                \
        }                                                                      \
        b->name.base.n_unknown_fields = 0;                                     \
        b->name.base.unknown_fields = NULL;                                    \
        c->name = &b->name;                                                    \
    } while (0)

/* The canonical form of m as a shallow copy in *c (body in *b); see the
 * file header. Nothing is allocated; c borrows from m. */
static void event_canonical(const Nyckel__Event *m, Nyckel__Event *c,
                            union body_copy *b)
{
    bool tomb = m->has_deleted && m->deleted;

    *c = *m;
    c->base.n_unknown_fields = 0;
    c->base.unknown_fields = NULL;
    c->has_deleted = tomb;
    c->deleted = tomb;
    switch (m->body_case) {
    case NYCKEL__EVENT__BODY_PAYMENT:
        BODY_COPY(payment, Nyckel__Payment, NYCKEL__PAYMENT__INIT);
        break;
    case NYCKEL__EVENT__BODY_PLACEMENT:
        BODY_COPY(placement, Nyckel__Placement, NYCKEL__PLACEMENT__INIT);
        break;
    case NYCKEL__EVENT__BODY_DECISION:
        BODY_COPY(decision, Nyckel__Decision, NYCKEL__DECISION__INIT);
        break;
    case NYCKEL__EVENT__BODY_REFERRAL:
        BODY_COPY(referral, Nyckel__Referral, NYCKEL__REFERRAL__INIT);
        break;
    case NYCKEL__EVENT__BODY_BUDGET:
        BODY_COPY(budget, Nyckel__Budget, NYCKEL__BUDGET__INIT);
        break;
    case NYCKEL__EVENT__BODY__NOT_SET:
    default:
        break;
    }
}

/* ------------------------------------------------------------ batch */

int codec_batch_decode(const void *buf, size_t len, struct codec_batch *out)
{
    struct unpack_budget budget = {UNPACK_BUDGET(len), false};
    ProtobufCAllocator alloc = {budget_alloc, libc_free, &budget};
    struct batch_scan scan;
    Nyckel__IngestBatch *m;
    Nyckel__Event *canon;
    union body_copy *bodies;
    size_t n, total = 0;
    uint8_t *mem, *bytes;

    memset(out, 0, sizeof *out);
    if (len > CODEC_BATCH_MAX_BYTES)
        return CODEC_EOVERSIZED;
    if (len > 0 && !buf)
        return CODEC_EMALFORMED;
    /* The batch id is echoed whenever it was read, even from a frame
     * that turns out malformed after it: a refusal for an id the
     * exporter does not know is ignored, and one it knows is resent. */
    if (!scan_batch(buf, len, &scan)) {
        out->batch_id = scan.batch_id;
        return CODEC_EMALFORMED;
    }
    out->batch_id = scan.batch_id;
    if (!scan.has_protocol || scan.protocol != CODEC_PROTOCOL)
        return CODEC_EPROTOCOL;
    if (scan.n_events > CODEC_BATCH_MAX_EVENTS)
        return CODEC_ETOOMANY;
    m = nyckel__ingest_batch__unpack(&alloc, len, buf);
    if (!m)
        return budget.exceeded ? CODEC_EOVERSIZED : CODEC_EMALFORMED;
    n = m->n_events;

    /* Canonical copies first, to size the one block for raw. */
    canon = xcalloc(n, sizeof *canon);
    bodies = xcalloc(n, sizeof *bodies);
    for (size_t i = 0; i < n; i++) {
        event_canonical(m->events[i], &canon[i], &bodies[i]);
        total += nyckel__event__get_packed_size(&canon[i]);
    }
    /* [n pointers][n lengths][bytes], freed as one. */
    mem = xmalloc(n * (sizeof(uint8_t *) + sizeof(size_t)) + total);
    out->raw = (const uint8_t **)(void *)mem;
    out->raw_len = (size_t *)(void *)(mem + n * sizeof(uint8_t *));
    bytes = mem + n * (sizeof(uint8_t *) + sizeof(size_t));
    out->events = xcalloc(n, sizeof *out->events);
    for (size_t i = 0; i < n; i++) {
        out->raw[i] = bytes;
        out->raw_len[i] = nyckel__event__pack(&canon[i], bytes);
        bytes += out->raw_len[i];
        event_fill(m->events[i], &out->events[i]);
    }
    free(bodies);
    free(canon);
    out->n_events = n;
    out->msg = m;
    return 0;
}

void codec_batch_free(struct codec_batch *b)
{
    if (!b)
        return;
    if (b->msg)
        nyckel__ingest_batch__free_unpacked(b->msg, &libc_allocator);
    free(b->events);
    free((void *)b->raw);
    memset(b, 0, sizeof *b);
}

int codec_event_decode(const void *buf, size_t len, struct event_in *out,
                       void **msg)
{
    struct unpack_budget budget = {UNPACK_BUDGET(len), false};
    ProtobufCAllocator alloc = {budget_alloc, libc_free, &budget};
    Nyckel__Event *m;

    memset(out, 0, sizeof *out);
    *msg = NULL;
    if (len > CODEC_EVENT_MAX_BYTES)
        return CODEC_EOVERSIZED;
    if (len > 0 && !buf)
        return CODEC_EMALFORMED;
    m = nyckel__event__unpack(&alloc, len, buf);
    if (!m)
        return budget.exceeded ? CODEC_EOVERSIZED : CODEC_EMALFORMED;
    event_fill(m, out);
    *msg = m;
    return 0;
}

void codec_event_free(void **msg)
{
    if (!msg || !*msg)
        return;
    nyckel__event__free_unpacked(*msg, &libc_allocator);
    *msg = NULL;
}

const char *codec_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case CODEC_EOVERSIZED:
        return "frame too large";
    case CODEC_EMALFORMED:
        return "malformed protobuf";
    case CODEC_EPROTOCOL:
        return "protocol version missing or not supported";
    case CODEC_ETOOMANY:
        return "too many events in batch";
    default:
        break;
    }
    if (code < 0 && code > -1000)
        return strerror(-code);
    return "unknown codec error";
}

/* ---------------------------------------------------------- replies */

/* Pack m into a fresh malloc'd buffer. */
static int pack_message(const ProtobufCMessage *m, uint8_t **buf, size_t *len)
{
    size_t size = protobuf_c_message_get_packed_size(m);
    uint8_t *p = malloc(size ? size : 1);

    if (!p)
        return -ENOMEM;
    *len = protobuf_c_message_pack(m, p);
    *buf = p;
    return 0;
}

/* Wire slices for n codec slices; every array owned here. The strings
 * stay borrowed from the caller (protobuf-c's char * is not written to
 * when packing, hence the casts). */
struct slices_wire {
    size_t n;
    Nyckel__Slice *slices;
    Nyckel__Slice **slice_ptrs;
    Nyckel__Dim *dims;
    Nyckel__Dim **dim_ptrs;
    Nyckel__Metric *metrics;
    Nyckel__Metric **metric_ptrs;
};

static void slices_wire_fini(struct slices_wire *w)
{
    free(w->slices);
    free(w->slice_ptrs);
    free(w->dims);
    free(w->dim_ptrs);
    free(w->metrics);
    free(w->metric_ptrs);
    memset(w, 0, sizeof *w);
}

/* n metrics from in into the wire arrays at *k (advanced). */
static Nyckel__Metric **slices_wire_metrics(struct slices_wire *w, size_t *k,
                                            const struct codec_metric *in,
                                            size_t n)
{
    Nyckel__Metric **first = &w->metric_ptrs[*k];
    for (size_t j = 0; j < n; j++, (*k)++) {
        static const Nyckel__Metric metric_init = NYCKEL__METRIC__INIT;
        Nyckel__Metric *mm = &w->metrics[*k];

        *mm = metric_init;
        mm->id = (char *)in[j].id;
        mm->label = (char *)in[j].label;
        mm->unit = (char *)in[j].unit;
        mm->has_value = !in[j].is_null;
        mm->value = in[j].is_null ? 0.0 : in[j].value;
        w->metric_ptrs[*k] = mm;
    }
    return first;
}

static int slices_wire_build(size_t n, const struct codec_slice *in,
                             struct slices_wire *w)
{
    size_t n_dims = 0, n_metrics = 0, d = 0, k = 0;

    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < n; i++) {
        size_t m = in[i].n_metrics + 2 * in[i].n_previous;
        if (n_dims + in[i].n_dims < n_dims || n_metrics + m < n_metrics)
            return -ENOMEM;
        n_dims += in[i].n_dims;
        n_metrics += m;
    }
    /* calloc(0) may return NULL: ask for at least one of each. */
    w->slices = calloc(n ? n : 1, sizeof *w->slices);
    w->slice_ptrs = calloc(n ? n : 1, sizeof *w->slice_ptrs);
    w->dims = calloc(n_dims ? n_dims : 1, sizeof *w->dims);
    w->dim_ptrs = calloc(n_dims ? n_dims : 1, sizeof *w->dim_ptrs);
    w->metrics = calloc(n_metrics ? n_metrics : 1, sizeof *w->metrics);
    w->metric_ptrs = calloc(n_metrics ? n_metrics : 1, sizeof *w->metric_ptrs);
    if (!w->slices || !w->slice_ptrs || !w->dims || !w->dim_ptrs ||
        !w->metrics || !w->metric_ptrs) {
        slices_wire_fini(w);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        static const Nyckel__Slice slice_init = NYCKEL__SLICE__INIT;
        Nyckel__Slice *s = &w->slices[i];

        *s = slice_init;
        s->municipality = (char *)in[i].municipality;
        s->domain = (char *)in[i].domain;
        s->period = (char *)in[i].period;
        s->has_seq = 1;
        s->seq = in[i].seq;
        s->n_dims = in[i].n_dims;
        s->dims = &w->dim_ptrs[d];
        for (size_t j = 0; j < in[i].n_dims; j++, d++) {
            static const Nyckel__Dim dim_init = NYCKEL__DIM__INIT;

            w->dims[d] = dim_init;
            w->dims[d].key = (char *)in[i].dims[j].key;
            w->dims[d].value = (char *)in[i].dims[j].value;
            w->dim_ptrs[d] = &w->dims[d];
        }
        s->n_metrics = in[i].n_metrics;
        s->metrics = slices_wire_metrics(w, &k, in[i].metrics, in[i].n_metrics);
        s->n_previous = in[i].n_previous;
        s->previous =
            slices_wire_metrics(w, &k, in[i].previous, in[i].n_previous);
        s->n_change_pct = in[i].n_previous;
        s->change_pct =
            slices_wire_metrics(w, &k, in[i].change_pct, in[i].n_previous);
        w->slice_ptrs[i] = s;
    }
    w->n = n;
    return 0;
}

int codec_ack_encode(const struct codec_ack *a, uint8_t **buf, size_t *len)
{
    Nyckel__IngestAck m = NYCKEL__INGEST_ACK__INIT;
    Nyckel__EventAck *acks = NULL, **ptrs = NULL;
    int rc;

    *buf = NULL;
    *len = 0;
    m.has_protocol = 1;
    m.protocol = CODEC_PROTOCOL;
    m.has_batch_id = 1;
    m.batch_id = a->batch_id;
    m.has_status = 1;
    m.status = (Nyckel__Status)a->status;
    m.reason = (char *)a->reason;
    m.text = (char *)a->text;
    m.has_seq = 1;
    m.seq = a->seq;
    if (a->n_acks) {
        acks = calloc(a->n_acks, sizeof *acks);
        ptrs = calloc(a->n_acks, sizeof *ptrs);
        if (!acks || !ptrs) {
            rc = -ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < a->n_acks; i++) {
            static const Nyckel__EventAck init = NYCKEL__EVENT_ACK__INIT;

            acks[i] = init;
            acks[i].has_status = 1;
            acks[i].status = (Nyckel__Status)a->acks[i].status;
            acks[i].reason = (char *)a->acks[i].reason;
            acks[i].text = (char *)a->acks[i].text;
            ptrs[i] = &acks[i];
        }
    }
    m.n_acks = a->n_acks;
    m.acks = ptrs;
    rc = pack_message(&m.base, buf, len);
out:
    free(acks);
    free(ptrs);
    return rc;
}

int codec_update_encode(uint64_t seq, const char *as_of,
                        const struct codec_slice *s, uint8_t **buf, size_t *len)
{
    Nyckel__Update m = NYCKEL__UPDATE__INIT;
    struct slices_wire w;
    int rc;

    *buf = NULL;
    *len = 0;
    rc = slices_wire_build(1, s, &w);
    if (rc)
        return rc;
    /* The slice's last update is now this one; its previous travels in
     * prev_seq so a subscriber can tell whether it missed one. */
    w.slices[0].seq = seq;
    m.has_protocol = 1;
    m.protocol = CODEC_PROTOCOL;
    m.has_seq = 1;
    m.seq = seq;
    m.as_of = (char *)as_of;
    m.slice = &w.slices[0];
    m.has_prev_seq = 1;
    m.prev_seq = s->seq;
    rc = pack_message(&m.base, buf, len);
    slices_wire_fini(&w);
    return rc;
}

int codec_heartbeat_encode(uint64_t seq, const char *as_of, uint8_t **buf,
                           size_t *len)
{
    Nyckel__Heartbeat m = NYCKEL__HEARTBEAT__INIT;

    *buf = NULL;
    *len = 0;
    m.has_protocol = 1;
    m.protocol = CODEC_PROTOCOL;
    m.has_seq = 1;
    m.seq = seq;
    m.as_of = (char *)as_of;
    return pack_message(&m.base, buf, len);
}

int codec_result_encode(uint64_t seq, const char *as_of, size_t n_slices,
                        const struct codec_slice *slices, const char *error,
                        const char *text, uint8_t **buf, size_t *len)
{
    Nyckel__QueryResult m = NYCKEL__QUERY_RESULT__INIT;
    struct slices_wire w;
    int rc;

    *buf = NULL;
    *len = 0;
    rc = slices_wire_build(n_slices, slices, &w);
    if (rc)
        return rc;
    m.has_protocol = 1;
    m.protocol = CODEC_PROTOCOL;
    m.has_seq = 1;
    m.seq = seq;
    m.as_of = (char *)as_of;
    m.n_slices = n_slices;
    m.slices = w.slice_ptrs;
    m.error = (char *)error;
    m.text = (char *)text;
    rc = pack_message(&m.base, buf, len);
    slices_wire_fini(&w);
    return rc;
}

/* ------------------------------------------------------------ query */

int codec_query_decode(const void *buf, size_t len, struct codec_query *q)
{
    struct unpack_budget budget = {UNPACK_BUDGET(len), false};
    ProtobufCAllocator alloc = {budget_alloc, libc_free, &budget};
    Nyckel__Query *m;
    int rc = CODEC_EMALFORMED;

    memset(q, 0, sizeof *q);
    if (len > CODEC_QUERY_MAX_BYTES)
        return CODEC_EOVERSIZED;
    if (len > 0 && !buf)
        return CODEC_EMALFORMED;
    m = nyckel__query__unpack(&alloc, len, buf);
    if (!m)
        return budget.exceeded ? CODEC_EOVERSIZED : CODEC_EMALFORMED;
    if (!m->has_protocol || m->protocol != CODEC_PROTOCOL) {
        rc = CODEC_EPROTOCOL;
        goto fail;
    }
    if (m->n_domains > CODEC_QUERY_MAX_LIST ||
        m->n_filters > CODEC_QUERY_MAX_LIST)
        goto fail;
    for (size_t i = 0; i < m->n_filters; i++)
        if (!m->filters[i]->key || !m->filters[i]->value)
            goto fail; /* a filter matches a key to a value: both needed */
    q->municipality = m->municipality;
    q->n_domains = m->n_domains;
    for (size_t i = 0; i < m->n_domains; i++)
        q->domains[i] = m->domains[i];
    q->period = m->period;
    q->period_to = m->period_to;
    q->rollup = m->rollup;
    q->n_filters = m->n_filters;
    for (size_t i = 0; i < m->n_filters; i++) {
        q->filters[i].key = m->filters[i]->key;
        q->filters[i].value = m->filters[i]->value;
    }
    q->compare_previous_year =
        m->has_compare_previous_year && m->compare_previous_year;
    q->msg = m;
    return 0;
fail:
    nyckel__query__free_unpacked(m, &libc_allocator);
    return rc;
}

void codec_query_free(struct codec_query *q)
{
    if (!q)
        return;
    if (q->msg)
        nyckel__query__free_unpacked(q->msg, &libc_allocator);
    memset(q, 0, sizeof *q);
}
