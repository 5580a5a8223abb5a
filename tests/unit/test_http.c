/* core/http.c: the request pipeline over a real socket. A test service
 * with a streamed upload route, a file (sendfile) route and a buffered
 * JSON route is served on a free loopback port; a tiny client speaks
 * HTTP/1.1 to it. */
#include "nbt.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* What the upload route saw; read after the request ended. */
static struct {
    pthread_mutex_t lock;
    size_t bytes;
    int chunks;
    uint32_t sum;                /* sum of the bytes, mod 2^32 */
    int cleanups;
    bool completed;
} nbt_up = {.lock = PTHREAD_MUTEX_INITIALIZER};

static char *nbt_file;           /* served by GET /file */

static void nbt_up_cleanup(void *state, bool completed)
{
    (void)state;
    pthread_mutex_lock(&nbt_up.lock);
    nbt_up.cleanups++;
    nbt_up.completed = completed;
    pthread_mutex_unlock(&nbt_up.lock);
}

static int nbt_up_begin(struct nb_req *req)
{
    if (nb_req_header(req, "X-Refuse"))
        return nb_req_err(req, 403, "refused before the body");
    nb_req_set_state(req, &nbt_up, nbt_up_cleanup);
    return 0;
}

static int nbt_up_body(struct nb_req *req, const char *data, size_t len)
{
    (void)req;
    pthread_mutex_lock(&nbt_up.lock);
    nbt_up.bytes += len;
    nbt_up.chunks++;
    for (size_t i = 0; i < len; i++)
        nbt_up.sum += (unsigned char)data[i];
    pthread_mutex_unlock(&nbt_up.lock);
    return 0;
}

static int nbt_up_done(struct nb_req *req)
{
    return nb_reply_json(req, 201, json_pack("{s:i}", "bytes", (json_int_t)nbt_up.bytes));
}

static int nbt_file_get(struct nb_req *req)
{
    struct stat st;
    int fd = open(nbt_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return nb_req_err(req, 500, "no file");
    return nb_reply_fd(req, 200, "application/octet-stream", fd, 0, (uint64_t)st.st_size);
}

static int nbt_echo(struct nb_req *req)
{
    json_t *body = nb_req_json(req);
    if (!body)
        return -EINVAL;
    return nb_reply_json(req, 200, json_pack("{s:O,s:s?,s:s?}", "got", body, "param",
                                             nb_req_param(req, 0), "q",
                                             nb_req_query(req, "a b")));
}

static int nbt_hello(struct nb_req *req)
{
    return nb_reply_json(req, 200, json_pack("{s:s?}", "name", nb_req_param(req, 0)));
}

/* A streamed reply: byte i of the body is (i * 7 + 3) & 0xff, made in
 * pieces of at most 1000 bytes; 'done' counts the releases. */
static int nbt_stream_done;

static int64_t nbt_stream_read(void *state, uint64_t pos, char *buf, size_t max)
{
    uint64_t total = *(uint64_t *)state;
    size_t n = max < 1000 ? max : 1000;
    if (pos >= total)
        return 0;
    if (n > total - pos)
        n = (size_t)(total - pos);
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)((pos + i) * 7 + 3);
    return (int64_t)n;
}

static void nbt_stream_free(void *state)
{
    free(state);
    __atomic_add_fetch(&nbt_stream_done, 1, __ATOMIC_SEQ_CST);
}

static int nbt_stream(struct nb_req *req)
{
    uint64_t *total = nb_xmalloc(sizeof(*total));
    bool known = nb_req_query(req, "unknown") == NULL;
    *total = 100000;
    return nb_reply_stream(req, 200, "application/octet-stream", known ? 100000 : -1,
                           nbt_stream_read, total, nbt_stream_free);
}

static void nbt_header_cb(void *arg, const char *name, const char *value)
{
    if (strncasecmp(name, "X-Meta-", 7) == 0)
        nb_buf_printf(arg, "%s=%s;", name + 7, value);
}

/* Echoes the X-Meta-* request headers, and an empty response header. */
static int nbt_headers(struct nb_req *req)
{
    struct nb_buf b = {0};
    size_t n;
    nb_req_header_each(req, nbt_header_cb, &b);
    nb_buf_puts(&b, "");
    n = b.len;
    nb_reply_header(req, "X-Empty", "");
    return nb_reply_data(req, 200, "text/plain", nb_buf_steal(&b), n);
}

