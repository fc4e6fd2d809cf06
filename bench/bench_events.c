/*
 * bench_events.c — the workload of nyckel-bench (see bench_events.h).
 *
 * The events are parsed with libnyckel's event_from_json(), the reader
 * nyckel-push uses, so nyckeld receives from the bench the very
 * protobuf events it would receive from nyckel-push, and the peers are
 * given the same events in the same order. Frames are packed the way
 * clients/lib/push.c seals a batch: protocol 1, a batch id, up to 1000
 * events, at most 1 MiB.
 */
#include "bench_events.h"

#include "event_json.h"
#include "nyckel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EVENTS_FILE "events.jsonl"
#define GEN_KINDS "payment,placement,referral,decision,budget"
#define GEN_ARGS_MAX 16
/* protocol (tag + varint 1) and batch_id (tag + up to 10 bytes) */
#define FRAME_HEADER_BYTES 13

/* Stockholm county first: real kommunkoder, then made-up ones. */
static const char *const real_codes[] = {
    "0114", "0115", "0117", "0120", "0123", "0125", "0126", "0127", "0128",
    "0136", "0138", "0139", "0140", "0160", "0162", "0163", "0180", "0181",
    "0182", "0183", "0184", "0186", "0187", "0188", "0191", "0192",
};
#define N_REAL (sizeof real_codes / sizeof real_codes[0])

const char *bench_muni_code(unsigned i)
{
    static char made[BENCH_MUNI_MAX][5];

    if (i < N_REAL)
        return real_codes[i];
    if (i >= BENCH_MUNI_MAX)
        i = BENCH_MUNI_MAX - 1;
    snprintf(made[i], sizeof made[i], "%04u", 2000 + i);
    return made[i];
}

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);

    if (!q) {
        fprintf(stderr, "nyckel-bench: out of memory\n");
        abort();
    }
    return q;
}

/* ------------------------------------------------------------ generate */

int bench_events_generate(const struct bench_gen *g, char *cmd, size_t cmd_size,
                          char **path)
{
    char households[16], dups[16];
    char *munis = NULL, *file = NULL;
    const char *argv[GEN_ARGS_MAX];
    size_t munis_len, argc = 0, used = 0;
    int status, fd = -1, rc = 0;
    pid_t pid;

    *path = NULL;
    if (!g->municipalities || g->municipalities > BENCH_MUNI_MAX)
        return -EINVAL;
    munis_len = (size_t)g->municipalities * 5;
    munis = xrealloc(NULL, munis_len);
    munis[0] = '\0';
    for (unsigned i = 0; i < g->municipalities; i++) {
        if (i)
            strcat(munis, ",");
        strcat(munis, bench_muni_code(i));
    }
    snprintf(households, sizeof households, "%u", g->households);
    snprintf(dups, sizeof dups, "%u", g->duplicates_pct);
    file = xrealloc(NULL, strlen(g->work_dir) + sizeof EVENTS_FILE + 1);
    sprintf(file, "%s/%s", g->work_dir, EVENTS_FILE);

    argv[argc++] = g->gen;
    argv[argc++] = "--seed";
    argv[argc++] = "1";
    argv[argc++] = "--municipality";
    argv[argc++] = munis;
    argv[argc++] = "--households";
    argv[argc++] = households;
    argv[argc++] = "--kinds";
    argv[argc++] = GEN_KINDS;
    argv[argc++] = "--duplicates";
    argv[argc++] = dups;
    argv[argc] = NULL;

    if (cmd_size) {
        cmd[0] = '\0';
        for (size_t i = 0; i < argc && used < cmd_size; i++)
            used += (size_t)snprintf(cmd + used, cmd_size - used, "%s%s",
                                     i ? " " : "", argv[i]);
        if (used < cmd_size)
            snprintf(cmd + used, cmd_size - used, " > %s", file);
    }

    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        fprintf(stderr, "nyckel-bench: %s: %s\n", file, strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        goto out;
    }
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "nyckel-bench: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            rc = -errno;
            goto out;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "nyckel-bench: %s failed (status %d)\n", argv[0],
                status);
        rc = BENCH_ECHILD;
        goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    free(munis);
    if (rc)
        free(file);
    else
        *path = file;
    return rc;
}

/* ------------------------------------------------------------ load */

