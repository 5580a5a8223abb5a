/* virt-boot: drives the libvirt virt driver through every entry with a
 * real guest under TCG (the test guest of tests/guest/build.sh: its
 * kernel, initramfs and qcow2 root placed straight into the driver's image
 * cache, so no image service is needed), and checks what the guest and
 * libvirt show after each step: the guest's console markers (NUBIS-UUID
 * from the config drive at every boot, NUBIS-DISK-FOUND when its root disk
 * kept what an earlier boot wrote), domain state, disks, QEMU processes.
 * Prints "ok - ..." / "not ok - ..." lines and ends with "N passed, M
 * failed" (tests/virt/run.sh).
 *
 *   virt-boot STATE_DIR GUEST_DIR TAP1 TAP2 */
#include "compute/virt/driver.h"
#include "core/core.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        bool ok_ = (cond);                                 \
        printf("%s - ", ok_ ? "ok" : "not ok");            \
        printf(__VA_ARGS__);                               \
        printf("\n");                                      \
        fflush(stdout);                                    \
        if (ok_)                                           \
            passed++;                                      \
        else                                               \
            failed++;                                      \
    } while (0)

static const struct nb_virt_driver *drv;
static void *virt;
static char *err;

static int call(int r, const char *what)
{
    if (r < 0)
        printf("# %s: %s (%s)\n", what, strerror(-r), err ? err : "no message");
    free(err);
    err = NULL;
    return r;
}

static enum nb_power power(const char *uuid)
{
    enum nb_power p = NB_POWER_NOSTATE;
    drv->power_state(virt, uuid, &p);
    return p;
}

/* Waits up to 'secs' for 'marker' in the console log after offset 'from'. */
static bool console_has(const char *uuid, const char *marker, size_t from, int secs)
{
    for (int i = 0; i < secs * 4; i++) {
        char *log = NULL;
        bool yes = false;
        if (drv->console_log(virt, uuid, 1 << 20, &log) == 0)
            yes = strlen(log) > from && strstr(log + from, marker);
        free(log);
        if (yes)
            return true;
        usleep(250000);
    }
    return false;
}

static size_t console_len(const char *uuid)
{
    char *log = NULL;
    size_t n = 0;
    if (drv->console_log(virt, uuid, 1 << 20, &log) == 0)
        n = strlen(log);
    free(log);
    return n;
}

static void copy_file(const char *from, const char *to)
{
    char *text = NULL;
    size_t n = 0;
    if (nb_file_read(from, &text, &n) == 0)
        nb_file_write_atomic(to, text, n, 0644);
    free(text);
}

struct seen {
    const char *uuid;
    bool found;
    enum nb_power p;
};

static void on_list(void *arg, const char *uuid, enum nb_power p)
{
    struct seen *s = arg;
    if (!strcmp(uuid, s->uuid)) {
        s->found = true;
        s->p = p;
    }
}

/* The lifecycle events the driver reported (watch), for one guest. */
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char ev_uuid[37];
static unsigned ev_seen;                /* bit mask of 1 << power */

static void on_event(void *arg, const char *uuid, enum nb_power p)
{
    (void)arg;
    pthread_mutex_lock(&ev_lock);
    if (!strcmp(uuid, ev_uuid))
        ev_seen |= 1u << p;
    pthread_mutex_unlock(&ev_lock);
}

/* Waits up to 2 s for an event of power state 'p' since the last call. */
static bool event_seen(enum nb_power p)
{
    bool yes = false;
    for (int i = 0; i < 20 && !yes; i++) {
        pthread_mutex_lock(&ev_lock);
        yes = ev_seen & (1u << p);
        pthread_mutex_unlock(&ev_lock);
        if (!yes)
            usleep(100000);
    }
    pthread_mutex_lock(&ev_lock);
    ev_seen = 0;
    pthread_mutex_unlock(&ev_lock);
    return yes;
}

static long qemu_pid(const char *state, const char *uuid)
{
    char *path = nb_xasprintf("%s/libvirt/run/qemu/instance-%s.pid", state, uuid), *t = NULL;
    size_t n;
    long pid = -1;
    if (nb_file_read(path, &t, &n) == 0)
        pid = atol(t);
    free(t);
    free(path);
    return pid;
}

