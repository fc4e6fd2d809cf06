/*
 * keyfile.h — CURVE key files, read by nyckeld (--curve-secret, the keys
 * file's entries) and by libnyckel (--key, --server-key); written by
 * nyckel-keygen.
 *
 *   NAME.key  the secret key: Z85 text, 40 characters, on the first line
 *             that is not a comment ('#'); mode 0600, refused when group
 *             or others may read it
 *   NAME.pub  the public key, the same way; may be shared freely
 */
#ifndef NYCKEL_KEYFILE_H
#define NYCKEL_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#define KEYFILE_Z85_LEN 40 /* a 32-byte key in Z85 */

/* True when s is exactly a Z85 key (40 characters that decode). */
bool keyfile_z85_valid(const char *s);

/*
 * Read the key of file path into z85 (NUL-terminated). With secret, the
 * file must not be readable by group or others. 0, or -1 with a reason
 * for the user in why ("path: what is wrong").
 */
int keyfile_read(const char *path, bool secret, char z85[KEYFILE_Z85_LEN + 1],
                 char *why, size_t why_len);

/* The public key of a secret one (both Z85). 0 or -1. */
int keyfile_public_of(const char *secret_z85,
                      char public_z85[KEYFILE_Z85_LEN + 1]);

#endif
