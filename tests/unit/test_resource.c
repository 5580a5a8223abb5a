/* core/resource.c: validation (nb_res_parse) and the table <-> JSON
 * engine (insert/get/update/delete/list) on a temp SQLite database (and on
 * PostgreSQL too when NUBIS_TEST_PG_URI is set: see nbt.h). */
#include "nbt.h"

static const struct nb_field nbt_widget_fields[] = {
    {"id", NB_FT_STR, NB_FF_REQUIRED | NB_FF_CREATE | NB_FF_FILTER, 64, NULL},
    {"name", NB_FT_STR, NB_FF_REQUIRED | NB_FF_MUTABLE | NB_FF_FILTER | NB_FF_NAME |
                        NB_FF_SORT, 16, NULL},
    {"domain_id", NB_FT_STR, NB_FF_CREATE | NB_FF_FILTER, 64, "\"default\""},
    {"enabled", NB_FT_BOOL, NB_FF_MUTABLE | NB_FF_FILTER, 0, "true"},
    {"size", NB_FT_INT, NB_FF_MUTABLE | NB_FF_FILTER | NB_FF_NULL, 0, NULL},
    {"tags", NB_FT_JSON, NB_FF_MUTABLE, 0, "[]"},
    {"expires_at", NB_FT_TIME, NB_FF_MUTABLE | NB_FF_NULL, 0, NULL},
    {"secret", NB_FT_STR, NB_FF_MUTABLE | NB_FF_HIDDEN, 0, NULL},
    {"created_at", NB_FT_INT, NB_FF_RDONLY, 0, NULL},
    {"password", NB_FT_STR, NB_FF_NOCOL | NB_FF_MUTABLE, 0, NULL},
};

/* Keystone style: unknown attributes are kept in 'extra'. */
static const struct nb_resource nbt_widget = {
    .singular = "widget_thing",
    .plural = "widget_things",
    .table = "widgets",
    .fields = nbt_widget_fields,
    .nfields = NB_ARRAY_SIZE(nbt_widget_fields),
    .keep_extra = true,
};

/* Nova/Neutron style: unknown attributes are a 400. */
static const struct nb_resource nbt_strict = {
    .singular = "widget",
    .plural = "widgets",
    .table = "strict_widgets",
    .fields = nbt_widget_fields,
    .nfields = NB_ARRAY_SIZE(nbt_widget_fields),
    .keep_extra = false,
};

static const struct nb_migration nbt_m[] = {
    {1, "CREATE TABLE widgets (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
        " domain_id TEXT NOT NULL, enabled BIGINT NOT NULL, size BIGINT, tags TEXT,"
        " expires_at BIGINT, secret TEXT, created_at BIGINT, extra TEXT,"
        " UNIQUE (domain_id, name));"
        "CREATE TABLE strict_widgets (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
        " domain_id TEXT NOT NULL, enabled BIGINT NOT NULL, size BIGINT, tags TEXT,"
        " expires_at BIGINT, secret TEXT, created_at BIGINT);"},
};

struct nbt_res {
    char *dir;
    char *url;
    struct nb_db *db;
    struct nb_tx *tx;
    struct nb_ctx ctx;
};

static int nbt_setup(void **state)
{
    struct nbt_res *t = nb_xcalloc(1, sizeof(*t));
    t->dir = nbt_tmpdir();
    t->url = nbt_db_url(t->dir, "res");
    assert_int_equal(nb_db_open(t->url, 2, &t->db), 0);
    assert_int_equal(nb_db_migrate(t->db, "test", nbt_m, NB_ARRAY_SIZE(nbt_m)), 0);
    assert_int_equal(nb_tx_begin(t->db, true, &t->tx), 0);
    *state = t;
    return 0;
}

static int nbt_teardown(void **state)
{
    struct nbt_res *t = *state;
    nb_tx_rollback(t->tx);
    nb_db_close(t->db);
    nbt_db_drop(t->url);
    free(t->url);
    nbt_rmrf(t->dir);
    free(t->dir);
    free(t);
    return 0;
}

