/*
 * fuzz_push.c — fuzz target for the client-side reader of nyckel-push:
 * a JSON Lines or CSV stream through nyckel_push_read_fd (push_read.c:
 * line cutting, BOM, libcsv, header, line ceiling) and every record it
 * hands on through event_from_json / event_from_record (event_json.c).
 *
 * Input: the first byte is a control byte, the rest is the stream.
 *   bit 0      0: JSON Lines, 1: CSV ('j' is JSON, 'c' is CSV);
 *   bits 1..6  not all zero: the rest is the stream, and with bit 7
 *              set the pusher fails (NYCKEL_EGIVEUP) on its call number
 *              (bits 1..3, from 0), as a real one does when a batch is
 *              never acknowledged;
 *   bits 1..6  all zero (0x00, 0x01, 0x80, 0x81): the rest is cut at
 *              its first two NUL bytes into H, A and B (one NUL: A and
 *              B; none: A), and the stream is H, then A repeated to over
 *              4 * NYCKEL_LINE_MAX_BYTES (bit 7 clear: past the
 *              reader's buffer) or NYCKEL_LINE_MAX_BYTES (bit 7 set:
 *              past the record ceiling), then B. So a short input
 *              reaches the buffer refill (A holds lines, after a CSV
 *              header H) and the line ceilings (A holds none), with
 *              lines after the long one (B).
 * The stream is read from a temporary file: read(2) fills the reader's
 * buffer deterministically, where a pipe would cut it by timing.
 *
 * A fake pusher stands in for push.c: this file defines the five
 * functions push_read.c calls (nyckel_push_add_json, _add_record, _poll,
 * push_reject_local, push_idle_ms), so the linker takes push_read.o and
 * event_json.o from libnyckel.a but not push.o, and no ZeroMQ socket is
 * made. The fake converts each record with the real event_json.c, as
 * push.c does, and checks what push.c cannot:
 *   - the reader names the stream as asked, with line numbers that
 *     start at 1, never go back and stay within the stream; a JSON line
 *     handed on is not blank and holds no '\n' but its last byte; a CSV
 *     record has 1..256 cells;
 *   - a refusal has a known reason code and a text;
 *   - an accepted event has a body; it packs, unpacks (protobuf-c) to an
 *     equal event and repacks to the same bytes; every string is valid
 *     UTF-8 (checked by jansson); it has exactly one field set per
 *     non-empty input field other than "kind" (JSON null, an empty JSON
 *     array and an empty cell are absent);
 *   - a CSV record is accepted or refused the same with its cells in
 *     reverse order, and then to the same bytes;
 *   - after the pusher failed, nyckel_push_read_fd returns its error;
 *     otherwise it returns 0 (a temporary file cannot fail to read).
 * fuzz_last_rc is 0 when every record was accepted and the stream read
 * to its end, else NYCKEL_EREJECTED or the reader's error; an empty
 * stream counts as accepted. Doubles as a corpus replay with replay.c
 * (tests/it/fuzz_replay.sh); leaks show under LSan.
 */
#include "../../clients/lib/event_json.h"
#include "../../clients/lib/push_internal.h"
#include "fuzz.h"
#include "nyckel.h"
#include "nyckel.pb-c.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* Repeat A to more than this: just past push_read.c's buffer (its
 * READ_BUF_BYTES), or just past the ceiling of one record. */
#define FUZZ_REPEAT_BIG (4 * NYCKEL_LINE_MAX_BYTES)
#define FUZZ_REPEAT_SMALL NYCKEL_LINE_MAX_BYTES
#define FUZZ_NAME "fuzz" /* the stream's name in every report */

int fuzz_last_rc;

/* The fake pusher: counts and the failure to inject. */
struct nyckel_push {
    uint64_t max_line;  /* lines in the stream ('\n' count + 1) */
    uint64_t last_line; /* line of the previous record, 0 = none */
    size_t calls;       /* records handed on so far */
    size_t accepted;    /* of them converted */
    size_t rejected;    /* of them refused, by the reader or converter */
    bool inject;        /* fail on call number fail_at */
    size_t fail_at;     /* 0-based */
    int failed;         /* sticky error once failed, else 0 */
    const char *last_reason, *last_text; /* of the last reader refusal */
};

