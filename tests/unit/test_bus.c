/* core/bus.c: topics, ordering, bounded workers, unsubscribe. */
#include "nbt.h"

#include <pthread.h>
#include <unistd.h>

struct nbt_sink {
    pthread_mutex_t lock;
    int seen[64];
    int n;
    int running, max_running;
    int delay_us;
};

static void nbt_sink_fn(void *arg, const json_t *msg)
{
    struct nbt_sink *s = arg;
    pthread_mutex_lock(&s->lock);
    s->running++;
    if (s->running > s->max_running)
        s->max_running = s->running;
    pthread_mutex_unlock(&s->lock);
    if (s->delay_us)
        usleep((useconds_t)s->delay_us);
    pthread_mutex_lock(&s->lock);
    s->running--;
    if (s->n < 64)
        s->seen[s->n++] = (int)json_integer_value(json_object_get(msg, "i"));
    pthread_mutex_unlock(&s->lock);
}

static void nbt_publish(struct nb_bus *bus, const char *topic, int i)
{
    json_t *m = json_pack("{s:i}", "i", i);
    assert_int_equal(nb_bus_publish(bus, topic, m), 0);
    json_decref(m);
}

static void nbt_wait(struct nbt_sink *s, int n)
{
    for (int t = 0; t < 2000; t++) {
        pthread_mutex_lock(&s->lock);
        int have = s->n;
        pthread_mutex_unlock(&s->lock);
        if (have >= n)
            return;
        usleep(1000);
    }
    fail_msg("only %d of %d messages arrived", s->n, n);
}

static void test_bus_one_worker_keeps_order(void **state)
{
    struct nbt_sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct nb_bus *bus;
    struct nb_bus_sub *sub;
    (void)state;
    assert_int_equal(nb_bus_open("inproc://", &bus), 0);
    /* published before anyone subscribes: waits for the subscriber */
    for (int i = 0; i < 10; i++)
        nbt_publish(bus, "t", i);
    assert_int_equal(nb_bus_pending(bus, "t"), 10);
    assert_int_equal(nb_bus_subscribe(bus, "t", 1, nbt_sink_fn, &s, &sub), 0);
    for (int i = 10; i < 20; i++)
        nbt_publish(bus, "t", i);
    nbt_wait(&s, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(s.seen[i], i);
    assert_int_equal(nb_bus_pending(bus, "t"), 0);
    nb_bus_unsubscribe(sub);
    nb_bus_close(bus);
}

static void test_bus_workers_bound_concurrency(void **state)
{
    struct nbt_sink s = {.lock = PTHREAD_MUTEX_INITIALIZER, .delay_us = 5000};
    struct nb_bus *bus;
    struct nb_bus_sub *sub;
    (void)state;
    assert_int_equal(nb_bus_open("inproc", &bus), 0);
    assert_int_equal(nb_bus_subscribe(bus, "t", 3, nbt_sink_fn, &s, &sub), 0);
    for (int i = 0; i < 30; i++)
        nbt_publish(bus, "t", i);
    nbt_wait(&s, 30);
    assert_true(s.max_running <= 3);
    assert_true(s.max_running >= 2);
    nb_bus_unsubscribe(sub);
    nb_bus_close(bus);
}

static void test_bus_one_subscription_per_topic(void **state)
{
    struct nbt_sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct nb_bus *bus;
    struct nb_bus_sub *sub, *sub2, *other;
    (void)state;
    assert_int_equal(nb_bus_open("inproc://", &bus), 0);
    assert_int_equal(nb_bus_subscribe(bus, "a", 1, nbt_sink_fn, &s, &sub), 0);
    assert_int_equal(nb_bus_subscribe(bus, "a", 1, nbt_sink_fn, &s, &sub2),
                     -EEXIST);
    assert_int_equal(nb_bus_subscribe(bus, "b", 1, nbt_sink_fn, &s, &other), 0);
    nb_bus_unsubscribe(sub);
    /* after unsubscribe the topic's messages wait for the next subscriber */
    nbt_publish(bus, "a", 7);
    usleep(20000);
    assert_int_equal(s.n, 0);
    assert_int_equal(nb_bus_subscribe(bus, "a", 2, nbt_sink_fn, &s, &sub), 0);
    nbt_wait(&s, 1);
    assert_int_equal(s.seen[0], 7);
    nb_bus_unsubscribe(sub);
    nb_bus_unsubscribe(other);
    nb_bus_unsubscribe(NULL);
    nb_bus_close(bus);
    nb_bus_close(NULL);
}

static void test_bus_unknown_transport(void **state)
{
    struct nb_bus *bus = NULL;
    (void)state;
    assert_int_equal(nb_bus_open("rabbit://guest@localhost", &bus), -EINVAL);
    assert_null(bus);
}

static void test_mv_parse(void **state)
{
    const struct nb_microversions mv = {"compute", "X-OpenStack-Nova-API-Version",
                                        NB_MV(2, 1), NB_MV(2, 79)};
    int v = 0;
    (void)state;
    assert_int_equal(nb_mv_parse(&mv, "2.1", &v), 0);
    assert_int_equal(v, NB_MV(2, 1));
    assert_int_equal(nb_mv_parse(&mv, "2.79", &v), 0);
    assert_int_equal(v, NB_MV(2, 79));
    assert_int_equal(nb_mv_parse(&mv, "latest", &v), 0);
    assert_int_equal(v, NB_MV(2, 79));
    assert_int_equal(nb_mv_parse(&mv, " 2.10 ", &v), 0);
    assert_int_equal(v, NB_MV(2, 10));
    assert_int_equal(nb_mv_parse(&mv, "2.80", &v), -ERANGE);
    assert_int_equal(nb_mv_parse(&mv, "2.0", &v), -ERANGE);
    assert_int_equal(nb_mv_parse(&mv, "3.1", &v), -ERANGE);
    assert_int_equal(nb_mv_parse(&mv, "2", &v), -EINVAL);
    assert_int_equal(nb_mv_parse(&mv, "2.x", &v), -EINVAL);
    assert_int_equal(nb_mv_parse(&mv, "two.one", &v), -EINVAL);
    assert_int_equal(nb_mv_parse(&mv, "2.1.1", &v), -EINVAL);
    assert_int_equal(nb_mv_parse(&mv, "", &v), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bus_one_worker_keeps_order),
        cmocka_unit_test(test_bus_workers_bound_concurrency),
        cmocka_unit_test(test_bus_one_subscription_per_topic),
        cmocka_unit_test(test_bus_unknown_transport),
        cmocka_unit_test(test_mv_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