/* Parses JSON text 'in' against 'res'; returns the result, with the
 * output (if any) in *out and the error on ctx. */
static int nbt_parse(struct nb_ctx *ctx, const struct nb_resource *res, const char *in,
                     bool create, json_t **out)
{
    json_error_t err;
    json_t *j = json_loads(in, JSON_DECODE_ANY, &err);
    int r;
    if (!j)
        fail_msg("bad test JSON %s: %s", in, err.text);
    memset(ctx, 0, sizeof(*ctx));
    *out = NULL;
    r = nb_res_parse(ctx, res, j, create, out);
    json_decref(j);
    return r;
}

/* Expects a 400 whose message contains 'needle'. */
static void nbt_parse_400(const struct nb_resource *res, const char *in, bool create,
                          const char *needle)
{
    struct nb_ctx ctx;
    json_t *out = NULL;
    int r = nbt_parse(&ctx, res, in, create, &out);
    if (r != -EINVAL || ctx.err_status != 400)
        fail_msg("%s: got %d/%d, wanted 400", in, r, ctx.err_status);
    if (!strstr(ctx.err_msg, needle))
        fail_msg("%s: message \"%s\" lacks \"%s\"", in, ctx.err_msg, needle);
    assert_null(out);
}

/* Parses for create and inserts; fails the test on any error. */
static void nbt_insert(struct nbt_res *t, const struct nb_resource *res, const char *in)
{
    json_t *obj = NULL;
    if (nbt_parse(&t->ctx, res, in, true, &obj) < 0)
        fail_msg("%s: %s", in, t->ctx.err_msg);
    if (nb_res_insert(&t->ctx, t->tx, res, obj) < 0)
        fail_msg("insert %s: %s", in, t->ctx.err_msg);
    json_decref(obj);
}

static json_t *nbt_get(struct nbt_res *t, const char *id)
{
    json_t *obj = NULL;
    memset(&t->ctx, 0, sizeof(t->ctx));
    assert_int_equal(nb_res_get(&t->ctx, t->tx, &nbt_widget, id, &obj), 0);
    return obj;
}

/* ---- nb_res_parse */

static void test_res_parse_create_fills_defaults(void **state)
{
    struct nb_ctx ctx;
    json_t *out = NULL;
    (void)state;
    assert_int_equal(nbt_parse(&ctx, &nbt_widget, "{\"id\": \"w1\", \"name\": \"one\"}",
                               true, &out), 0);
    assert_true(json_is_true(json_object_get(out, "enabled")));
    assert_string_equal(nb_json_str(out, "domain_id"), "default");
    assert_true(json_is_array(json_object_get(out, "tags")));
    assert_null(json_object_get(out, "size"));          /* no default: absent */
    json_decref(out);
}

static void test_res_parse_required_missing_400(void **state)
{
    (void)state;
    nbt_parse_400(&nbt_widget, "{\"id\": \"w1\"}", true, "'name' is a required property");
}

static void test_res_parse_wrong_type_400_names_field(void **state)
{
    (void)state;
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": 5}", true,
                  "'name': 5 is not of type 'string'");
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": \"n\", \"enabled\": \"yes\"}",
                  true, "'enabled': 'yes' is not of type 'boolean'");
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": \"n\", \"size\": 1.5}", true,
                  "'size'");
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": \"n\", \"size\": \"7\"}", true,
                  "is not of type 'integer'");
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": \"n\", \"expires_at\": "
                               "\"next tuesday\"}", true, "'expires_at'");
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": \"n\", \"expires_at\": 12}",
                  true, "'expires_at'");
}

static void test_res_parse_body_not_object_400(void **state)
{
    (void)state;
    nbt_parse_400(&nbt_widget, "[1, 2]", true, "is not of type 'object'");
    nbt_parse_400(&nbt_widget, "\"text\"", false, "'widget_thing'");
}

