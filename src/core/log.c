/* Logging: one line per event, with the request id of the thread's
 * current request, so one id traces a call across services. */
#include "core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static enum nb_log_level nb_log_min = NB_LOG_INFO;
static FILE *nb_log_out;
static __thread const char *nb_log_reqid;

static const char *const nb_level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

void nb_log_init(enum nb_log_level level, const char *file)
{
    nb_log_min = level;
    if (file && *file) {
        FILE *f = fopen(file, "ae");
        if (f) {
            setvbuf(f, NULL, _IOLBF, 0);
            nb_log_out = f;
            return;
        }
        fprintf(stderr, "nubis: cannot open log file %s, using stderr\n", file);
    }
    nb_log_out = NULL;
}

int nb_log_level_parse(const char *s, enum nb_log_level *out)
{
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_level_names); i++) {
        if (strcasecmp(s, nb_level_names[i]) == 0 ||
            (i == NB_LOG_WARN && strcasecmp(s, "warn") == 0)) {
            *out = (enum nb_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

void nb_log_set_request_id(const char *id)
{
    nb_log_reqid = id;
}

void nb_log(enum nb_log_level level, const char *fmt, ...)
{
    char ts[NB_TIME_LEN], line[2048];
    va_list ap;
    int n;

    if (level < nb_log_min)
        return;
    nb_time_fmt(nb_now_us(), 6, ts);
    n = snprintf(line, sizeof(line), "%s %d %s [%s] ", ts, (int)getpid(),
                 nb_level_names[level], nb_log_reqid ? nb_log_reqid : "-");
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    /* one write(2) per line: lines from threads never interleave */
    if (write(nb_log_out ? fileno(nb_log_out) : STDERR_FILENO, line, (size_t)n) < 0)
        return;
}
