/*
 * test_auth.c — the keys file and client scopes of auth.h, without
 * sockets: which lines are accepted and why others are refused (line
 * number and cause), what each role may push and read, and which
 * subscriptions a client gets for the prefix it asks for. The handshake
 * itself (ZAP) runs against a real nyckeld in tests/it/curve.sh.
 */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these four before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

/* Three public keys (from zmq_curve_keypair). */
#define KEY_A ".IhS}&{Ny-:VO^kg!J4-dLqx4H<K<SMQ69b{&/Xf"
#define KEY_B "@McZKzu2M@sxhrHoAtZvt@y)1+cG*F^FG{+ur:Gn"
#define KEY_C "nlhJ<U68<V^9N$>^lCLQsrt2bW7P.3L@I:2Df6e@"
/* '#' is a Z85 digit, but no key starts with it: too large */
#define NOT_A_KEY "#McZKzu2M@sxhrHoAtZvt@y)1+cG*F^FG{+ur:Gn"

static const char keys_text[] =
    "# nyckel clients\n"
    "\n"
    KEY_A " exporter 0127,0180\n"
    "   " KEY_B "\tsubscriber 0127  \r\n"
    KEY_C " admin *\n"
    "#" KEY_A " exporter 0127 (a comment)\n";

static struct auth_client *clients;
static size_t n_clients;

static const struct auth_client *by_key(const char *key)
{
    for (size_t i = 0; i < n_clients; i++)
        if (strcmp(clients[i].key, key) == 0)
            return &clients[i];
    fail_msg("no client %s", key);
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    char why[300] = "";
    int rc = auth_keys_parse(keys_text, "keys", &clients, &n_clients, why,
                             sizeof(why));
    if (rc)
        fprintf(stderr, "%s\n", why);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    auth_clients_free(clients, n_clients);
    return 0;
}

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(n_clients, 3);
    assert_false(keyfile_z85_valid(NOT_A_KEY));
    const struct auth_client *a = by_key(KEY_A), *b = by_key(KEY_B),
                             *c = by_key(KEY_C);
    assert_int_equal(a->role, AUTH_EXPORTER);
    assert_false(a->all_munis);
    assert_int_equal(a->n_munis, 2);
    assert_string_equal(a->munis[0], "0127");
    assert_string_equal(a->munis[1], "0180");
    assert_int_equal(b->role, AUTH_SUBSCRIBER);
    assert_int_equal(b->n_munis, 1);
    assert_int_equal(c->role, AUTH_ADMIN);
    assert_true(c->all_munis);
}

static void test_scopes(void **state)
{
    (void)state;
    const struct auth_client *a = by_key(KEY_A), *b = by_key(KEY_B),
                             *c = by_key(KEY_C);
    const struct auth_client *anon = auth_client_of(NULL, NULL);
    /* exporter: pushes its own, reads nothing */
    assert_true(auth_may_push(a, "0127"));
    assert_true(auth_may_push(a, "0180"));
    assert_false(auth_may_push(a, "0114"));
    assert_false(auth_may_read(a, "0127"));
    assert_false(auth_reads(a));
    /* subscriber: reads its own, pushes nothing */
    assert_true(auth_may_read(b, "0127"));
    assert_false(auth_may_read(b, "0180"));
    assert_false(auth_may_push(b, "0127"));
    /* admin and the anonymous client (no CURVE): everything */
    assert_true(auth_may_push(c, "2584"));
    assert_true(auth_may_read(c, "2584"));
    assert_true(auth_may_push(anon, "0114"));
    assert_true(auth_may_read(anon, "0114"));
    /* no client, or not a municipality */
    assert_false(auth_may_push(NULL, "0127"));
    assert_false(auth_may_read(NULL, "0127"));
    assert_false(auth_reads(NULL));
    assert_false(auth_may_read(b, "127"));
    assert_false(auth_may_read(b, NULL));
}

struct subs {
    char v[8][64];
    size_t n;
};

