/* A guest's console as os-getConsoleOutput serves it: the drivers of this
 * process's agents, which the API asks at once (Nova's get_console_output
 * is a synchronous call to the host), and the tail Nova returns. */
#include "compute/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the drivers of this process's agents, for the API's synchronous
 * reads */

#define NB_VIRT_MAX 8
#define NB_CONSOLE_MAX (1024 * 1024)

static pthread_rwlock_t nb_virt_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct {
    char host[NB_NAMESZ];
    const struct nb_virt_driver *drv;
    void *virt;
} nb_virts[NB_VIRT_MAX];

void nb_cmp_virt_register(const char *host, const struct nb_virt_driver *drv, void *virt)
{
    int free_slot = -1;
    pthread_rwlock_wrlock(&nb_virt_lock);
    for (int i = 0; i < NB_VIRT_MAX; i++) {
        if (nb_virts[i].drv && !strcmp(nb_virts[i].host, host)) {
            nb_virts[i].drv = NULL;
            free_slot = i;
        } else if (!nb_virts[i].drv && free_slot < 0) {
            free_slot = i;
        }
    }
    if (drv && free_slot >= 0) {
        snprintf(nb_virts[free_slot].host, sizeof(nb_virts[free_slot].host), "%s", host);
        nb_virts[free_slot].drv = drv;
        nb_virts[free_slot].virt = virt;
    }
    pthread_rwlock_unlock(&nb_virt_lock);
}

int nb_cmp_virt_call(const char *host,
                     int (*fn)(const struct nb_virt_driver *drv, void *virt, void *arg),
                     void *arg)
{
    int r = -ENOENT;
    pthread_rwlock_rdlock(&nb_virt_lock);
    for (int i = 0; i < NB_VIRT_MAX; i++)
        if (nb_virts[i].drv && !strcmp(nb_virts[i].host, host)) {
            r = fn(nb_virts[i].drv, nb_virts[i].virt, arg);
            break;
        }
    pthread_rwlock_unlock(&nb_virt_lock);
    return r;
}

struct nb_console_call {
    const char *id;
    char **out;
};

static int nb_console_read(const struct nb_virt_driver *drv, void *virt, void *arg)
{
    struct nb_console_call *c = arg;
    return drv->console_log(virt, c->id, NB_CONSOLE_MAX, c->out);
}

int nb_cmp_virt_console(const char *host, const char *id, char **out)
{
    struct nb_console_call c = {id, out};
    *out = NULL;
    return nb_cmp_virt_call(host, nb_console_read, &c);
}

char *nb_cmp_console_tail(const char *log, long lines)
{
    size_t n = strlen(log), start = n;
    struct nb_buf b = {0};
    long pieces = 0;

    /* Nova: '\n'.join(log.split('\n')[-lines:]), and '' for 0 lines */
    if (lines < 0) {
        start = 0;
    } else if (lines > 0) {
        while (start > 0) {
            if (log[start - 1] == '\n' && ++pieces == lines)
                break;
            start--;
        }
    }
    nb_buf_add(&b, "", 0);
    for (size_t i = start; i < n; i++) {
        unsigned char c = (unsigned char)log[i];
        if (c <= 0x08 || (c >= 0x0b && c <= 0x1f))
            continue;
        nb_buf_add(&b, &log[i], 1);
    }
    return nb_buf_steal(&b);
}
