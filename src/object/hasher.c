/* The md5 of an upload (its ETag), computed beside the upload: past the
 * first MiB, bytes are handed in 1 MiB pieces to a thread of the upload's
 * own that hashes while the request thread goes on receiving and writing,
 * so a large PUT costs max(hash, write) instead of their sum.  At most
 * NB_HASH_QUEUE bytes wait; beyond that the request thread waits. */
#include "object/internal.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NB_HASH_PIECE (1u << 20)
#define NB_HASH_QUEUE (16u << 20)

struct nb_hash_piece {
    struct nb_hash_piece *next;
    size_t len;
    char data[];
};

struct nb_obj_hasher {
    EVP_MD_CTX *md5;
    struct nb_hash_piece *stage;          /* being filled by the request */
    /* shared with the thread */
    pthread_t thread;
    bool threaded;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct nb_hash_piece *head, *tail;
    size_t queued;
    bool closing;
};

static struct nb_hash_piece *nb_hash_piece_new(void)
{
    struct nb_hash_piece *p = nb_xmalloc(sizeof(*p) + NB_HASH_PIECE);
    p->next = NULL;
    p->len = 0;
    return p;
}

static void *nb_hasher_main(void *arg)
{
    struct nb_obj_hasher *h = arg;

    pthread_mutex_lock(&h->lock);
    for (;;) {
        struct nb_hash_piece *p;
        while (!h->head && !h->closing)
            pthread_cond_wait(&h->cond, &h->lock);
        if (!h->head)
            break;
        p = h->head;
        h->head = p->next;
        if (!h->head)
            h->tail = NULL;
        pthread_mutex_unlock(&h->lock);
        EVP_DigestUpdate(h->md5, p->data, p->len);
        pthread_mutex_lock(&h->lock);
        h->queued -= p->len;
        pthread_cond_broadcast(&h->cond);
        free(p);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

struct nb_obj_hasher *nb_obj_hasher_new(void)
{
    struct nb_obj_hasher *h = nb_xcalloc(1, sizeof(*h));
    h->md5 = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h->md5, EVP_md5(), NULL);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    return h;
}

/* Queues the full staging piece for the thread (started on first use). */
static void nb_hasher_push(struct nb_obj_hasher *h)
{
    struct nb_hash_piece *p = h->stage;

    h->stage = NULL;
    if (!h->threaded) {
        if (pthread_create(&h->thread, NULL, nb_hasher_main, h) != 0) {
            EVP_DigestUpdate(h->md5, p->data, p->len);   /* inline, then */
            free(p);
            return;
        }
        h->threaded = true;
    }
    pthread_mutex_lock(&h->lock);
    while (h->queued >= NB_HASH_QUEUE)
        pthread_cond_wait(&h->cond, &h->lock);
    if (h->tail)
        h->tail->next = p;
    else
        h->head = p;
    h->tail = p;
    h->queued += p->len;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

void nb_obj_hasher_add(struct nb_obj_hasher *h, const char *data, size_t len)
{
    while (len > 0) {
        size_t k;
        if (!h->stage)
            h->stage = nb_hash_piece_new();
        k = NB_HASH_PIECE - h->stage->len;
        if (k > len)
            k = len;
        memcpy(h->stage->data + h->stage->len, data, k);
        h->stage->len += k;
        data += k;
        len -= k;
        if (h->stage->len == NB_HASH_PIECE)
            nb_hasher_push(h);
    }
}

/* Stops the thread once it has hashed what was queued. */
static void nb_hasher_join(struct nb_obj_hasher *h)
{
    if (!h->threaded)
        return;
    pthread_mutex_lock(&h->lock);
    h->closing = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    h->threaded = false;
}

void nb_obj_hasher_final(struct nb_obj_hasher *h, char hex[33])
{
    unsigned char d[16];
    unsigned int dl = 0;

    nb_hasher_join(h);
    if (h->stage) {
        EVP_DigestUpdate(h->md5, h->stage->data, h->stage->len);
        free(h->stage);
        h->stage = NULL;
    }
    EVP_DigestFinal_ex(h->md5, d, &dl);
    nb_hex_encode(d, 16, hex);
}

void nb_obj_hasher_free(struct nb_obj_hasher *h)
{
    if (!h)
        return;
    nb_hasher_join(h);
    while (h->head) {
        struct nb_hash_piece *p = h->head;
        h->head = p->next;
        free(p);
    }
    free(h->stage);
    EVP_MD_CTX_free(h->md5);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    free(h);
}
