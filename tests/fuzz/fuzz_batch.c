/*
 * fuzz_batch.c — fuzz target for the pure half of ingestion: an
 * IngestBatch frame through codec_batch_decode, every event through
 * validate_event, and every event's stored bytes (raw) back through
 * codec_event_decode, as a rebuild would read them.
 *
 * Invariants checked beyond the sanitizers:
 *   - a refusal is one of the CODEC_E* codes, leaves nothing allocated
 *     and says why; an acceptance says nothing;
 *   - the strict walk is exact for this schema: no frame it lets through
 *     is refused by protobuf-c, by the unpack budget or by the canonical
 *     re-encoding comparison (those are backstops, and reaching one
 *     means the walk has a gap);
 *   - every stored event decodes strictly, to the same kind and common
 *     fields, and an event that validates yields, read back from its
 *     stored bytes, the same struct event.
 * Doubles as a corpus replay with replay.c (tests/it/fuzz_replay.sh).
 */
#include "codec.h"
#include "fuzz.h"
#include "validate.h"

#include <string.h>

int fuzz_last_rc;

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* A backstop of codec.c's strict decoding said why: see above. */
static bool is_backstop(const char *why)
{
    return strstr(why, "not the canonical encoding") ||
           strstr(why, "refused by protobuf-c") ||
           strstr(why, "too much memory");
}

static void check_event(const struct codec_batch *b, size_t i)
{
    const struct event_in *in = &b->events[i];
    struct event ev, ev2;
    struct event_in in2;
    char text[VALIDATE_TEXT_MAX], text2[VALIDATE_TEXT_MAX];
    void *msg = NULL;
    enum reason r, r2;

    r = validate_event(in, &ev, text);
    FUZZ_CHECK(r >= REASON_OK && r < REASON_COUNT);
    FUZZ_CHECK(memchr(text, 0, sizeof text) != NULL);
    FUZZ_CHECK((r == REASON_OK) == (text[0] == '\0'));

    FUZZ_CHECK(b->raw_len[i] <= CODEC_EVENT_MAX_BYTES);
    FUZZ_CHECK(codec_event_decode(b->raw[i], b->raw_len[i], &in2, &msg) == 0);
    FUZZ_CHECK(in2.kind == in->kind);
    FUZZ_CHECK(same_str(in2.source, in->source));
    FUZZ_CHECK(same_str(in2.id, in->id));
    FUZZ_CHECK(same_str(in2.municipality, in->municipality));
    FUZZ_CHECK(same_str(in2.unit, in->unit));
    FUZZ_CHECK(in2.has_revision == in->has_revision);
    FUZZ_CHECK(in2.revision == in->revision);
    FUZZ_CHECK((in2.has_deleted && in2.deleted) ==
               (in->has_deleted && in->deleted));
    r2 = validate_event(&in2, &ev2, text2);
    if (r == REASON_OK) {
        FUZZ_CHECK(r2 == REASON_OK);
        FUZZ_CHECK(memcmp(&ev, &ev2, sizeof ev) == 0);
    }
    codec_event_free(&msg);
    FUZZ_CHECK(msg == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct codec_batch b;
    int rc = codec_batch_decode(data, size, &b);

    fuzz_last_rc = rc;
    FUZZ_CHECK(memchr(b.why, 0, sizeof b.why) != NULL);
    if (rc) {
        FUZZ_CHECK(rc == CODEC_EMALFORMED || rc == CODEC_EPROTOCOL ||
                   rc == CODEC_ETOOMANY || rc == CODEC_EOVERSIZED);
        FUZZ_CHECK(!b.msg && !b.events && !b.raw && b.n_events == 0);
        FUZZ_CHECK(b.why[0] != '\0');
        FUZZ_CHECK(!is_backstop(b.why));
        codec_batch_free(&b);
        return 0;
    }
    FUZZ_CHECK(b.why[0] == '\0');
    FUZZ_CHECK(b.msg && b.n_events <= CODEC_BATCH_MAX_EVENTS);
    for (size_t i = 0; i < b.n_events; i++)
        check_event(&b, i);
    codec_batch_free(&b);
    FUZZ_CHECK(!b.msg && !b.events && b.n_events == 0);
    return 0;
}
