/*
 * sha256.c — the content hash that names a blob (MEDIA.md: blob.sha256),
 * through nettle; called by the flusher and by tests.
 */
#include <nettle/sha2.h>

#include "media/media.h"

void media_sha256_hex(const void *data, size_t size, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    if (data && size)
        sha256_update(&ctx, size, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}
