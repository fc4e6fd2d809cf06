/*
 * codec.c — the only door to the protobuf-c code generated from
 * proto/nyckel.proto (STYLE 2): strict decoding of ingest batches,
 * stored events and queries into the plain structs of event.h and
 * codec.h, and encoding of acks, updates, heartbeats and query results.
 *
 * Strict decoding. A frame is accepted only in its canonical encoding,
 * the one protobuf-c's pack writes (nyckel's clients pack with it; any
 * other sender must write the same bytes): it leaves no room for two
 * encodings of one batch to be read two ways, for fields the daemon
 * silently drops, or for allocation out of proportion to the frame.
 * protobuf-c allocates a struct for every submessage and a copy of every
 * string and unknown field, so a lax 1 MiB frame can ask for tens of
 * megabytes. Hence, in order, each refusal with a why text:
 *   1. the frame length against its cap (CODEC_EOVERSIZED);
 *   2. a walk over the top-level fields (scan_top) that checks only the
 *      wire format, and reads protocol and batch id and counts the
 *      events (CODEC_EMALFORMED, then CODEC_EPROTOCOL, CODEC_ETOOMANY):
 *      a frame of another protocol version is refused as such;
 *   3. a walk of the whole frame against the schema's descriptors
 *      (walk_message), allocating nothing: no unknown field at any depth,
 *      no field number 0, every field in field-number order and each
 *      non-repeated one at most once, at most one member of a oneof, the
 *      declared wire type (so no packed encoding of monthly_ore), every
 *      varint (keys, lengths, values) at most 10 bytes with a tenth byte
 *      of 0 or 1 and minimal, i.e. not ending in a padding 0x00 byte
 *      (protobuf-c never writes one; a padded varint is "overlong"),
 *      values that fit their type (bool 0 or 1, uint32 below 2^32),
 *      strings at most CODEC_STRING_MAX bytes without NUL, repeated
 *      fields at most repeated_max() elements (CODEC_EMALFORMED). The
 *      schema has no recursive message (test_codec checks), and the walk
 *      follows at most CODEC_DEPTH_MAX levels anyway;
 *   4. protobuf-c's unpack with an allocator that grants at most
 *      UNPACK_BUDGET(len) bytes, a backstop: after the walk a frame needs
 *      far less (CODEC_EOVERSIZED when exceeded, CODEC_EMALFORMED for
 *      anything protobuf-c refuses);
 *   5. the unpacked message packed again, compared byte for byte with
 *      the input without allocating (walk_canonical): whatever the walk
 *      let through that protobuf-c reads lossily is refused here
 *      (CODEC_EMALFORMED, "not the canonical encoding").
 * Identifiers and other strings get their precise limits from validate
 * (EVENT_ID_MAX, EVENT_CODE_MAX, dates, enumerations), per event with a
 * reason; CODEC_STRING_MAX is the ceiling for a whole frame above those.
 *
 * Canonical stored bytes: every event of a batch is re-encoded on its
 * own (raw[i]) from the unpacked message. "deleted: false" is stored as
 * absent, and a tombstone keeps only its common fields and an empty body
 * of its kind: its body is never used, and would otherwise be stored for
 * nothing (validation does not look at a tombstone's body beyond the
 * personnummer scan). A non-deleted event that passes validation is
 * always far below CODEC_EVENT_MAX_BYTES, since all its strings are
 * bounded. Stored events are decoded as strictly as frames (they are
 * protobuf-c's output, so canonical), which makes corruption visible.
 *
 * Allocation: the unpack allocator and the decoders' arrays abort on
 * OOM (xalloc.h), since a failed unpack cannot tell OOM from bad input;
 * the encoders report -ENOMEM as codec.h promises.
 */
#include "codec.h"

#include "nyckel.pb-c.h"
#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes protobuf-c may allocate to unpack a frame of len bytes: honest
 * frames need about len plus a few hundred bytes per event (at most
 * 1000), floods of tiny unknown fields far more. */
#define UNPACK_BUDGET(len) ((len)*8 + 4 * 1024 * 1024)
#define ALLOC_OVERHEAD 16 /* malloc bookkeeping, counted per block */
#define CODEC_DEPTH_MAX 4 /* submessage nesting the walk follows */

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

/* ---------------------------------------------------------- varints */

enum varint_rc {
    VARINT_OK,
    VARINT_CUT,    /* the frame ends inside it */
    VARINT_LONG,   /* more than 10 bytes, or bits beyond the 64th */
    VARINT_PADDED, /* a last byte of 0 after others: not minimal */
};

