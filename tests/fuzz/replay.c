/*
 * replay.c — runs a fuzz target over committed inputs without libFuzzer,
 * so that `make check` replays the corpus with gcc, in the normal and
 * the ASan+UBSan build (STYLE 10; SQLite replays its fuzz inputs the
 * same way).
 *
 * Usage: fuzz_<target>_replay PATH...
 * Each PATH is a file or a directory whose regular files are all read,
 * in name order. Inputs named ok-* must be accepted (rc 0), bad-* must
 * be refused; any other name (libFuzzer's finds) must only not crash.
 * Prints one line per PATH; exits 1 on a wrong outcome or when no input
 * was found (an empty corpus proves nothing), 2 on a usage or I/O error.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

struct tally {
    size_t inputs, bytes, accepted, wrong;
};

/* Read path whole into a buffer of exactly its size, so that ASan sees
 * a read past the end of the input. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    struct stat st;

    if (!f)
        return NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size >= 0) {
        *len = (size_t)st.st_size;
        buf = malloc(*len ? *len : 1);
        if (buf && fread(buf, 1, *len, f) != *len) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

static int replay_file(const char *path, const char *name, struct tally *t)
{
    size_t len = 0;
    uint8_t *buf = slurp(path, &len);

    if (!buf) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    t->inputs++;
    t->bytes += len;
    if (fuzz_last_rc == 0)
        t->accepted++;
    if ((strncmp(name, "ok-", 3) == 0 && fuzz_last_rc != 0) ||
        (strncmp(name, "bad-", 4) == 0 && fuzz_last_rc == 0)) {
        fprintf(stderr, "replay: %s: %s, by its name it should be %s\n", path,
                fuzz_last_rc ? "refused" : "accepted",
                fuzz_last_rc ? "accepted" : "refused");
        t->wrong++;
    }
    return 0;
}

static int replay_dir(const char *dir, struct tally *t)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), rc = 0;

    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;

        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = replay_file(path, names[i]->d_name, t);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    struct tally all = {0};

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE-OR-DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct tally t = {0};
        struct stat st;
        const char *base = strrchr(argv[i], '/');
        int rc;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 2;
        }
        rc = S_ISDIR(st.st_mode)
                 ? replay_dir(argv[i], &t)
                 : replay_file(argv[i], base ? base + 1 : argv[i], &t);
        if (rc)
            return 2;
        printf("replay: %s: %zu inputs, %zu bytes, %zu accepted, %zu wrong\n",
               argv[i], t.inputs, t.bytes, t.accepted, t.wrong);
        all.inputs += t.inputs;
        all.wrong += t.wrong;
    }
    return all.inputs == 0 || all.wrong ? 1 : 0;
}
