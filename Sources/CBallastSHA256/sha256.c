// SHA-256 as specified in FIPS 180-4, sections 4.1.2, 4.2.2, 5.1.1, 6.2.
// The x86 path follows Intel's description of the SHA extensions (sha256rnds2, sha256msg1,
// sha256msg2; "Intel SHA Extensions", 2013): four rounds per step, state held as ABEF/CDGH.

#include "ballast_sha256.h"

#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress_portable(uint32_t state[8], const uint8_t *p, size_t blocks) {
    while (blocks--) {
        uint32_t w[64];
        for (int t = 0; t < 16; t++) {
            w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
        }
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
        p += 64;
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

__attribute__((target("sha,sse4.1,ssse3")))
static void compress_sha_extensions(uint32_t state[8], const uint8_t *p, size_t blocks) {
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);            // CDAB
    state1 = _mm_shuffle_epi32(state1, 0x1B);      // EFGH
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);  // ABEF
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);   // CDGH
    while (blocks--) {
        const __m128i abef = state0, cdgh = state1;
        __m128i w[4];
        for (int i = 0; i < 16; i++) {
            // w[i % 4] holds the schedule's words 4i..4i+3 (FIPS 180-4, 6.2.2 step 1).
            if (i < 4) {
                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), swap);
            } else {
                __m128i t = _mm_sha256msg1_epu32(w[i % 4], w[(i + 1) % 4]);
                t = _mm_add_epi32(t, _mm_alignr_epi8(w[(i + 3) % 4], w[(i + 2) % 4], 4));
                w[i % 4] = _mm_sha256msg2_epu32(t, w[(i + 3) % 4]);
            }
            __m128i m = _mm_add_epi32(w[i % 4], _mm_loadu_si128((const __m128i *)&K[4 * i]));
            state1 = _mm_sha256rnds2_epu32(state1, state0, m);
            m = _mm_shuffle_epi32(m, 0x0E);
            state0 = _mm_sha256rnds2_epu32(state0, state1, m);
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
        p += 64;
    }
    tmp = _mm_shuffle_epi32(state0, 0x1B);         // FEBA
    state1 = _mm_shuffle_epi32(state1, 0xB1);      // DCHG
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);   // DCBA
    state1 = _mm_alignr_epi8(state1, tmp, 8);      // HGFE
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

static int detect_sha_extensions(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return ssse3 && sse41 && ((b >> 29) & 1);
}

static int sha_extensions = -1;

static void compress(uint32_t state[8], const uint8_t *p, size_t blocks) {
    int use = __atomic_load_n(&sha_extensions, __ATOMIC_RELAXED);
    if (use < 0) {
        use = detect_sha_extensions();
        __atomic_store_n(&sha_extensions, use, __ATOMIC_RELAXED);
    }
    if (use) {
        compress_sha_extensions(state, p, blocks);
    } else {
        compress_portable(state, p, blocks);
    }
}

int ballast_sha256_uses_sha_extensions(void) { return detect_sha_extensions(); }
#else
static void compress(uint32_t state[8], const uint8_t *p, size_t blocks) { compress_portable(state, p, blocks); }
int ballast_sha256_uses_sha_extensions(void) { return 0; }
#endif

typedef void (*compressor)(uint32_t state[8], const uint8_t *p, size_t blocks);

static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// Continues from `start`, the state after `before` bytes (a multiple of 64), over `count` bytes.
static void sha256_from(compressor run, const uint32_t start[8], uint64_t before, const void *data, size_t count, uint8_t digest[32]) {
    uint32_t state[8];
    memcpy(state, start, sizeof state);
    const uint8_t *p = (const uint8_t *)data;
    size_t full = count / 64;
    if (full > 0) run(state, p, full);
    // The tail, the 0x80 byte, zeros and the length in bits (big-endian): one or two blocks.
    uint8_t last[128];
    size_t rest = count - 64 * full;
    memset(last, 0, sizeof last);
    if (rest > 0) memcpy(last, p + 64 * full, rest);
    last[rest] = 0x80;
    size_t blocks = rest < 56 ? 1 : 2;
    uint64_t bits = (before + (uint64_t)count) * 8;
    for (int k = 0; k < 8; k++) last[64 * blocks - 1 - k] = (uint8_t)(bits >> (8 * k));
    run(state, last, blocks);
    for (int k = 0; k < 8; k++) {
        digest[4 * k] = (uint8_t)(state[k] >> 24);
        digest[4 * k + 1] = (uint8_t)(state[k] >> 16);
        digest[4 * k + 2] = (uint8_t)(state[k] >> 8);
        digest[4 * k + 3] = (uint8_t)state[k];
    }
}

void ballast_sha256(const void *data, size_t count, uint8_t digest[32]) { sha256_from(compress, initial, 0, data, count, digest); }

void ballast_sha256_portable(const void *data, size_t count, uint8_t digest[32]) {
    sha256_from(compress_portable, initial, 0, data, count, digest);
}

// HMAC (RFC 2104) with SHA-256: the key, hashed first when longer than a block, padded with
// zeros to 64 bytes and XORed with 0x36 (inner) and 0x5c (outer); each padded key is one block.
void ballast_hmac_sha256_prepare(const void *key, size_t count, ballast_hmac_sha256_key *prepared) {
    uint8_t block[64];
    memset(block, 0, sizeof block);
    if (count > 64) {
        ballast_sha256(key, count, block);
    } else if (count > 0) {
        memcpy(block, key, count);
    }
    uint8_t pad[64];
    for (int k = 0; k < 64; k++) pad[k] = block[k] ^ 0x36;
    memcpy(prepared->inner, initial, sizeof initial);
    compress(prepared->inner, pad, 1);
    for (int k = 0; k < 64; k++) pad[k] = block[k] ^ 0x5c;
    memcpy(prepared->outer, initial, sizeof initial);
    compress(prepared->outer, pad, 1);
}

void ballast_hmac_sha256(const ballast_hmac_sha256_key *key, const void *data, size_t count, uint8_t mac[32]) {
    uint8_t inner[32];
    sha256_from(compress, key->inner, 64, data, count, inner);
    sha256_from(compress, key->outer, 64, inner, 32, mac);
}