static const char *const varint_text[] = {
    [VARINT_OK] = "ok",
    [VARINT_CUT] = "varint cut by the end",
    [VARINT_LONG] = "varint over 64 bits",
    [VARINT_PADDED] = "varint not minimal",
};

/* A base-128 varint at p[*pos..len) into *v, *pos advanced past it. Only
 * the minimal encoding of a 64-bit value is accepted: a tenth byte may
 * be 0 or 1 and ends the varint; a last byte 0x00 after others only pads.
 * protobuf-c writes every varint that way, so canonical frames pass. */
static enum varint_rc varint_read(const uint8_t *p, size_t len, size_t *pos,
                                  uint64_t *v)
{
    uint64_t r = 0;

    for (unsigned i = 0; i < 10; i++) {
        uint8_t c;

        if (*pos >= len)
            return VARINT_CUT;
        c = p[(*pos)++];
        if (i == 9 && c > 1)
            return VARINT_LONG;
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            if (c == 0 && i > 0)
                return VARINT_PADDED;
            *v = r;
            return VARINT_OK;
        }
    }
    return VARINT_LONG; /* not reached: the tenth byte ends or fails */
}

/* ---------------------------------------------------------- refusals */

/* Where a refusal happened: the message path from the root and the
 * frame it is in. Borrowed pointers live as long as the walk. */
struct walk {
    const uint8_t *p; /* the whole frame */
    const char *root; /* "IngestBatch", "Query", "Event" */
    unsigned depth;   /* entries in path */
    struct {
        const char *name; /* field name */
        size_t index;     /* element of a repeated field */
        bool repeated;
    } path[CODEC_DEPTH_MAX];
    char *why; /* CODEC_WHY_MAX bytes, written on refusal */
};

/* Write "<root>.<path>[.<field>]: <what> at byte <at>" into w->why and
 * return false, for `return walk_fail(...)`. field may be NULL. */
__attribute__((format(printf, 4, 5))) static bool
walk_fail(struct walk *w, size_t at, const char *field, const char *fmt, ...)
{
    char *o = w->why;
    size_t room = CODEC_WHY_MAX, n;
    va_list ap;

#define WHY_ADD(...)                                                           \
    do {                                                                       \
        int k_ = snprintf(o, room, __VA_ARGS__);                               \
        n = k_ < 0 ? 0 : (size_t)k_ < room ? (size_t)k_ : room - 1;            \
        o += n;                                                                \
        room -= n;                                                             \
    } while (0)
    WHY_ADD("%s", w->root);
    for (unsigned i = 0; i < w->depth; i++) {
        if (w->path[i].repeated)
            WHY_ADD(".%s[%zu]", w->path[i].name, w->path[i].index);
        else
            WHY_ADD(".%s", w->path[i].name);
    }
    if (field)
        WHY_ADD(".%s", field);
    WHY_ADD(": ");
    va_start(ap, fmt);
    {
        int k = vsnprintf(o, room, fmt, ap);
        n = k < 0 ? 0 : (size_t)k < room ? (size_t)k : room - 1;
        o += n;
        room -= n;
    }
    va_end(ap);
    WHY_ADD(" at byte %zu", at);
#undef WHY_ADD
    return false;
}

/* ------------------------------------------------------ strict walk */

/* The wire type protobuf-c writes for a field of this type (no field we
 * decode is packed; the schema test checks). */
static unsigned wire_type_of(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 1;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return 2;
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return 5;
    default: /* the varint types */
        return 0;
    }
}

/* Elements a repeated field of message d may have. */
static size_t repeated_max(const ProtobufCMessageDescriptor *d)
{
    if (d == &nyckel__ingest_batch__descriptor)
        return CODEC_BATCH_MAX_EVENTS; /* events */
    if (d == &nyckel__query__descriptor)
        return CODEC_QUERY_MAX_LIST; /* domains, filters */
    return CODEC_REPEATED_MAX;       /* Budget.monthly_ore */
}

/* NULL when the field's type holds varint value v without protobuf-c
 * truncating or normalising it (which re-encoding would reveal), else
 * what is wrong. The value itself is never shown: a number can be a
 * personnummer. */
static const char *varint_misfit(ProtobufCType t, uint64_t v)
{
    switch (t) {
    case PROTOBUF_C_TYPE_BOOL:
        return v <= 1 ? NULL : "value not 0 or 1";
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_SINT32:
        return v <= UINT32_MAX ? NULL : "value over 32 bits";
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM: /* sign-extended to 64 bits when < 0 */
        return v <= INT32_MAX || v >= (uint64_t)(int64_t)INT32_MIN
                   ? NULL
                   : "value out of int32 range";
    default:
        return NULL;
    }
}

