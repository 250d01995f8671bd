// Per-channel sums and affine maps of contiguous [n, c, s] buffers (batch normalisation's two
// passes; see ops/channel.rs). Sums accumulate in double; every order is fixed.

// out[k] = Σ_part partials[k, part, 0], out[c + k] = Σ_part partials[k, part, 1], in part
// order. Read through volatile: the parts may come from other blocks of the running kernel.
__device__ void channel_combine_one(float* __restrict__ out, const volatile double* partials, u32 c, u32 k,
                                    u32 parts) {
    double ta = 0.0, tab = 0.0;
    for (u32 p = 0; p < parts; ++p) {
        ta += partials[((u64)k * parts + p) * 2];
        tab += partials[((u64)k * parts + p) * 2 + 1];
    }
    out[k] = (float)ta;
    out[c + k] = (float)tab;
}

// Block (k, part) sums its share of channel k's n·s entries (entry e = part·256 + t, then
// every parts·256-th) into partials[(k·parts + part)·2 + {0, 1}] = (Σ a, Σ a'·(b − sh)),
// sh = shift[k]·shift_scale rounded to f32 as a separate multiplication would (0 if shift is
// null), a' = a − sh if center, else a; its 256 threads combine by the fixed tree of reduce.cu.
// With `counters` (c zeroed counters, left zeroed), the channel's last block to finish adds its
// parts in part order into out[k], out[c + k], as channel_combine would: one launch instead of
// two, the same bits.
extern "C" __global__ void channel_partials(double* __restrict__ partials, const float* __restrict__ a,
                                            const float* __restrict__ b, const float* __restrict__ shift,
                                            float shift_scale, u32 c, u32 s, u32 per_channel, u32 parts,
                                            int center, float* __restrict__ out, unsigned int* counters) {
    __shared__ double sa[256];
    __shared__ double sab[256];
    __shared__ bool last;
    u32 k = blockIdx.x, part = blockIdx.y;
    double sh = shift ? (double)(shift[k] * shift_scale) : 0.0, sh_a = center ? sh : 0.0;
    double acc_a = 0.0, acc_ab = 0.0;
    for (u32 e = part * blockDim.x + threadIdx.x; e < per_channel; e += parts * blockDim.x) {
        u32 i = e / s, j = e - i * s;
        u64 o = ((u64)i * c + k) * s + j;
        double av = (double)a[o];
        acc_a += av;
        acc_ab += (av - sh_a) * ((double)b[o] - sh);
    }
    sa[threadIdx.x] = acc_a;
    sab[threadIdx.x] = acc_ab;
    __syncthreads();
    double ta = block_tree(0, sa);
    double tab = block_tree(0, sab);
    if (threadIdx.x == 0) {
        partials[((u64)k * parts + part) * 2] = ta;
        partials[((u64)k * parts + part) * 2 + 1] = tab;
    }
    if (counters == nullptr) return;
    if (threadIdx.x == 0) {
        __threadfence(); // this block's partials are visible before it counts itself done
        last = atomicAdd(&counters[k], 1u) == parts - 1;
    }
    __syncthreads();
    if (last && threadIdx.x == 0) {
        __threadfence();
        channel_combine_one(out, partials, c, k, parts);
        counters[k] = 0;
    }
}

// Every channel's combination, when the device keeps no counters (a second launch).
extern "C" __global__ void channel_combine(float* __restrict__ out, const double* __restrict__ partials, u32 c,
                                           u32 parts) {
    GRID_LOOP(k, c) channel_combine_one(out, partials, c, k, parts);
}

// out = p[k]·x + q[k]·y + r[k] on channel k = (index / s) mod c; coef = rows p, q, r. Rounds as
// the CPU: two products and two sums, no fused multiply-add (NVRTC runs with --fmad=false).
extern "C" __global__ void channel_affine(float* __restrict__ out, const float* __restrict__ x,
                                          const float* __restrict__ y, const float* __restrict__ coef, u32 c, u32 s,
                                          u32 n) {
    GRID_LOOP(e, n) {
        u32 k = (e / s) % c;
        out[e] = coef[k] * x[e] + coef[c + k] * y[e] + coef[2 * c + k];
    }
}

// Batch norm's per-channel numbers (backend.rs: batch_norm_coefficients), one thread per
// channel, in f32 and in the CPU's order of operations.
extern "C" __global__ void batch_norm_coefficients(float* __restrict__ out, const float* __restrict__ sums,
                                                   const float* __restrict__ gamma, const float* __restrict__ beta,
                                                   u32 c, float m, float eps) {
    GRID_LOOP(k, c) {
        float inv_m = 1.0f / m;
        float mean = sums[k] * inv_m;
        float var = sums[c + k] * inv_m;
        float s = 1.0f / sqrtf(var + eps);
        float p = gamma[k] * s;
        out[k] = p;
        out[c + k] = 0.0f;
        out[2 * c + k] = beta[k] - p * mean;
        out[3 * c + k] = mean;
        out[4 * c + k] = var;
        out[5 * c + k] = s;
    }
}

// The backward's (backend.rs: batch_norm_grad_coefficients).
extern "C" __global__ void batch_norm_grad_coefficients(float* __restrict__ out, const float* __restrict__ sums,
                                                        const float* __restrict__ fwd, u32 c, float m) {
    GRID_LOOP(k, c) {
        float inv_m = 1.0f / m;
        float p = fwd[k], mean = fwd[3 * c + k], s = fwd[5 * c + k];
        float dgamma = sums[c + k] * s, dbeta = sums[k];
        float q = p * s * dgamma * -inv_m;
        float r = p * dbeta * -inv_m - q * mean;
        out[k] = p;
        out[c + k] = q;
        out[2 * c + k] = r;
        out[3 * c + k] = dgamma;
        out[4 * c + k] = dbeta;
    }
}
