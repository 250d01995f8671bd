// Shared definitions of the CUDA kernels of the `tensor` crate's CUDA backend. The files of
// this folder are compiled as one source, in the order common, elementwise, random, reduce,
// conv, at run time with NVRTC (see `launch.rs`) for the device's compute capability,
// without fast math.
//
// Conventions
// * Every kernel takes element counts as 32-bit `u32` (the host refuses tensors of 2^31 or
//   more elements) and walks them with a grid-stride loop, so any grid size computes the same
//   thing; only the reduction kernels depend on the block size, which the host fixes at 256.
// * A strided input is described by a `Lay` passed by value: shape, strides (in elements, 0 on
//   broadcast axes) and offset, rank ≤ 6 (the host merges axes that can be merged first).
// * Nothing here uses atomics: every output element is written by exactly one thread, and
//   every sum is taken in a fixed order, so results are bit-identical from run to run.
// * The scalar formulas mirror `op.rs` (`UnaryOp::apply`, `BinaryOp::apply`,
//   `ReduceOp::combine`), which the CPU backend uses; the op codes below are the host's.

typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;

#define MAX_RANK 6

// Where the elements of a strided tensor are: element i (row-major over `shape`) is at
// `offset + Σ_d coord_d(i)·strides[d]`. Mirrors `launch::Lay` on the host (repr(C)).
struct Lay {
    u32 rank;
    u32 shape[MAX_RANK];
    i64 strides[MAX_RANK];
    i64 offset;
};

#define GRID_LOOP(i, n) for (u32 i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)

// Position of element `i` of `l` in its buffer.
__device__ __forceinline__ i64 lay_offset(const Lay& l, u32 i) {
    i64 off = l.offset;
#pragma unroll
    for (int d = MAX_RANK - 1; d >= 1; --d) {
        if (d < (int)l.rank) {
            u32 s = l.shape[d];
            off += (i64)(i % s) * l.strides[d];
            i /= s;
        }
    }
    return off + (i64)i * l.strides[0];
}

// Positions of element `i` in two layouts of the same shape (broadcast binary ops).
__device__ __forceinline__ void lay_offset2(const Lay& a, const Lay& b, u32 i, i64* oa, i64* ob) {
    i64 pa = a.offset, pb = b.offset;
#pragma unroll
    for (int d = MAX_RANK - 1; d >= 1; --d) {
        if (d < (int)a.rank) {
            u32 s = a.shape[d];
            u32 c = i % s;
            pa += (i64)c * a.strides[d];
            pb += (i64)c * b.strides[d];
            i /= s;
        }
    }
    *oa = pa + (i64)i * a.strides[0];
    *ob = pb + (i64)i * b.strides[0];
}