/* Check the message of type d in w->p[start..end) and, recursively, its
 * submessages, before protobuf-c allocates anything for it: every field
 * known, number non-zero and fields in number order, each non-repeated
 * field at most once and one member per oneof, the declared wire type,
 * minimal varints that fit the type, strings within CODEC_STRING_MAX and
 * free of NUL, repeated fields within repeated_max(). Together these
 * bound what unpacking allocates by the frame length, and leave the
 * re-encoding comparison little to find. */
static bool walk_message(struct walk *w, const ProtobufCMessageDescriptor *d,
                         size_t start, size_t end)
{
    size_t pos = start, count = 0;
    uint32_t prev = 0;
    uint64_t seen = 0; /* bit i: d->fields[i] present */

    if (d->n_fields > 64)
        return walk_fail(w, start, NULL, "schema too wide for the walk");
    while (pos < end) {
        const ProtobufCFieldDescriptor *f;
        const char *misfit;
        size_t at = pos, idx;
        uint64_t key, v;
        uint32_t num;
        unsigned wt;
        enum varint_rc vr;

        if ((vr = varint_read(w->p, end, &pos, &key)) != VARINT_OK)
            return walk_fail(w, at, NULL, "field key: %s", varint_text[vr]);
        wt = (unsigned)(key & 7);
        if ((key >> 3) == 0)
            return walk_fail(w, at, NULL, "field number 0");
        if ((key >> 3) > 0x1fffffff)
            return walk_fail(w, at, NULL, "field number over 2^29-1");
        num = (uint32_t)(key >> 3);
        f = protobuf_c_message_descriptor_get_field(d, num);
        if (!f)
            return walk_fail(w, at, NULL, "unknown field %u (wire type %u)",
                             num, wt);
        if (wt != wire_type_of(f->type))
            return walk_fail(w, at, f->name, "wire type %u, expected %u", wt,
                             wire_type_of(f->type));
        if (num < prev)
            return walk_fail(w, at, f->name,
                             "field %u after field %u: not in number order",
                             num, prev);
        idx = (size_t)(f - d->fields);
        if (num == prev) {
            if (f->label != PROTOBUF_C_LABEL_REPEATED)
                return walk_fail(w, at, f->name, "sent twice");
        } else {
            count = 0;
            if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                for (unsigned i = 0; i < d->n_fields; i++)
                    if ((seen >> i & 1) &&
                        (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                        d->fields[i].quantifier_offset == f->quantifier_offset)
                        return walk_fail(w, at, f->name,
                                         "second member of a oneof, after %s",
                                         d->fields[i].name);
        }
        seen |= (uint64_t)1 << idx;
        if (f->label == PROTOBUF_C_LABEL_REPEATED && ++count > repeated_max(d))
            return walk_fail(w, at, f->name, "more than %zu elements",
                             repeated_max(d));
        prev = num;

        switch (wt) {
        case 0:
            if ((vr = varint_read(w->p, end, &pos, &v)) != VARINT_OK)
                return walk_fail(w, at, f->name, "%s", varint_text[vr]);
            if ((misfit = varint_misfit(f->type, v)))
                return walk_fail(w, at, f->name, "%s", misfit);
            break;
        case 1:
        case 5:
            if (end - pos < (wt == 1 ? 8u : 4u))
                return walk_fail(w, at, f->name, "cut by the end");
            pos += wt == 1 ? 8 : 4;
            break;
        default: /* 2: length-delimited */
            if ((vr = varint_read(w->p, end, &pos, &v)) != VARINT_OK)
                return walk_fail(w, at, f->name, "length: %s", varint_text[vr]);
            if (v > end - pos)
                return walk_fail(w, at, f->name, "%llu bytes, only %zu left",
                                 (unsigned long long)v, end - pos);
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (w->depth == CODEC_DEPTH_MAX)
                    return walk_fail(w, at, f->name, "nested too deep");
                w->path[w->depth].name = f->name;
                w->path[w->depth].index = count ? count - 1 : 0;
                w->path[w->depth].repeated =
                    f->label == PROTOBUF_C_LABEL_REPEATED;
                w->depth++;
                if (!walk_message(w, f->descriptor, pos, pos + (size_t)v))
                    return false;
                w->depth--;
            } else if (v > CODEC_STRING_MAX) {
                return walk_fail(w, at, f->name, "%llu bytes, at most %d",
                                 (unsigned long long)v, CODEC_STRING_MAX);
            } else if (f->type == PROTOBUF_C_TYPE_STRING &&
                       memchr(w->p + pos, 0, (size_t)v)) {
                return walk_fail(w, at, f->name, "NUL byte in a string");
            }
            pos += (size_t)v;
            break;
        }
    }
    return true;
}