static int64_t diag_int(const char *uuid, const struct nb_virt_guest *g, const char *key)
{
    json_t *d = NULL;
    int64_t v = -1;
    if (call(drv->diagnostics(virt, g, &d, &err), "diagnostics") == 0)
        v = json_integer_value(json_object_get(d, key));
    (void)uuid;
    json_decref(d);
    return v;
}

int main(int argc, char **argv)
{
    const char *state;
    char *kernel, *initrd, *root, *booted, *kept;
    char uuid[37], *base, *path, *dir;
    json_t *image, *ports, *port2;
    struct nb_virt_guest g;
    struct seen s;
    struct stat st;
    size_t mark;
    long pid;
    int64_t t0;

    if (argc != 5) {
        fprintf(stderr, "usage: virt-boot STATE GUEST_DIR TAP1 TAP2\n");
        return 2;
    }
    state = argv[1];
    kernel = nb_xasprintf("%s/vmlinuz", argv[2]);
    initrd = nb_xasprintf("%s/initrd.img", argv[2]);
    root = nb_xasprintf("%s/root.qcow2", argv[2]);
    nb_log_init(NB_LOG_INFO, NULL);
    nb_conf_set("DEFAULT", "state_dir", state);
    nb_conf_load(NULL);
    nb_conf_set("libvirt", "wait_soft_reboot_seconds", "2");
    drv = nb_virt_driver_find("libvirt");
    CHECK(drv != NULL, "the libvirt driver is built in");
    if (!drv)
        return 1;

    /* the image cache, filled by hand: the driver fetches nothing */
    base = nb_xasprintf("%s/instances/_base", state);
    nb_mkdir_p(base, 0755);
    path = nb_xasprintf("%s/k-0001", base);
    copy_file(kernel, path);
    free(path);
    path = nb_xasprintf("%s/r-0001", base);
    copy_file(initrd, path);
    free(path);
    path = nb_xasprintf("%s/i-0001", base);
    copy_file(root, path);
    free(path);
    free(base);

    t0 = nb_mono_us();
    CHECK(call(drv->open(state, &virt), "open") == 0, "open (%.1f s)",
          (double)(nb_mono_us() - t0) / 1e6);
    if (!virt)
        return 1;

    nb_uuid_dashed(uuid);
    memcpy(ev_uuid, uuid, sizeof(ev_uuid));
    drv->watch(virt, on_event, NULL);
    image = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "i-0001", "disk_format", "qcow2",
                      "kernel_id", "k-0001", "ramdisk_id", "r-0001", "os_command_line",
                      "console=ttyS0 quiet");
    ports = json_pack("[{s:s,s:s,s:s,s:i}]", "port_id", "p-0001", "mac", "fa:16:3e:00:00:01",
                      "ifname", argv[3], "mtu", 1450);
    port2 = json_pack("{s:s,s:s,s:s,s:i}", "port_id", "p-0002", "mac", "fa:16:3e:00:00:02",
                      "ifname", argv[4], "mtu", 1450);
    /* what the guest prints at every boot (from its config drive), and
     * when its root disk kept the marker an earlier boot wrote */
    booted = nb_xasprintf("NUBIS-UUID %s", uuid);
    kept = nb_xasprintf("NUBIS-DISK-FOUND NUBIS-DISK %s", uuid);
    g = (struct nb_virt_guest){
        .uuid = uuid, .name = uuid, .hostname = "vm<1>&'\"", .vcpus = 1, .memory_mb = 256,
        .root_gb = 1, .ephemeral_gb = 1, .image = image, .ports = ports,
        .project_id = "p&<>", .config_drive = true,
        .user_data = "I3ZpcnQtYm9vdAo=",           /* "#virt-boot" */
    };

    t0 = nb_mono_us();
    CHECK(call(drv->spawn(virt, &g, &err), "spawn") == 0, "spawn (%.2f s)",
          (double)(nb_mono_us() - t0) / 1e6);
    CHECK(power(uuid) == NB_POWER_RUNNING, "the guest runs");
    CHECK(console_has(uuid, booted, 0, 90), "the guest boots and reads its config drive "
          "(%.1f s to its marker)", (double)(nb_mono_us() - t0) / 1e6);
    CHECK(console_has(uuid, "NUBIS-USERDATA #virt-boot", 0, 5), "the user data");
    CHECK(diag_int(uuid, &g, "num_disks") == 2, "root and ephemeral disks");
    CHECK(call(drv->spawn(virt, &g, &err), "spawn again") == 0, "spawn again is a no-op");
    s = (struct seen){.uuid = uuid};
    drv->list(virt, on_list, &s);
    CHECK(s.found && s.p == NB_POWER_RUNNING, "list shows it running");
    CHECK(diag_int(uuid, &g, "num_cpus") == 1 && diag_int(uuid, &g, "num_nics") == 1,
          "diagnostics: 1 vCPU, 1 NIC");
    {
        struct nb_virt_inventory inv;
        CHECK(drv->inventory(virt, &inv) == 0 && inv.vcpus > 0 && inv.memory_mb > 0 &&
              inv.local_gb > 0 && !strcmp(inv.hypervisor_type, "QEMU") &&
              inv.hypervisor_version > 1000000, "inventory (%lld vCPUs, %lld MiB, v%lld)",
              (long long)inv.vcpus, (long long)inv.memory_mb, (long long)inv.hypervisor_version);
    }
    {
        char *log = NULL;
        CHECK(drv->console_log(virt, uuid, 10, &log) == 0 && strlen(log) <= 10,
              "console log honours max");
        free(log);
    }

    CHECK(call(drv->pause(virt, uuid, &err), "pause") == 0 && power(uuid) == NB_POWER_PAUSED,
          "pause");
    CHECK(call(drv->unpause(virt, uuid, &err), "unpause") == 0 &&
          power(uuid) == NB_POWER_RUNNING, "unpause");
    CHECK(event_seen(NB_POWER_PAUSED), "event: paused");

    t0 = nb_mono_us();
    CHECK(call(drv->power_off(virt, uuid, 60, &err), "power_off") == 0 &&
          power(uuid) == NB_POWER_SHUTDOWN && console_has(uuid, "NUBIS-POWEROFF", 0, 1),
          "power off: the guest shut itself down on ACPI (%.1f s)",
          (double)(nb_mono_us() - t0) / 1e6);
    CHECK(event_seen(NB_POWER_SHUTDOWN), "event: shut down");
    mark = console_len(uuid);
    CHECK(call(drv->power_on(virt, &g, &err), "power_on") == 0 &&
          power(uuid) == NB_POWER_RUNNING && console_has(uuid, booted, mark, 90) &&
          console_has(uuid, kept, mark, 5), "power on boots again, from the same disk");
    CHECK(event_seen(NB_POWER_RUNNING), "event: running");

    mark = console_len(uuid);
    CHECK(call(drv->reboot(virt, &g, true, &err), "reboot") == 0 &&
          console_has(uuid, booted, mark, 90), "hard reboot");
    mark = console_len(uuid);
    CHECK(call(drv->reboot(virt, &g, false, &err), "reboot") == 0 &&
          console_has(uuid, booted, mark, 90), "soft reboot");

    {
        char *snap = nb_xasprintf("%s/snap.qcow2", state), *raw = NULL, *head = NULL;
        int fd = open(snap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const char *argv2[] = {"qemu-img", "info", snap, NULL};
        size_t n = 0;
        CHECK(call(drv->snapshot(virt, uuid, "qcow2", fd, &err), "snapshot") == 0 &&
              fstat(fd, &st) == 0 && st.st_size > 0 && power(uuid) == NB_POWER_RUNNING,
              "snapshot of a running guest (%lld bytes), still running",
              (long long)st.st_size);
        close(fd);
        {
            pid_t p = fork();
            int status = 1;
            if (p == 0) {
                int nul = open("/dev/null", O_WRONLY);
                dup2(nul, 1);
                execvp(argv2[0], (char *const *)argv2);
                _exit(127);
            }
            waitpid(p, &status, 0);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the snapshot is a qcow2");
        }
        raw = nb_xasprintf("%s/snap.raw", state);
        fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(call(drv->snapshot(virt, uuid, "raw", fd, &err), "snapshot") == 0 &&
              nb_file_read(raw, &head, &n) == 0 && strstr(head, kept + 17),
              "a raw snapshot holds what the guest wrote on its disk");
        close(fd);
        free(head);
        unlink(raw);
        free(raw);
        unlink(snap);
        free(snap);
    }

    t0 = nb_mono_us();
    CHECK(call(drv->suspend(virt, uuid, &err), "suspend") == 0 &&
          power(uuid) == NB_POWER_SUSPENDED, "suspend (%.1f s)",
          (double)(nb_mono_us() - t0) / 1e6);
    mark = console_len(uuid);
    CHECK(call(drv->resume(virt, &g, &err), "resume") == 0 && power(uuid) == NB_POWER_RUNNING,
          "resume");

    g.vcpus = 2;
    g.root_gb = 2;
    CHECK(call(drv->resize(virt, &g, &err), "resize") == 0 &&
          diag_int(uuid, &g, "num_cpus") == 2, "resize to 2 vCPUs");
    g.vcpus = 1;
    g.root_gb = 1;
    CHECK(call(drv->resize_revert(virt, &g, &err), "revert") == 0 &&
          diag_int(uuid, &g, "num_cpus") == 1 && power(uuid) == NB_POWER_RUNNING,
          "resize revert");
    g.vcpus = 2;
    CHECK(call(drv->resize(virt, &g, &err), "resize") == 0 &&
          call(drv->resize_confirm(virt, uuid, &err), "confirm") == 0, "resize and confirm");
    path = nb_xasprintf("%s/instances/%s/disk.resize", state, uuid);
    CHECK(access(path, F_OK) != 0, "confirm drops the old disk");
    free(path);

    /* a rescue boots a fresh disk of the image (nothing kept on it), the
     * guest's own disk next to it */
    mark = console_len(uuid);
    CHECK(call(drv->rescue(virt, &g, NULL, &err), "rescue") == 0 &&
          console_has(uuid, booted, mark, 90) && !console_has(uuid, kept, mark, 1) &&
          diag_int(uuid, &g, "num_disks") == 3, "rescue: a fresh disk boots, the own disk second");
    CHECK(call(drv->rescue(virt, &g, NULL, &err), "rescue") == -EBUSY, "rescue twice: refused");
    mark = console_len(uuid);
    CHECK(call(drv->unrescue(virt, &g, &err), "unrescue") == 0 &&
          console_has(uuid, kept, mark, 90) && diag_int(uuid, &g, "num_disks") == 2,
          "unrescue: boots its own disk again");
    mark = console_len(uuid);
    CHECK(call(drv->rebuild(virt, &g, &err), "rebuild") == 0 &&
          console_has(uuid, booted, mark, 90) && !console_has(uuid, kept, mark, 1),
          "rebuild: a new root disk");

    CHECK(call(drv->attach_port(virt, uuid, port2, &err), "attach") == 0 &&
          diag_int(uuid, &g, "num_nics") >= 1, "attach a port");
    CHECK(call(drv->detach_port(virt, uuid, "p-0002", &err), "detach") == 0, "detach it");
    CHECK(call(drv->detach_port(virt, uuid, "p-0002", &err), "detach") == 0,
          "detach again is a no-op");

    /* a restart: the guest keeps running and is found again */
    pid = qemu_pid(state, uuid);
    drv->close(virt);
    virt = NULL;
    CHECK(pid > 0 && kill((pid_t)pid, 0) == 0, "the guest outlives its driver");
    CHECK(call(drv->open(state, &virt), "reopen") == 0 && power(uuid) == NB_POWER_RUNNING &&
          qemu_pid(state, uuid) == pid, "re-attached after a reopen (same QEMU)");

    t0 = nb_mono_us();
    CHECK(call(drv->destroy(virt, uuid, &err), "destroy") == 0, "destroy (%.1f s)",
          (double)(nb_mono_us() - t0) / 1e6);
    CHECK(power(uuid) == NB_POWER_NOSTATE, "no domain left");
    dir = nb_xasprintf("%s/instances/%s", state, uuid);
    CHECK(access(dir, F_OK) != 0, "no instance directory left");
    free(dir);
    CHECK(kill((pid_t)pid, 0) != 0, "no QEMU left");
    CHECK(call(drv->destroy(virt, uuid, &err), "destroy again") == 0, "destroy is idempotent");
    s = (struct seen){.uuid = uuid};
    drv->list(virt, on_list, &s);
    CHECK(!s.found, "list no longer shows it");

    drv->close(virt);
    free(kernel);
    free(initrd);
    free(root);
    free(booted);
    free(kept);
    json_decref(image);
    json_decref(ports);
    json_decref(port2);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