static void test_res_parse_too_long_400_counts_characters(void **state)
{
    struct nb_ctx ctx;
    json_t *out = NULL;
    (void)state;
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": \"12345678901234567\"}", true,
                  "is too long");
    /* 16 characters of two bytes each fit in max_len 16 */
    assert_int_equal(nbt_parse(&ctx, &nbt_widget,
                               "{\"id\": \"w\", \"name\": \"\u00e9\u00e9\u00e9\u00e9"
                               "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
                               "\u00e9\u00e9\u00e9\"}", true, &out), 0);
    json_decref(out);
}

static void test_res_parse_name_blank_or_empty_400(void **state)
{
    (void)state;
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": \"\"}", true, "is too short");
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": \"  \\t \"}", true,
                  "does not match");
    nbt_parse_400(&nbt_widget, "{\"name\": \" \"}", false, "'name'");
}

static void test_res_parse_null_only_where_allowed(void **state)
{
    struct nb_ctx ctx;
    json_t *out = NULL;
    (void)state;
    nbt_parse_400(&nbt_widget, "{\"id\": \"w\", \"name\": null}", true, "'name': None");
    assert_int_equal(nbt_parse(&ctx, &nbt_widget, "{\"id\": \"w\", \"name\": \"n\", "
                                                  "\"size\": null}", true, &out), 0);
    assert_true(json_is_null(json_object_get(out, "size")));
    json_decref(out);
}

static void test_res_parse_unknown_attribute_kept_when_extra(void **state)
{
    struct nb_ctx ctx;
    json_t *out = NULL;
    (void)state;
    assert_int_equal(nbt_parse(&ctx, &nbt_widget, "{\"id\": \"w\", \"name\": \"n\", "
                                                  "\"color\": {\"r\": 1}}", true, &out), 0);
    assert_int_equal(json_integer_value(json_object_get(nb_json_obj(out, "color"), "r")), 1);
    json_decref(out);
}

static void test_res_parse_unknown_attribute_rejected_when_strict(void **state)
{
    (void)state;
    nbt_parse_400(&nbt_strict, "{\"id\": \"w\", \"name\": \"n\", \"color\": \"red\"}", true,
                  "('color' was unexpected)");
}

static void test_res_parse_read_only_attribute_ignored(void **state)
{
    struct nb_ctx ctx;
    json_t *out = NULL;
    (void)state;
    assert_int_equal(nbt_parse(&ctx, &nbt_widget, "{\"id\": \"w\", \"name\": \"n\", "
                                                  "\"created_at\": 5}", true, &out), 0);
    assert_null(json_object_get(out, "created_at"));
    json_decref(out);
}

static void test_res_parse_update_of_immutable_400(void **state)
{
    (void)state;
    nbt_parse_400(&nbt_widget, "{\"domain_id\": \"other\"}", false,
                  "'domain_id': the attribute cannot be changed");
    nbt_parse_400(&nbt_widget, "{\"id\": \"w2\"}", false, "'id'");
}

static void test_res_parse_update_takes_only_given_attributes(void **state)
{
    struct nb_ctx ctx;
    json_t *out = NULL;
    (void)state;
    assert_int_equal(nbt_parse(&ctx, &nbt_widget, "{\"enabled\": false}", false, &out), 0);
    assert_int_equal(json_object_size(out), 1);            /* no defaults, no required */
    assert_true(json_is_false(json_object_get(out, "enabled")));
    json_decref(out);
}

/* ---- storage */

static void test_res_insert_then_get_renders_row(void **state)
{
    struct nbt_res *t = *state;
    json_t *w;
    nbt_insert(t, &nbt_widget, "{\"id\": \"w1\", \"name\": \"one\", \"size\": 3, "
                               "\"tags\": [\"a\", \"b\"], \"secret\": \"s3\", "
                               "\"expires_at\": \"2026-01-01T01:00:00+01:00\", "
                               "\"password\": \"pw\", \"color\": \"red\"}");
    w = nbt_get(t, "w1");
    assert_string_equal(nb_json_str(w, "name"), "one");
    assert_string_equal(nb_json_str(w, "domain_id"), "default");
    assert_true(json_is_true(json_object_get(w, "enabled")));
    assert_int_equal(json_integer_value(json_object_get(w, "size")), 3);
    assert_int_equal(json_array_size(json_object_get(w, "tags")), 2);
    assert_string_equal(nb_json_str(w, "expires_at"), "2026-01-01T00:00:00.000000Z");
    assert_string_equal(nb_json_str(w, "color"), "red");     /* from extra */
    assert_null(json_object_get(w, "secret"));                 /* hidden */
    assert_null(json_object_get(w, "password"));               /* no column */
    assert_null(json_object_get(w, "extra"));
    assert_true(json_is_null(json_object_get(w, "created_at")));
    json_decref(w);
}

