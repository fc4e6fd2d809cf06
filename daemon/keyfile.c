/*
 * keyfile.c — CURVE key files (see keyfile.h). Small enough to be shared
 * as it is by nyckeld and libnyckel; the Z85 codec and the key
 * derivation are libzmq's.
 */
#include "keyfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define KEYFILE_LINE_MAX 256

bool keyfile_z85_valid(const char *s)
{
    uint8_t key[32];
    return s && strlen(s) == KEYFILE_Z85_LEN && zmq_z85_decode(key, s);
}

int keyfile_read(const char *path, bool secret, char z85[KEYFILE_Z85_LEN + 1],
                 char *why, size_t why_len)
{
    char line[KEYFILE_LINE_MAX];
    struct stat st;
    int rc = -1;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) == 0 && secret && (st.st_mode & 077)) {
        snprintf(why, why_len,
                 "%s: a secret key must not be readable by group or others "
                 "(chmod 600)",
                 path);
        goto out;
    }
    snprintf(why, why_len, "%s: no key in the file", path);
    while (fgets(line, sizeof(line), f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        /* '#' is a Z85 digit, but the largest (84): 84 * 85^4 > 2^32,
         * so no key starts with it */
        if (n == 0 || line[0] == '#')
            continue;
        if (!keyfile_z85_valid(line)) {
            snprintf(why, why_len,
                     "%s: not a CURVE key (%d Z85 characters expected)", path,
                     KEYFILE_Z85_LEN);
            goto out;
        }
        memcpy(z85, line, KEYFILE_Z85_LEN + 1);
        rc = 0;
        break;
    }
out:
    fclose(f);
    return rc;
}

int keyfile_public_of(const char *secret_z85,
                      char public_z85[KEYFILE_Z85_LEN + 1])
{
    if (!keyfile_z85_valid(secret_z85))
        return -1;
    return zmq_curve_public(public_z85, secret_z85) == 0 ? 0 : -1;
}
