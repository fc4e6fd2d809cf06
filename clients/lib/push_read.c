/*
 * push_read.c — nyckel_push_read_fd(): a JSON Lines or CSV stream → one
 * nyckel_push_add_json()/nyckel_push_add_record() per event (DESIGN §8).
 *
 * The stream is read with read(2) into a fixed buffer and cut into
 * lines, so every line has a ceiling (a longer one is rejected as
 * line_too_long and skipped) and so the reader can wait for input with
 * poll(2) while the pusher still takes acks and resends: a slow pipe
 * (`adapter | nyckel-push -`) does not stall delivery, and a partial
 * batch is sealed once it is max_delay_ms old.
 *
 * JSON: each non-blank line is one object, parsed by jansson in
 * event_json.c. CSV: libcsv (strict mode) splits the lines fed to it
 * into records; the first record is the header of field names; a record
 * may span lines inside quotes and is reported by the line it starts
 * on. Rows whose cell count differs from the header's are bad_csv;
 * a header naming a column twice makes every row bad_header.
 */
#include "nyckel.h"
#include "push_internal.h"
#include "push_mem.h"

#include <csv.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define READ_BUF_BYTES (4 * NYCKEL_LINE_MAX_BYTES) /* longest line read */
#define READ_MAX_COLUMNS 256                       /* CSV cells per row */
#define READ_TEXT_MAX 160                          /* reason text */

struct reader {
    struct nyckel_push *p; /* borrowed */
    const char *name;      /* stream name for reports, borrowed */
    int rc;                /* first error from the pusher; stops reading */

    /* CSV only */
    struct csv_parser csv;
    bool csv_ready; /* csv initialised */
    char **header;  /* column names, n_header */
    size_t n_header;
    bool have_header;               /* first record seen */
    char header_err[READ_TEXT_MAX]; /* non-empty: every row is bad_header */
    char **cells;                   /* current record's cells */
    size_t n_cells;
    bool in_record;         /* libcsv is inside a record */
    uint64_t rec_line;      /* line the current record started on */
    size_t rec_bytes;       /* bytes fed for the current record */
    const char *rec_reason; /* non-NULL: record already refused */
    char rec_text[READ_TEXT_MAX];
};

enum nyckel_input nyckel_input_from_name(const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;

    if (!dot || strchr(dot, '/'))
        return NYCKEL_INPUT_AUTO;
    if (!strcasecmp(dot, ".jsonl") || !strcasecmp(dot, ".ndjson") ||
        !strcasecmp(dot, ".json"))
        return NYCKEL_INPUT_JSON;
    if (!strcasecmp(dot, ".csv"))
        return NYCKEL_INPUT_CSV;
    return NYCKEL_INPUT_AUTO;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* Keep the pusher's first hard error; local rejections are not one. */
static void note(struct reader *r, int rc)
{
    if (rc && rc != NYCKEL_EREJECTED && !r->rc)
        r->rc = rc;
}

static void reject(struct reader *r, uint64_t line, const char *reason,
                   const char *text)
{
    note(r, push_reject_local(r->p, r->name, line, reason, text));
}

/* ------------------------------------------------------------ CSV */

static void cells_clear(struct reader *r)
{
    for (size_t i = 0; i < r->n_cells; i++)
        free(r->cells[i]);
    r->n_cells = 0;
}

static void csv_cell(void *field, size_t len, void *arg)
{
    struct reader *r = arg;

    if (r->rec_reason)
        return;
    if (r->n_cells == READ_MAX_COLUMNS) {
        r->rec_reason = "bad_csv";
        snprintf(r->rec_text, sizeof r->rec_text, "more than %d cells in a row",
                 READ_MAX_COLUMNS);
        return;
    }
    if (field && memchr(field, '\0', len)) {
        r->rec_reason = "bad_encoding";
        snprintf(r->rec_text, sizeof r->rec_text, "cell %zu holds a NUL byte",
                 r->n_cells + 1);
        return;
    }
    r->cells[r->n_cells++] =
        field ? push_xstrndup(field, len) : push_xstrdup("");
}

static void csv_header(struct reader *r)
{
    r->header = r->cells;
    r->n_header = r->n_cells;
    r->cells = push_xcalloc(READ_MAX_COLUMNS, sizeof *r->cells);
    r->n_cells = 0;
    r->have_header = true;
    for (size_t i = 0; i < r->n_header && !r->header_err[0]; i++)
        for (size_t j = 0; j < i; j++)
            if (*r->header[i] && !strcmp(r->header[i], r->header[j])) {
                snprintf(r->header_err, sizeof r->header_err,
                         "column %.40s appears twice in the header (line 1)",
                         r->header[i]);
                break;
            }
}

static void csv_row(int c, void *arg)
{
    struct reader *r = arg;
    char text[READ_TEXT_MAX];

    (void)c;
    r->in_record = false;
    if (r->rec_reason) {
        if (r->have_header) {
            reject(r, r->rec_line, r->rec_reason, r->rec_text);
        } else {
            snprintf(r->header_err, sizeof r->header_err,
                     "the header row is unusable: %.120s", r->rec_text);
            r->have_header = true;
        }
        r->rec_reason = NULL;
        cells_clear(r);
        return;
    }
    if (!r->have_header) {
        csv_header(r);
        return;
    }
    if (r->header_err[0]) {
        reject(r, r->rec_line, "bad_header", r->header_err);
    } else if (r->n_cells != r->n_header) {
        snprintf(text, sizeof text, "row has %zu cells, the header has %zu",
                 r->n_cells, r->n_header);
        reject(r, r->rec_line, "bad_csv", text);
    } else if (!r->rc) {
        note(r, nyckel_push_add_record(
                    r->p, r->n_cells, (const char *const *)r->header,
                    (const char *const *)r->cells, r->name, r->rec_line));
    }
    cells_clear(r);
}

static void csv_reset(struct reader *r)
{
    if (r->csv_ready)
        csv_free(&r->csv);
    csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    r->csv_ready = true;
    r->in_record = false;
    r->rec_reason = NULL;
    cells_clear(r);
}

/* Refuse the record in progress and start over after it. */
static void csv_abandon(struct reader *r, const char *reason, const char *text)
{
    if (r->have_header) {
        reject(r, r->rec_line, reason, text);
    } else {
        /* a broken header leaves nothing to name the columns by */
        snprintf(r->header_err, sizeof r->header_err,
                 "the header row is unusable: %.120s", text);
        r->have_header = true;
    }
    csv_reset(r);
}

static void csv_line(struct reader *r, const char *s, size_t len, uint64_t line)
{
    if (!r->in_record) {
        if (blank(s, len))
            return;
        r->in_record = true;
        r->rec_line = line;
        r->rec_bytes = 0;
    }
    r->rec_bytes += len;
    if (r->rec_bytes > NYCKEL_LINE_MAX_BYTES) {
        char text[64];

        snprintf(text, sizeof text, "record over %d bytes",
                 NYCKEL_LINE_MAX_BYTES);
        csv_abandon(r, "line_too_long", text);
        return;
    }
    if (csv_parse(&r->csv, s, len, csv_cell, csv_row, r) != len)
        csv_abandon(r, "bad_csv", csv_strerror(csv_error(&r->csv)));
}

static void csv_end(struct reader *r)
{
    if (csv_fini(&r->csv, csv_cell, csv_row, r))
        csv_abandon(r, "bad_csv", csv_strerror(csv_error(&r->csv)));
}

/* ------------------------------------------------------------ lines */

static void json_line(struct reader *r, const char *s, size_t len,
                      uint64_t line)
{
    if (blank(s, len))
        return;
    note(r, nyckel_push_add_json(r->p, s, len, r->name, line));
}

static void one_line(struct reader *r, bool csv, const char *s, size_t len,
                     uint64_t line)
{
    /* a byte order mark, as spreadsheet programs write, is not data */
    if (line == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
        s += 3;
        len -= 3;
    }
    if (csv)
        csv_line(r, s, len, line);
    else
        json_line(r, s, len, line);
}

/* Wait until fd is readable, keeping the pusher going meanwhile.
 * Returns 0 when input is ready or the wait should just go on. */
static int wait_input(struct reader *r, int fd)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int idle = push_idle_ms(r->p);
        int n;

        if (idle < 0)
            return 0; /* nothing to keep going: block in read() */
        n = poll(&pfd, 1, idle);
        if (n < 0)
            return -errno;
        if (n > 0)
            return 0;
        n = nyckel_push_poll(r->p, 0);
        if (n)
            return n;
    }
}

