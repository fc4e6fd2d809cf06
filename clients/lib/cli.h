/*
 * cli.h — private to the nyckel command-line clients (nyckel-push,
 * nyckel-query, nyckel-watch, nyckel-gen; linked from libnyckel.a): the
 * options every client takes to reach nyckeld, --ingest, --query, --pub,
 * --key and --server-key, parsed, checked and explained in one place so
 * that their names, rules and --help text are the same in every client;
 * and the messages for a handshake that failed.
 *
 * Use: add CLI_CONN_LONGOPTS to the getopt_long table, hand every option
 * to cli_conn_option() first, call cli_conn_check() after the loop and
 * cli_conn_load() before connecting; print cli_conn_help() in --help.
 */
#ifndef NYCKEL_CLI_H
#define NYCKEL_CLI_H

#include "nyckel_sub.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* getopt_long ids, above every client's own (which start at 256 or
 * 1000). */
enum cli_opt {
    CLI_OPT_INGEST = 0x4000,
    CLI_OPT_QUERY,
    CLI_OPT_PUB,
    CLI_OPT_KEY,
    CLI_OPT_SERVER_KEY,
};

#define CLI_CONN_LONGOPTS                                                      \
    {"ingest", required_argument, NULL, CLI_OPT_INGEST},                       \
        {"query", required_argument, NULL, CLI_OPT_QUERY},                     \
        {"pub", required_argument, NULL, CLI_OPT_PUB},                         \
        {"key", required_argument, NULL, CLI_OPT_KEY},                         \
    {                                                                          \
        "server-key", required_argument, NULL, CLI_OPT_SERVER_KEY              \
    }

/* What a client does with the options, for cli_conn_help(). */
#define CLI_USES_INGEST 0x1u /* pushes to --ingest */
#define CLI_USES_QUERY 0x2u  /* queries --query */
#define CLI_USES_PUB 0x4u    /* subscribes to --pub */
#define CLI_USES_KEYS 0x8u   /* connects at all: --key, --server-key */

struct cli_conn {
    const char *ingest;          /* --ingest EP (argv); NULL: not given */
    const char *query;           /* --query EP (argv); NULL: not given */
    const char *pub;             /* --pub EP (argv); NULL: not given */
    const char *key_file;        /* --key FILE (argv); NULL: not given */
    const char *server_key_file; /* --server-key FILE; NULL: not given */
    struct nyckel_curve curve;   /* set by cli_conn_load() */
    bool use_curve;              /* cli_conn_load() loaded both keys */
};

/* If opt is one of CLI_OPT_* store arg (borrowed: argv lives long
 * enough) and return 1; else 0. */
int cli_conn_option(struct cli_conn *c, int opt, const char *arg);

/* After parsing: NULL, or what is wrong for a usage message ("--key and
 * --server-key go together: give both or neither"). Static text. */
const char *cli_conn_check(const struct cli_conn *c);

/* With both key options given, read the key files into c->curve and set
 * use_curve; without them do nothing. 0, or NYCKEL_EKEY with the reason
 * for people in why ("client.key: No such file or directory"). */
int cli_conn_load(struct cli_conn *c, char *why, size_t why_len);

/* &c->curve when use_curve, else NULL: for the library's options. */
const struct nyckel_curve *cli_conn_curve(const struct cli_conn *c);

/* Clear the loaded secret key. */
void cli_conn_fini(struct cli_conn *c);

/*
 * The --help lines of the five options: flags indented by indent
 * spaces, descriptions from column col (on a line of their own when the
 * flag is longer), 80 columns at most for col <= 28. uses: CLI_USES_*;
 * an option not in it is described as accepted but not used.
 */
void cli_conn_help(FILE *out, int indent, int col, unsigned uses);

/*
 * For rc NYCKEL_EAUTH, NYCKEL_EHANDSHAKE, NYCKEL_EMECHANISM or
 * NYCKEL_EKEY: print "PROG: <what happened>" and a line with what to do
 * about it to out, naming where (the endpoint, e.g. "tcp://...:7712")
 * and c's key files, and return true. Other codes: print nothing, return
 * false.
 */
bool cli_conn_fail(FILE *out, const char *prog, const struct cli_conn *c,
                   const char *where, int rc);

#endif
