#ifndef BALLAST_SHA256_H
#define BALLAST_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4) of `count` bytes at `data`, written to `digest` (32 bytes).
///
/// One call, no allocation and no state kept between calls: for the audit trail's many short
/// messages (leaves and inner nodes of Merkle trees), where a hashing object per message costs
/// more than the hashing. Uses the x86 SHA extensions when the processor has them, portable C
/// otherwise; both are checked against swift-crypto in the tests.
void ballast_sha256(const void *data, size_t count, uint8_t digest[32]);

/// The same digest by the portable C path only (the reference the tests hold the x86 path to).
void ballast_sha256_portable(const void *data, size_t count, uint8_t digest[32]);

/// An HMAC-SHA-256 key made ready: the states after its inner and outer padded blocks.
typedef struct {
    uint32_t inner[8];
    uint32_t outer[8];
} ballast_hmac_sha256_key;

/// Prepares `key` (any length, RFC 2104) for `ballast_hmac_sha256`.
void ballast_hmac_sha256_prepare(const void *key, size_t count, ballast_hmac_sha256_key *prepared);

/// HMAC-SHA-256 of `count` bytes at `data` with a prepared key, written to `mac` (32 bytes).
void ballast_hmac_sha256(const ballast_hmac_sha256_key *key, const void *data, size_t count, uint8_t mac[32]);

/// Whether `ballast_sha256` uses the x86 SHA extensions on this processor.
int ballast_sha256_uses_sha_extensions(void);

#endif