/* ----------------------------------------------- canonical re-encoding */

/* A ProtobufCBuffer that compares what protobuf-c packs with the input
 * instead of storing it: no allocation, and the first difference. */
struct cmp_buffer {
    ProtobufCBuffer base; /* first: protobuf-c passes &base */
    const uint8_t *want;  /* the input frame, borrowed */
    size_t len;           /* its length */
    size_t pos;           /* bytes packed so far */
    size_t diff_at;       /* first differing offset, SIZE_MAX: none yet */
};

static void cmp_append(ProtobufCBuffer *b, size_t n, const uint8_t *data)
{
    struct cmp_buffer *c = (struct cmp_buffer *)(void *)b;

    for (size_t i = 0; i < n && c->diff_at == SIZE_MAX; i++)
        if (c->pos + i >= c->len || c->want[c->pos + i] != data[i])
            c->diff_at = c->pos + i;
    c->pos += n;
}

/* True when m packs to exactly p[0..len); else the why text. */
static bool walk_canonical(struct walk *w, const ProtobufCMessage *m,
                           size_t len)
{
    struct cmp_buffer c = {{cmp_append}, w->p, len, 0, SIZE_MAX};

    protobuf_c_message_pack_to_buffer(m, &c.base);
    if (c.diff_at == SIZE_MAX && c.pos != len)
        c.diff_at = c.pos;
    if (c.diff_at == SIZE_MAX)
        return true;
    w->depth = 0;
    return walk_fail(w, c.diff_at, NULL,
                     "not the canonical encoding (re-encoding differs)");
}

/* Walk a whole frame p[0..len) of type d: false with w->why set. */
static bool walk_frame(struct walk *w, const ProtobufCMessageDescriptor *d,
                       const uint8_t *p, size_t len, char *why)
{
    w->p = p;
    w->root = d->short_name;
    w->depth = 0;
    w->why = why;
    return walk_message(w, d, 0, len);
}

/* ------------------------------------------------------ top-level scan */

struct top_scan {
    bool has_protocol, has_batch_id;
    uint64_t protocol, batch_id; /* fields 1 and 2 as varints */
    size_t n_3;                  /* occurrences of field 3 (events) */
};

/* Refuse field `field` of the top level: by name when d knows it. */
#define SCAN_FAIL(what, ...)                                                   \
    do {                                                                       \
        const ProtobufCFieldDescriptor *f_ =                                   \
            protobuf_c_message_descriptor_get_field(d, (unsigned)field);       \
        char what_[64];                                                        \
        snprintf(what_, sizeof what_, what, __VA_ARGS__);                      \
        if (f_)                                                                \
            return walk_fail(&w, at, f_->name, "%s", what_);                   \
        return walk_fail(&w, at, NULL, "field %llu: %s",                       \
                         (unsigned long long)field, what_);                    \
    } while (0)

/* Walk the top-level fields of a frame of type d without allocating and
 * without judging them against the schema, only the wire format: read
 * protocol and batch id (last one wins, as in protobuf) and count the
 * events, so that a frame of another protocol version is refused as
 * such. Nested messages and the schema are walk_message's. On failure,
 * *s holds what was read before the fault and why says what. */
