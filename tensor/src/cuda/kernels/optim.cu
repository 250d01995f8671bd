// Optimizer updates in one pass over a parameter (the arithmetic of the CPU's fused loops and
// of the separate ops they replace, in the same order; the kernels are compiled without FMA
// contraction, so every backend rounds alike).

// v ← μ·v + g ;  p ← p + step·v   (g strided)
extern "C" __global__ void sgd_momentum(float* __restrict__ p, float* __restrict__ v, const float* __restrict__ g, Lay lg,
                                        float momentum, float step, u32 n) {
    GRID_LOOP(i, n) {
        float vi = momentum * v[i] + 0.0f;
        vi = vi + 1.0f * g[lay_offset(lg, i)];
        v[i] = vi;
        p[i] = p[i] + step * vi;
    }
}

// m ← β₁·m + (1 − β₁)·g ;  v ← β₂·v + (1 − β₂)·g² ;  p ← p + step·(c₁·m)/(√(c₂·v) + ε)
extern "C" __global__ void adam(float* __restrict__ p, float* __restrict__ m, float* __restrict__ v,
                                const float* __restrict__ g, Lay lg, float beta1, float beta2, float eps, float c1,
                                float c2, float step, u32 n) {
    GRID_LOOP(i, n) {
        float gi = g[lay_offset(lg, i)];
        float mi = (beta1 * m[i] + 0.0f) + (1.0f - beta1) * gi;
        float vi = (beta2 * v[i] + 0.0f) + (1.0f - beta2) * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        float update = (c1 * mi + 0.0f) / (sqrtf(c2 * vi + 0.0f) + eps);
        p[i] = p[i] + step * update;
    }
}
