/*
 * fuzz_query.c — fuzz target for codec_query_decode, the door through
 * which every query reaches nyckeld.
 *
 * Invariants checked beyond the sanitizers: a refusal is a CODEC_E*
 * code, leaves nothing allocated, says why and was not made by one of
 * codec.c's backstops (protobuf-c, the unpack budget, the canonical
 * re-encoding comparison: the strict walk should have caught it); an
 * accepted query has at most CODEC_QUERY_MAX_LIST domains and filters,
 * every filter a key and a value, and no string over CODEC_STRING_MAX.
 * Doubles as a corpus replay with replay.c (tests/it/fuzz_replay.sh).
 */
#include "codec.h"
#include "fuzz.h"

#include <string.h>

int fuzz_last_rc;

static void check_str(const char *s)
{
    FUZZ_CHECK(!s || strlen(s) <= CODEC_STRING_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct codec_query q;
    int rc = codec_query_decode(data, size, &q);

    fuzz_last_rc = rc;
    FUZZ_CHECK(memchr(q.why, 0, sizeof q.why) != NULL);
    if (rc) {
        FUZZ_CHECK(rc == CODEC_EMALFORMED || rc == CODEC_EPROTOCOL ||
                   rc == CODEC_EOVERSIZED);
        FUZZ_CHECK(q.msg == NULL && q.why[0] != '\0');
        FUZZ_CHECK(!strstr(q.why, "not the canonical encoding") &&
                   !strstr(q.why, "refused by protobuf-c") &&
                   !strstr(q.why, "too much memory"));
        codec_query_free(&q);
        return 0;
    }
    FUZZ_CHECK(q.msg != NULL && q.why[0] == '\0');
    FUZZ_CHECK(q.n_domains <= CODEC_QUERY_MAX_LIST);
    FUZZ_CHECK(q.n_filters <= CODEC_QUERY_MAX_LIST);
    check_str(q.municipality);
    check_str(q.period);
    check_str(q.period_to);
    check_str(q.rollup);
    for (size_t i = 0; i < q.n_domains; i++) {
        FUZZ_CHECK(q.domains[i] != NULL);
        check_str(q.domains[i]);
    }
    for (size_t i = 0; i < q.n_filters; i++) {
        FUZZ_CHECK(q.filters[i].key && q.filters[i].value);
        check_str(q.filters[i].key);
        check_str(q.filters[i].value);
    }
    FUZZ_CHECK(q.compare_previous_year == 0 || q.compare_previous_year == 1);
    codec_query_free(&q);
    FUZZ_CHECK(q.msg == NULL);
    return 0;
}
