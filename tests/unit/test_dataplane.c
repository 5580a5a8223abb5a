/* network/dataplane: what the Linux bridge driver would write, without
 * root: the nft transaction and the dnsmasq files for
 * tests/dataplane/ref/state.json, compared byte for byte with the
 * reference files beside it, and the diff against ref/kernel.json (what
 * the kernel listed after applying that state: `nft -j list table` of
 * both tables). */
#include "nbt.h"

#include "network/dataplane/dp.h"
#include "../dataplane/dpjson.h"

#define NBT_REF NB_SOURCE_ROOT "/tests/dataplane/ref/"

static char *nbt_ref(const char *name)
{
    char *text = NULL;
    size_t n;

    assert_int_equal(nb_file_read(name, &text, &n), 0);
    return text;
}

/* The transaction for 'd' against ref/kernel.json (caller frees). */
static char *nbt_against_kernel(const struct dpj *d)
{
    json_t *kernel = json_load_file(NBT_REF "kernel.json", 0, NULL);
    char *script = NULL;

    assert_non_null(kernel);
    assert_int_equal(nb_dp_nft_sync(NULL, &d->st, kernel, &script), 0);
    json_decref(kernel);
    return script;
}

static size_t nbt_count(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_dataplane_nft_script_matches_reference(void **state)
{
    struct dpj d;
    char *script = NULL, *ref = nbt_ref(NBT_REF "state.nft");

    (void)state;
    assert_int_equal(dpj_load(NBT_REF "state.json", &d), 0);
    assert_int_equal(nb_dp_nft_sync(NULL, &d.st, NULL, &script), 0);
    assert_string_equal(script, ref);
    free(script);
    free(ref);
    dpj_free(&d);
}

static void test_dataplane_dhcp_files_match_reference(void **state)
{
    struct dpj d;
    struct nb_buf all = {0};
    char *conf, *hosts, *opts, *ref = nbt_ref(NBT_REF "state.dhcp");

    (void)state;
    assert_int_equal(dpj_load(NBT_REF "state.json", &d), 0);
    nb_dp_dhcp_files(&d.st.networks[0], "DIR", &conf, &hosts, &opts);
    nb_buf_printf(&all, "== dnsmasq.conf\n%s== hosts\n%s== opts\n%s", conf, hosts, opts);
    assert_string_equal(all.buf, ref);
    nb_buf_free(&all);
    free(conf);
    free(hosts);
    free(opts);
    free(ref);
    dpj_free(&d);
}

/* A port deleted (or given another address) leaves its lease behind;
 * dnsmasq would refuse its address to the next port ("not using configured
 * address ... because it is leased to ..."): such leases are dropped, the
 * others (and IPv6 lines, which name no MAC) kept as they are. */
static void test_dataplane_leases_of_gone_ports_dropped(void **state)
{
    const char *hosts = "fa:16:3e:00:00:01,host-10-0-0-3,10.0.0.3\n"
                        "fa:16:3e:00:00:02,host-10-0-0-4,10.0.0.4\n"
                        "fa:16:3e:00:00:05,host-fd00--5,[fd00::5]\n";
    const char *leases = "1795835077 fa:16:3e:00:00:01 10.0.0.3 host-10-0-0-3 01:fa\n"
                         "1795835048 fa:16:3e:00:00:09 10.0.0.4 host-10-0-0-4 01:fa\n"
                         "1795835049 FA:16:3E:00:00:02 10.0.0.7 host-10-0-0-7 *\n"
                         "duid 00:01:00:01\n"
                         "1795835050 1234 fd00::5 host-fd00--5 00:01\n";
    struct nb_buf gone = {0};
    char *kept;
    int dropped = -1;

    (void)state;
    kept = nb_dp_leases_prune(leases, hosts, &dropped, &gone);
    assert_int_equal(dropped, 2);
    assert_string_equal(gone.buf, "fa:16:3e:00:00:09 10.0.0.4\nFA:16:3E:00:00:02 10.0.0.7\n");
    nb_buf_free(&gone);
    assert_string_equal(kept, "1795835077 fa:16:3e:00:00:01 10.0.0.3 host-10-0-0-3 01:fa\n"
                              "duid 00:01:00:01\n"
                              "1795835050 1234 fd00::5 host-fd00--5 00:01\n");
    free(kept);
    kept = nb_dp_leases_prune("", hosts, &dropped, NULL);
    assert_int_equal(dropped, 0);
    assert_string_equal(kept, "");
    free(kept);
}

static void test_dataplane_unchanged_state_writes_nothing(void **state)
{
    struct dpj d;
    char *script;

    (void)state;
    assert_int_equal(dpj_load(NBT_REF "state.json", &d), 0);
    script = nbt_against_kernel(&d);
    /* only the idempotent table and map declarations */
    assert_int_equal(nbt_count(script, "add chain"), 0);
    assert_int_equal(nbt_count(script, "flush"), 0);
    assert_int_equal(nbt_count(script, "element"), 0);
    assert_int_equal(nbt_count(script, "delete"), 0);
    free(script);
    dpj_free(&d);
}

static void test_dataplane_rule_change_rewrites_one_group_chain(void **state)
{
    struct dpj d;
    struct nb_dp_group *g;
    char *script;

    (void)state;
    assert_int_equal(dpj_load(NBT_REF "state.json", &d), 0);
    g = (struct nb_dp_group *)&d.st.groups[0];
    g->nrules--;                /* the last rule (egress GRE) removed */
    script = nbt_against_kernel(&d);
    assert_int_equal(nbt_count(script, "flush chain"), 1);
    assert_non_null(strstr(script, "flush chain inet nubis sg-5ec00001-0000-4000-8000-"
                                   "000000000001-eg\n"));
    assert_null(strstr(script, "l4proto 47"));
    assert_int_equal(nbt_count(script, "element"), 0);
    free(script);
    dpj_free(&d);
}

static void test_dataplane_port_gone_keeps_the_others_untouched(void **state)
{
    struct dpj d;
    char *script;

    (void)state;
    assert_int_equal(dpj_load(NBT_REF "state.json", &d), 0);
    /* the first port unbound: the second keeps its mark index (2) and
     * its chains; the first's chains and map elements go */
    d.st.ports++;
    d.st.nports--;
    script = nbt_against_kernel(&d);
    assert_int_equal(nbt_count(script, "add chain"), 0);
    assert_int_equal(nbt_count(script, "delete chain"), 4);
    assert_non_null(strstr(script, "delete element inet nubis egress-mark { 1 }\n"));
    assert_non_null(strstr(script, "delete element bridge nubis from-port { \"tap0a1b2c3d-4e\" }\n"));
    assert_int_equal(nbt_count(script, "add element"), 0);
    /* port chains go before the group chains they jump to; none here */
    assert_null(strstr(script, "delete chain inet nubis sg-"));
    d.st.ports--;
    free(script);
    dpj_free(&d);
}

static void test_dataplane_member_change_rewrites_one_set(void **state)
{
    struct dpj d;
    struct nb_dp_group *g;
    const char *ips[] = {"10.20.0.10", "10.20.0.12"};
    char *script;

    (void)state;
    assert_int_equal(dpj_load(NBT_REF "state.json", &d), 0);
    g = (struct nb_dp_group *)&d.st.groups[1];
    g->member_ips = ips;
    g->nmember_ips = 2;
    script = nbt_against_kernel(&d);
    assert_int_equal(nbt_count(script, "flush set"), 1);
    assert_non_null(strstr(script, "flush set inet nubis rg4-5ec00002-0000-4000-8000-000000000002\n"
                                   "add element inet nubis rg4-5ec00002-0000-4000-8000-000000000002"
                                   " { 10.20.0.10, 10.20.0.12 }\n"));
    assert_int_equal(nbt_count(script, "add chain"), 0);
    free(script);
    dpj_free(&d);
}

static void test_dataplane_cidr_norm(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(nb_dp_cidr_norm("10.0.0.5", out), 0);
    assert_string_equal(out, "10.0.0.5");
    assert_int_equal(nb_dp_cidr_norm("10.0.0.5/32", out), 0);
    assert_string_equal(out, "10.0.0.5");
    assert_int_equal(nb_dp_cidr_norm("10.0.7.5/16", out), 0);
    assert_string_equal(out, "10.0.0.0/16");
    assert_int_equal(nb_dp_cidr_norm("FD00:0::1/64", out), 0);
    assert_string_equal(out, "fd00::/64");
    assert_int_equal(nb_dp_cidr_norm("0.0.0.0/0", out), 0);
    assert_string_equal(out, "0.0.0.0/0");
    assert_int_equal(nb_dp_cidr_norm("10.0.0.5/33", out), -EINVAL);
    assert_int_equal(nb_dp_cidr_norm("10.0.0.5/", out), -EINVAL);
    assert_int_equal(nb_dp_cidr_norm("10.0.0.5; drop", out), -EINVAL);
    assert_int_equal(nb_dp_cidr_len("fd00::/56"), 56);
}

/* Names and addresses end up in ip, nft and dnsmasq input: a bad one is
 * refused before anything runs (no root needed to see it). */
static void test_dataplane_bad_names_refused_before_anything_runs(void **state)
{
    const struct nb_dp_driver *drv = &nb_dp_linuxbridge_driver;
    char *dir = nbt_tmpdir();
    struct dpj d;
    void *dp = NULL;
    struct nb_dp_port *p;
    struct nb_dp_network *n;
    const char *saved;

    (void)state;
    assert_int_equal(drv->init(dir, &dp), 0);
    assert_int_equal(dpj_load(NBT_REF "state.json", &d), 0);
    p = (struct nb_dp_port *)&d.st.ports[0];
    n = (struct nb_dp_network *)&d.st.networks[0];
    saved = p->ifname;
    p->ifname = "tap0; reboot";
    assert_int_equal(drv->apply(dp, &d.st), -EINVAL);
    p->ifname = "tap-way-too-long-name";
    assert_int_equal(drv->apply(dp, &d.st), -EINVAL);
    p->ifname = d.st.ports[1].ifname;       /* two ports, one device */
    assert_int_equal(drv->apply(dp, &d.st), -EINVAL);
    p->ifname = saved;
    p->mac = "fa:16:3e:00:00";
    assert_int_equal(drv->apply(dp, &d.st), -EINVAL);
    p->mac = d.st.ports[1].mac;
    n->bridge = "brq\n";
    assert_int_equal(drv->apply(dp, &d.st), -EINVAL);
    n->bridge = "brq7d3c1a52-1f";
    ((struct nb_dp_subnet *)&n->subnets[0])->gateway_ip = "10.20.0.1 }";
    assert_int_equal(drv->apply(dp, &d.st), -EINVAL);
    drv->shutdown(dp);
    dpj_free(&d);
    nbt_rmrf(dir);
    free(dir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dataplane_nft_script_matches_reference),
        cmocka_unit_test(test_dataplane_dhcp_files_match_reference),
        cmocka_unit_test(test_dataplane_leases_of_gone_ports_dropped),
        cmocka_unit_test(test_dataplane_unchanged_state_writes_nothing),
        cmocka_unit_test(test_dataplane_rule_change_rewrites_one_group_chain),
        cmocka_unit_test(test_dataplane_port_gone_keeps_the_others_untouched),
        cmocka_unit_test(test_dataplane_member_change_rewrites_one_set),
        cmocka_unit_test(test_dataplane_cidr_norm),
        cmocka_unit_test(test_dataplane_bad_names_refused_before_anything_runs),
    };

    return NBT_MAIN("dataplane", tests, NULL, NULL);
}