static const struct nb_route nbt_routes[] = {
    {"GET", "/stream", nbt_stream, NULL, NB_ROUTE_PUBLIC, NULL, NULL, NULL},
    {"GET", "/headers", nbt_headers, NULL, NB_ROUTE_PUBLIC, NULL, NULL, NULL},
    {"POST", "/upload", nbt_up_done, NULL, NB_ROUTE_PUBLIC | NB_ROUTE_STREAM, nbt_up_begin,
     nbt_up_body, NULL},
    {"GET", "/file", nbt_file_get, NULL, NB_ROUTE_PUBLIC, NULL, NULL, NULL},
    {"POST", "/echo/{x}", nbt_echo, NULL, NB_ROUTE_PUBLIC, NULL, NULL, NULL},
    {"GET", "/hello/{name}", nbt_hello, NULL, NB_ROUTE_PUBLIC, NULL, NULL, NULL},
    {"GET", "/private", nbt_hello, "rule", 0, NULL, NULL, NULL},
};

static json_t *nbt_render_error(int status, const char *title, const char *msg)
{
    return json_pack("{s:{s:i,s:s,s:s}}", "oops", "code", status, "title", title, "msg", msg);
}

static char *nbt_render_text(int status, const char *title, const char *msg,
                             const char **ctype)
{
    *ctype = "text/html; charset=UTF-8";
    return nb_xasprintf("<html><h1>%d %s</h1><p>%s</p></html>", status, title, msg);
}

static const struct nb_service nbt_text_svc = {
    .name = "text",
    .prefix = "/text",
    .routes = nbt_routes,
    .nroutes = 1,
    .render_error_text = nbt_render_text,
};

static const struct nb_service nbt_svc = {
    .name = "test",
    .prefix = "/test",
    .routes = nbt_routes,
    .nroutes = NB_ARRAY_SIZE(nbt_routes),
    .render_error = nbt_render_error,
};

/* The policy hook: only a caller named by X-Caller gets through. */
static int nbt_authenticate(struct nb_req *req)
{
    const char *who = nb_req_header(req, "X-Caller");
    if (who && strcmp(who, "bad") == 0)
        return nb_req_err(req, 401, "bad caller");
    nb_req_ctx(req)->caller.authenticated = who != NULL;
    return 0;
}

static int nbt_enforce(struct nb_ctx *ctx, const char *rule, const json_t *target)
{
    (void)rule;
    (void)target;
    return ctx->caller.authenticated ? 0 : nb_err_set(ctx, 401, "who are you");
}

static struct nb_http *nbt_http;
static int nbt_port;
static char *nbt_dir;

static int nbt_setup(void **state)
{
    static const struct nb_service *const services[] = {&nbt_svc, &nbt_text_svc};
    struct nb_http_config cfg = {
        .listen = "127.0.0.1:0",
        .threads = 2,
        .max_body = 4096,
        .hooks = {nbt_authenticate, nbt_enforce},
    };
    char *data = nb_xmalloc(1 << 20);
    (void)state;
    for (size_t i = 0; i < (1 << 20); i++)
        data[i] = (char)(i * 7 + 3);
    nbt_dir = nbt_tmpdir();
    nbt_file = nb_xasprintf("%s/blob", nbt_dir);
    assert_int_equal(nb_file_write_atomic(nbt_file, data, 1 << 20, 0600), 0);
    free(data);
    nb_log_init(NB_LOG_ERROR, NULL);
    assert_int_equal(nb_http_start(&cfg, services, 2, &nbt_http), 0);
    nbt_port = nb_http_port(nbt_http);
    assert_true(nbt_port > 0);
    return 0;
}

static int nbt_teardown(void **state)
{
    (void)state;
    nb_http_stop(nbt_http);
    nbt_rmrf(nbt_dir);
    free(nbt_dir);
    free(nbt_file);
    return 0;
}

/* ---- a minimal HTTP/1.1 client (Connection: close) */

struct nbt_resp {
    int status;
    char *head;                  /* status line and headers */
    char *body;
    size_t body_len;
};

static void nbt_resp_free(struct nbt_resp *r)
{
    free(r->head);
    free(r->body);
}

static int nbt_connect(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)nbt_port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

