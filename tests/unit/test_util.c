/* core/util.c, core/ctx.c: time, encodings, UTF-8, URL decoding, strings,
 * buffers, ids, files, errno <-> HTTP status. */
#include "nbt.h"

#include <sys/stat.h>

/* A heap copy of exactly strlen(s)+1 bytes, so that ASan sees any read past
 * the terminating NUL. */
static int64_t nbt_parse(const char *s, int *ret)
{
    char *copy = nb_xstrdup(s);
    int64_t us = -1;
    *ret = nb_time_parse(copy, &us);
    free(copy);
    return us;
}

/* ---- time */

static void test_time_fmt_epoch_whole_seconds(void **state)
{
    char out[NB_TIME_LEN];
    (void)state;
    nb_time_fmt(0, 0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
}

static void test_time_fmt_micro_fraction_with_z(void **state)
{
    char out[NB_TIME_LEN];
    (void)state;
    nb_time_fmt(1764183000123456LL, 6, out);
    assert_string_equal(out, "2025-11-26T18:50:00.123456Z");
    nb_time_fmt(1764183000000001LL, 6, out);
    assert_string_equal(out, "2025-11-26T18:50:00.000001Z");
}

static void test_time_fmt_keystone_fraction_without_z(void **state)
{
    char out[NB_TIME_LEN];
    (void)state;
    nb_time_fmt(1764183000500000LL, -6, out);
    assert_string_equal(out, "2025-11-26T18:50:00.500000");
}

static void test_time_fmt_before_epoch_borrows_a_second(void **state)
{
    char out[NB_TIME_LEN];
    (void)state;
    nb_time_fmt(-1, 6, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
}

static void test_time_parse_round_trips_every_format(void **state)
{
    static const int64_t samples[] = {
        0, 1, 999999, 1000000, 1764183000123456LL, 4102444799999999LL,
        951782400000000LL /* 2000-02-29 */,
    };
    char out[NB_TIME_LEN];
    int r;
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(samples); i++) {
        nb_time_fmt(samples[i], 6, out);
        assert_int_equal(nbt_parse(out, &r), samples[i]);
        assert_int_equal(r, 0);
        nb_time_fmt(samples[i], -6, out);
        assert_int_equal(nbt_parse(out, &r), samples[i]);
        assert_int_equal(r, 0);
        nb_time_fmt(samples[i], 0, out);
        assert_int_equal(nbt_parse(out, &r), samples[i] - samples[i] % 1000000);
        assert_int_equal(r, 0);
    }
}

static void test_time_parse_short_fraction_is_scaled(void **state)
{
    int r;
    (void)state;
    assert_int_equal(nbt_parse("1970-01-01T00:00:01.5Z", &r), 1500000);
    assert_int_equal(r, 0);
    assert_int_equal(nbt_parse("1970-01-01T00:00:00.012Z", &r), 12000);
    assert_int_equal(r, 0);
}

static void test_time_parse_long_fraction_truncated_to_micros(void **state)
{
    int r;
    (void)state;
    assert_int_equal(nbt_parse("1970-01-01T00:00:00.123456789Z", &r), 123456);
    assert_int_equal(r, 0);
}

static void test_time_parse_offsets_move_to_utc(void **state)
{
    int r;
    int64_t utc;
    (void)state;
    utc = nbt_parse("2026-01-01T00:00:00Z", &r);
    assert_int_equal(r, 0);
    assert_int_equal(nbt_parse("2026-01-01T01:00:00+01:00", &r), utc);
    assert_int_equal(r, 0);
    assert_int_equal(nbt_parse("2025-12-31T18:30:00-05:30", &r), utc);
    assert_int_equal(r, 0);
    assert_int_equal(nbt_parse("2026-01-01T05:45:00.250000+05:45", &r), utc + 250000);
    assert_int_equal(r, 0);
    assert_int_equal(nbt_parse("2026-01-01T00:00:00+00:00", &r), utc);
    assert_int_equal(r, 0);
}

static void test_time_parse_without_zone_is_utc(void **state)
{
    int r;
    (void)state;
    assert_int_equal(nbt_parse("1970-01-02T00:00:00", &r), 86400LL * 1000000);
    assert_int_equal(r, 0);
    assert_int_equal(nbt_parse("1970-01-02T00:00:00z", &r), 86400LL * 1000000);
    assert_int_equal(r, 0);
}

static void test_time_parse_garbage_rejected(void **state)
{
    static const char *const bad[] = {
        "", "yesterday", "2026-01-01", "2026-01-01T00:00:00Q",
        "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00Zjunk",
        "2026-01-01T00:00:00+01:00junk", "2026-13-01T00:00:00Z",
    };
    int r;
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++) {
        nbt_parse(bad[i], &r);
        if (r != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(nb_time_parse(NULL, &(int64_t){0}), -EINVAL);
}

/* "+1:00" is not an ISO 8601 offset; the parser must neither accept it
 * nor read past the end of the string looking for the minutes. */
static void test_time_parse_short_offset_rejected(void **state)
{
    static const char *const bad[] = {
        "2026-01-01T00:00:00+1:00", "2026-01-01T00:00:00+01:0",
        "2026-01-01T00:00:00+01", "2026-01-01T00:00:00+",
    };
    int r;
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++) {
        nbt_parse(bad[i], &r);
        if (r != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

/* A date that does not exist is an error, not the day timegm() makes of
 * it (Feb 30 -> Mar 2): an expiry given as 2026-02-30 must be a 400. */
static void test_time_parse_impossible_date_rejected(void **state)
{
    static const char *const bad[] = {
        "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T12:00:00Z",
        "2100-02-29T00:00:00Z",
    };
    int r;
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++) {
        nbt_parse(bad[i], &r);
        if (r != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    nbt_parse("2028-02-29T00:00:00Z", &r);        /* a leap year */
    assert_int_equal(r, 0);
}

/* ---- base64url and hex */

static void test_b64url_round_trips_every_length(void **state)
{
    unsigned char data[64], *back;
    size_t n;
    (void)state;
    for (size_t len = 0; len <= sizeof(data); len++) {
        char *s;
        nb_random_bytes(data, len);
        s = nb_b64url_encode(data, len);
        assert_int_equal(strlen(s), (len * 4 + 2) / 3);
        assert_null(strpbrk(s, "+/="));
        assert_int_equal(nb_b64url_decode(s, &back, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, data, len);
        free(back);
        free(s);
    }
}

static void test_b64url_uses_url_alphabet_without_padding(void **state)
{
    static const unsigned char data[] = {0xfb, 0xff};
    char *s;
    (void)state;
    s = nb_b64url_encode(data, sizeof(data));
    assert_string_equal(s, "-_8");
    free(s);
}

static void test_b64url_decode_rejects_padding_and_std_alphabet(void **state)
{
    static const char *const bad[] = {"-_8=", "+/8", "ab cd", "a", "ab$c"};
    unsigned char *out = NULL;
    size_t n = 0;
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++) {
        if (nb_b64url_decode(bad[i], &out, &n) != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_hex_encode_lowercase_and_round_trips(void **state)
{
    static const unsigned char data[] = {0x00, 0xab, 0xcd, 0xef, 0x19};
    unsigned char back[sizeof(data)];
    char hex[2 * sizeof(data) + 1];
    (void)state;
    nb_hex_encode(data, sizeof(data), hex);
    assert_string_equal(hex, "00abcdef19");
    assert_int_equal(nb_hex_decode(hex, back, sizeof(back)), 0);
    assert_memory_equal(back, data, sizeof(data));
}

static void test_hex_decode_wrong_length_or_digit_rejected(void **state)
{
    unsigned char out[4];
    (void)state;
    assert_int_equal(nb_hex_decode("abcdef", out, 4), -EINVAL);
    assert_int_equal(nb_hex_decode("abcdef0011", out, 4), -EINVAL);
    assert_int_equal(nb_hex_decode("abcdefgh", out, 4), -EINVAL);
    assert_int_equal(nb_hex_decode("", out, 4), -EINVAL);
}

/* ---- UTF-8 */

static void test_utf8_accepts_valid_sequences(void **state)
{
    static const char *const good[] = {
        "", "plain ascii", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
    };
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(good); i++)
        assert_true(nb_utf8_valid(good[i], strlen(good[i])));
    assert_true(nb_utf8_valid("a\0b", 3));   /* NUL is a valid code point */
}

static void test_utf8_rejects_malformed_sequences(void **state)
{
    static const char *const bad[] = {
        "\x80",                  /* lone continuation byte */
        "\xc3",                  /* truncated 2-byte */
        "\xe2\x82",              /* truncated 3-byte */
        "\xc0\xaf",              /* overlong '/' */
        "\xe0\x80\xaf",          /* overlong, 3 bytes */
        "\xf0\x80\x80\xaf",      /* overlong, 4 bytes */
        "\xed\xa0\x80",          /* UTF-16 surrogate */
        "\xf4\x90\x80\x80",      /* beyond U+10FFFF */
        "\xff",                  /* never valid */
        "ok\xc3(",               /* bad continuation */
    };
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++)
        if (nb_utf8_valid(bad[i], strlen(bad[i])))
            fail_msg("accepted sequence #%zu", i);
}

static void test_utf8_respects_length_not_nul(void **state)
{
    (void)state;
    /* only the first two bytes are considered: the truncated char is out */
    assert_true(nb_utf8_valid("ab\xc3", 2));
    assert_false(nb_utf8_valid("ab\xc3\xa9", 3));
}

/* ---- URL decoding */

static void nbt_url(const char *in, bool plus, const char *want)
{
    char *out = nb_url_decode(in, strlen(in), plus);
    assert_string_equal(out, want);
    free(out);
}

static void test_url_decode_percent_escapes(void **state)
{
    (void)state;
    nbt_url("%41%62c", false, "Abc");
    nbt_url("a%2Fb%2fc", false, "a/b/c");
    nbt_url("caf%C3%A9", false, "caf\xc3\xa9");
    nbt_url("end%41", false, "endA");
}

static void test_url_decode_plus_is_space_only_in_queries(void **state)
{
    (void)state;
    nbt_url("a+b", true, "a b");
    nbt_url("a+b", false, "a+b");
    nbt_url("a%2Bb", true, "a+b");
}

static void test_url_decode_keeps_invalid_escapes_literal(void **state)
{
    (void)state;
    nbt_url("100%", false, "100%");
    nbt_url("%4", false, "%4");
    nbt_url("%zz", false, "%zz");
    nbt_url("%%41", false, "%A");
}

static void test_url_decode_stops_at_given_length(void **state)
{
    char *out;
    (void)state;
    out = nb_url_decode("ab%41cd", 4, false);   /* "ab%4" */
    assert_string_equal(out, "ab%4");
    free(out);
}

/* ---- strings, buffers, ids */

static void test_str_to_bool_accepts_usual_spellings_only(void **state)
{
    static const char *const yes[] = {"1", "true", "TRUE", "yes", "on", "y", "t"};
    static const char *const no[] = {"0", "false", "False", "no", "off", "n", "f"};
    bool b;
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(yes); i++) {
        b = false;
        assert_int_equal(nb_str_to_bool(yes[i], &b), 0);
        assert_true(b);
        assert_true(nb_str_is_true(yes[i]));
    }
    for (size_t i = 0; i < NB_ARRAY_SIZE(no); i++) {
        b = true;
        assert_int_equal(nb_str_to_bool(no[i], &b), 0);
        assert_false(b);
        assert_false(nb_str_is_true(no[i]));
    }
    assert_int_equal(nb_str_to_bool("maybe", &b), -EINVAL);
    assert_int_equal(nb_str_to_bool("", &b), -EINVAL);
    assert_int_equal(nb_str_to_bool(NULL, &b), -EINVAL);
    assert_false(nb_str_is_true(NULL));
    assert_false(nb_str_is_true("2"));
}

static void test_str_in_a_null_ended_set(void **state)
{
    static const char *const set[] = {"a", "bc", NULL};
    static const char *const none[] = {NULL};
    (void)state;
    assert_true(nb_str_in("a", set));
    assert_true(nb_str_in("bc", set));
    assert_false(nb_str_in("b", set));
    assert_false(nb_str_in("", set));
    assert_false(nb_str_in(NULL, set));
    assert_false(nb_str_in("a", none));
}

static void test_str_to_long_whole_string_only(void **state)
{
    long v = 0;
    (void)state;
    assert_int_equal(nb_str_to_long("42", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(nb_str_to_long("-7", &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(nb_str_to_long("12x", &v), -EINVAL);
    assert_int_equal(nb_str_to_long("", &v), -EINVAL);
    assert_int_equal(nb_str_to_long(NULL, &v), -EINVAL);
    assert_int_equal(nb_str_to_long("99999999999999999999999", &v), -EINVAL);
}

static void test_buf_grows_and_steals(void **state)
{
    struct nb_buf b = {0};
    char *s;
    (void)state;
    for (int i = 0; i < 1000; i++)
        nb_buf_printf(&b, "%d,", i % 10);
    assert_int_equal(b.len, 2000);
    assert_int_equal(b.buf[b.len], '\0');
    nb_buf_puts(&b, "end");
    s = nb_buf_steal(&b);
    assert_null(b.buf);
    assert_int_equal(b.len, 0);
    assert_int_equal(strlen(s), 2003);
    assert_string_equal(s + 2000, "end");
    free(s);
    s = nb_buf_steal(&b);           /* an empty buffer gives "" */
    assert_string_equal(s, "");
    free(s);
    nb_buf_free(&b);
    nb_buf_free(NULL);
}

static void test_uuid_forms(void **state)
{
    char hex[NB_ID_HEX_LEN + 1], other[NB_ID_HEX_LEN + 1], dashed[37];
    (void)state;
    nb_uuid_hex(hex);
    nb_uuid_hex(other);
    assert_int_equal(strlen(hex), 32);
    assert_int_equal(strspn(hex, "0123456789abcdef"), 32);
    assert_string_not_equal(hex, other);
    nb_uuid_dashed(dashed);
    assert_true(nb_uuid_is_dashed(dashed));
    assert_int_equal(dashed[14], '4');      /* version 4 */
    assert_false(nb_uuid_is_dashed(hex));
    assert_false(nb_uuid_is_dashed(NULL));
    assert_false(nb_uuid_is_dashed("not-a-uuid"));
}

static void test_request_id_form(void **state)
{
    char id[48];
    (void)state;
    nb_request_id_new(id);
    assert_true(nb_request_id_valid(id));
    assert_false(nb_request_id_valid(id + 4));
    assert_false(nb_request_id_valid("req-123"));
    assert_false(nb_request_id_valid(NULL));
}

/* ---- files */

static void test_file_write_atomic_then_read_back(void **state)
{
    char *dir = nbt_tmpdir(), *sub = nb_xasprintf("%s/a/b/c", dir), *path, *back = NULL;
    size_t n = 0;
    struct stat st;
    (void)state;
    assert_int_equal(nb_mkdir_p(sub, 0700), 0);
    assert_int_equal(nb_mkdir_p(sub, 0700), 0);       /* exists: fine */
    path = nb_xasprintf("%s/file", sub);
    assert_int_equal(nb_file_write_atomic(path, "one\0two", 7, 0600), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(nb_file_read(path, &back, &n), 0);
    assert_int_equal(n, 7);
    assert_memory_equal(back, "one\0two", 7);
    free(back);
    assert_int_equal(nb_file_write_atomic(path, "x", 1, 0600), 0);   /* replaces */
    assert_int_equal(nb_file_read(path, &back, NULL), 0);
    assert_string_equal(back, "x");
    free(back);
    free(path);
    path = nb_xasprintf("%s/missing", dir);
    assert_int_equal(nb_file_read(path, &back, NULL), -ENOENT);
    free(path);
    nbt_rmrf(dir);
    free(sub);
    free(dir);
}

/* ---- errors */

static void test_err_set_first_error_wins(void **state)
{
    struct nb_ctx ctx = {0};
    (void)state;
    assert_int_equal(nb_err_set(&ctx, 404, "Could not find project: %s.", "p1"), -ENOENT);
    assert_int_equal(nb_err_set(&ctx, 500, "outer"), -EIO);
    assert_int_equal(ctx.err_status, 404);
    assert_string_equal(ctx.err_msg, "Could not find project: p1.");
    assert_int_equal(nb_err_set(NULL, 409, "x"), -EEXIST);
}

static void test_status_errno_mapping_round_trips(void **state)
{
    static const int statuses[] = {400, 401, 403, 404, 405, 409, 413, 415, 500, 501, 503};
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(statuses); i++)
        assert_int_equal(nb_errno_to_status(nb_status_to_errno(statuses[i])), statuses[i]);
    assert_int_equal(nb_status_to_errno(401), -EPERM);
    assert_int_equal(nb_status_to_errno(403), -EACCES);
    assert_int_equal(nb_errno_to_status(-ENOMEM), 500);
    assert_string_equal(nb_http_reason(404), "Not Found");
    assert_string_equal(nb_http_reason(204), "No Content");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_fmt_epoch_whole_seconds),
        cmocka_unit_test(test_time_fmt_micro_fraction_with_z),
        cmocka_unit_test(test_time_fmt_keystone_fraction_without_z),
        cmocka_unit_test(test_time_fmt_before_epoch_borrows_a_second),
        cmocka_unit_test(test_time_parse_round_trips_every_format),
        cmocka_unit_test(test_time_parse_short_fraction_is_scaled),
        cmocka_unit_test(test_time_parse_long_fraction_truncated_to_micros),
        cmocka_unit_test(test_time_parse_offsets_move_to_utc),
        cmocka_unit_test(test_time_parse_without_zone_is_utc),
        cmocka_unit_test(test_time_parse_garbage_rejected),
        cmocka_unit_test(test_time_parse_short_offset_rejected),
        cmocka_unit_test(test_time_parse_impossible_date_rejected),
        cmocka_unit_test(test_b64url_round_trips_every_length),
        cmocka_unit_test(test_b64url_uses_url_alphabet_without_padding),
        cmocka_unit_test(test_b64url_decode_rejects_padding_and_std_alphabet),
        cmocka_unit_test(test_hex_encode_lowercase_and_round_trips),
        cmocka_unit_test(test_hex_decode_wrong_length_or_digit_rejected),
        cmocka_unit_test(test_utf8_accepts_valid_sequences),
        cmocka_unit_test(test_utf8_rejects_malformed_sequences),
        cmocka_unit_test(test_utf8_respects_length_not_nul),
        cmocka_unit_test(test_url_decode_percent_escapes),
        cmocka_unit_test(test_url_decode_plus_is_space_only_in_queries),
        cmocka_unit_test(test_url_decode_keeps_invalid_escapes_literal),
        cmocka_unit_test(test_url_decode_stops_at_given_length),
        cmocka_unit_test(test_str_to_bool_accepts_usual_spellings_only),
        cmocka_unit_test(test_str_in_a_null_ended_set),
        cmocka_unit_test(test_str_to_long_whole_string_only),
        cmocka_unit_test(test_buf_grows_and_steals),
        cmocka_unit_test(test_uuid_forms),
        cmocka_unit_test(test_request_id_form),
        cmocka_unit_test(test_file_write_atomic_then_read_back),
        cmocka_unit_test(test_err_set_first_error_wins),
        cmocka_unit_test(test_status_errno_mapping_round_trips),
    };
    return NBT_MAIN("util", tests, NULL, NULL);
}
