/* Key lookup for the token codec (internal to src/auth). */
#ifndef NB_KEYS_H
#define NB_KEYS_H

#include <stdint.h>
#include <sodium.h>

#define NB_KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES

/* Copies the primary key and its id; -ENOENT when there is none. */
int nb_keys_primary(uint32_t *id, unsigned char key[NB_KEY_BYTES]);
/* Copies key 'id'; -ENOENT when it is not (or no longer) in the repository. */
int nb_keys_find(uint32_t id, unsigned char key[NB_KEY_BYTES]);

#endif