static bool scan_top(const ProtobufCMessageDescriptor *d, const uint8_t *p,
                     size_t len, struct top_scan *s, char *why)
{
    struct walk w = {.p = p, .root = d->short_name, .why = why};
    size_t pos = 0;

    memset(s, 0, sizeof *s);
    while (pos < len) {
        size_t at = pos;
        uint64_t key, v, field;
        enum varint_rc vr;

        if ((vr = varint_read(p, len, &pos, &key)) != VARINT_OK)
            return walk_fail(&w, at, NULL, "field key: %s", varint_text[vr]);
        field = key >> 3;
        if (field == 0)
            return walk_fail(&w, at, NULL, "field number 0");
        if (field > 0x1fffffff)
            return walk_fail(&w, at, NULL, "field number over 2^29-1");
        switch (key & 7) {
        case 0: /* varint */
            if ((vr = varint_read(p, len, &pos, &v)) != VARINT_OK)
                SCAN_FAIL("%s", varint_text[vr]);
            if (field == 1) {
                s->has_protocol = true;
                s->protocol = v;
            } else if (field == 2) {
                s->has_batch_id = true;
                s->batch_id = v;
            }
            break;
        case 1: /* fixed64 */
        case 5: /* fixed32 */
            if (len - pos < ((key & 7) == 1 ? 8u : 4u))
                SCAN_FAIL("%s", "cut by the end");
            pos += (key & 7) == 1 ? 8 : 4;
            break;
        case 2: /* length-delimited */
            if ((vr = varint_read(p, len, &pos, &v)) != VARINT_OK)
                SCAN_FAIL("length: %s", varint_text[vr]);
            if (v > len - pos)
                SCAN_FAIL("%llu bytes, only %zu left", (unsigned long long)v,
                          len - pos);
            pos += (size_t)v;
            if (field == 3)
                s->n_3++;
            break;
        default: /* groups (3, 4), as protobuf-c: unsupported */
            SCAN_FAIL("wire type %u", (unsigned)(key & 7));
        }
    }
    return true;
}
#undef SCAN_FAIL

/* "IngestBatch: protocol 2, not 1" into why; a large number is not
 * echoed (a number can be a personnummer). */
static void protocol_why(const ProtobufCMessageDescriptor *d,
                         const struct top_scan *s, char *why)
{
    if (!s->has_protocol)
        snprintf(why, CODEC_WHY_MAX, "%s: protocol missing, not %d",
                 d->short_name, CODEC_PROTOCOL);
    else if (s->protocol > 255)
        snprintf(why, CODEC_WHY_MAX, "%s: protocol over 255, not %d",
                 d->short_name, CODEC_PROTOCOL);
    else
        snprintf(why, CODEC_WHY_MAX, "%s: protocol %u, not %d", d->short_name,
                 (unsigned)s->protocol, CODEC_PROTOCOL);
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
    const ProtobufCMessageDescriptor *d = &nyckel__ingest_batch__descriptor;
    struct top_scan scan;
    struct walk w;
    Nyckel__IngestBatch *m;
    Nyckel__Event *canon;
    union body_copy *bodies;
    size_t n, total = 0;
    uint8_t *mem, *bytes;

    memset(out, 0, sizeof *out);
    if (len > CODEC_BATCH_MAX_BYTES) {
        snprintf(out->why, sizeof out->why, "%s: %zu bytes, at most %d",
                 d->short_name, len, CODEC_BATCH_MAX_BYTES);
        return CODEC_EOVERSIZED;
    }
    if (len > 0 && !buf) {
        snprintf(out->why, sizeof out->why, "%s: no bytes", d->short_name);
        return CODEC_EMALFORMED;
    }
    /* The batch id is echoed whenever it was read, even from a frame
     * that turns out malformed after it: a refusal for an id the
     * exporter does not know is ignored, and one it knows is resent. */
    if (!scan_top(d, buf, len, &scan, out->why)) {
        out->batch_id = scan.batch_id;
        return CODEC_EMALFORMED;
    }
    out->batch_id = scan.batch_id;
    if (!scan.has_protocol || scan.protocol != CODEC_PROTOCOL) {
        protocol_why(d, &scan, out->why);
        return CODEC_EPROTOCOL;
    }
    if (scan.n_3 > CODEC_BATCH_MAX_EVENTS) {
        snprintf(out->why, sizeof out->why, "%s: %zu events, at most %d",
                 d->short_name, scan.n_3, CODEC_BATCH_MAX_EVENTS);
        return CODEC_ETOOMANY;
    }
    if (!walk_frame(&w, d, buf, len, out->why))
        return CODEC_EMALFORMED;
    m = nyckel__ingest_batch__unpack(&alloc, len, buf);
    if (!m) {
        snprintf(out->why, sizeof out->why, "%s: %s", d->short_name,
                 budget.exceeded ? "unpacking needs too much memory"
                                 : "refused by protobuf-c");
        return budget.exceeded ? CODEC_EOVERSIZED : CODEC_EMALFORMED;
    }
    if (!walk_canonical(&w, &m->base, len)) {
        nyckel__ingest_batch__free_unpacked(m, &libc_allocator);
        return CODEC_EMALFORMED;
    }
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
    char why[CODEC_WHY_MAX];
    struct walk w;
    Nyckel__Event *m;

    memset(out, 0, sizeof *out);
    *msg = NULL;
    if (len > CODEC_EVENT_MAX_BYTES)
        return CODEC_EOVERSIZED;
    if (len > 0 && !buf)
        return CODEC_EMALFORMED;
    if (!walk_frame(&w, &nyckel__event__descriptor, buf, len, why))
        return CODEC_EMALFORMED;
    m = nyckel__event__unpack(&alloc, len, buf);
    if (!m)
        return budget.exceeded ? CODEC_EOVERSIZED : CODEC_EMALFORMED;
    if (!walk_canonical(&w, &m->base, len)) {
        nyckel__event__free_unpacked(m, &libc_allocator);
        return CODEC_EMALFORMED;
    }
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
        mm->status = (char *)in[j].status;
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

/*
 * The Update by hand. protobuf-c's generic packing (walking the
 * descriptors twice, sizes then bytes) cost about 15 000 instructions an
 * update, and every commit publishes one update per changed slice: a
 * payment changes a few hundred. The bytes are protobuf-c's own: fields
 * in number order, a present field once, nested messages after their
 * length (test_codec packs the decoded update again with protobuf-c and
 * compares, over many slices).
 */
enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2 };