static void test_res_insert_duplicate_409(void **state)
{
    struct nbt_res *t = *state;
    json_t *obj = NULL;
    nbt_insert(t, &nbt_widget, "{\"id\": \"w1\", \"name\": \"one\"}");
    assert_int_equal(nbt_parse(&t->ctx, &nbt_widget, "{\"id\": \"w2\", \"name\": \"one\"}",
                               true, &obj), 0);
    assert_int_equal(nb_res_insert(&t->ctx, t->tx, &nbt_widget, obj), -EEXIST);
    assert_int_equal(t->ctx.err_status, 409);
    /* the noun comes from 'singular', underscores as spaces */
    assert_string_equal(t->ctx.err_msg, "Conflict occurred attempting to store widget "
                                        "thing - Duplicate entry found with name one.");
    json_decref(obj);
}

static void test_res_get_missing_404(void **state)
{
    struct nbt_res *t = *state;
    json_t *obj = NULL;
    assert_int_equal(nb_res_get(&t->ctx, t->tx, &nbt_widget, "nope", &obj), -ENOENT);
    assert_int_equal(t->ctx.err_status, 404);
    assert_string_equal(t->ctx.err_msg, "Could not find widget thing: nope.");
    assert_null(obj);
}

static void test_res_update_changes_columns_and_extra(void **state)
{
    struct nbt_res *t = *state;
    json_t *chg = NULL, *w;
    nbt_insert(t, &nbt_widget, "{\"id\": \"w1\", \"name\": \"one\", \"color\": \"red\", "
                               "\"shape\": \"round\"}");
    assert_int_equal(nbt_parse(&t->ctx, &nbt_widget, "{\"name\": \"uno\", \"enabled\": "
                                                     "false, \"size\": null, \"color\": "
                                                     "\"blue\"}", false, &chg), 0);
    assert_int_equal(nb_res_update(&t->ctx, t->tx, &nbt_widget, "w1", chg), 0);
    json_decref(chg);
    w = nbt_get(t, "w1");
    assert_string_equal(nb_json_str(w, "name"), "uno");
    assert_true(json_is_false(json_object_get(w, "enabled")));
    assert_true(json_is_null(json_object_get(w, "size")));
    assert_string_equal(nb_json_str(w, "color"), "blue");
    assert_string_equal(nb_json_str(w, "shape"), "round");   /* merged, not replaced */
    assert_string_equal(nb_json_str(w, "domain_id"), "default");
    json_decref(w);
}

static void test_res_update_missing_404(void **state)
{
    struct nbt_res *t = *state;
    json_t *chg = json_pack("{s:s}", "name", "x");
    memset(&t->ctx, 0, sizeof(t->ctx));
    assert_int_equal(nb_res_update(&t->ctx, t->tx, &nbt_widget, "nope", chg), -ENOENT);
    assert_int_equal(t->ctx.err_status, 404);
    json_decref(chg);
    chg = json_pack("{s:s}", "color", "x");                 /* extra only */
    memset(&t->ctx, 0, sizeof(t->ctx));
    assert_int_equal(nb_res_update(&t->ctx, t->tx, &nbt_widget, "nope", chg), -ENOENT);
    assert_int_equal(t->ctx.err_status, 404);
    json_decref(chg);
}