static void nbt_send(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

static void nbt_sends(int fd, const char *s)
{
    nbt_send(fd, s, strlen(s));
}

static void nbt_read_resp(int fd, struct nbt_resp *out)
{
    struct nb_buf b = {0};
    char chunk[65536], *sep;
    ssize_t got;

    while ((got = recv(fd, chunk, sizeof(chunk), 0)) > 0)
        nb_buf_add(&b, chunk, (size_t)got);
    assert_non_null(b.buf);
    sep = strstr(b.buf, "\r\n\r\n");
    assert_non_null(sep);
    out->head = nb_xstrndup(b.buf, (size_t)(sep - b.buf));
    out->body_len = b.len - (size_t)(sep + 4 - b.buf);
    out->body = nb_xmalloc(out->body_len + 1);
    memcpy(out->body, sep + 4, out->body_len);
    out->body[out->body_len] = '\0';
    assert_int_equal(sscanf(out->head, "HTTP/1.1 %d", &out->status), 1);
    nb_buf_free(&b);
}

/* One request: 'extra' holds more header lines ("Name: v\r\n"). */
static void nbt_request(const char *method, const char *path, const char *extra,
                        const char *body, struct nbt_resp *out)
{
    int fd = nbt_connect();
    char *clen = body ? nb_xasprintf("Content-Length: %zu\r\n", strlen(body))
                      : nb_xstrdup("");
    char *req = nb_xasprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                             "%s%s\r\n%s",
                             method, path, extra ? extra : "", clen, body ? body : "");
    nbt_sends(fd, req);
    nbt_read_resp(fd, out);
    close(fd);
    free(clen);
    free(req);
}

/* The value of header 'name' in 'head' (a new string) or NULL. */
static char *nbt_header(const char *head, const char *name)
{
    char *key = nb_xasprintf("\r\n%s: ", name);
    const char *p = strcasestr(head, key);
    char *v = NULL;
    if (p) {
        p += strlen(key);
        v = nb_xstrndup(p, strcspn(p, "\r\n"));
    }
    free(key);
    return v;
}

static void nbt_up_reset(void)
{
    pthread_mutex_lock(&nbt_up.lock);
    nbt_up.bytes = 0;
    nbt_up.chunks = 0;
    nbt_up.sum = 0;
    nbt_up.cleanups = 0;
    nbt_up.completed = false;
    pthread_mutex_unlock(&nbt_up.lock);
}

/* Waits (up to 5 s) until the upload's cleanup has run. */
static void nbt_up_wait_cleanup(void)
{
    for (int i = 0; i < 500; i++) {
        int n;
        pthread_mutex_lock(&nbt_up.lock);
        n = nbt_up.cleanups;
        pthread_mutex_unlock(&nbt_up.lock);
        if (n)
            return;
        usleep(10000);
    }
    fail_msg("the upload's cleanup never ran");
}

/* ---- tests */

static void test_http_stream_upload_chunked_is_not_buffered(void **state)
{
    const size_t total = 8u << 20, piece = 65536;
    char *buf = nb_xmalloc(piece);
    uint32_t sum = 0;
    struct nbt_resp r = {0};
    int fd;
    (void)state;

    nbt_up_reset();
    fd = nbt_connect();
    nbt_sends(fd, "POST /test/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < total; off += piece) {
        char size[32];
        for (size_t i = 0; i < piece; i++) {
            buf[i] = (char)((off + i) * 31);
            sum += (unsigned char)buf[i];
        }
        snprintf(size, sizeof(size), "%zx\r\n", piece);
        nbt_send(fd, size, strlen(size));
        nbt_send(fd, buf, piece);
        nbt_send(fd, "\r\n", 2);
    }
    nbt_send(fd, "0\r\n\r\n", 5);
    nbt_read_resp(fd, &r);
    close(fd);
    /* far past max_body (4 KiB): it was streamed, never buffered */
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"bytes\":8388608"));
    nbt_up_wait_cleanup();
    assert_int_equal(nbt_up.bytes, total);
    assert_int_equal(nbt_up.sum, sum);
    assert_true(nbt_up.chunks > 1);
    assert_true(nbt_up.completed);
    nbt_resp_free(&r);
    free(buf);
}

static void test_http_stream_refused_before_any_byte(void **state)
{
    struct nbt_resp r = {0};
    int fd;
    (void)state;

    nbt_up_reset();
    fd = nbt_connect();
    nbt_sends(fd, "POST /test/upload HTTP/1.1\r\nHost: x\r\nX-Refuse: 1\r\n"
                 "Content-Length: 1000000\r\nExpect: 100-continue\r\n\r\n");
    nbt_read_resp(fd, &r);
    close(fd);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "refused before the body"));
    assert_int_equal(nbt_up.chunks, 0);
    nbt_resp_free(&r);
}

