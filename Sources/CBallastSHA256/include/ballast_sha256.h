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

/// Whether `ballast_sha256` uses the x86 SHA extensions on this processor.
int ballast_sha256_uses_sha_extensions(void);

#endif