static size_t pb_varint_size(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static uint8_t *pb_varint(uint8_t *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (uint8_t)(v | 0x80);
    *p++ = (uint8_t)v;
    return p;
}

/* A field's key (every field number here is below 16: one byte). */
static uint8_t *pb_key(uint8_t *p, unsigned field, unsigned wire)
{
    *p++ = (uint8_t)(field << 3 | wire);
    return p;
}

static size_t pb_u64_size(uint64_t v)
{
    return 1 + pb_varint_size(v);
}

static uint8_t *pb_u64(uint8_t *p, unsigned field, uint64_t v)
{
    return pb_varint(pb_key(p, field, PB_VARINT), v);
}

static size_t pb_len_size(size_t n)
{
    return 1 + pb_varint_size(n) + n;
}

/* The key and length of a field of n bytes that follow. */
static uint8_t *pb_len(uint8_t *p, unsigned field, size_t n)
{
    return pb_varint(pb_key(p, field, PB_LEN), n);
}

/* An optional string: absent when NULL. */
static size_t pb_str_size(const char *s)
{
    return s ? pb_len_size(strlen(s)) : 0;
}

static uint8_t *pb_str(uint8_t *p, unsigned field, const char *s)
{
    if (!s)
        return p;
    size_t n = strlen(s);
    p = pb_len(p, field, n);
    memcpy(p, s, n);
    return p + n;
}

static uint8_t *pb_double(uint8_t *p, unsigned field, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    p = pb_key(p, field, PB_FIXED64);
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(u >> (8 * i));
    return p;
}

static size_t metric_size(const struct codec_metric *m)
{
    return pb_str_size(m->id) + (m->is_null ? 0 : 1 + 8) +
           pb_str_size(m->label) + pb_str_size(m->unit) +
           pb_str_size(m->status);
}

static size_t metrics_size(const struct codec_metric *m, size_t n)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++)
        size += pb_len_size(metric_size(&m[i]));
    return size;
}

/* n metrics, each a field of number field. */
static uint8_t *metrics_put(uint8_t *p, unsigned field,
                            const struct codec_metric *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p = pb_len(p, field, metric_size(&m[i]));
        p = pb_str(p, 1, m[i].id);
        if (!m[i].is_null)
            p = pb_double(p, 2, m[i].value);
        p = pb_str(p, 3, m[i].label);
        p = pb_str(p, 4, m[i].unit);
        p = pb_str(p, 5, m[i].status);
    }
    return p;
}

static size_t dim_size(const struct codec_dim *d)
{
    return pb_str_size(d->key) + pb_str_size(d->value);
}

/* The slice s with seq as its own sequence. */
static size_t slice_size(const struct codec_slice *s, uint64_t seq)
{
    size_t size = pb_str_size(s->municipality) + pb_str_size(s->domain) +
                  pb_str_size(s->period) + pb_u64_size(seq) +
                  metrics_size(s->metrics, s->n_metrics) +
                  metrics_size(s->previous, s->n_previous) +
                  metrics_size(s->change_pct, s->n_previous);
    for (size_t i = 0; i < s->n_dims; i++)
        size += pb_len_size(dim_size(&s->dims[i]));
    return size;
}

