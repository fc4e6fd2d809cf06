/*
 * nyckel-keygen — make a CURVE key pair for a nyckel client or for
 * nyckeld itself (issue 7): NAME.key (the secret, mode 0600) and NAME.pub
 * (the public key, 0644), in the format daemon/keyfile.c reads. A thin
 * command line over libnyckel's keygen_write() (clients/lib/keygen.c).
 *
 * Exit status: 0 written, 1 not written (a file exists, I/O error, no
 * CURVE in libzmq), 2 usage error.
 */
#include "lib/keygen.h"
#include "nyckel.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define PROG "nyckel-keygen"
#define EXIT_USAGE 2
#define WHY_MAX 512

static void usage(FILE *out)
{
    fputs(
        "Usage: " PROG " [--force] NAME\n"
        "Make a CURVE key pair for a nyckel client (or for nyckeld): write\n"
        "NAME.key, the secret key (mode 0600; keep it private, it never\n"
        "leaves the machine of its owner), and NAME.pub, the public key\n"
        "(0644; give it to whoever runs nyckeld), then print the public key.\n"
        "\n"
        "Options:\n"
        "  -f, --force    replace NAME.key and NAME.pub if they exist\n"
        "                 (the old key pair is lost)\n"
        "  -h, --help     show this help and exit\n"
        "  -V, --version  show the version and exit\n"
        "\n"
        "A client uses its pair as --key NAME.key --server-key SERVER.pub,\n"
        "SERVER.pub being nyckeld's public key. nyckeld lets a client in when\n"
        "its keys file has a line for the client's public key:\n"
        "\n"
        "  <public key> <role> <municipality>[,<municipality>...]\n"
        "\n"
        "role exporter (may push), subscriber (may read) or admin (both);\n"
        "'*' for every municipality.\n"
        "\n"
        "Exit status: 0 written; 1 not written (a file exists, an I/O error,\n"
        "libzmq without CURVE); 2 usage error.\n",
        out);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
    va_end(ap);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    char public_z85[NYCKEL_CURVE_KEY_LEN + 1];
    char why[WHY_MAX];
    bool force = false;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":fhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf(PROG " " NYCKEL_VERSION "\n");
            return EXIT_SUCCESS;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc)
        return usage_error("no NAME given (the key files' name: NAME.key, "
                           "NAME.pub)");
    if (optind + 1 < argc)
        return usage_error("one NAME only, not also '%s'", argv[optind + 1]);

    const char *name = argv[optind];
    int rc = keygen_write(name, force, public_z85, why, sizeof why);
    if (rc == -EINVAL)
        return usage_error("%s", why);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", why);
        return EXIT_FAILURE;
    }
    printf("%s\n", public_z85);
    fprintf(stderr,
            PROG ": wrote %s.key (secret key, mode 0600: keep it private) "
                 "and %s.pub\n" PROG ": public key %s; for nyckeld's keys "
                 "file, a line\n"
                 "  %s <role> <municipality>[,...]\n" PROG
                 ": role exporter, subscriber or admin; '*' for every "
                 "municipality\n",
            name, name, public_z85, public_z85);
    if (fflush(stdout)) {
        perror(PROG ": standard output");
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
