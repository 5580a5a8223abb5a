/* Password hashing: argon2id through libsodium's crypto_pwhash_str, with
 * its parameters in the config, and a bound on hashes computed at once so
 * a burst of logins cannot take all memory on a small node. */
#include "auth/auth.h"

#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sem_t nb_pw_slots;
static bool nb_pw_ready;
static size_t nb_pw_mem;
static unsigned long long nb_pw_ops;
/* verified against when the user does not exist, so that a missing user
 * costs as much as a wrong password */
static char nb_pw_dummy[crypto_pwhash_STRBYTES];
static pthread_once_t nb_pw_dummy_once = PTHREAD_ONCE_INIT;

void nb_password_init(void)
{
    long slots = nb_conf_int("identity", "max_concurrent_hashes");
    if (slots <= 0)
        slots = sysconf(_SC_NPROCESSORS_ONLN);
    if (slots <= 0)
        slots = 1;
    nb_pw_mem = (size_t)nb_conf_int("identity", "password_hash_memlimit_kib") * 1024;
    nb_pw_ops = (unsigned long long)nb_conf_int("identity", "password_hash_opslimit");
    if (nb_pw_mem < crypto_pwhash_MEMLIMIT_MIN)
        nb_pw_mem = crypto_pwhash_MEMLIMIT_MIN;
    if (nb_pw_ops < crypto_pwhash_OPSLIMIT_MIN)
        nb_pw_ops = crypto_pwhash_OPSLIMIT_MIN;
    if (nb_pw_ready)
        sem_destroy(&nb_pw_slots);
    sem_init(&nb_pw_slots, 0, (unsigned)slots);
    nb_pw_ready = true;
}

static void nb_pw_acquire(void)
{
    while (sem_wait(&nb_pw_slots) < 0)
        ;
}

int nb_password_hash(const char *pw, char **out)
{
    char buf[crypto_pwhash_STRBYTES];
    int rc;
    nb_pw_acquire();
    rc = crypto_pwhash_str_alg(buf, pw, strlen(pw), nb_pw_ops, nb_pw_mem,
                               crypto_pwhash_ALG_ARGON2ID13);
    sem_post(&nb_pw_slots);
    if (rc != 0)
        return -ENOMEM;
    *out = nb_xstrdup(buf);
    return 0;
}

static void nb_pw_make_dummy(void)
{
    char rnd[24], hex[49];
    randombytes_buf(rnd, sizeof(rnd));
    nb_hex_encode(rnd, sizeof(rnd), hex);
    if (crypto_pwhash_str_alg(nb_pw_dummy, hex, strlen(hex), nb_pw_ops, nb_pw_mem,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        nb_pw_dummy[0] = '\0';     /* verify then fails at once; still a 401 */
}

int nb_password_verify(const char *hash, const char *pw)
{
    int rc;
    if (!hash || !*hash) {
        pthread_once(&nb_pw_dummy_once, nb_pw_make_dummy);
        hash = nb_pw_dummy;
        pw = "";
    }
    nb_pw_acquire();
    rc = crypto_pwhash_str_verify(hash, pw, strlen(pw));
    sem_post(&nb_pw_slots);
    return rc == 0 && hash != nb_pw_dummy ? 0 : -EPERM;
}

bool nb_password_needs_rehash(const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, nb_pw_ops, nb_pw_mem) != 0;
}