static struct nyckel_push pusher;

/* ------------------------------------------------------------ checks */

static bool known_reason(const char *r)
{
    static const char *const reasons[] = {
        "bad_json",      "bad_type",     "unknown_field", "unknown_kind",
        "missing_field", "out_of_range", "bad_encoding",  "line_too_long",
        "bad_csv",       "bad_header",
    };

    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
        if (!strcmp(r, reasons[i]))
            return true;
    return false;
}

static void check_refusal(const char *reason, const char *text)
{
    FUZZ_CHECK(reason && known_reason(reason));
    FUZZ_CHECK(text && text[0] != '\0');
}

static bool is_64(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_INT64 || t == PROTOBUF_C_TYPE_SINT64 ||
           t == PROTOBUF_C_TYPE_SFIXED64 || t == PROTOBUF_C_TYPE_UINT64 ||
           t == PROTOBUF_C_TYPE_FIXED64 || t == PROTOBUF_C_TYPE_DOUBLE;
}

/* Width of one value of a scalar (non-string, non-message) field. */
static size_t scalar_width(ProtobufCType t)
{
    if (t == PROTOBUF_C_TYPE_BOOL)
        return sizeof(protobuf_c_boolean);
    return is_64(t) ? 8 : 4;
}

/* a and b, messages of the same type, hold the same fields and values;
 * also checks that every string is valid UTF-8 without NUL. Returns the
 * number of fields present (a oneof member with its own fields). */
static size_t same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    const ProtobufCMessageDescriptor *d = a->descriptor;
    size_t present = 0;

    FUZZ_CHECK(b->descriptor == d);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *va = (const char *)a + f->offset;
        const char *vb = (const char *)b + f->offset;
        const char *qa = (const char *)a + f->quantifier_offset;
        const char *qb = (const char *)b + f->quantifier_offset;

        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t ca, cb;

            memcpy(&ca, qa, sizeof ca);
            memcpy(&cb, qb, sizeof cb);
            FUZZ_CHECK(ca == cb);
            if (ca != f->id)
                continue;
            /* the only oneof is Event's body: a message */
            FUZZ_CHECK(f->type == PROTOBUF_C_TYPE_MESSAGE);
            FUZZ_CHECK(*(void *const *)va && *(void *const *)vb);
            present += same_message(*(const ProtobufCMessage *const *)va,
                                    *(const ProtobufCMessage *const *)vb);
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t na, nb;

            memcpy(&na, qa, sizeof na);
            memcpy(&nb, qb, sizeof nb);
            FUZZ_CHECK(na == nb);
            /* event_json.c supports repeated integers only */
            FUZZ_CHECK(f->type != PROTOBUF_C_TYPE_STRING &&
                       f->type != PROTOBUF_C_TYPE_MESSAGE &&
                       f->type != PROTOBUF_C_TYPE_BYTES);
            if (na)
                FUZZ_CHECK(!memcmp(*(void *const *)va, *(void *const *)vb,
                                   na * scalar_width(f->type)));
            present += na > 0;
            continue;
        }
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            const char *sa = *(const char *const *)va;
            const char *sb = *(const char *const *)vb;

            FUZZ_CHECK(!sa == !sb);
            if (sa) {
                json_t *j = json_string(sa); /* NULL unless UTF-8 */

                FUZZ_CHECK(!strcmp(sa, sb));
                FUZZ_CHECK(j != NULL);
                json_decref(j);
                present++;
            }
            continue;
        }
        FUZZ_CHECK(f->type != PROTOBUF_C_TYPE_MESSAGE &&
                   f->type != PROTOBUF_C_TYPE_BYTES);
        FUZZ_CHECK(f->label == PROTOBUF_C_LABEL_OPTIONAL);
        {
            protobuf_c_boolean ha, hb;

            memcpy(&ha, qa, sizeof ha);
            memcpy(&hb, qb, sizeof hb);
            FUZZ_CHECK(ha == hb);
            if (!ha)
                continue;
            FUZZ_CHECK(!memcmp(va, vb, scalar_width(f->type)));
            present++;
        }
    }
    return present;
}

/* Pack ev, unpack it, compare, repack: the same bytes. Returns the
 * packed bytes in *out (caller frees) and the fields present. */