int nyckel_push_read_fd(struct nyckel_push *p, int fd, const char *name,
                        enum nyckel_input fmt)
{
    struct reader r = {.p = p, .name = name ? name : ""};
    char *buf;
    size_t have = 0;
    uint64_t line = 1;     /* number of the line being accumulated */
    bool skipping = false; /* inside an over-long line */
    bool csv;
    int rc = 0;

    if (fmt == NYCKEL_INPUT_AUTO)
        fmt = nyckel_input_from_name(name);
    if (fmt != NYCKEL_INPUT_JSON && fmt != NYCKEL_INPUT_CSV)
        return NYCKEL_EFORMAT;
    csv = fmt == NYCKEL_INPUT_CSV;
    buf = push_xmalloc(READ_BUF_BYTES);
    if (csv) {
        r.cells = push_xcalloc(READ_MAX_COLUMNS, sizeof *r.cells);
        csv_reset(&r);
    }
    for (;;) {
        ssize_t n;
        size_t start = 0;
        char *nl;

        rc = wait_input(&r, fd);
        if (rc)
            goto out;
        n = read(fd, buf + have, READ_BUF_BYTES - have);
        if (n < 0) {
            rc = -errno;
            goto out;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        while ((nl = memchr(buf + start, '\n', have - start))) {
            size_t len = (size_t)(nl - (buf + start)) + 1;

            if (skipping)
                skipping = false;
            else
                one_line(&r, csv, buf + start, len, line);
            line++;
            start += len;
            if (r.rc) {
                rc = r.rc;
                goto out;
            }
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == READ_BUF_BYTES) {
            char text[64];

            snprintf(text, sizeof text, "line over %d bytes",
                     NYCKEL_LINE_MAX_BYTES);
            if (!skipping) {
                /* a header past the buffer is unusable like a header
                 * past the ceiling: the next row must not become it */
                if (csv && (r.in_record || !r.have_header))
                    csv_abandon(&r, "line_too_long", text);
                else
                    reject(&r, line, "line_too_long", text);
            }
            skipping = true;
            have = 0;
        }
    }
    if (have && !skipping)
        one_line(&r, csv, buf, have, line);
    if (csv)
        csv_end(&r);
    rc = r.rc;
out:
    if (csv) {
        cells_clear(&r);
        free(r.cells);
        if (r.csv_ready)
            csv_free(&r.csv);
        for (size_t i = 0; i < r.n_header; i++)
            free(r.header[i]);
        free(r.header);
    }
    free(buf);
    return rc;
}
