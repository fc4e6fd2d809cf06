/*
 * log.c — nyckeld's log: one line per message to stderr,
 * "2026-11-23T10:00:00Z nyckeld[1234] warn ingest: batch 42: why".
 *
 * Why this shape: journald and any log shipper take one line per event,
 * so a message must never become two lines nor two half lines. The whole
 * line is therefore built in one fixed stack buffer and handed to a
 * single write(2): lines of concurrent writers do not interleave, and
 * logging never allocates, so it still works when memory is short. A
 * message longer than the buffer is cut and marked with "...", and
 * control characters (a newline inside a reason text) are replaced by
 * '?' so no message can forge a line of its own. The timestamp is UTC
 * with the pid, as in syslog, so lines from several daemons sort.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One whole line, newline included; longer messages are cut. */
#define LOG_LINE_MAX 1024
/* Marks a cut message; ends the line before the newline. */
#define LOG_CUT_MARK "..."

static enum log_level log_level_max = LOG_INFO;

static const char *const log_level_names[] = {
    [LOG_ERROR] = "error",
    [LOG_WARN] = "warn",
    [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug",
};

#define LOG_LEVEL_COUNT (sizeof(log_level_names) / sizeof(log_level_names[0]))

void log_set_level(enum log_level level)
{
    if ((int)level < (int)LOG_ERROR)
        level = LOG_ERROR;
    if ((int)level > (int)LOG_DEBUG)
        level = LOG_DEBUG;
    log_level_max = level;
}

int log_level_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < LOG_LEVEL_COUNT; i++)
        if (strcmp(name, log_level_names[i]) == 0)
            return (int)i;
    return -1;
}

/* "2026-11-23T10:00:00.123Z" into out (at least 25 bytes); a fixed
 * dummy if the clock cannot be read, so a line is never lost for a
 * timestamp. */
static void log_format_time(char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    char sec[24];

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
        gmtime_r(&ts.tv_sec, &tm) == NULL ||
        strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        snprintf(out, cap, "0000-00-00T00:00:00.000Z");
    else
        snprintf(out, cap, "%.19s.%03dZ", sec, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* Replace control bytes in buf[from, to) so the message stays on one
 * line; bytes >= 0x80 (UTF-8 in Swedish texts) are kept. */
static void log_sanitize(char *buf, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c < 0x20 || c == 0x7f)
            buf[i] = '?';
    }
}

/* write(2) all of buf to stderr, retrying on EINTR and short writes;
 * gives up silently otherwise: there is nowhere to report it. */
static void log_write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    char stamp[32];
    const char *name;
    size_t len, room, msg_start;
    int n;
    int saved_errno = errno; /* callers log, then still look at errno */
    va_list ap;

    if ((int)level > (int)log_level_max)
        return;
    name = (int)level >= 0 && (size_t)level < LOG_LEVEL_COUNT
               ? log_level_names[level]
               : "?";

    log_format_time(stamp, sizeof(stamp));
    n = snprintf(line, sizeof(line), "%s nyckeld[%ld] %s ", stamp,
                 (long)getpid(), name);
    if (n < 0)
        goto out;
    msg_start = (size_t)n; /* the prefix is < 64 bytes: always fits */

    /* Leave room for the newline; vsnprintf NUL-terminates within it. */
    room = sizeof(line) - 1 - msg_start;
    va_start(ap, fmt);
    n = vsnprintf(line + msg_start, room + 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > room) {
        /* Cut: the buffer holds room bytes of message; end with the mark.
         * The cut may split a UTF-8 sequence; the mark makes that plain. */
        len = msg_start + room;
        memcpy(line + len - (sizeof(LOG_CUT_MARK) - 1), LOG_CUT_MARK,
               sizeof(LOG_CUT_MARK) - 1);
    } else {
        len = msg_start + (size_t)n;
    }
    log_sanitize(line, msg_start, len);
    line[len++] = '\n';
    log_write_all(line, len);
out:
    errno = saved_errno;
}