static size_t check_event(const Nyckel__Event *ev, uint8_t **out,
                          size_t *out_len)
{
    size_t len, len2, present;
    uint8_t *buf, *buf2;
    Nyckel__Event *back;

    FUZZ_CHECK(ev->body_case != NYCKEL__EVENT__BODY__NOT_SET);
    len = nyckel__event__get_packed_size(ev);
    buf = malloc(len ? len : 1);
    FUZZ_CHECK(buf != NULL);
    FUZZ_CHECK(nyckel__event__pack(ev, buf) == len);
    back = nyckel__event__unpack(NULL, len, buf);
    FUZZ_CHECK(back != NULL);
    present = same_message(&ev->base, &back->base);
    len2 = nyckel__event__get_packed_size(back);
    FUZZ_CHECK(len2 == len);
    buf2 = malloc(len2 ? len2 : 1);
    FUZZ_CHECK(buf2 != NULL);
    FUZZ_CHECK(nyckel__event__pack(back, buf2) == len2);
    FUZZ_CHECK(!memcmp(buf, buf2, len));
    free(buf2);
    nyckel__event__free_unpacked(back, NULL);
    *out = buf;
    *out_len = len;
    return present;
}

/* The fields a JSON object text sets: its non-null members other than
 * "kind", an empty array being absent. */
static size_t json_present(const char *json, size_t len)
{
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    const char *key;
    json_t *v;
    size_t n = 0;

    FUZZ_CHECK(root && json_is_object(root));
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "kind") && !json_is_null(v) &&
            !(json_is_array(v) && json_array_size(v) == 0))
            n++;
    }
    json_decref(root);
    return n;
}

/* ------------------------------------------------------------ memo */

/* A record as bytes, and the outcome of converting it. event_json.c is
 * a pure function of its input, so a record equal to the one before
 * converts the same: it is counted with that outcome, not converted and
 * checked again. A repeated stream (see the control byte) then costs
 * the reader's work, not a conversion per record. */
struct memo {
    char *key;  /* 'j' and the text, or 'c' and each name and value with
                   a NUL after each */
    size_t len; /* bytes in key; 0: none */
    size_t cap; /* bytes allocated */
    int rc;     /* the conversion's return */
};

static struct memo last, next; /* the previous record; the one at hand */

static void key_add(const void *s, size_t n)
{
    if (next.len + n > next.cap) {
        next.cap = 2 * (next.len + n);
        next.key = realloc(next.key, next.cap);
        FUZZ_CHECK(next.key != NULL);
    }
    memcpy(next.key + next.len, s, n);
    next.len += n;
}

/* True, with the outcome in *rc, when the record at hand is the last. */
static bool memo_hit(int *rc)
{
    if (!last.len || next.len != last.len ||
        memcmp(next.key, last.key, last.len))
        return false;
    *rc = last.rc;
    return true;
}

/* The record at hand, converted with outcome rc, becomes the last. */
static void memo_keep(int rc)
{
    struct memo t = last;

    last = next;
    last.rc = rc;
    next = t;
    next.len = 0;
}

static void memo_reset(void)
{
    free(last.key);
    free(next.key);
    memset(&last, 0, sizeof last);
    memset(&next, 0, sizeof next);
}

/* ------------------------------------------------------------ pusher */

/* Every record the reader hands on (or refuses) comes through here
 * first. Returns the sticky error when the pusher has failed. */
static int pusher_call(struct nyckel_push *p, const char *origin, uint64_t line)
{
    FUZZ_CHECK(p == &pusher);
    FUZZ_CHECK(origin && !strcmp(origin, FUZZ_NAME));
    FUZZ_CHECK(line >= 1 && line <= p->max_line);
    FUZZ_CHECK(line >= p->last_line);
    p->last_line = line;
    if (p->failed)
        return p->failed;
    if (p->inject && p->calls == p->fail_at) {
        p->failed = NYCKEL_EGIVEUP;
        return p->failed;
    }
    p->calls++;
    return 0;
}