static void test_http_stream_client_gone_midway_cleans_up(void **state)
{
    char half[4096];
    int fd;
    (void)state;

    nbt_up_reset();
    memset(half, 'x', sizeof(half));
    fd = nbt_connect();
    nbt_sends(fd, "POST /test/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    nbt_send(fd, half, sizeof(half));
    usleep(100000);
    close(fd);                   /* 4 KiB of the 100 KB promised */
    nbt_up_wait_cleanup();
    assert_false(nbt_up.completed);
    assert_true(nbt_up.bytes <= sizeof(half));
}

/* The close arrives with the last bytes sent (no pause): libmicrohttpd's
 * epoll mode missed it until the connection timeout. */
static void test_http_stream_client_gone_with_its_last_bytes_cleans_up(void **state)
{
    size_t n = 300000;
    char *part = nb_xmalloc(n);
    int fd;
    (void)state;

    nbt_up_reset();
    memset(part, 'y', n);
    fd = nbt_connect();
    nbt_sends(fd, "POST /test/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    nbt_send(fd, part, n);
    close(fd);
    nbt_up_wait_cleanup();
    assert_false(nbt_up.completed);
    free(part);
}

static void test_http_fd_reply_sends_the_file(void **state)
{
    struct nbt_resp r = {0};
    char *data = NULL, *clen;
    size_t n = 0;
    (void)state;

    nbt_request("GET", "/test/file", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(nb_file_read(nbt_file, &data, &n), 0);
    assert_int_equal(r.body_len, n);
    assert_memory_equal(r.body, data, n);
    clen = nbt_header(r.head, "Content-Length");
    assert_string_equal(clen, "1048576");
    free(clen);
    free(data);
    nbt_resp_free(&r);
}

static void test_http_buffered_body_over_limit_413(void **state)
{
    char *big = nb_xmalloc(10000);
    struct nbt_resp r = {0};
    (void)state;
    memset(big, ' ', 9999);
    big[0] = '{';
    big[9998] = '}';
    big[9999] = '\0';
    nbt_request("POST", "/test/echo/a", "Content-Type: application/json\r\n", big, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"oops\""));       /* the service's error form */
    nbt_resp_free(&r);
    free(big);
}

static void test_http_json_decoding_and_params(void **state)
{
    struct nbt_resp r = {0};
    (void)state;
    nbt_request("POST", "/test/echo/x%2Fy?a+b=c%20d", "Content-Type: application/json\r\n",
                "{\"k\": [1, 2]}", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"got\":{\"k\":[1,2]}"));
    assert_non_null(strstr(r.body, "\"param\":\"x/y\""));   /* %2F stays in its segment */
    assert_non_null(strstr(r.body, "\"q\":\"c d\""));
    nbt_resp_free(&r);

    nbt_request("POST", "/test/echo/x", "Content-Type: application/json\r\n", "{bad", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Malformed JSON"));
    nbt_resp_free(&r);
}

static void test_http_unknown_path_404_wrong_method_405(void **state)
{
    struct nbt_resp r = {0};
    (void)state;
    nbt_request("GET", "/test/nowhere", NULL, NULL, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"code\":404"));
    nbt_resp_free(&r);
    nbt_request("DELETE", "/test/file", NULL, NULL, &r);
    assert_int_equal(r.status, 405);
    nbt_resp_free(&r);
    nbt_request("GET", "/elsewhere", NULL, NULL, &r);   /* no service at all */
    assert_int_equal(r.status, 404);
    nbt_resp_free(&r);
}

static void test_http_request_id_echoed_or_made(void **state)
{
    const char *mine = "req-0b6a2d3e-5a4c-4c1e-9d1f-2b3c4d5e6f70";
    struct nbt_resp r = {0};
    char *extra = nb_xasprintf("X-Openstack-Request-Id: %s\r\n", mine), *got;
    (void)state;

    nbt_request("GET", "/test/hello/a", extra, NULL, &r);
    got = nbt_header(r.head, "X-Openstack-Request-Id");
    assert_string_equal(got, mine);
    free(got);
    nbt_resp_free(&r);

    nbt_request("GET", "/test/hello/a", "X-Openstack-Request-Id: not-an-id\r\n", NULL, &r);
    got = nbt_header(r.head, "X-Openstack-Request-Id");
    assert_non_null(got);
    assert_true(nb_request_id_valid(got));
    assert_string_not_equal(got, "not-an-id");
    free(got);
    nbt_resp_free(&r);
    free(extra);
}

static void test_http_head_answers_get_without_body(void **state)
{
    struct nbt_resp r = {0};
    (void)state;
    nbt_request("HEAD", "/test/hello/a", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    nbt_resp_free(&r);
}

static void test_http_policy_and_authentication_hooks(void **state)
{
    struct nbt_resp r = {0};
    (void)state;
    nbt_request("GET", "/test/private", NULL, NULL, &r);
    assert_int_equal(r.status, 401);
    nbt_resp_free(&r);
    nbt_request("GET", "/test/private", "X-Caller: bad\r\n", NULL, &r);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "bad caller"));
    nbt_resp_free(&r);
    nbt_request("GET", "/test/private", "X-Caller: alice\r\n", NULL, &r);
    assert_int_equal(r.status, 200);
    nbt_resp_free(&r);
}

