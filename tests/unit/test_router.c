/* core/router.c: nb_router_match. */
#include "nbt.h"

static int nbt_h(struct nb_req *req)
{
    (void)req;
    return 0;
}

static const struct nb_route nbt_routes[] = {
    {"GET", "/", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"GET", "/v3/projects", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"POST", "/v3/projects", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"GET", "/v3/projects/{project_id}", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"PATCH", "/v3/projects/{project_id}", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"GET", "/v3/projects/{project_id}/tags/{tag}", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"GET", "/v3/auth/tokens", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"HEAD", "/v3/auth/tokens", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"POST", "/v3/auth/tokens", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"PUT", "/v1/{account}/{container}/{object*}", nbt_h, NULL, 0, NULL, NULL, NULL},
    {"GET", "/v1/{account}/{container}/{object*}", nbt_h, NULL, 0, NULL, NULL, NULL},
};

static const struct nb_service nbt_svc = {
    .name = "test",
    .prefix = "/test",
    .routes = nbt_routes,
    .nroutes = NB_ARRAY_SIZE(nbt_routes),
};

struct nbt_match {
    int r;
    const struct nb_route *route;
    char *params[8];
    int n;
};

static void nbt_match(const char *method, const char *path, struct nbt_match *m)
{
    memset(m, 0, sizeof(*m));
    m->n = -1;
    m->r = nb_router_match(&nbt_svc, method, path, &m->route, m->params, &m->n);
}

static void nbt_match_free(struct nbt_match *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->params[i]);
}

static void test_router_static_path(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("GET", "/v3/projects", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[1]);
    assert_int_equal(m.n, 0);
    nbt_match("POST", "/v3/projects", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[2]);
    nbt_match("GET", "/", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[0]);
}

static void test_router_param_is_one_decoded_segment(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("PATCH", "/v3/projects/my%20proj", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[4]);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.params[0], "my proj");
    nbt_match_free(&m);
}

static void test_router_two_params_in_order(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("GET", "/v3/projects/p1/tags/a%2Fb", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[5]);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.params[0], "p1");
    assert_string_equal(m.params[1], "a/b");       /* %2F stays in the segment */
    nbt_match_free(&m);
}

static void test_router_rest_param_takes_remaining_path(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("PUT", "/v1/AUTH_p/photos/2026/11/cat.jpg", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[9]);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.params[0], "AUTH_p");
    assert_string_equal(m.params[1], "photos");
    assert_string_equal(m.params[2], "2026/11/cat.jpg");
    nbt_match_free(&m);
}

static void test_router_rest_param_must_not_be_empty(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("PUT", "/v1/AUTH_p/photos/", &m);
    assert_int_equal(m.r, -ENOENT);
    assert_int_equal(m.n, 0);
}

static void test_router_trailing_slash_tolerated(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("GET", "/v3/projects/", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[1]);
    nbt_match("GET", "/v3/projects/p1/", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[3]);
    assert_string_equal(m.params[0], "p1");
    nbt_match_free(&m);
}

static void test_router_unknown_path_is_404(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("GET", "/v3/nothing", &m);
    assert_int_equal(m.r, -ENOENT);
    nbt_match("GET", "/v3/projectsX", &m);          /* whole segments only */
    assert_int_equal(m.r, -ENOENT);
    nbt_match("GET", "/v3/projects/p1/extra", &m);  /* too many segments */
    assert_int_equal(m.r, -ENOENT);
    nbt_match("GET", "/v3/projects//", &m);         /* empty segment */
    assert_int_equal(m.r, -ENOENT);
    nbt_match("GET", "", &m);
    assert_int_equal(m.r, -ENOENT);
    assert_int_equal(m.n, 0);
}

static void test_router_known_path_wrong_method_is_405(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("DELETE", "/v3/projects", &m);
    assert_int_equal(m.r, -EOPNOTSUPP);
    nbt_match("PUT", "/v3/projects/p1", &m);
    assert_int_equal(m.r, -EOPNOTSUPP);
    assert_int_equal(m.n, 0);                      /* nothing to free */
    nbt_match("get", "/v3/projects", &m);           /* methods are exact */
    assert_int_equal(m.r, -EOPNOTSUPP);
}

static void test_router_head_falls_back_to_get(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("HEAD", "/v3/projects/p9", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[3]);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.params[0], "p9");
    nbt_match_free(&m);
    nbt_match("HEAD", "/v1/a/c/o/p", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[10]);
    assert_string_equal(m.params[2], "o/p");
    nbt_match_free(&m);
}

static void test_router_explicit_head_beats_get(void **state)
{
    struct nbt_match m;
    (void)state;
    nbt_match("HEAD", "/v3/auth/tokens", &m);
    assert_int_equal(m.r, 0);
    assert_ptr_equal(m.route, &nbt_routes[7]);
}

static void test_router_head_without_get_is_405(void **state)
{
    static const struct nb_route only_post[] = {
        {"POST", "/v3/things", nbt_h, NULL, 0, NULL, NULL, NULL},
    };
    static const struct nb_service svc = {
        .name = "post-only", .prefix = "/p", .routes = only_post, .nroutes = 1,
    };
    const struct nb_route *rt = NULL;
    char *params[8];
    int n = -1;
    (void)state;
    assert_int_equal(nb_router_match(&svc, "HEAD", "/v3/things", &rt, params, &n),
                     -EOPNOTSUPP);
    assert_int_equal(n, 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_static_path),
        cmocka_unit_test(test_router_param_is_one_decoded_segment),
        cmocka_unit_test(test_router_two_params_in_order),
        cmocka_unit_test(test_router_rest_param_takes_remaining_path),
        cmocka_unit_test(test_router_rest_param_must_not_be_empty),
        cmocka_unit_test(test_router_trailing_slash_tolerated),
        cmocka_unit_test(test_router_unknown_path_is_404),
        cmocka_unit_test(test_router_known_path_wrong_method_is_405),
        cmocka_unit_test(test_router_head_falls_back_to_get),
        cmocka_unit_test(test_router_explicit_head_beats_get),
        cmocka_unit_test(test_router_head_without_get_is_405),
    };
    return NBT_MAIN("router", tests, NULL, NULL);
}
