/* The extras area's pure pieces: the pre-2.48 diagnostics derived from the
 * standardized form, the fake driver's diagnostics of its guest, and the
 * event names each microversion accepts. */
#include "nbt.h"
#include "compute/extras.h"

static void test_diag_legacy_keys_as_libvirt(void **state)
{
    json_t *d = json_pack("{s:s,s:{s:i,s:i},s:[{s:i,s:I,s:n},{s:i,s:I,s:n}],"
                          "s:[{s:s,s:i,s:i,s:i,s:i,s:n,s:i,s:i,s:i,s:i,s:n},"
                          "{s:s,s:i,s:i,s:i,s:i,s:n,s:i,s:i,s:i,s:i,s:n}],"
                          "s:[{s:i,s:i,s:i,s:i,s:i}]}",
                          "state", "running", "memory_details", "maximum", 64, "used", 16,
                          "cpu_details", "id", 0, "time", (json_int_t)17300000000,
                          "utilisation", "id", 1, "time", (json_int_t)5, "utilisation",
                          "nic_details",
                          "mac_address", "fa:16:3e:00:00:01", "rx_octets", 10, "rx_errors", 1,
                          "rx_drop", 2, "rx_packets", 3, "rx_rate", "tx_octets", 20,
                          "tx_errors", 4, "tx_drop", 5, "tx_packets", 6, "tx_rate",
                          "mac_address", "fa:16:3e:00:00:02", "rx_octets", 7, "rx_errors", 0,
                          "rx_drop", 0, "rx_packets", 0, "rx_rate", "tx_octets", 0,
                          "tx_errors", 0, "tx_drop", 0, "tx_packets", 0, "tx_rate",
                          "disk_details", "read_bytes", 262144, "read_requests", 112,
                          "write_bytes", 5778432, "write_requests", 488, "errors_count", -1);
    json_t *ports = json_pack("[{s:s}]", "ifname", "tapabc");
    json_t *l = nb_cmp_diag_legacy(d, ports);
    (void)state;

    assert_int_equal(json_integer_value(json_object_get(l, "cpu0_time")), 17300000000LL);
    assert_int_equal(json_integer_value(json_object_get(l, "cpu1_time")), 5);
    assert_int_equal(json_integer_value(json_object_get(l, "memory")), 64 * 1024);
    assert_int_equal(json_integer_value(json_object_get(l, "memory-actual")), 64 * 1024);
    assert_int_equal(json_integer_value(json_object_get(l, "memory-rss")), 16 * 1024);
    assert_int_equal(json_integer_value(json_object_get(l, "vda_read")), 262144);
    assert_int_equal(json_integer_value(json_object_get(l, "vda_read_req")), 112);
    assert_int_equal(json_integer_value(json_object_get(l, "vda_write")), 5778432);
    assert_int_equal(json_integer_value(json_object_get(l, "vda_write_req")), 488);
    assert_int_equal(json_integer_value(json_object_get(l, "vda_errors")), -1);
    /* the first NIC by the port's ifname, the next one past the ports */
    assert_int_equal(json_integer_value(json_object_get(l, "tapabc_rx")), 10);
    assert_int_equal(json_integer_value(json_object_get(l, "tapabc_rx_errors")), 1);
    assert_int_equal(json_integer_value(json_object_get(l, "tapabc_rx_drop")), 2);
    assert_int_equal(json_integer_value(json_object_get(l, "tapabc_rx_packets")), 3);
    assert_int_equal(json_integer_value(json_object_get(l, "tapabc_tx")), 20);
    assert_int_equal(json_integer_value(json_object_get(l, "tapabc_tx_errors")), 4);
    assert_int_equal(json_integer_value(json_object_get(l, "tapabc_tx_drop")), 5);
    assert_int_equal(json_integer_value(json_object_get(l, "tapabc_tx_packets")), 6);
    assert_int_equal(json_integer_value(json_object_get(l, "vnet1_rx")), 7);
    /* nulls (rates, utilisation) and the standardized keys are not kept */
    assert_null(json_object_get(l, "tapabc_rx_rate"));
    assert_null(json_object_get(l, "state"));
    assert_int_equal(json_object_size(l), 2 + 3 + 5 + 2 * 8);
    json_decref(l);
    json_decref(ports);
    json_decref(d);
}