int bench_events_load(char **path, struct bench_events *out)
{
    struct event_error err;
    char *line = NULL;
    size_t line_cap = 0, cap = 0, lineno = 0;
    ssize_t len;
    FILE *f;
    int rc = 0;

    memset(out, 0, sizeof *out);
    out->jsonl_path = *path;
    *path = NULL;
    f = fopen(out->jsonl_path, "r");
    if (!f) {
        rc = -errno;
        fprintf(stderr, "nyckel-bench: %s: %s\n", out->jsonl_path,
                strerror(errno));
        goto out;
    }
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (!len)
            continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 65536;
            out->ev = xrealloc(out->ev, cap * sizeof *out->ev);
        }
        if (event_from_json(line, (size_t)len, &out->ev[out->n], &err)) {
            fprintf(stderr, "nyckel-bench: %s:%zu: %s: %s\n", out->jsonl_path,
                    lineno, err.reason, err.text);
            rc = BENCH_EPARSE;
            goto out;
        }
        out->n++;
    }
    if (ferror(f)) {
        rc = -EIO;
        fprintf(stderr, "nyckel-bench: %s: read error\n", out->jsonl_path);
    }
out:
    free(line);
    if (f)
        fclose(f);
    if (rc) {
        char *keep = out->jsonl_path;

        out->jsonl_path = NULL;
        bench_events_free(out);
        out->jsonl_path = keep;
    }
    return rc;
}

void bench_events_free(struct bench_events *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n; i++)
        event_free(&ev->ev[i]);
    free(ev->ev);
    free(ev->jsonl_path);
    memset(ev, 0, sizeof *ev);
}

/* ------------------------------------------------------------ frames */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Pack ev[0..n) as frame i of f. */
static void frame_pack(struct bench_frames *f, size_t i,
                       Nyckel__Event *const *ev, size_t n)
{
    Nyckel__IngestBatch m = NYCKEL__INGEST_BATCH__INIT;

    m.has_protocol = 1;
    m.protocol = NYCKEL_PROTOCOL;
    m.has_batch_id = 1;
    m.batch_id = f->first_id + i;
    m.n_events = n;
    /* protobuf-c's structs are not const-correct; packing only reads */
    m.events = (Nyckel__Event **)ev;
    f->len[i] = nyckel__ingest_batch__get_packed_size(&m);
    f->frame[i] = xrealloc(NULL, f->len[i]);
    nyckel__ingest_batch__pack(&m, f->frame[i]);
    f->n_events[i] = (uint32_t)n;
    f->bytes += f->len[i];
}

int bench_frames_pack(Nyckel__Event *const *ev, size_t n, size_t max_events,
                      uint64_t first_id, struct bench_frames *out)
{
    size_t cap = 0, start = 0, bytes = FRAME_HEADER_BYTES;

    memset(out, 0, sizeof *out);
    out->first_id = first_id;
    if (max_events < 1 || max_events > NYCKEL_BATCH_MAX_EVENTS)
        return -EINVAL;
    for (size_t i = 0; i <= n; i++) {
        size_t sz = 0;

        if (i < n) {
            sz = nyckel__event__get_packed_size(ev[i]);
            sz += 1 + varint_len(sz); /* tag of field 3 and length */
            if (FRAME_HEADER_BYTES + sz > NYCKEL_BATCH_MAX_BYTES) {
                bench_frames_free(out);
                return -EINVAL;
            }
        }
        if (i > start && (i == n || i - start == max_events ||
                          bytes + sz > NYCKEL_BATCH_MAX_BYTES)) {
            if (out->n == cap) {
                cap = cap ? 2 * cap : 1024;
                out->frame = xrealloc(out->frame, cap * sizeof *out->frame);
                out->len = xrealloc(out->len, cap * sizeof *out->len);
                out->n_events =
                    xrealloc(out->n_events, cap * sizeof *out->n_events);
            }
            frame_pack(out, out->n, ev + start, i - start);
            out->n++;
            start = i;
            bytes = FRAME_HEADER_BYTES;
        }
        bytes += sz;
    }
    return 0;
}

void bench_frames_free(struct bench_frames *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->frame[i]);
    free(f->frame);
    free(f->len);
    free(f->n_events);
    memset(f, 0, sizeof *f);
}