static int collect(void *ctx, const char *prefix, size_t len)
{
    struct subs *s = ctx;
    assert_true(s->n < 8 && len < 64);
    memcpy(s->v[s->n], prefix, len);
    s->v[s->n++][len] = '\0';
    return 0;
}

struct sub_row {
    const char *key; /* NULL: no client */
    const char *asked;
    const char *granted; /* space separated, in order */
};

static const struct sub_row sub_rows[] = {
    /* a subscriber of 0127 asking for everything gets the heartbeat and
     * its municipality */
    {KEY_B, "", "heartbeat 0127/"},
    {KEY_B, "0", "0127/"},
    {KEY_B, "012", "0127/"},
    {KEY_B, "0127", "0127/"},
    {KEY_B, "0127/eb/2014/", "0127/eb/2014/"},
    {KEY_B, "0180/", ""},
    {KEY_B, "01270/", ""},
    {KEY_B, "h", "heartbeat"},
    {KEY_B, "heartbeat", "heartbeat"},
    {KEY_B, "heartbeatx", "heartbeatx"}, /* inside the root: harmless */
    /* the admin gets what it asks for */
    {KEY_C, "", ""},
    {KEY_C, "0180/", "0180/"},
    /* the admins' exact stream ("!"): admins only */
    {KEY_C, "!0180/", "!0180/"},
    {KEY_B, "!", NULL},
    {KEY_B, "!0127/", NULL},
    /* an exporter, or no client, nothing */
    {KEY_A, "", NULL},
    {KEY_A, "0127/", NULL},
    {NULL, "", NULL},
};

static void test_subscriptions(void **state)
{
    (void)state;
    static const char *const open_roots[] = {"heartbeat", NULL};
    for (size_t i = 0; i < sizeof(sub_rows) / sizeof(sub_rows[0]); i++) {
        const struct sub_row *r = &sub_rows[i];
        struct subs s = {.n = 0};
        const struct auth_client *c = r->key ? by_key(r->key) : NULL;
        assert_int_equal(auth_subscriptions(c, r->asked, strlen(r->asked),
                                            open_roots, collect, &s),
                         0);
        char got[256] = "";
        for (size_t k = 0; k < s.n; k++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
                     k ? " " : "", s.v[k]);
        if (!r->granted) {
            if (s.n)
                fail_msg("row %zu: want no subscription, got '%s'", i, got);
            continue;
        }
        if (r->key && strcmp(r->key, KEY_C) == 0 && r->asked[0] == '\0') {
            /* the admin's "" is one subscription to everything */
            assert_int_equal(s.n, 1);
            assert_string_equal(s.v[0], "");
            continue;
        }
        if (strcmp(got, r->granted) != 0)
            fail_msg("row %zu: asked '%s', want '%s', got '%s'", i, r->asked,
                     r->granted, got);
    }
}

struct bad_row {
    const char *text;
    const char *why; /* a piece of the reason */
};

static const struct bad_row bad_rows[] = {
    {KEY_A " exporter\n", "line 1: expected '<public key> <role>"},
    {"# c\n" KEY_A " exporter 0127 extra\n", "line 2: expected"},
    {"notakey exporter 0127\n", "line 1: not a public key"},
    {KEY_A " reader 0127\n", "role 'reader' is not exporter"},
    {KEY_A " exporter 127\n", "'127' is not a municipality"},
    {KEY_A " exporter ,\n", "no municipality"},
    {KEY_A " exporter 0127,x\n", "'x' is not a municipality"},
    {KEY_A " exporter 0127\n" KEY_A " admin *\n", "is listed twice"},
};

static void test_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
        struct auth_client *v = NULL;
        size_t n = 0;
        char why[300] = "";
        assert_int_equal(auth_keys_parse(bad_rows[i].text, "keys", &v, &n,
                                         why, sizeof(why)),
                         -1);
        if (!strstr(why, bad_rows[i].why))
            fail_msg("row %zu: want '%s' in '%s'", i, bad_rows[i].why, why);
        assert_non_null(strstr(why, "keys"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_subscriptions),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