static void test_res_update_to_duplicate_name_409(void **state)
{
    struct nbt_res *t = *state;
    json_t *chg = json_pack("{s:s}", "name", "one");
    nbt_insert(t, &nbt_widget, "{\"id\": \"w1\", \"name\": \"one\"}");
    nbt_insert(t, &nbt_widget, "{\"id\": \"w2\", \"name\": \"two\"}");
    memset(&t->ctx, 0, sizeof(t->ctx));
    assert_int_equal(nb_res_update(&t->ctx, t->tx, &nbt_widget, "w2", chg), -EEXIST);
    assert_int_equal(t->ctx.err_status, 409);
    json_decref(chg);
}

static void test_res_delete_then_gone(void **state)
{
    struct nbt_res *t = *state;
    json_t *obj = NULL;
    nbt_insert(t, &nbt_widget, "{\"id\": \"w1\", \"name\": \"one\"}");
    assert_int_equal(nb_res_delete(&t->ctx, t->tx, &nbt_widget, "w1"), 0);
    assert_int_equal(nb_res_get(&t->ctx, t->tx, &nbt_widget, "w1", &obj), -ENOENT);
    memset(&t->ctx, 0, sizeof(t->ctx));
    assert_int_equal(nb_res_delete(&t->ctx, t->tx, &nbt_widget, "w1"), -ENOENT);
    assert_int_equal(t->ctx.err_status, 404);
}

static void nbt_seed(struct nbt_res *t)
{
    nbt_insert(t, &nbt_widget, "{\"id\": \"a\", \"name\": \"alpha\", \"size\": 1}");
    nbt_insert(t, &nbt_widget, "{\"id\": \"b\", \"name\": \"beta\", \"size\": 2, "
                               "\"enabled\": false}");
    nbt_insert(t, &nbt_widget, "{\"id\": \"c\", \"name\": \"gamma\", \"size\": 2, "
                               "\"domain_id\": \"d2\"}");
    nbt_insert(t, &nbt_widget, "{\"id\": \"d\", \"name\": \"alpha\", \"size\": 3, "
                               "\"domain_id\": \"d2\", \"enabled\": false}");
}

/* Lists with a query object; returns the ids joined with ','. */
static char *nbt_list(struct nbt_res *t, const char *query, const struct nb_list_opts *base,
                      int *ret)
{
    struct nb_list_opts opts = {0};
    json_t *q = query ? json_loads(query, 0, NULL) : NULL, *list = NULL, *v;
    struct nb_buf ids = {0};
    size_t i;
    if (base)
        opts = *base;
    opts.query = q;
    memset(&t->ctx, 0, sizeof(t->ctx));
    *ret = nb_res_list(&t->ctx, t->tx, &nbt_widget, &opts, &list);
    json_array_foreach(list, i, v)
        nb_buf_printf(&ids, "%s%s", i ? "," : "", nb_json_str(v, "id"));
    json_decref(list);
    json_decref(q);
    return nb_buf_steal(&ids);
}

#define NBT_LIST_IS(t, query, base, want)                                     \
    do {                                                                      \
        int r_;                                                               \
        char *got_ = nbt_list(t, query, base, &r_);                           \
        assert_int_equal(r_, 0);                                              \
        assert_string_equal(got_, want);                                      \
        free(got_);                                                           \
    } while (0)

static void test_res_list_all_ordered_by_id(void **state)
{
    struct nbt_res *t = *state;
    nbt_seed(t);
    NBT_LIST_IS(t, NULL, NULL, "a,b,c,d");
    NBT_LIST_IS(t, "{}", NULL, "a,b,c,d");
}

static void test_res_list_filters_match_exactly(void **state)
{
    struct nbt_res *t = *state;
    nbt_seed(t);
    NBT_LIST_IS(t, "{\"name\": \"alpha\"}", NULL, "a,d");
    NBT_LIST_IS(t, "{\"name\": \"alp\"}", NULL, "");
    NBT_LIST_IS(t, "{\"name\": \"alpha\", \"domain_id\": \"d2\"}", NULL, "d");
    NBT_LIST_IS(t, "{\"size\": \"2\"}", NULL, "b,c");
    /* not a filter attribute: ignored, as the APIs do */
    NBT_LIST_IS(t, "{\"tags\": \"x\", \"unknown\": \"y\"}", NULL, "a,b,c,d");
}

