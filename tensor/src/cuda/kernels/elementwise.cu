// Elementwise kernels: maps, broadcasting binary ops, strided copies, in-place updates.

// UnaryOp::apply. Codes: 0 Neg, 1 Exp, 2 Log, 3 Sqrt, 4 Square, 5 Abs, 6 Relu, 7 LeakyRelu(p0),
// 8 Tanh, 9 Sigmoid, 10 Affine{mul: p0, add: p1}, 11 Powf(p0), 12 Clamp(p0, p1), 13 Step,
// 14 Sign, 15 Recip; anything else is the identity.
__device__ __forceinline__ float unary_apply(int op, float x, float p0, float p1) {
    switch (op) {
        case 0: return -x;
        case 1: return expf(x);
        case 2: return logf(x);
        case 3: return sqrtf(x);
        case 4: return x * x;
        case 5: return fabsf(x);
        case 6: return fmaxf(x, 0.0f);
        case 7: return x > 0.0f ? x : p0 * x;
        case 8: return tanhf(x);
        case 9: return 1.0f / (1.0f + expf(-x));
        case 10: return p0 * x + p1;
        case 11: return powf(x, p0);
        case 12: return fminf(fmaxf(x, p0), p1);
        case 13: return x > 0.0f ? 1.0f : 0.0f;
        case 14: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
        case 15: return 1.0f / x;
        default: return x;
    }
}

// BinaryOp::apply. Codes: 0 Add, 1 Sub, 2 Mul, 3 Div, 4 Maximum, 5 Minimum, 6 Gt, 7 Eq,
// 8 MaskPositive (a where b > 0, else 0).
__device__ __forceinline__ float binary_apply(int op, float a, float b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return a / b;
        case 4: return fmaxf(a, b);
        case 5: return fminf(a, b);
        case 6: return a > b ? 1.0f : 0.0f;
        case 7: return a == b ? 1.0f : 0.0f;
        case 8: return b > 0.0f ? a : 0.0f;
        default: return 0.0f;
    }
}

// out[i] = op(x[i]), x contiguous.
extern "C" __global__ void unary_contig(float* __restrict__ out, const float* __restrict__ x, u32 n, int op,
                                        float p0, float p1) {
    GRID_LOOP(i, n) out[i] = unary_apply(op, x[i], p0, p1);
}

// out[i] = op(x at element i of lx).
extern "C" __global__ void unary_strided(float* __restrict__ out, const float* __restrict__ x, Lay lx, u32 n,
                                         int op, float p0, float p1) {
    GRID_LOOP(i, n) out[i] = unary_apply(op, x[lay_offset(lx, i)], p0, p1);
}

// x[i] = op(x[i]) in place.
extern "C" __global__ void unary_inplace(float* x, u32 n, int op, float p0, float p1) {
    GRID_LOOP(i, n) x[i] = unary_apply(op, x[i], p0, p1);
}

// out[i] = op(a[i], b[i]), both contiguous.
extern "C" __global__ void binary_contig(float* __restrict__ out, const float* __restrict__ a,
                                         const float* __restrict__ b, u32 n, int op) {
    GRID_LOOP(i, n) out[i] = binary_apply(op, a[i], b[i]);
}

// out[i] = op(a at element i of la, b at element i of lb): broadcasting (stride 0) and views.
extern "C" __global__ void binary_strided(float* __restrict__ out, const float* __restrict__ a, Lay la,
                                          const float* __restrict__ b, Lay lb, u32 n, int op) {
    GRID_LOOP(i, n) {
        i64 oa, ob;
        lay_offset2(la, lb, i, &oa, &ob);
        out[i] = binary_apply(op, a[oa], b[ob]);
    }
}

// out[i] = x at element i of lx: a strided view made contiguous (also `assign_`).
extern "C" __global__ void copy_strided(float* __restrict__ out, const float* __restrict__ x, Lay lx, u32 n) {
    GRID_LOOP(i, n) out[i] = x[lay_offset(lx, i)];
}

// out at element i of lo = x[i]: the inverse of copy_strided (a part into its slot of a
// concatenation, an image into the middle of its padding).
extern "C" __global__ void scatter(float* __restrict__ out, Lay lo, const float* __restrict__ x, u32 n) {
    GRID_LOOP(i, n) out[lay_offset(lo, i)] = x[i];
}

// out[i] = v.
extern "C" __global__ void fill(float* out, u32 n, float v) {
    GRID_LOOP(i, n) out[i] = v;
}

// y[i] = a·y[i] + b·x[i] (BLAS axpby; a = 1 is axpy, the same bits), x strided.
extern "C" __global__ void axpby(float* __restrict__ y, float a, float b, const float* __restrict__ x, Lay lx, u32 n) {
    GRID_LOOP(i, n) y[i] = a * y[i] + b * x[lay_offset(lx, i)];
}

// y[i] = src[i] where mask[i] != 0 (mask and src strided).
extern "C" __global__ void masked_assign(float* __restrict__ y, const float* __restrict__ mask, Lay lm,
                                         const float* __restrict__ src, Lay ls, u32 n) {
    GRID_LOOP(i, n) {
        i64 om, os;
        lay_offset2(lm, ls, i, &om, &os);
        if (mask[om] != 0.0f) y[i] = src[os];
    }
}

// y[n, c, p] += b[c] for y of shape [N, C, P]: a convolution's bias.
extern "C" __global__ void bias_add(float* __restrict__ y, const float* __restrict__ b, u32 c, u32 p, u32 n) {
    GRID_LOOP(i, n) y[i] += b[(i / p) % c];
}
