/*
 * cli.c — the connection options shared by the nyckel clients (cli.h).
 *
 * Why here: the four clients used to parse --ingest, --query and --pub
 * each on its own, with four slightly different --help texts. With
 * CURVE two options with a rule between them (both or neither) and
 * error messages that must tell people what to do came along; one copy
 * keeps them the same everywhere.
 */
#include "cli.h"

#include "curve.h"
#include "nyckel.h"

#include <string.h>

/* One option's --help entry: the flag, then the description when the
 * client uses the option (lines of at most 50 characters). */
struct cli_help {
    const char *flag;
    unsigned use;            /* CLI_USES_* bit */
    const char *used[5];     /* NULL-terminated lines */
    const char *not_used[2]; /* NULL-terminated lines */
};

#define CLI_NOT_USED                                                           \
    {                                                                          \
        "accepted like every nyckel client's; not used", NULL                  \
    }

static const struct cli_help cli_help[] = {
    {"--ingest EP",
     CLI_USES_INGEST,
     {"nyckeld's ingest endpoint", "(default " NYCKEL_INGEST_ENDPOINT ")",
      NULL},
     CLI_NOT_USED},
    {"--query EP",
     CLI_USES_QUERY,
     {"nyckeld's query endpoint", "(default " NYCKEL_QUERY_ENDPOINT ")", NULL},
     CLI_NOT_USED},
    {"--pub EP",
     CLI_USES_PUB,
     {"nyckeld's update (PUB) endpoint", "(default " NYCKEL_PUB_ENDPOINT ")",
      NULL},
     CLI_NOT_USED},
    {"--key FILE",
     CLI_USES_KEYS,
     {"this client's CURVE secret key (NAME.key of",
      "nyckel-keygen; mode 0600)", NULL},
     CLI_NOT_USED},
    {"--server-key FILE",
     CLI_USES_KEYS,
     {"nyckeld's CURVE public key (its .pub file).",
      "Give both or neither: with them every connection",
      "is encrypted, and nyckeld lets in only the keys", "its keys file lists",
      NULL},
     CLI_NOT_USED},
};

int cli_conn_option(struct cli_conn *c, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_INGEST:
        c->ingest = arg;
        return 1;
    case CLI_OPT_QUERY:
        c->query = arg;
        return 1;
    case CLI_OPT_PUB:
        c->pub = arg;
        return 1;
    case CLI_OPT_KEY:
        c->key_file = arg;
        return 1;
    case CLI_OPT_SERVER_KEY:
        c->server_key_file = arg;
        return 1;
    default:
        return 0;
    }
}

const char *cli_conn_check(const struct cli_conn *c)
{
    if ((c->key_file && !*c->key_file) ||
        (c->server_key_file && !*c->server_key_file))
        return "--key and --server-key need a file name";
    if (!c->key_file != !c->server_key_file)
        return c->key_file ? "--key needs --server-key too (nyckeld's public "
                             "key): give both or neither"
                           : "--server-key needs --key too (this client's "
                             "secret key): give both or neither";
    return NULL;
}

int cli_conn_load(struct cli_conn *c, char *why, size_t why_len)
{
    int rc;

    c->use_curve = false;
    if (!c->key_file || !c->server_key_file)
        return 0;
    rc = nyckel_curve_load(&c->curve, c->key_file, c->server_key_file, why,
                           why_len);
    if (rc)
        return rc;
    c->use_curve = true;
    return 0;
}

const struct nyckel_curve *cli_conn_curve(const struct cli_conn *c)
{
    return c->use_curve ? &c->curve : NULL;
}

void cli_conn_fini(struct cli_conn *c)
{
    curve_wipe(&c->curve, sizeof c->curve);
    c->use_curve = false;
}

void cli_conn_help(FILE *out, int indent, int col, unsigned uses)
{
    for (size_t i = 0; i < sizeof cli_help / sizeof *cli_help; i++) {
        const struct cli_help *h = &cli_help[i];
        const char *const *lines = uses & h->use ? h->used : h->not_used;
        int width = indent + (int)strlen(h->flag);

        fprintf(out, "%*s%s", indent, "", h->flag);
        if (width + 2 > col) {
            fputc('\n', out);
            width = 0;
        }
        for (size_t j = 0; lines[j]; j++) {
            fprintf(out, "%*s%s\n", col - width, "", lines[j]);
            width = 0;
        }
    }
}

bool cli_conn_fail(FILE *out, const char *prog, const struct cli_conn *c,
                   const char *where, int rc)
{
    bool keys = c->use_curve;

    switch (rc) {
    case NYCKEL_EAUTH:
    case NYCKEL_EHANDSHAKE:
    case NYCKEL_EMECHANISM:
    case NYCKEL_EKEY:
        fprintf(out, "%s: %s\n", prog, nyckel_sub_strerror(rc));
        break;
    default:
        return false;
    }
    switch (rc) {
    case NYCKEL_EAUTH:
        if (keys)
            fprintf(out,
                    "%s: %s does not let in public key %s (of %s): nyckeld's "
                    "keys file needs a line for it, with a role that may do "
                    "this\n",
                    prog, where, c->curve.public_key, c->key_file);
        else
            fprintf(out,
                    "%s: %s wants this client's CURVE key: use --key FILE "
                    "and --server-key FILE\n",
                    prog, where);
        break;
    case NYCKEL_EHANDSHAKE:
        if (keys)
            fprintf(out,
                    "%s: %s dropped the CURVE handshake: is %s the public key "
                    "of the nyckeld there, and does it run with CURVE?\n",
                    prog, where, c->server_key_file);
        else
            fprintf(out,
                    "%s: %s dropped the handshake: does it require CURVE "
                    "(--key FILE and --server-key FILE)?\n",
                    prog, where);
        break;
    case NYCKEL_EMECHANISM:
        if (keys)
            fprintf(out,
                    "%s: %s does not use CURVE: leave out --key and "
                    "--server-key, or give nyckeld its keys\n",
                    prog, where);
        else
            fprintf(out,
                    "%s: %s requires CURVE: use --key FILE and --server-key "
                    "FILE (keys from nyckel-keygen)\n",
                    prog, where);
        break;
    default:
        fprintf(out, "%s: check --key and --server-key\n", prog);
        break;
    }
    return true;
}