static void test_res_list_lenient_bool_filter(void **state)
{
    struct nbt_res *t = *state;
    nbt_seed(t);
    NBT_LIST_IS(t, "{\"enabled\": \"false\"}", NULL, "b,d");
    NBT_LIST_IS(t, "{\"enabled\": \"0\"}", NULL, "b,d");
    NBT_LIST_IS(t, "{\"enabled\": \"No\"}", NULL, "b,d");
    NBT_LIST_IS(t, "{\"enabled\": \"true\"}", NULL, "a,c");
    NBT_LIST_IS(t, "{\"enabled\": \"anything\"}", NULL, "a,c");   /* Keystone */
}

static void test_res_list_strict_bool_filter_400(void **state)
{
    struct nbt_res *t = *state;
    struct nb_list_opts strict = {.strict_bools = true};
    char *got;
    int r;
    nbt_seed(t);
    NBT_LIST_IS(t, "{\"enabled\": \"False\"}", &strict, "b,d");
    got = nbt_list(t, "{\"enabled\": \"anything\"}", &strict, &r);
    assert_int_equal(r, -EINVAL);
    assert_int_equal(t->ctx.err_status, 400);
    free(got);
}

static void test_res_list_bad_int_filter_400(void **state)
{
    struct nbt_res *t = *state;
    char *got;
    int r;
    nbt_seed(t);
    got = nbt_list(t, "{\"size\": \"two\"}", NULL, &r);
    assert_int_equal(r, -EINVAL);
    assert_int_equal(t->ctx.err_status, 400);
    assert_non_null(strstr(t->ctx.err_msg, "size"));
    free(got);
}

static void test_res_list_where_order_and_limit(void **state)
{
    struct nbt_res *t = *state;
    struct nb_sql where = {0};
    struct nb_list_opts opts = {0};
    nbt_seed(t);
    nb_sql_add(&where, "size >= ?");
    nb_sql_int(&where, 2);
    opts.where = &where;
    NBT_LIST_IS(t, NULL, &opts, "b,c,d");
    NBT_LIST_IS(t, "{\"name\": \"alpha\"}", &opts, "d");
    opts.order_by = "name DESC, id";
    NBT_LIST_IS(t, NULL, &opts, "c,b,d");
    opts.limit = 2;
    NBT_LIST_IS(t, NULL, &opts, "c,b");
    nb_sql_free(&where);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nbt_setup, nbt_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_res_parse_create_fills_defaults),
        cmocka_unit_test(test_res_parse_required_missing_400),
        cmocka_unit_test(test_res_parse_wrong_type_400_names_field),
        cmocka_unit_test(test_res_parse_body_not_object_400),
        cmocka_unit_test(test_res_parse_too_long_400_counts_characters),
        cmocka_unit_test(test_res_parse_name_blank_or_empty_400),
        cmocka_unit_test(test_res_parse_null_only_where_allowed),
        cmocka_unit_test(test_res_parse_unknown_attribute_kept_when_extra),
        cmocka_unit_test(test_res_parse_unknown_attribute_rejected_when_strict),
        cmocka_unit_test(test_res_parse_read_only_attribute_ignored),
        cmocka_unit_test(test_res_parse_update_of_immutable_400),
        cmocka_unit_test(test_res_parse_update_takes_only_given_attributes),
        T(test_res_insert_then_get_renders_row),
        T(test_res_insert_duplicate_409),
        T(test_res_get_missing_404),
        T(test_res_update_changes_columns_and_extra),
        T(test_res_update_missing_404),
        T(test_res_update_to_duplicate_name_409),
        T(test_res_delete_then_gone),
        T(test_res_list_all_ordered_by_id),
        T(test_res_list_filters_match_exactly),
        T(test_res_list_lenient_bool_filter),
        T(test_res_list_strict_bool_filter_400),
        T(test_res_list_bad_int_filter_400),
        T(test_res_list_where_order_and_limit),
    };
    return NBT_MAIN("resource", tests, NULL, NULL);
}
