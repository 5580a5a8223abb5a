/* The format inspector: what the first bytes (and the last 512) of an
 * image say it is, its virtual size, and whether it is unsafe to hand to
 * QEMU.  Pure functions over byte buffers, so uploads can inspect while
 * they stream and unit tests can feed crafted headers.
 *
 * What is unsafe follows Glance's format_inspector (the fixes for
 * CVE-2022-47951 and CVE-2024-32498): a qcow2 that names a backing file
 * or an external data file (incompatible feature bit 2, header extension
 * 0x44415441 "DATA") would make QEMU open a host file; a VMDK whose
 * descriptor is not a single self-contained sparse file may name extents
 * anywhere on the host. */
#include "image/internal.h"

#include <string.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p + 4) << 32 | le32(p);
}

#define QCOW2_DATA_FILE_BIT (1ull << 2)
#define QCOW2_EXT_DATA_FILE 0x44415441u   /* "DATA" */

static void nb_fmt_unsafe(struct nb_img_format *f, const char *why)
{
    f->unsafe = true;
    snprintf(f->reason, sizeof(f->reason), "%s", why);
}

static void nb_fmt_qcow2(const unsigned char *h, size_t n, struct nb_img_format *f)
{
    uint32_t version, hlen, off;

    f->name = "qcow2";
    if (n < 72) {
        nb_fmt_unsafe(f, "qcow2 header is truncated");
        return;
    }
    version = be32(h + 4);
    f->virtual_size = (int64_t)be64(h + 24);
    if (version != 2 && version != 3) {
        nb_fmt_unsafe(f, "qcow2 version is not 2 or 3");
        return;
    }
    if (be64(h + 8) != 0) {
        nb_fmt_unsafe(f, "qcow2 names a backing file");
        return;
    }
    hlen = 72;
    if (version == 3) {
        if (n < 104) {
            nb_fmt_unsafe(f, "qcow2 header is truncated");
            return;
        }
        if (be64(h + 72) & QCOW2_DATA_FILE_BIT) {
            nb_fmt_unsafe(f, "qcow2 names an external data file");
            return;
        }
        hlen = be32(h + 100);
        if (hlen < 104) {
            nb_fmt_unsafe(f, "qcow2 header length is invalid");
            return;
        }
    }
    /* header extensions: type, length, data padded to 8 bytes; 0 ends */
    for (off = hlen; off + 8 <= n;) {
        uint32_t type = be32(h + off), len = be32(h + off + 4);
        if (type == 0)
            return;
        if (type == QCOW2_EXT_DATA_FILE) {
            nb_fmt_unsafe(f, "qcow2 names an external data file");
            return;
        }
        if (len > n)
            return;
        off += 8 + ((len + 7) & ~7u);
    }
}

/* A VMDK descriptor (text) must describe one self-contained sparse file:
 * any other createType references extents by path. */
static void nb_fmt_vmdk_descriptor(const unsigned char *h, size_t n,
                                   struct nb_img_format *f)
{
    static const char *const ok[] = {"monolithicSparse", "streamOptimized"};
    const char *key = "createType=\"";
    const unsigned char *p = memmem(h, n, key, strlen(key));
    if (!p) {
        nb_fmt_unsafe(f, "vmdk descriptor has no createType");
        return;
    }
    p += strlen(key);
    for (size_t i = 0; i < NB_ARRAY_SIZE(ok); i++) {
        size_t l = strlen(ok[i]);
        if ((size_t)(h + n - p) > l && memcmp(p, ok[i], l) == 0 && p[l] == '"')
            return;
    }
    nb_fmt_unsafe(f, "vmdk createType is not monolithicSparse or streamOptimized");
}

static void nb_fmt_vmdk(const unsigned char *h, size_t n, struct nb_img_format *f)
{
    uint64_t doff, dlen;
    f->name = "vmdk";
    if (n >= 4 && memcmp(h, "KDMV", 4) == 0) {
        if (n < 44) {
            nb_fmt_unsafe(f, "vmdk header is truncated");
            return;
        }
        f->virtual_size = (int64_t)(le64(h + 12) * 512);
        doff = le64(h + 28) * 512;
        dlen = le64(h + 36) * 512;
        if (doff == 0 || dlen == 0)
            return;                  /* streamOptimized may have none */
        if (doff >= n) {
            nb_fmt_unsafe(f, "vmdk descriptor is out of reach");
            return;
        }
        nb_fmt_vmdk_descriptor(h + doff, (size_t)(dlen < n - doff ? dlen : n - doff), f);
        return;
    }
    nb_fmt_vmdk_descriptor(h, n, f);
}

void nb_img_inspect(const unsigned char *head, size_t hlen,
                    const unsigned char *tail, size_t tlen,
                    struct nb_img_format *f)
{
    static const char vmdk_desc[] = "# Disk DescriptorFile";
    memset(f, 0, sizeof(*f));
    f->name = "raw";
    if (hlen >= 4 && memcmp(head, "QFI\xfb", 4) == 0) {
        nb_fmt_qcow2(head, hlen, f);
    } else if (hlen >= 4 && memcmp(head, "QED\0", 4) == 0) {
        f->name = "qed";
    } else if ((hlen >= 4 && memcmp(head, "KDMV", 4) == 0) ||
               (hlen >= sizeof(vmdk_desc) - 1 &&
                memcmp(head, vmdk_desc, sizeof(vmdk_desc) - 1) == 0)) {
        nb_fmt_vmdk(head, hlen, f);
    } else if (hlen >= 8 && memcmp(head, "vhdxfile", 8) == 0) {
        f->name = "vhdx";
    } else if (hlen >= 56 && memcmp(head, "conectix", 8) == 0) {
        f->name = "vhd";                         /* dynamic: footer copy first */
        f->virtual_size = (int64_t)be64(head + 48);
    } else if (hlen >= 0x178 && le32(head + 0x40) == 0xbeda107fu) {
        f->name = "vdi";
        f->virtual_size = (int64_t)le64(head + 0x170);
    } else if (tlen >= 512 && memcmp(tail + tlen - 512, "conectix", 8) == 0) {
        f->name = "vhd";                         /* fixed: footer only */
        f->virtual_size = (int64_t)be64(tail + tlen - 512 + 48);
    } else {
        /* ISO 9660: "CD001" in the volume descriptor at sector 16 (of 2 KiB) */
        static const size_t iso_at[] = {0x8001, 0x8801, 0x9001};
        for (size_t i = 0; i < NB_ARRAY_SIZE(iso_at); i++)
            if (hlen >= iso_at[i] + 5 && memcmp(head + iso_at[i], "CD001", 5) == 0)
                f->name = "iso";
    }
}

bool nb_img_format_matches(const char *declared, const struct nb_img_format *f)
{
    const char *got = f->name;
    if (!declared || !strcmp(declared, got))
        return true;
    /* kernels, ramdisks and ploop images have no inspector (as Glance) */
    if (!strcmp(declared, "aki") || !strcmp(declared, "ari") ||
        !strcmp(declared, "ploop"))
        return true;
    /* a qcow2 must be one: compute builds overlays on it */
    if (!strcmp(declared, "qcow2"))
        return false;
    /* Otherwise data no inspector recognises passes as the declared
     * format (QEMU cannot read it as anything else, and Tempest uploads
     * random bytes as vhd and vmdk); data of another known format never
     * does: that is how a qcow2 or VMDK gets past a check as "raw".  An
     * ISO uploaded as raw is raw data too. */
    if (!strcmp(got, "raw"))
        return true;
    return !strcmp(got, "iso") && (!strcmp(declared, "raw") || !strcmp(declared, "ami"));
}
