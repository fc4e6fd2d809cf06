/*
 * keygen.c — CURVE key pairs into key files (keygen.h).
 *
 * Why the care: NAME.key is a secret that must never be readable by
 * others, not even for a moment (it is created 0600, never chmod-ed
 * down), and must never be lost by accident (no overwrite without
 * force; with force a rename, so the old key stays whole until the new
 * one is complete on disk).
 */
#include "keygen.h"

#include "curve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define KEYGEN_TRIES 100     /* key pairs drawn until neither starts '#' */
#define KEYGEN_TEXT_MAX 2048 /* a key file's text */

/* Write all of buf to fd; 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Put text into path with mode: O_EXCL without force, else a temporary
 * name renamed over path. 0, or -errno with why. */
static int put_file(const char *path, const char *text, mode_t mode, bool force,
                    char *why, size_t why_len)
{
    char tmp[KEYGEN_NAME_MAX + 32];
    const char *made; /* what this call created, removed on failure */
    int fd, rc = 0;

    if (force) {
        snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
        fd = mkstemp(tmp); /* 0600 from the start */
        made = tmp;
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        made = path;
    }
    if (fd < 0) {
        rc = -errno;
        if (rc == -EEXIST)
            snprintf(why, why_len,
                     "%s exists: not overwritten (--force replaces the key "
                     "pair)",
                     path);
        else
            snprintf(why, why_len, "%s: %s", force ? tmp : path, strerror(-rc));
        return rc;
    }
    /* the exact mode, whatever the umask made of it */
    if (fchmod(fd, mode) || (rc = write_all(fd, text, strlen(text))) ||
        fsync(fd)) {
        rc = rc ? rc : -errno;
        snprintf(why, why_len, "%s: %s", made, strerror(-rc));
        close(fd);
        unlink(made);
        return rc;
    }
    if (close(fd)) {
        rc = -errno;
        snprintf(why, why_len, "%s: %s", made, strerror(-rc));
        unlink(made);
        return rc;
    }
    if (force && rename(tmp, path)) {
        rc = -errno;
        snprintf(why, why_len, "%s: %s", path, strerror(-rc));
        unlink(tmp);
        return rc;
    }
    return 0;
}

int keygen_write(const char *name, bool force,
                 char public_z85[NYCKEL_CURVE_KEY_LEN + 1], char *why,
                 size_t why_len)
{
    char pub[NYCKEL_CURVE_KEY_LEN + 1], sec[NYCKEL_CURVE_KEY_LEN + 1];
    char key_path[KEYGEN_NAME_MAX + 8], pub_path[KEYGEN_NAME_MAX + 8];
    char text[KEYGEN_TEXT_MAX];
    size_t len = name ? strlen(name) : 0;
    const char *base;
    struct stat st;
    int rc, tries;

    public_z85[0] = '\0';
    if (!len || len > KEYGEN_NAME_MAX || name[len - 1] == '/') {
        snprintf(why, why_len,
                 "'%s': NAME must be a file name stem, "
                 "at most %d bytes",
                 name ? name : "", KEYGEN_NAME_MAX);
        return -EINVAL;
    }
    if (!zmq_has("curve")) {
        snprintf(why, why_len, "this libzmq was built without CURVE");
        return NYCKEL_EKEY;
    }
    base = strrchr(name, '/');
    base = base ? base + 1 : name;
    snprintf(key_path, sizeof key_path, "%s.key", name);
    snprintf(pub_path, sizeof pub_path, "%s.pub", name);
    /* refuse before anything is written, so no half pair is made (the
     * O_EXCL below still catches a file made meanwhile) */
    if (!force)
        for (int i = 0; i < 2; i++) {
            const char *p = i ? pub_path : key_path;
            if (lstat(p, &st) == 0) {
                snprintf(why, why_len,
                         "%s exists: not overwritten (--force replaces the "
                         "key pair)",
                         p);
                return -EEXIST;
            }
        }

    for (tries = 0; tries < KEYGEN_TRIES; tries++) {
        if (zmq_curve_keypair(pub, sec)) {
            rc = -zmq_errno();
            snprintf(why, why_len, "cannot make a key pair: %s",
                     zmq_strerror(-rc));
            goto out;
        }
        if (pub[0] != '#' && sec[0] != '#')
            break;
    }
    if (tries == KEYGEN_TRIES) { /* 1 in 43^100: a broken generator */
        snprintf(why, why_len, "cannot make a key pair");
        rc = -EIO;
        goto out;
    }

    snprintf(text, sizeof text,
             "# nyckel CURVE secret key %s \xe2\x80\x94 keep private\n%s\n",
             base, sec);
    rc = put_file(key_path, text, 0600, force, why, why_len);
    if (rc)
        goto out;
    snprintf(text, sizeof text, "# nyckel CURVE public key %s\n%s\n", base,
             pub);
    rc = put_file(pub_path, text, 0644, force, why, why_len);
    if (rc) {
        if (!force)
            unlink(key_path); /* made by this call: no half pair */
        goto out;
    }
    memcpy(public_z85, pub, sizeof pub);
out:
    curve_wipe(sec, sizeof sec);
    curve_wipe(text, sizeof text);
    return rc;
}