/* Decodes a chunked body in place; returns its length. */
static size_t nbt_dechunk(char *body, size_t len)
{
    size_t in = 0, out = 0;
    while (in < len) {
        unsigned long n = strtoul(body + in, NULL, 16);
        char *eol = strstr(body + in, "\r\n");
        assert_non_null(eol);
        in = (size_t)(eol - body) + 2;
        if (n == 0)
            break;
        memmove(body + out, body + in, n);
        out += n;
        in += n + 2;
    }
    return out;
}

static void nbt_check_pattern(const char *body, size_t len)
{
    assert_int_equal(len, 100000);
    for (size_t i = 0; i < len; i++)
        assert_int_equal((unsigned char)body[i], (unsigned char)(i * 7 + 3));
}

static void test_http_stream_reply_known_and_unknown_length(void **state)
{
    struct nbt_resp r = {0};
    char *v;
    int before = __atomic_load_n(&nbt_stream_done, __ATOMIC_SEQ_CST);
    (void)state;

    nbt_request("GET", "/test/stream", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    v = nbt_header(r.head, "Content-Length");
    assert_string_equal(v, "100000");
    free(v);
    nbt_check_pattern(r.body, r.body_len);
    nbt_resp_free(&r);

    nbt_request("GET", "/test/stream?unknown", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    v = nbt_header(r.head, "Transfer-Encoding");
    assert_string_equal(v, "chunked");
    free(v);
    nbt_check_pattern(r.body, nbt_dechunk(r.body, r.body_len));
    nbt_resp_free(&r);

    nbt_request("HEAD", "/test/stream", NULL, NULL, &r);   /* length, no body */
    assert_int_equal(r.status, 200);
    v = nbt_header(r.head, "Content-Length");
    assert_string_equal(v, "100000");
    free(v);
    assert_int_equal(r.body_len, 0);
    nbt_resp_free(&r);
    for (int i = 0; i < 500 && __atomic_load_n(&nbt_stream_done, __ATOMIC_SEQ_CST) < before + 3; i++)
        usleep(10000);
    assert_int_equal(__atomic_load_n(&nbt_stream_done, __ATOMIC_SEQ_CST), before + 3);
}

static void test_http_header_each_and_empty_values(void **state)
{
    struct nbt_resp r = {0};
    char *v;
    (void)state;
    nbt_request("GET", "/test/headers", "X-Meta-A: 1\r\nX-Other: 2\r\nX-Meta-B: two\r\n", NULL,
                &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "A=1;B=two;");
    v = nbt_header(r.head, "X-Empty");          /* present, blank */
    assert_non_null(v);
    assert_string_equal(v, " ");
    free(v);
    nbt_resp_free(&r);
}

static void test_http_text_error_bodies(void **state)
{
    struct nbt_resp r = {0};
    char *v;
    (void)state;
    nbt_request("GET", "/text/nowhere", NULL, NULL, &r);
    assert_int_equal(r.status, 404);
    v = nbt_header(r.head, "Content-Type");
    assert_string_equal(v, "text/html; charset=UTF-8");
    free(v);
    assert_non_null(strstr(r.body, "<h1>404 Not Found</h1>"));
    nbt_resp_free(&r);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_stream_upload_chunked_is_not_buffered),
        cmocka_unit_test(test_http_stream_refused_before_any_byte),
        cmocka_unit_test(test_http_stream_client_gone_midway_cleans_up),
        cmocka_unit_test(test_http_stream_client_gone_with_its_last_bytes_cleans_up),
        cmocka_unit_test(test_http_fd_reply_sends_the_file),
        cmocka_unit_test(test_http_buffered_body_over_limit_413),
        cmocka_unit_test(test_http_json_decoding_and_params),
        cmocka_unit_test(test_http_unknown_path_404_wrong_method_405),
        cmocka_unit_test(test_http_request_id_echoed_or_made),
        cmocka_unit_test(test_http_head_answers_get_without_body),
        cmocka_unit_test(test_http_policy_and_authentication_hooks),
        cmocka_unit_test(test_http_stream_reply_known_and_unknown_length),
        cmocka_unit_test(test_http_text_error_bodies),
        cmocka_unit_test(test_http_header_each_and_empty_values),
    };
    return NBT_MAIN("http", tests, nbt_setup, nbt_teardown);
}
