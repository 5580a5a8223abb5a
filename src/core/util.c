/* Small utilities: allocation, strings, ids, time, encodings, files. */
#include "core.h"

#include <ctype.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <uuid/uuid.h>

static void nb_oom(void)
{
    fputs("nubis: out of memory\n", stderr);
    abort();
}

void *nb_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        nb_oom();
    return p;
}

void *nb_xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        nb_oom();
    return p;
}

void *nb_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        nb_oom();
    return p;
}

char *nb_xstrdup(const char *s)
{
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        nb_oom();
    return d;
}

char *nb_xstrndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d)
        nb_oom();
    return d;
}

char *nb_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        nb_oom();
    va_end(ap);
    return s;
}

void nb_buf_add(struct nb_buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->buf = nb_xrealloc(b->buf, cap);
        b->cap = cap;
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void nb_buf_puts(struct nb_buf *b, const char *s)
{
    nb_buf_add(b, s, strlen(s));
}

void nb_buf_printf(struct nb_buf *b, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        nb_oom();
    nb_buf_add(b, s, (size_t)n);
    free(s);
}

char *nb_buf_steal(struct nb_buf *b)
{
    char *s = b->buf ? b->buf : nb_xstrdup("");
    b->buf = NULL;
    b->len = b->cap = 0;
    return s;
}

void nb_buf_free(struct nb_buf *b)
{
    if (!b)
        return;
    free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}

void nb_uuid_hex(char out[NB_ID_HEX_LEN + 1])
{
    uuid_t u;
    uuid_generate_random(u);
    nb_hex_encode(u, sizeof(u), out);
}

void nb_uuid_dashed(char out[37])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

bool nb_uuid_is_dashed(const char *s)
{
    uuid_t u;
    return s && strlen(s) == 36 && uuid_parse(s, u) == 0;
}

int64_t nb_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t nb_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void nb_time_fmt(int64_t us, int frac, char out[NB_TIME_LEN])
{
    time_t secs = (time_t)(us / 1000000);
    long micros = (long)(us % 1000000);
    struct tm tm;
    size_t n;

    if (micros < 0) {
        micros += 1000000;
        secs -= 1;
    }
    gmtime_r(&secs, &tm);
    n = strftime(out, NB_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac == 6)
        snprintf(out + n, NB_TIME_LEN - n, ".%06ldZ", micros);
    else if (frac == -6)
        snprintf(out + n, NB_TIME_LEN - n, ".%06ld", micros);
    else
        snprintf(out + n, NB_TIME_LEN - n, "Z");
}

int nb_time_parse(const char *s, int64_t *us)
{
    struct tm tm = {0};
    const char *p;
    long micros = 0;
    int64_t offset = 0;

    if (!s)
        return -EINVAL;
    p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -EINVAL;
    if (*p == '.') {
        int digits = 0;
        p++;
        while (isdigit((unsigned char)*p)) {
            if (digits < 6) {
                micros = micros * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        if (!digits)
            return -EINVAL;
        while (digits++ < 6)
            micros *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        /* exactly "+HH:MM" */
        int sign = *p == '-' ? -1 : 1, hh, mm;
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
            !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
            return -EINVAL;
        hh = (p[1] - '0') * 10 + (p[2] - '0');
        mm = (p[4] - '0') * 10 + (p[5] - '0');
        if (hh > 23 || mm > 59)
            return -EINVAL;
        offset = sign * ((int64_t)hh * 3600 + mm * 60);
        p += 6;
    }
    if (*p)
        return -EINVAL;
    {
        /* strptime takes "02-30": a date that does not exist must not
         * quietly become March 2nd */
        struct tm want = tm, got;
        time_t secs = timegm(&tm);
        gmtime_r(&secs, &got);
        if (got.tm_mday != want.tm_mday || got.tm_mon != want.tm_mon ||
            got.tm_year != want.tm_year || got.tm_hour != want.tm_hour ||
            got.tm_min != want.tm_min || got.tm_sec != want.tm_sec)
            return -EINVAL;
        *us = ((int64_t)secs - offset) * 1000000 + micros;
    }
    return 0;
}

void nb_random_bytes(void *buf, size_t n)
{
    randombytes_buf(buf, n);
}

char *nb_b64url_encode(const void *data, size_t n)
{
    size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = nb_xmalloc(len);
    sodium_bin2base64(out, len, data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

int nb_b64url_decode(const char *s, unsigned char **out, size_t *n)
{
    size_t slen = strlen(s), cap = slen * 3 / 4 + 3, got = 0;
    unsigned char *buf = nb_xmalloc(cap);
    const char *end = NULL;

    if (sodium_base642bin(buf, cap, s, slen, NULL, &got, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        (end && *end)) {
        free(buf);
        return -EINVAL;
    }
    *out = buf;
    *n = got;
    return 0;
}

void nb_hex_encode(const void *data, size_t n, char *out)
{
    sodium_bin2hex(out, n * 2 + 1, data, n);
}

int nb_hex_decode(const char *s, unsigned char *out, size_t n)
{
    size_t got = 0;
    const char *end = NULL;
    if (strlen(s) != n * 2)
        return -EINVAL;
    if (sodium_hex2bin(out, n, s, n * 2, NULL, &got, &end) != 0 || got != n)
        return -EINVAL;
    return 0;
}

bool nb_str_in(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

bool nb_str_is_true(const char *s)
{
    bool b = false;
    return s && nb_str_to_bool(s, &b) == 0 && b;
}

int nb_str_to_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on", "y", "t"};
    static const char *const no[] = {"0", "false", "no", "off", "n", "f"};
    size_t i;
    if (!s)
        return -EINVAL;
    for (i = 0; i < NB_ARRAY_SIZE(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

int nb_str_to_long(const char *s, long *out)
{
    char *end;
    long v;
    if (!s || !*s)
        return -EINVAL;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

bool nb_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        int len;
        unsigned cp;
        if (c < 0x80) {
            p++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (e - p < len)
            return false;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += len;
    }
    return true;
}

int nb_mkdir_p(const char *path, unsigned mode)
{
    char *tmp = nb_xstrdup(path);
    int r = 0;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST) {
            r = -errno;
            goto out;
        }
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        r = -errno;
out:
    free(tmp);
    return r;
}

int nb_fsync_dir(const char *path)
{
    char *copy = nb_xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = 0;
    if (fd < 0 || fsync(fd) < 0)
        r = -errno;
    if (fd >= 0)
        close(fd);
    free(copy);
    return r;
}

int nb_file_write_atomic(const char *path, const void *data, size_t n,
                         unsigned mode)
{
    char *tmp = nb_xasprintf("%s.tmp.%d", path, (int)getpid());
    const char *p = data;
    int fd, r = 0;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        r = -errno;
        goto out;
    }
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            goto out;
        }
        p += w;
        n -= (size_t)w;
    }
    if (fsync(fd) < 0) {
        r = -errno;
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0) {
        r = -errno;
        goto out;
    }
    r = nb_fsync_dir(path);
out:
    if (fd >= 0)
        close(fd);
    if (r < 0)
        unlink(tmp);
    free(tmp);
    return r;
}

int nb_file_read(const char *path, char **out, size_t *n)
{
    struct nb_buf b = {0};
    char chunk[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
    ssize_t got;

    if (fd < 0)
        return -errno;
    while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            goto out;
        }
        nb_buf_add(&b, chunk, (size_t)got);
    }
    if (n)
        *n = b.len;
    *out = nb_buf_steal(&b);
out:
    close(fd);
    nb_buf_free(&b);
    return r;
}

bool nb_request_id_valid(const char *s)
{
    return s && strncmp(s, "req-", 4) == 0 && nb_uuid_is_dashed(s + 4);
}

void nb_request_id_new(char out[48])
{
    char u[37];
    nb_uuid_dashed(u);
    snprintf(out, 48, "req-%s", u);
}

int nb_write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