static uint8_t *slice_put(uint8_t *p, const struct codec_slice *s, uint64_t seq)
{
    p = pb_str(p, 1, s->municipality);
    p = pb_str(p, 2, s->domain);
    p = pb_str(p, 3, s->period);
    for (size_t i = 0; i < s->n_dims; i++) {
        p = pb_len(p, 4, dim_size(&s->dims[i]));
        p = pb_str(p, 1, s->dims[i].key);
        p = pb_str(p, 2, s->dims[i].value);
    }
    p = metrics_put(p, 5, s->metrics, s->n_metrics);
    p = pb_u64(p, 6, seq);
    p = metrics_put(p, 7, s->previous, s->n_previous);
    return metrics_put(p, 8, s->change_pct, s->n_previous);
}

int codec_update_encode(uint64_t seq, const char *as_of,
                        const struct codec_slice *s, uint8_t **buf, size_t *len)
{
    /* The slice's last update is now this one; its previous travels in
     * prev_seq so a subscriber can tell whether it missed one. */
    size_t slice = slice_size(s, seq);
    size_t size = pb_u64_size(CODEC_PROTOCOL) + pb_u64_size(seq) +
                  pb_str_size(as_of) + pb_len_size(slice) + pb_u64_size(s->seq);
    uint8_t *out = malloc(size);
    *buf = NULL;
    *len = 0;
    if (!out)
        return -ENOMEM;
    uint8_t *p = pb_u64(out, 1, CODEC_PROTOCOL);
    p = pb_u64(p, 2, seq);
    p = pb_str(p, 3, as_of);
    p = slice_put(pb_len(p, 4, slice), s, seq);
    p = pb_u64(p, 5, s->seq);
    assert((size_t)(p - out) == size);
    *buf = out;
    *len = size;
    return 0;
}

/* By hand, as codec_update_encode(): every top-level field but
 * prev_seq (5) copied as it is, in its order, then prev_seq, the last
 * field of an Update, as protobuf-c packs it. Unpacking and packing
 * again with protobuf-c cost some 15 000 instructions a public update. */
int codec_update_set_prev(const uint8_t *in, size_t in_len, uint64_t prev,
                          uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    uint8_t *out = malloc(in_len + pb_u64_size(prev));
    if (!out)
        return -ENOMEM;
    uint8_t *p = out;
    size_t pos = 0;
    while (pos < in_len) {
        size_t start = pos;
        uint64_t key, v;
        if (varint_read(in, in_len, &pos, &key) != VARINT_OK)
            goto bad;
        switch (key & 7) {
        case 0:
            if (varint_read(in, in_len, &pos, &v) != VARINT_OK)
                goto bad;
            break;
        case 1:
            pos += 8;
            break;
        case 2:
            if (varint_read(in, in_len, &pos, &v) != VARINT_OK ||
                v > in_len - pos)
                goto bad;
            pos += (size_t)v;
            break;
        case 5:
            pos += 4;
            break;
        default:
            goto bad;
        }
        if (pos > in_len)
            goto bad;
        if (key >> 3 != 5) {
            memcpy(p, in + start, pos - start);
            p += pos - start;
        }
    }
    p = pb_u64(p, 5, prev);
    *buf = out;
    *len = (size_t)(p - out);
    return 0;
bad:
    free(out);
    return -EINVAL;
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
    m.has_slice_count = 1;
    m.slice_count = (uint32_t)n_slices;
    m.error = (char *)error;
    m.text = (char *)text;
    rc = pack_message(&m.base, buf, len);
    slices_wire_fini(&w);
    return rc;
}

/* Wire Counts for n codec counts into the caller's arrays. */
static void counts_wire(const struct codec_count *in, size_t n,
                        Nyckel__Count *counts, Nyckel__Count **ptrs)
{
    for (size_t i = 0; i < n; i++) {
        static const Nyckel__Count count_init = NYCKEL__COUNT__INIT;

        counts[i] = count_init;
        counts[i].name = (char *)in[i].name;
        counts[i].has_value = 1;
        counts[i].value = in[i].value;
        ptrs[i] = &counts[i];
    }
}

