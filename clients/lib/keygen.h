/*
 * keygen.h — private to libnyckel: make a CURVE key pair and write it as
 * the key files daemon/keyfile.c reads (NAME.key, NAME.pub). Used by
 * nyckel-keygen and tests/unit/test_lib_curve.c.
 */
#ifndef NYCKEL_KEYGEN_H
#define NYCKEL_KEYGEN_H

#include "nyckel_sub.h"

#include <stdbool.h>
#include <stddef.h>

#define KEYGEN_NAME_MAX 1024 /* bytes of NAME, the key files' stem */

/*
 * Generate a key pair and write NAME.key (mode 0600: a comment line
 * "# nyckel CURVE secret key <base of NAME> — keep private", then the
 * secret key in Z85) and NAME.pub (mode 0644: a comment line, then the
 * public key). Neither key starts with '#', which key files and nyckeld's
 * keys file read as a comment.
 *
 * Without force nothing is overwritten: both files are created with
 * O_EXCL, and when either exists nothing is written. With force each
 * file is written under a temporary name and renamed over the old one.
 * A failure removes what this call created.
 *
 * Returns 0 with the public key in public_z85, or with a reason for
 * people in why: -EEXIST (a file exists, no force), -EINVAL (NAME empty,
 * a directory, or longer than KEYGEN_NAME_MAX), NYCKEL_EKEY (libzmq has
 * no CURVE), or -errno.
 */
int keygen_write(const char *name, bool force,
                 char public_z85[NYCKEL_CURVE_KEY_LEN + 1], char *why,
                 size_t why_len);

#endif
