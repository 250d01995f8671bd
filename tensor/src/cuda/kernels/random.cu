// Random fills and the fused Langevin step.
//
// Counter-based: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011) with a 64-bit key (k0, k1) drawn by the host from the caller's generator, one key
// per call. Element i uses word i mod 4 of Philox(key, counter = (i / 4, 0, 0, 0)), so the
// numbers depend on the key and the index only: same seed, same numbers, whatever the grid.

__device__ __forceinline__ void philox4x32_10(u32 c[4], u32 k0, u32 k1) {
#pragma unroll
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        u32 hi0 = __umulhi(0xD2511F53u, c[0]), lo0 = 0xD2511F53u * c[0];
        u32 hi1 = __umulhi(0xCD9E8D57u, c[2]), lo1 = 0xCD9E8D57u * c[2];
        u32 n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0;
        c[1] = lo1;
        c[2] = n2;
        c[3] = lo0;
    }
}

// Uniform in (0, 1), never 0 (the log below): odd multiples of 2^-24.
__device__ __forceinline__ float u01_open(u32 x) { return (float)((x >> 8) | 1u) * 5.9604644775390625e-8f; }
// Uniform in [0, 1): multiples of 2^-24.
__device__ __forceinline__ float u01(u32 x) { return (float)(x >> 8) * 5.9604644775390625e-8f; }

// Four N(0, 1) samples for group g (elements 4g .. 4g + 3): Box–Muller on two pairs of words.
__device__ __forceinline__ void normal4(u32 k0, u32 k1, u32 g, float z[4]) {
    u32 c[4] = {g, 0u, 0u, 0u};
    philox4x32_10(c, k0, k1);
#pragma unroll
    for (int j = 0; j < 2; ++j) {
        float r = sqrtf(-2.0f * logf(u01_open(c[2 * j])));
        float s, co;
        sincospif(2.0f * u01(c[2 * j + 1]), &s, &co);
        z[2 * j] = r * co;
        z[2 * j + 1] = r * s;
    }
}

// out[i] = mean + std·N(0, 1).
extern "C" __global__ void randn(float* out, u32 n, float mean, float std, u32 k0, u32 k1) {
    GRID_LOOP(g, (n + 3u) / 4u) {
        float z[4];
        normal4(k0, k1, g, z);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            u32 i = 4u * g + j;
            if (i < n) out[i] = mean + std * z[j];
        }
    }
}

// out[i] = lo + (hi − lo)·U[0, 1), kept below hi.
extern "C" __global__ void rand_uniform(float* out, u32 n, float lo, float hi, u32 k0, u32 k1) {
    float below = nextafterf(hi, lo);
    GRID_LOOP(g, (n + 3u) / 4u) {
        u32 c[4] = {g, 0u, 0u, 0u};
        philox4x32_10(c, k0, k1);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            u32 i = 4u * g + j;
            if (i < n) out[i] = fminf(lo + (hi - lo) * u01(c[j]), below);
        }
    }
}

// One Langevin step: x[i] ← (x[i] + a·g[i]) + b·ξ_i, ξ ~ N(0, I) as in `randn` (g strided;
// without g only the noise is added). The two additions round like the CPU's two passes.
extern "C" __global__ void langevin(float* __restrict__ x, const float* __restrict__ g, Lay lg, int has_g, float a,
                                   float b, u32 k0, u32 k1, u32 n) {
    GRID_LOOP(grp, (n + 3u) / 4u) {
        float z[4];
        normal4(k0, k1, grp, z);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            u32 i = 4u * grp + j;
            if (i < n) {
                float v = x[i];
                if (has_g) v = v + a * g[lay_offset(lg, i)];
                x[i] = v + b * z[j];
            }
        }
    }
}
