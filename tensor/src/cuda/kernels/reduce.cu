// Reductions: over axes, over everything, and the search for the first non-finite element.
// Accumulated in double. Max propagates NaN (ReduceOp::combine): once NaN, always NaN.

// Codes: 0 Sum, 1 Max (init −∞).
__device__ __forceinline__ double rinit(int op) { return op == 0 ? 0.0 : __longlong_as_double(0xFFF0000000000000ull); }
__device__ __forceinline__ double rcombine(int op, double acc, double x) {
    if (op == 0) return acc + x;
    return (x > acc || x != x) ? x : acc;
}

// Tree over the 256 values in `sh` (fixed shape: the result depends on the block size only).
__device__ __forceinline__ double block_tree(int op, double* sh) {
    for (u32 s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] = rcombine(op, sh[threadIdx.x], sh[threadIdx.x + s]);
        __syncthreads();
    }
    return sh[0];
}

// out[o] = reduce over r of x[kept(o) + red(r)], one thread per output, r in increasing order.
// For many outputs with short reductions.
extern "C" __global__ void reduce_thread(float* __restrict__ out, const float* __restrict__ x, Lay kept, Lay red,
                                         u32 n_out, u32 n_red, int op) {
    GRID_LOOP(o, n_out) {
        i64 base = lay_offset(kept, o);
        double acc = rinit(op);
        for (u32 r = 0; r < n_red; ++r) acc = rcombine(op, acc, (double)x[base + lay_offset(red, r)]);
        out[o] = (float)acc;
    }
}

// The same with one block (256 threads) per output: thread t takes r = t, t + 256, ..., then
// a fixed tree combines the 256 partials. For long reductions (sum per example, per channel).
extern "C" __global__ void reduce_block(float* __restrict__ out, const float* __restrict__ x, Lay kept, Lay red,
                                        u32 n_out, u32 n_red, int op) {
    __shared__ double sh[256];
    for (u32 o = blockIdx.x; o < n_out; o += gridDim.x) {
        i64 base = lay_offset(kept, o);
        double acc = rinit(op);
        for (u32 r = threadIdx.x; r < n_red; r += blockDim.x) acc = rcombine(op, acc, (double)x[base + lay_offset(red, r)]);
        sh[threadIdx.x] = acc;
        __syncthreads();
        double v = block_tree(op, sh);
        if (threadIdx.x == 0) out[o] = (float)v;
        __syncthreads();
    }
}

// Long reductions with few outputs (a sum per example): each output's n_red terms are cut
// into `splits` chunks of `chunk` terms (a function of the shape only), block (o, s) reduces
// chunk s of output o as in reduce_block into partials[o·splits + s], and reduce_combine adds
// the chunks of each output in order. Enough blocks to fill the GPU, still deterministic.
extern "C" __global__ void reduce_split(double* __restrict__ partials, const float* __restrict__ x, Lay kept, Lay red,
                                        u32 n_out, u32 n_red, u32 splits, u32 chunk, int op) {
    __shared__ double sh[256];
    for (u32 job = blockIdx.x; job < n_out * splits; job += gridDim.x) {
        u32 o = job / splits, s = job % splits;
        i64 base = lay_offset(kept, o);
        u32 r1 = s * chunk + chunk < n_red ? s * chunk + chunk : n_red;
        double acc = rinit(op);
        for (u32 r = s * chunk + threadIdx.x; r < r1; r += blockDim.x)
            acc = rcombine(op, acc, (double)x[base + lay_offset(red, r)]);
        sh[threadIdx.x] = acc;
        __syncthreads();
        double v = block_tree(op, sh);
        if (threadIdx.x == 0) partials[job] = v;
        __syncthreads();
    }
}

// out[o] = the `splits` partials of output o combined in order.
extern "C" __global__ void reduce_combine(float* __restrict__ out, const double* __restrict__ partials, u32 n_out,
                                          u32 splits, int op) {
    GRID_LOOP(o, n_out) {
        double acc = rinit(op);
        for (u32 s = 0; s < splits; ++s) acc = rcombine(op, acc, partials[(u64)o * splits + s]);
        out[o] = (float)acc;
    }
}

// partials[b] = reduce of the elements that block b's threads visit: thread t of the
// (fixed-size, chosen from n by the host) grid takes i = t, t + T, ... (T = all threads).
// The host combines the partials in order.
extern "C" __global__ void reduce_partials(double* __restrict__ partials, const float* __restrict__ x, Lay l, u32 n,
                                           int op) {
    __shared__ double sh[256];
    double acc = rinit(op);
    GRID_LOOP(i, n) acc = rcombine(op, acc, (double)x[lay_offset(l, i)]);
    sh[threadIdx.x] = acc;
    __syncthreads();
    double v = block_tree(op, sh);
    if (threadIdx.x == 0) partials[blockIdx.x] = v;
}

// The smallest index i < n (in this block's share of the grid loop) whose x is NaN or ±Inf,
// capped at `cap`, or 0xFFFFFFFF if none. Each thread stops at its first hit (its later
// indices are larger).
__device__ u32 block_first_non_finite(const float* __restrict__ x, Lay l, u32 n, u32 cap) {
    __shared__ u32 sh[256];
    u32 best = 0xFFFFFFFFu;
    GRID_LOOP(i, n) {
        // false for ±Inf and for NaN (every comparison with NaN is false)
        if (!(fabsf(x[lay_offset(l, i)]) <= 3.402823466e38f)) {
            best = i < cap ? i : cap;
            break;
        }
    }
    sh[threadIdx.x] = best;
    __syncthreads();
    for (u32 s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            u32 o = sh[threadIdx.x + s];
            if (o < sh[threadIdx.x]) sh[threadIdx.x] = o;
        }
        __syncthreads();
    }
    return sh[0];
}

// partials[b] = smallest index i (row-major) visited by block b with x[i] NaN or ±Inf, or
// 0xFFFFFFFF. Each thread stops at its first hit (its later indices are larger).
extern "C" __global__ void first_non_finite(u32* __restrict__ partials, const float* __restrict__ x, Lay l, u32 n) {
    u32 best = block_first_non_finite(x, l, n, 0xFFFFFFFFu);
    if (threadIdx.x == 0) partials[blockIdx.x] = best;
}

// The same, queued: slots[slot] = min(slots[slot], first non-finite index), by atomicMin (a
// minimum: the same result in any order). Slots hold u32 bit patterns, 0xFFFFFFFF = none (so a
// hit is capped at 0xFFFFFFFE).
extern "C" __global__ void first_non_finite_slot(u32* __restrict__ slots, u32 slot, const float* __restrict__ x, Lay l,
                                                 u32 n) {
    u32 best = block_first_non_finite(x, l, n, 0xFFFFFFFEu);
    if (threadIdx.x == 0 && best != 0xFFFFFFFFu) atomicMin(&slots[slot], best);
}
