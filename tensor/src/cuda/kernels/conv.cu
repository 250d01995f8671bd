// Convolution: im2col and its adjoint col2im for the 3-d-normalised geometry.

// Sizes of a convolution normalised to 3 spatial axes (depth, height, width), as `ConvGeom`.
struct Conv {
    u32 c_in, c_out;
    u32 in[3], k[3], out[3], stride[3], pad[3];
};

// Unfold `n_img` images x[img, C_in, D, H, W] into one matrix cols[K, n_img·P], the images
// side by side (K = C_in·kd·kh·kw rows, P = output positions per image):
// cols[(ci, a, b, c), img·P + (od, oh, ow)] =
// x[img, ci, od·s0 + a − p0, oh·s1 + b − p1, ow·s2 + c − p2], 0 outside the input.
// Grid: x over the P columns (one per thread), y over the (img, ci, a) groups of kh·kw rows;
// each thread walks its group's rows, so its column's coordinates are worked out once and
// every store of a warp is to consecutive addresses.
extern "C" __global__ void im2col(float* __restrict__ cols, const float* __restrict__ x, Conv g, u32 n_img) {
    const u32 P = g.out[0] * g.out[1] * g.out[2];
    const u32 plane = g.in[0] * g.in[1] * g.in[2];
    const u64 ld = (u64)n_img * P;
    const u32 khw = g.k[1] * g.k[2];
    for (u32 grp = blockIdx.y; grp < n_img * g.c_in * g.k[0]; grp += gridDim.y) {
        u32 a = grp % g.k[0], t = grp / g.k[0];
        u32 ci = t % g.c_in, img = t / g.c_in;
        const float* xc = x + ((u64)img * g.c_in + ci) * plane;
        float* dst0 = cols + (u64)((ci * g.k[0] + a) * khw) * ld + (u64)img * P;
        for (u32 p = blockIdx.x * blockDim.x + threadIdx.x; p < P; p += blockDim.x * gridDim.x) {
            u32 ow = p % g.out[2], t2 = p / g.out[2];
            u32 oh = t2 % g.out[1], od = t2 / g.out[1];
            int id = (int)(od * g.stride[0] + a) - (int)g.pad[0];
            bool d_in = (u32)id < g.in[0];
            int ih0 = (int)(oh * g.stride[1]) - (int)g.pad[1];
            int iw0 = (int)(ow * g.stride[2]) - (int)g.pad[2];
            const float* xd = xc + (u64)(d_in ? id : 0) * g.in[1] * g.in[2];
            float* dst = dst0 + p;
            for (u32 b = 0; b < g.k[1]; ++b) {
                int ih = ih0 + (int)b;
                bool h_in = d_in && (u32)ih < g.in[1];
                const float* xr = xd + (u64)(h_in ? ih : 0) * g.in[2];
                for (u32 c = 0; c < g.k[2]; ++c) {
                    int iw = iw0 + (int)c;
                    *dst = (h_in && (u32)iw < g.in[2]) ? xr[iw] : 0.0f;
                    dst += ld;
                }
            }
        }
    }
}

// The adjoint of im2col, as a gather: one thread per input element x[img, ci, id, ih, iw]
// sums every cols entry that im2col read from it, in increasing kernel-offset order:
// dx[img, ci, i] = Σ_{a, b, c : (i + pad − k) divisible by the stride, inside the output}
// cols[(ci, a, b, c), img·P + (od, oh, ow)]. No atomics; each element written once.
// Along the width, threads are numbered by residue: q = iw + p2 = r + s2·j with j fastest,
// so the threads of a warp share r, hence the kernel column c ≡ r, and read consecutive ow.
extern "C" __global__ void col2im(float* __restrict__ dx, const float* __restrict__ cols, Conv g, u32 n_img) {
    const u32 P = g.out[0] * g.out[1] * g.out[2];
    const u64 ld = (u64)n_img * P;
    const u32 s2 = g.stride[2];
    const u32 J = (g.in[2] + g.pad[2] + s2 - 1) / s2;
    const u32 slots = s2 * J;
    const u32 n = n_img * g.c_in * g.in[0] * g.in[1] * slots;
    GRID_LOOP(e, n) {
        u32 wi = e % slots, t = e / slots;
        u32 r = wi / J, j = wi % J;
        u32 q = r + s2 * j;
        if (q < g.pad[2] || q >= g.in[2] + g.pad[2]) continue;
        u32 ih = t % g.in[1];
        t /= g.in[1];
        u32 id = t % g.in[0];
        t /= g.in[0];
        u32 ci = t % g.c_in, img = t / g.c_in;
        const u32 pd = id + g.pad[0], ph = ih + g.pad[1];
        const float* cimg = cols + (u64)img * P;
        float acc = 0.0f;
        int od = (int)(pd / g.stride[0]);
        for (u32 a = pd % g.stride[0]; a < g.k[0] && od >= 0; a += g.stride[0], --od) {
            if (od >= (int)g.out[0]) continue;
            int oh = (int)(ph / g.stride[1]);
            for (u32 b = ph % g.stride[1]; b < g.k[1] && oh >= 0; b += g.stride[1], --oh) {
                if (oh >= (int)g.out[1]) continue;
                const float* row = cimg + ((u64)od * g.out[1] + oh) * g.out[2];
                u32 k_ab = ((ci * g.k[0] + a) * g.k[1] + b) * g.k[2];
                int ow = (int)j;
                for (u32 c = r; c < g.k[2] && ow >= 0; c += s2, --ow) {
                    if (ow >= (int)g.out[2]) continue;
                    acc += row[(u64)(k_ab + c) * ld + ow];
                }
            }
        }
        dx[((((u64)img * g.c_in + ci) * g.in[0] + id) * g.in[1] + ih) * g.in[2] + (q - g.pad[2])] = acc;
    }
}