static void test_diag_legacy_of_nothing_is_empty(void **state)
{
    json_t *d = json_object(), *l = nb_cmp_diag_legacy(d, NULL);
    (void)state;
    assert_int_equal(json_object_size(l), 0);
    json_decref(l);
    json_decref(d);
}

static void test_fake_driver_diagnostics_follow_the_guest(void **state)
{
    const struct nb_virt_driver *drv = &nb_virt_fake_driver;
    json_t *ports = json_pack("[{s:s},{s:s}]", "mac", "fa:16:3e:aa:bb:cc", "mac",
                              "fa:16:3e:aa:bb:dd");
    struct nb_virt_guest g = {.uuid = "u1", .name = "u1", .vcpus = 3, .memory_mb = 512,
                              .root_gb = 1, .ports = ports, .config_drive = true};
    void *virt = NULL;
    json_t *out = NULL;
    char *err = NULL;
    (void)state;

    assert_int_equal(drv->open("/nonexistent", &virt), 0);
    assert_int_equal(drv->diagnostics(virt, &g, &out, &err), -ENOENT);
    free(err);
    err = NULL;
    assert_int_equal(drv->spawn(virt, &g, &err), 0);
    assert_int_equal(drv->diagnostics(virt, &g, &out, &err), 0);
    assert_string_equal(nb_json_str(out, "state"), "running");
    assert_int_equal(json_integer_value(json_object_get(out, "num_cpus")), 3);
    assert_int_equal(json_array_size(json_object_get(out, "cpu_details")), 3);
    assert_int_equal(json_integer_value(json_object_get(out, "num_nics")), 2);
    assert_string_equal(nb_json_str(json_array_get(json_object_get(out, "nic_details"), 1),
                                    "mac_address"), "fa:16:3e:aa:bb:dd");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(out, "memory_details"), "maximum")), 512);
    assert_true(json_is_true(json_object_get(out, "config_drive")));
    assert_int_equal(json_integer_value(json_object_get(out, "num_disks")),
                     json_array_size(json_object_get(out, "disk_details")));
    json_decref(out);
    assert_int_equal(drv->pause(virt, "u1", &err), 0);
    assert_int_equal(drv->diagnostics(virt, &g, &out, &err), 0);
    assert_string_equal(nb_json_str(out, "state"), "paused");
    json_decref(out);
    drv->close(virt);
    json_decref(ports);
}

static void test_event_names_by_microversion(void **state)
{
    (void)state;
    assert_true(nb_cmp_event_name_ok("network-changed", NB_MV(2, 1)));
    assert_true(nb_cmp_event_name_ok("network-vif-plugged", NB_MV(2, 1)));
    assert_true(nb_cmp_event_name_ok("network-vif-unplugged", NB_MV(2, 1)));
    assert_true(nb_cmp_event_name_ok("network-vif-deleted", NB_MV(2, 1)));
    assert_false(nb_cmp_event_name_ok("volume-extended", NB_MV(2, 50)));
    assert_true(nb_cmp_event_name_ok("volume-extended", NB_MV(2, 51)));
    assert_false(nb_cmp_event_name_ok("power-update", NB_MV(2, 75)));
    assert_true(nb_cmp_event_name_ok("power-update", NB_MV(2, 76)));
    assert_false(nb_cmp_event_name_ok("accelerator-request-bound", NB_MV(2, 79)));
    assert_false(nb_cmp_event_name_ok("", NB_MV(2, 79)));
}

static void test_power_names_as_nova(void **state)
{
    (void)state;
    assert_string_equal(nb_virt_power_name(NB_POWER_NOSTATE), "pending");
    assert_string_equal(nb_virt_power_name(NB_POWER_RUNNING), "running");
    assert_string_equal(nb_virt_power_name(NB_POWER_PAUSED), "paused");
    assert_string_equal(nb_virt_power_name(NB_POWER_SHUTDOWN), "shutdown");
    assert_string_equal(nb_virt_power_name(NB_POWER_CRASHED), "crashed");
    assert_string_equal(nb_virt_power_name(NB_POWER_SUSPENDED), "suspended");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diag_legacy_keys_as_libvirt),
        cmocka_unit_test(test_diag_legacy_of_nothing_is_empty),
        cmocka_unit_test(test_fake_driver_diagnostics_follow_the_guest),
        cmocka_unit_test(test_event_names_by_microversion),
        cmocka_unit_test(test_power_names_as_nova),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