int push_reject_local(struct nyckel_push *p, const char *origin, uint64_t line,
                      const char *reason, const char *text)
{
    int rc = pusher_call(p, origin, line);

    if (rc)
        return rc;
    /* push_read.c's reasons are literals: a run of refusals with the
     * same one (a repeated stream) is checked once, for speed */
    if (reason != p->last_reason || text != p->last_text)
        check_refusal(reason, text);
    p->last_reason = reason;
    p->last_text = text;
    p->rejected++;
    return NYCKEL_EREJECTED;
}

int push_idle_ms(const struct nyckel_push *p)
{
    /* as push.c: a few ms while events wait, -1 when nothing does */
    if (p->failed)
        return 0;
    return p->accepted ? 5 : -1;
}

int nyckel_push_poll(struct nyckel_push *p, int timeout_ms)
{
    (void)timeout_ms;
    return p->failed;
}

/* Convert one JSON line and check the outcome. */
static int convert_json(const char *json, size_t len)
{
    struct event_error err;
    Nyckel__Event *ev;
    uint8_t *buf;
    size_t buf_len;
    int rc;

    memset(&err, 0xa5, sizeof err); /* filled on refusal, or shows */
    rc = event_from_json(json, len, &ev, &err);
    if (rc) {
        FUZZ_CHECK(rc == NYCKEL_EREJECTED && ev == NULL);
        FUZZ_CHECK(memchr(err.reason, 0, sizeof err.reason) &&
                   memchr(err.text, 0, sizeof err.text));
        check_refusal(err.reason, err.text);
        return rc;
    }
    FUZZ_CHECK(ev != NULL);
    FUZZ_CHECK(check_event(ev, &buf, &buf_len) == json_present(json, len));
    free(buf);
    event_free(&ev);
    FUZZ_CHECK(ev == NULL);
    return 0;
}

int nyckel_push_add_json(struct nyckel_push *p, const char *json, size_t len,
                         const char *origin, uint64_t line)
{
    const char *nl;
    int rc = pusher_call(p, origin, line);

    if (rc)
        return rc;
    FUZZ_CHECK(json && len > 0);
    nl = memchr(json, '\n', len);
    FUZZ_CHECK(!nl || nl == json + len - 1);
    next.len = 0;
    key_add("j", 1);
    key_add(json, len);
    if (!memo_hit(&rc)) {
        rc = convert_json(json, len);
        memo_keep(rc);
    }
    if (rc)
        p->rejected++;
    else
        p->accepted++;
    return rc;
}

/* Convert one CSV record, and again with its cells in reverse order;
 * check both outcomes. */
static int convert_record(size_t n, const char *const *names,
                          const char *const *values)
{
    struct event_error err, err2;
    Nyckel__Event *ev, *ev2;
    const char *rnames[256], *rvalues[256];
    uint8_t *buf, *buf2;
    size_t len, len2, cells = 0;
    bool has_kind = false;
    int rc, rc2;

    for (size_t i = 0; i < n; i++) {
        rnames[n - 1 - i] = names[i];
        rvalues[n - 1 - i] = values[i];
        if (!*values[i])
            continue;
        if (!strcmp(names[i], "kind"))
            has_kind = true;
        else
            cells++;
    }
    memset(&err, 0xa5, sizeof err);
    rc = event_from_record(n, names, values, &ev, &err);
    rc2 = event_from_record(n, rnames, rvalues, &ev2, &err2);
    FUZZ_CHECK(!rc == !rc2);
    if (rc) {
        FUZZ_CHECK(rc == NYCKEL_EREJECTED && rc2 == rc && !ev && !ev2);
        FUZZ_CHECK(memchr(err.reason, 0, sizeof err.reason) &&
                   memchr(err.text, 0, sizeof err.text));
        check_refusal(err.reason, err.text);
        check_refusal(err2.reason, err2.text);
        return rc;
    }
    FUZZ_CHECK(ev && ev2 && has_kind);
    FUZZ_CHECK(check_event(ev, &buf, &len) == cells);
    FUZZ_CHECK(check_event(ev2, &buf2, &len2) == cells);
    FUZZ_CHECK(len == len2 && !memcmp(buf, buf2, len));
    free(buf);
    free(buf2);
    event_free(&ev);
    event_free(&ev2);
    return 0;
}

