/* compute/placement.c: the scheduler's filters and weighers. */
#include "nbt.h"
#include "compute/internal.h"

static const struct nb_sched_ratios nbt_ratio = {.cpu = 4.0, .ram = 1.0, .disk = 1.0};

/* Three up, enabled hosts in zone "nova" with 8 vCPUs, 16 GiB, 100 GB. */
static void nbt_hosts(struct nb_sched_host h[3])
{
    static const char *const names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        h[i] = (struct nb_sched_host){
            .host = names[i], .node = names[i], .zone = "nova", .up = true,
            .enabled = true, .vcpus = 8, .memory_mb = 16384, .local_gb = 100,
        };
}

static struct nb_sched_spec nbt_small(void)
{
    return (struct nb_sched_spec){.vcpus = 1, .memory_mb = 512, .disk_gb = 1};
}

static void test_sched_picks_most_free_ram(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    const char *why = "x";
    (void)state;
    nbt_hosts(h);
    h[0].used_ram = 4096;
    h[2].used_ram = 1024;
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 1);
    assert_null(why);
}

static void test_sched_ties_go_to_the_first_host(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    const char *why;
    (void)state;
    nbt_hosts(h);
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 0);
}

static void test_sched_down_disabled_and_tried_hosts_are_skipped(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    json_t *tried = json_pack("[s]", "c");
    const char *why;
    (void)state;
    nbt_hosts(h);
    h[0].up = false;
    h[1].enabled = false;
    s.ignore_hosts = tried;
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), -1);
    assert_string_equal(why, "RetryFilter");
    assert_string_equal(nb_sched_filter(&h[0], &s, &nbt_ratio), "ComputeFilter");
    assert_string_equal(nb_sched_filter(&h[1], &s, &nbt_ratio), "ComputeFilter");
    json_decref(tried);
}

static void test_sched_resources_use_allocation_ratios(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    (void)state;
    nbt_hosts(h);
    s.vcpus = 32;                    /* 8 x 4.0 */
    assert_null(nb_sched_filter(&h[0], &s, &nbt_ratio));
    s.vcpus = 33;
    assert_string_equal(nb_sched_filter(&h[0], &s, &nbt_ratio), "CoreFilter");
    s = nbt_small();
    s.memory_mb = 16385;
    assert_string_equal(nb_sched_filter(&h[0], &s, &nbt_ratio), "RamFilter");
    s = nbt_small();
    h[0].used_disk = 99;
    s.disk_gb = 2;
    assert_string_equal(nb_sched_filter(&h[0], &s, &nbt_ratio), "DiskFilter");
}

static void test_sched_claims_fill_a_host_during_a_batch(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    const char *why;
    int placed = 0;
    (void)state;
    nbt_hosts(h);            /* only the first is offered */
    s.memory_mb = 4096;
    while (nb_sched_pick(h, 1, &s, &nbt_ratio, &why) == 0) {
        nb_sched_claim(&h[0], &s);
        placed++;
    }
    assert_int_equal(placed, 4);
    assert_string_equal(why, "RamFilter");
    assert_int_equal(h[0].used_ram, 16384);
    assert_int_equal(h[0].used_vcpus, 4);
}

static void test_sched_zone_and_forced_host(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    const char *why;
    (void)state;
    nbt_hosts(h);
    h[2].zone = "edge";
    s.zone = "edge";
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 2);
    s.zone = "nowhere";
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), -1);
    assert_string_equal(why, "AvailabilityZoneFilter");
    s.zone = NULL;
    s.force_host = "b";
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 1);
}

static void test_sched_group_affinity_and_anti_affinity(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    json_t *members = json_pack("{s:i}", "c", 1);
    const char *why;
    (void)state;
    nbt_hosts(h);
    s.group_hosts = members;
    s.group_policy = "affinity";
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 2);
    s.group_policy = "anti-affinity";
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 0);
    assert_string_equal(nb_sched_filter(&h[2], &s, &nbt_ratio),
                        "ServerGroupAntiAffinityFilter");
    s.max_server_per_host = 2;       /* 2.64 rules */
    assert_null(nb_sched_filter(&h[2], &s, &nbt_ratio));
    /* an empty affinity group may go anywhere */
    json_object_clear(members);
    s.group_policy = "affinity";
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 0);
    json_decref(members);
}

static void test_sched_soft_policies_weigh(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    json_t *members = json_pack("{s:i,s:i}", "a", 2, "b", 1);
    const char *why;
    (void)state;
    nbt_hosts(h);
    s.group_hosts = members;
    s.group_policy = "soft-affinity";
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 0);
    s.group_policy = "soft-anti-affinity";
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 2);
    json_decref(members);
}

static void test_sched_same_and_different_host_hints(void **state)
{
    struct nb_sched_host h[3];
    struct nb_sched_spec s = nbt_small();
    json_t *same = json_pack("{s:i}", "b", 1), *diff = json_pack("{s:i}", "a", 1);
    const char *why;
    (void)state;
    nbt_hosts(h);
    s.different_hosts = diff;
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 1);
    s.same_hosts = same;
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), 1);
    s.different_hosts = same;
    assert_int_equal(nb_sched_pick(h, 3, &s, &nbt_ratio, &why), -1);
    json_decref(same);
    json_decref(diff);
}

static void test_sched_no_hosts_is_no_valid_host(void **state)
{
    struct nb_sched_spec s = nbt_small();
    const char *why;
    (void)state;
    assert_int_equal(nb_sched_pick(NULL, 0, &s, &nbt_ratio, &why), -1);
    assert_non_null(why);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sched_picks_most_free_ram),
        cmocka_unit_test(test_sched_ties_go_to_the_first_host),
        cmocka_unit_test(test_sched_down_disabled_and_tried_hosts_are_skipped),
        cmocka_unit_test(test_sched_resources_use_allocation_ratios),
        cmocka_unit_test(test_sched_claims_fill_a_host_during_a_batch),
        cmocka_unit_test(test_sched_zone_and_forced_host),
        cmocka_unit_test(test_sched_group_affinity_and_anti_affinity),
        cmocka_unit_test(test_sched_soft_policies_weigh),
        cmocka_unit_test(test_sched_same_and_different_host_hints),
        cmocka_unit_test(test_sched_no_hosts_is_no_valid_host),
    };
    return NBT_MAIN("cmp_placement", tests, NULL, NULL);
}
