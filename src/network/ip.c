/* IPv4 and IPv6 addresses as 128-bit numbers, and CIDRs. */
#include "network/internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int nb_ip_parse(const char *s, int *version, nb_ip_t *out)
{
    unsigned char b[16];
    nb_ip_t v = 0;
    if (!s)
        return -EINVAL;
    if (inet_pton(AF_INET, s, b) == 1) {
        for (int i = 0; i < 4; i++)
            v = (v << 8) | b[i];
        *version = 4;
    } else if (inet_pton(AF_INET6, s, b) == 1) {
        for (int i = 0; i < 16; i++)
            v = (v << 8) | b[i];
        *version = 6;
    } else {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

void nb_ip_format(int version, nb_ip_t ip, char out[48])
{
    unsigned char b[16];
    int n = version == 4 ? 4 : 16;
    for (int i = n - 1; i >= 0; i--) {
        b[i] = (unsigned char)(ip & 0xff);
        ip >>= 8;
    }
    inet_ntop(version == 4 ? AF_INET : AF_INET6, b, out, 48);
}

static int nb_ip_bits(int version)
{
    return version == 4 ? 32 : 128;
}

static nb_ip_t nb_cidr_hostmask(int version, int prefix)
{
    int host = nb_ip_bits(version) - prefix;
    return host >= 128 ? ~(nb_ip_t)0 : (((nb_ip_t)1 << host) - 1);
}

int nb_cidr_parse(const char *s, bool strict, int *version, nb_ip_t *base,
                  int *prefix)
{
    const char *slash;
    char addr[64];
    long p;
    if (!s || !(slash = strchr(s, '/')) || (size_t)(slash - s) >= sizeof(addr))
        return -EINVAL;
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    if (nb_ip_parse(addr, version, base) < 0 || nb_str_to_long(slash + 1, &p) < 0 ||
        p < 0 || p > nb_ip_bits(*version))
        return -EINVAL;
    *prefix = (int)p;
    if (*base & nb_cidr_hostmask(*version, *prefix)) {
        if (strict)
            return -EINVAL;
        *base &= ~nb_cidr_hostmask(*version, *prefix);
    }
    return 0;
}

nb_ip_t nb_cidr_last(int version, nb_ip_t base, int prefix)
{
    return base | nb_cidr_hostmask(version, prefix);
}

bool nb_cidr_contains(int version, nb_ip_t base, int prefix, nb_ip_t ip)
{
    return ip >= base && ip <= nb_cidr_last(version, base, prefix);
}