int nyckel_push_add_record(struct nyckel_push *p, size_t n,
                           const char *const *names, const char *const *values,
                           const char *origin, uint64_t line)
{
    int rc = pusher_call(p, origin, line);

    if (rc)
        return rc;
    FUZZ_CHECK(n >= 1 && n <= 256 && names && values);
    next.len = 0;
    key_add("c", 1);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(names[i] && values[i]);
        key_add(names[i], strlen(names[i]) + 1);
        key_add(values[i], strlen(values[i]) + 1);
    }
    if (!memo_hit(&rc)) {
        rc = convert_record(n, names, values);
        memo_keep(rc);
    }
    if (rc)
        p->rejected++;
    else
        p->accepted++;
    return rc;
}

/* ------------------------------------------------------------ target */

/* The stream file, made once and rewritten for every input. */
static int stream_fd(void)
{
    static FILE *f;

    if (!f)
        f = tmpfile(); /* deleted when the process ends */
    FUZZ_CHECK(f != NULL);
    return fileno(f);
}

/* A piece of the input. */
struct piece {
    const uint8_t *p;
    size_t len;
};

/* Cut off *rest up to its first NUL (dropped) into *out; false when
 * *rest holds no NUL. */
static bool cut(struct piece *rest, struct piece *out)
{
    const uint8_t *nul = rest->len ? memchr(rest->p, 0, rest->len) : NULL;

    if (!nul)
        return false;
    out->p = rest->p;
    out->len = (size_t)(nul - rest->p);
    rest->len -= out->len + 1;
    rest->p = nul + 1;
    return true;
}

static uint64_t count_lines(struct piece s)
{
    uint64_t n = 0;

    for (size_t i = 0; i < s.len; i++)
        n += s.p[i] == '\n';
    return n;
}

/* Make the stream file hold H, A copies times, then B; set
 * pusher.max_line to its number of lines. */
static void put(int fd, struct piece h, struct piece a, size_t copies,
                struct piece b)
{
    size_t len = h.len + a.len * copies + b.len, done = 0;
    uint8_t *buf = malloc(len ? len : 1);

    FUZZ_CHECK(buf != NULL);
    if (h.len)
        memcpy(buf, h.p, h.len);
    for (size_t i = 0; i < copies; i++)
        memcpy(buf + h.len + i * a.len, a.p, a.len);
    if (b.len)
        memcpy(buf + len - b.len, b.p, b.len);
    FUZZ_CHECK(ftruncate(fd, 0) == 0);
    while (done < len) {
        ssize_t n = pwrite(fd, buf + done, len - done, (off_t)done);

        FUZZ_CHECK(n > 0);
        done += (size_t)n;
    }
    free(buf);
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    pusher.max_line =
        1 + count_lines(h) + count_lines(a) * copies + count_lines(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = stream_fd();
    uint8_t ctl = size ? data[0] : 0;
    enum nyckel_input fmt = ctl & 1 ? NYCKEL_INPUT_CSV : NYCKEL_INPUT_JSON;
    struct piece h = {data, 0}, a = {data, 0}, b = {data, 0};
    struct piece rest = {size ? data + 1 : data, size ? size - 1 : 0};
    size_t copies = 1;
    int rc;

    memset(&pusher, 0, sizeof pusher);
    if ((ctl & 0x7e) == 0) {
        struct piece first, second;

        if (!cut(&rest, &first)) {
            a = rest;
        } else if (!cut(&rest, &second)) {
            a = first;
            b = rest;
        } else {
            h = first;
            a = second;
            b = rest;
        }
        if (a.len)
            copies =
                (ctl & 0x80 ? FUZZ_REPEAT_SMALL : FUZZ_REPEAT_BIG) / a.len + 1;
    } else {
        a = rest;
        pusher.inject = ctl & 0x80;
        pusher.fail_at = (ctl >> 1) & 7;
    }
    put(fd, h, a, copies, b);

    rc = nyckel_push_read_fd(&pusher, fd, FUZZ_NAME, fmt);
    memo_reset();
    FUZZ_CHECK(rc == pusher.failed);
    FUZZ_CHECK(pusher.calls == pusher.accepted + pusher.rejected);
    fuzz_last_rc = rc ? rc : pusher.rejected ? NYCKEL_EREJECTED : 0;
    return 0;
}