int codec_health_encode(uint64_t seq, const char *as_of,
                        const struct codec_health *h, uint8_t **buf,
                        size_t *len)
{
    Nyckel__QueryResult m = NYCKEL__QUERY_RESULT__INIT;
    Nyckel__Health hm = NYCKEL__HEALTH__INIT;
    size_t n = h->n_rejected + h->n_refused;
    Nyckel__Count *counts = calloc(n ? n : 1, sizeof *counts);
    Nyckel__Count **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    int rc = -ENOMEM;

    *buf = NULL;
    *len = 0;
    if (!counts || !ptrs)
        goto out;
    counts_wire(h->rejected, h->n_rejected, counts, ptrs);
    counts_wire(h->batches_refused, h->n_refused, counts + h->n_rejected,
                ptrs + h->n_rejected);
    hm.version = (char *)h->version;
#define HEALTH_SET(f)                                                          \
    do {                                                                       \
        hm.has_##f = 1;                                                        \
        hm.f = h->f;                                                           \
    } while (0)
    HEALTH_SET(start_unix_ms);
    HEALTH_SET(uptime_ms);
    HEALTH_SET(events_received);
    HEALTH_SET(events_accepted);
    HEALTH_SET(events_duplicate);
    HEALTH_SET(events_stale);
    HEALTH_SET(events_rejected);
    HEALTH_SET(batches_accepted);
    HEALTH_SET(commit_seconds_sum);
    HEALTH_SET(map_bytes);
    HEALTH_SET(used_bytes);
    HEALTH_SET(max_bytes);
    HEALTH_SET(subscriptions);
    HEALTH_SET(handshakes_refused);
#undef HEALTH_SET
    hm.n_rejected = h->n_rejected;
    hm.rejected = ptrs;
    hm.n_batches_refused = h->n_refused;
    hm.batches_refused = ptrs + h->n_rejected;
    m.has_protocol = 1;
    m.protocol = CODEC_PROTOCOL;
    m.has_seq = 1;
    m.seq = seq;
    m.as_of = (char *)as_of;
    m.has_slice_count = 1;
    m.slice_count = 0;
    m.health = &hm;
    rc = pack_message(&m.base, buf, len);
out:
    free(counts);
    free(ptrs);
    return rc;
}

/* ------------------------------------------------------------ query */

int codec_query_decode(const void *buf, size_t len, struct codec_query *q)
{
    struct unpack_budget budget = {UNPACK_BUDGET(len), false};
    ProtobufCAllocator alloc = {budget_alloc, libc_free, &budget};
    const ProtobufCMessageDescriptor *d = &nyckel__query__descriptor;
    struct top_scan scan;
    struct walk w;
    Nyckel__Query *m;

    memset(q, 0, sizeof *q);
    if (len > CODEC_QUERY_MAX_BYTES) {
        snprintf(q->why, sizeof q->why, "%s: %zu bytes, at most %d",
                 d->short_name, len, CODEC_QUERY_MAX_BYTES);
        return CODEC_EOVERSIZED;
    }
    if (len > 0 && !buf) {
        snprintf(q->why, sizeof q->why, "%s: no bytes", d->short_name);
        return CODEC_EMALFORMED;
    }
    /* The protocol first, so that a query of another version is refused
     * as such even where version 1 would not read it. */
    if (!scan_top(d, buf, len, &scan, q->why))
        return CODEC_EMALFORMED;
    if (!scan.has_protocol || scan.protocol != CODEC_PROTOCOL) {
        protocol_why(d, &scan, q->why);
        return CODEC_EPROTOCOL;
    }
    if (!walk_frame(&w, d, buf, len, q->why))
        return CODEC_EMALFORMED;
    m = nyckel__query__unpack(&alloc, len, buf);
    if (!m) {
        snprintf(q->why, sizeof q->why, "%s: %s", d->short_name,
                 budget.exceeded ? "unpacking needs too much memory"
                                 : "refused by protobuf-c");
        return budget.exceeded ? CODEC_EOVERSIZED : CODEC_EMALFORMED;
    }
    if (!walk_canonical(&w, &m->base, len))
        goto fail;
    /* The walk has capped both lists; q's arrays rely on it. */
    if (m->n_domains > CODEC_QUERY_MAX_LIST ||
        m->n_filters > CODEC_QUERY_MAX_LIST)
        goto fail;
    for (size_t i = 0; i < m->n_filters; i++)
        if (!m->filters[i]->key || !m->filters[i]->value) {
            /* a filter matches a key to a value: both needed */
            snprintf(q->why, sizeof q->why, "%s.filters[%zu]: %s missing",
                     d->short_name, i, m->filters[i]->key ? "value" : "key");
            goto fail;
        }
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
    q->health = m->has_health && m->health;
    q->exact = m->has_exact && m->exact;
    q->msg = m;
    return 0;
fail:
    nyckel__query__free_unpacked(m, &libc_allocator);
    return CODEC_EMALFORMED;
}

void codec_query_free(struct codec_query *q)
{
    if (!q)
        return;
    if (q->msg)
        nyckel__query__free_unpacked(q->msg, &libc_allocator);
    memset(q, 0, sizeof *q);
}
