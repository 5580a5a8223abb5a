/* A string-keyed hash map with open addressing and linear probing. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

struct nb_map_slot {
    char *key;            /* NULL: empty; NB_MAP_TOMB: deleted */
    uint64_t hash;
    void *val;
};

struct nb_map {
    struct nb_map_slot *slots;
    size_t cap, size, used;    /* used counts tombstones too */
    void (*free_val)(void *);
};

static char nb_map_tomb_mark;
#define NB_MAP_TOMB (&nb_map_tomb_mark)

static uint64_t nb_map_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

struct nb_map *nb_map_new(void (*free_val)(void *))
{
    struct nb_map *m = nb_xcalloc(1, sizeof(*m));
    m->free_val = free_val;
    return m;
}

void nb_map_clear(struct nb_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        struct nb_map_slot *s = &m->slots[i];
        if (s->key && s->key != NB_MAP_TOMB) {
            free(s->key);
            if (m->free_val)
                m->free_val(s->val);
        }
    }
    free(m->slots);
    m->slots = NULL;
    m->cap = m->size = m->used = 0;
}

void nb_map_free(struct nb_map *m)
{
    if (!m)
        return;
    nb_map_clear(m);
    free(m);
}

static struct nb_map_slot *nb_map_lookup(const struct nb_map *m, const char *key,
                                         uint64_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct nb_map_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != NB_MAP_TOMB && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

static void nb_map_grow(struct nb_map *m)
{
    struct nb_map_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->cap = m->size * 2 >= m->cap ? (m->cap ? m->cap * 2 : 16) : m->cap;
    m->slots = nb_xcalloc(m->cap, sizeof(*m->slots));
    m->used = 0;
    for (size_t i = 0; i < oldcap; i++) {
        struct nb_map_slot *s = &old[i];
        size_t j;
        if (!s->key || s->key == NB_MAP_TOMB)
            continue;
        for (j = s->hash & (m->cap - 1); m->slots[j].key; j = (j + 1) & (m->cap - 1))
            ;
        m->slots[j] = *s;
        m->used++;
    }
    free(old);
}

bool nb_map_find(const struct nb_map *m, const char *key, void **val)
{
    struct nb_map_slot *s = nb_map_lookup(m, key, nb_map_hash(key));
    if (!s)
        return false;
    if (val)
        *val = s->val;
    return true;
}

void nb_map_set(struct nb_map *m, const char *key, void *val)
{
    uint64_t h = nb_map_hash(key);
    struct nb_map_slot *s = nb_map_lookup(m, key, h);
    size_t i;

    if (s) {
        if (m->free_val && s->val != val)
            m->free_val(s->val);
        s->val = val;
        return;
    }
    if ((m->used + 1) * 4 >= m->cap * 3)
        nb_map_grow(m);
    for (i = h & (m->cap - 1); m->slots[i].key && m->slots[i].key != NB_MAP_TOMB;
         i = (i + 1) & (m->cap - 1))
        ;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i].key = nb_xstrdup(key);
    m->slots[i].hash = h;
    m->slots[i].val = val;
    m->size++;
}

bool nb_map_del(struct nb_map *m, const char *key)
{
    struct nb_map_slot *s = nb_map_lookup(m, key, nb_map_hash(key));
    if (!s)
        return false;
    free(s->key);
    if (m->free_val)
        m->free_val(s->val);
    s->key = NB_MAP_TOMB;
    s->val = NULL;
    m->size--;
    return true;
}

size_t nb_map_size(const struct nb_map *m)
{
    return m->size;
}

void nb_map_each(const struct nb_map *m,
                 void (*fn)(void *arg, const char *key, void *val), void *arg)
{
    for (size_t i = 0; i < m->cap; i++) {
        const struct nb_map_slot *s = &m->slots[i];
        if (s->key && s->key != NB_MAP_TOMB)
            fn(arg, s->key, s->val);
    }
}
