/* The message bus: topics of JSON messages served by worker threads.  The
 * in-process driver keeps a FIFO per topic under one lock; a subscription
 * is a fixed pool of threads taking from its topic's FIFO.  See core.h. */
#include "core.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct nb_bus_msg {
    struct nb_bus_msg *next;
    json_t *body;
};

struct nb_bus_topic {
    struct nb_bus_topic *next;
    char *name;
    struct nb_bus_msg *head, *tail;
    size_t depth;
    pthread_cond_t cond;            /* a message arrived, or stop */
    struct nb_bus_sub *sub;         /* NULL: nobody serves it yet */
};

struct nb_bus {
    pthread_mutex_t lock;
    struct nb_bus_topic *topics;
};

struct nb_bus_sub {
    struct nb_bus *bus;
    struct nb_bus_topic *topic;
    nb_bus_fn fn;
    void *arg;
    bool stop;
    unsigned nthreads;
    pthread_t *threads;
};

int nb_bus_open(const char *url, struct nb_bus **out)
{
    struct nb_bus *bus;

    if (strcmp(url, "inproc://") != 0 && strcmp(url, "inproc") != 0) {
        nb_error("bus: no driver for the transport URL '%s' (inproc:// is "
                 "built in)", url);
        return -EINVAL;
    }
    bus = nb_xcalloc(1, sizeof(*bus));
    pthread_mutex_init(&bus->lock, NULL);
    *out = bus;
    return 0;
}

void nb_bus_close(struct nb_bus *bus)
{
    struct nb_bus_topic *t, *tn;

    if (!bus)
        return;
    for (t = bus->topics; t; t = tn) {
        tn = t->next;
        while (t->head) {
            struct nb_bus_msg *m = t->head;
            t->head = m->next;
            json_decref(m->body);
            free(m);
        }
        pthread_cond_destroy(&t->cond);
        free(t->name);
        free(t);
    }
    pthread_mutex_destroy(&bus->lock);
    free(bus);
}

/* The topic named 'name', made on first use.  Caller holds bus->lock. */
static struct nb_bus_topic *nb_bus_topic_get(struct nb_bus *bus,
                                             const char *name)
{
    struct nb_bus_topic *t;

    for (t = bus->topics; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    t = nb_xcalloc(1, sizeof(*t));
    t->name = nb_xstrdup(name);
    pthread_cond_init(&t->cond, NULL);
    t->next = bus->topics;
    bus->topics = t;
    return t;
}

int nb_bus_publish(struct nb_bus *bus, const char *topic, const json_t *msg)
{
    struct nb_bus_msg *m = nb_xcalloc(1, sizeof(*m));
    struct nb_bus_topic *t;

    m->body = json_deep_copy(msg);
    if (!m->body) {
        free(m);
        return -ENOMEM;
    }
    pthread_mutex_lock(&bus->lock);
    t = nb_bus_topic_get(bus, topic);
    if (t->tail)
        t->tail->next = m;
    else
        t->head = m;
    t->tail = m;
    t->depth++;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&bus->lock);
    return 0;
}

static void *nb_bus_worker(void *arg)
{
    struct nb_bus_sub *sub = arg;
    struct nb_bus_topic *t = sub->topic;
    struct nb_bus_msg *m;

    pthread_mutex_lock(&sub->bus->lock);
    for (;;) {
        while (!sub->stop && !t->head)
            pthread_cond_wait(&t->cond, &sub->bus->lock);
        if (sub->stop)
            break;
        m = t->head;
        t->head = m->next;
        if (!t->head)
            t->tail = NULL;
        t->depth--;
        pthread_mutex_unlock(&sub->bus->lock);
        sub->fn(sub->arg, m->body);
        json_decref(m->body);
        free(m);
        pthread_mutex_lock(&sub->bus->lock);
    }
    pthread_mutex_unlock(&sub->bus->lock);
    return NULL;
}

int nb_bus_subscribe(struct nb_bus *bus, const char *topic, unsigned workers,
                     nb_bus_fn fn, void *arg, struct nb_bus_sub **out)
{
    struct nb_bus_sub *sub;
    struct nb_bus_topic *t;
    int r = 0;

    if (workers == 0)
        workers = 1;
    pthread_mutex_lock(&bus->lock);
    t = nb_bus_topic_get(bus, topic);
    if (t->sub) {
        pthread_mutex_unlock(&bus->lock);
        return -EEXIST;
    }
    sub = nb_xcalloc(1, sizeof(*sub));
    sub->bus = bus;
    sub->topic = t;
    sub->fn = fn;
    sub->arg = arg;
    sub->threads = nb_xcalloc(workers, sizeof(*sub->threads));
    t->sub = sub;
    for (; sub->nthreads < workers; sub->nthreads++) {
        r = -pthread_create(&sub->threads[sub->nthreads], NULL, nb_bus_worker,
                            sub);
        if (r < 0)
            break;
    }
    pthread_mutex_unlock(&bus->lock);
    if (r < 0) {
        nb_bus_unsubscribe(sub);
        return r;
    }
    *out = sub;
    return 0;
}

void nb_bus_unsubscribe(struct nb_bus_sub *sub)
{
    if (!sub)
        return;
    pthread_mutex_lock(&sub->bus->lock);
    sub->stop = true;
    pthread_cond_broadcast(&sub->topic->cond);
    pthread_mutex_unlock(&sub->bus->lock);
    for (unsigned i = 0; i < sub->nthreads; i++)
        pthread_join(sub->threads[i], NULL);
    pthread_mutex_lock(&sub->bus->lock);
    sub->topic->sub = NULL;
    /* a message a stopping worker left wakes the next subscriber */
    pthread_mutex_unlock(&sub->bus->lock);
    free(sub->threads);
    free(sub);
}

size_t nb_bus_pending(struct nb_bus *bus, const char *topic)
{
    struct nb_bus_topic *t;
    size_t n = 0;

    pthread_mutex_lock(&bus->lock);
    for (t = bus->topics; t; t = t->next)
        if (strcmp(t->name, topic) == 0)
            n = t->depth;
    pthread_mutex_unlock(&bus->lock);
    return n;
}
