#!/usr/bin/env python3
"""PyTorch-CUDA reference timings for the coopnets workloads (speed only, random data).

CUDA copy of ../shared/bench/torch_ref/coopnets_bench.py (the CPU yardstick). Same workloads,
same nets, same hyper-parameters, same JSON-lines output; what changed:

* --device (default "cuda"; "cpu" runs the same code on the CPU, for smoke tests). Nets are
  built on the CPU under torch.manual_seed(--seed) exactly as in the CPU script (so their
  initial weights are identical to it) and moved with .to(device); every tensor is created
  with an explicit device=. torch.set_default_device is not used: it installs a
  TorchFunctionMode that adds Python overhead to every torch call, which would bias the
  launch-bound workloads. Every random draw (data, latents, Langevin noise) uses one
  torch.Generator(device=device) per workload seeded from --seed + 1 (kernels/layers: --seed),
  so the random data differs from the CPU script's (CUDA's Philox stream); speed only.
* Timing: torch.cuda.synchronize() before starting and after finishing every timed
  repetition (training iterations, kernels, layers). Per-phase splits inside an iteration use
  CUDA events (no extra synchronisation inside the timed region): each phase is GPU-timeline
  time between two events; on --device cpu they are perf_counter as before.
  kernels/layers also report gpu_*_median from CUDA events around each repetition.
* Precision: FP32 on both sides. torch.backends.cuda.matmul.allow_tf32 = False and
  torch.backends.cudnn.allow_tf32 = False by default; --tf32 turns both on (extra TF32 rows;
  every record carries "tf32"). torch.backends.cudnn.benchmark = True by default (recorded as
  "cudnn_benchmark" in every record), --no-cudnn-benchmark turns it off. The untimed
  FLOP-counting iteration plus --warmup iterations absorb cuDNN's autotuning.
* Peak GPU memory per record: torch.cuda.reset_peak_memory_stats() before the workload (after
  gc + empty_cache), torch.cuda.max_memory_allocated() / max_memory_reserved() after it,
  as peak_gpu_mem_mib / peak_gpu_reserved_mib.
* CPU-only parts guarded: --threads is ignored on CUDA (torch.set_num_threads not called,
  "threads": null); the kernels workload runs once on CUDA (no 1/2-thread loop) with torch.mm
  (cuBLAS) and cuDNN convolutions, and skips oneDNN mkldnn_linear and the numpy/OpenBLAS sgemm
  child. max_rss_mib (host RSS via resource) is kept.
* The env record adds device name, capability, SM count, GPU memory, driver (nvidia-smi, if
  present), torch, CUDA and cuDNN versions, the TF32 flags and cudnn.benchmark.

Run on a GPU machine (python3 = the interpreter that has CUDA PyTorch), from the repo root:

    python3 bench/torch_cuda/coopnets_bench_cuda.py --workloads texture,abp,coopnets-mnist --iters 10 --warmup 3
    python3 bench/torch_cuda/coopnets_bench_cuda.py --workloads coopnets-mnist-g15,kernels,layers --iters 10 --warmup 3
    python3 bench/torch_cuda/coopnets_bench_cuda.py --workloads texture,abp,coopnets-mnist --iters 10 --warmup 3 --tf32
    python3 bench/torch_cuda/coopnets_bench_cuda.py --list

Smoke test without a GPU:

    python3 bench/torch_cuda/coopnets_bench_cuda.py --device cpu --workloads texture --texture-configs 128x1 --iters 1 --warmup 0

Prints one JSON line per measurement on stdout (progress goes to stderr). Every model workload
reports the median seconds per training iteration over --iters iterations after --warmup
untimed ones, the individual times, a per-phase split, and the conv/matmul GFLOP of one
iteration as counted by torch.utils.flop_counter (so GFLOP/s = that / median seconds).

Architectures and hyper-parameters follow the authors' code (see BASELINE.md in
../shared/bench and ../reference/models.md):

* texture   Generative ConvNet `frame_3` descriptor (MatConvNet release_1.3): conv 15x15 s3 p2
            3->100, ReLU, conv 5x5 s1 p2 100->64, ReLU, conv 3x3 s1 p2 64->30, ReLU;
            f(Y) = sum of the top map. Persistent chains, T=10 Langevin steps (delta 0.3,
            sigma 1; Y on the 0..255-minus-mean scale), then one descriptor update (Adam).
            --texture-configs SIZExCHAINS list, default 224x1 (official), 224x16, 128x1, 128x16.
* coopnets-mnist   TF CoopNets (jianwen-xie/CoopNets, net_type mnist): descriptor
            3x[conv 4x4 s2 SAME, LeakyReLU 0.2] 1->64->128->256, fc 4096->100, f = sum;
            generator z100 -> convT 4x4 VALID 512 -> convT 4x4 s2 SAME 256 (7x7) -> 128
            (14x14) [BN + LeakyReLU 0.2 each] -> convT 4x4 s2 SAME 1 (28x28) tanh.
            Per iteration: G0 z~N(0,I) (144 chains), g(z); D1 15 descriptor Langevin steps
            (delta 0.002, sigma 0.016); G1 T_g generator Langevin steps (official default 0;
            workload coopnets-mnist-g15 uses 15, delta 0.1, sigma_g 0.3); D2 Adam on
            mean f(syn) - mean f(obs) (obs batch 100); G2 Adam on sum (syn - g(z))^2/(2*0.3^2)
            averaged over the batch (g(z) recomputed, as the TF code does).
* abp       Alternating back-propagation generator, 64x64x3 (MatConvNet ABP `generatorNet`,
            BN+ReLU variant): z100 -> fc 8192 -> 4x4x512 BN ReLU -> 3x[convT 5x5 up 2, BN, ReLU]
            512->256->128->64 -> convT 5x5 up 2 64->3 -> tanh. Batch 64, persistent latents,
            30 inference Langevin steps (delta 0.3, s 0.3, sigma_z 1), one learning step.
* kernels   sgemm 1024^3 (CPU: torch.mm = MKL, oneDNN inner product, numpy/OpenBLAS with 1
            and 2 threads; CUDA: torch.mm = cuBLAS); conv2d 3x3 64->64 on 16x64x64x64
            forward, backward-data, backward-weight, backward-both, channels_last forward.
* layers    every conv / conv-transpose layer of the nets above on its own (fwd, bwd-data,
            bwd-weight), at the batch sizes the workloads use.
"""
import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

ALL_WORKLOADS = [
    "kernels",
    "texture",
    "coopnets-mnist",
    "coopnets-mnist-g15",
    "abp",
    "layers",
]

# Set once in main() from --device.
DEV = torch.device("cpu")
IS_CUDA = False
PROFILE = False


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sync():
    if IS_CUDA:
        torch.cuda.synchronize()


def emit(rec):
    rec = dict(rec)
    rec["torch"] = torch.__version__
    rec["device"] = str(DEV)
    rec["threads"] = rec.get("threads", None if IS_CUDA else torch.get_num_threads())
    rec["tf32"] = bool(torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32)
    rec["cudnn_benchmark"] = bool(torch.backends.cudnn.benchmark)
    rec["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(rec), flush=True)


def mem_reset():
    """Start a peak-GPU-memory window (free cached blocks first so reserved is per workload)."""
    if IS_CUDA:
        gc.collect()
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def mem_peak():
    if not IS_CUDA:
        return {}
    torch.cuda.synchronize()
    return {
        "peak_gpu_mem_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1),
        "peak_gpu_reserved_mib": round(torch.cuda.max_memory_reserved() / 2**20, 1),
    }


class _FlopCount(TorchDispatchMode):
    """Adds up torch.utils.flop_counter's per-op formulas (conv, conv backward, mm, addmm,
    bmm, ...). FlopCounterMode itself cannot be used: its module hooks reject
    torch.autograd.grad on a leaf input (torch 2.15), which every Langevin step does."""

    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        packet = func._overloadpacket
        if packet in flop_registry:
            self.flops += flop_registry[packet](*args, **kwargs, out_val=out)
        return out


def count_gflop(fn):
    """Conv/matmul GFLOP (2 per multiply-add) of one call of fn, forward and backward."""
    with _FlopCount() as fc:
        fn()
    sync()
    return fc.flops / 1e9


class Phases:
    """Per-phase split of one iteration. CUDA: events recorded on the current stream (no
    synchronisation inside the timed region), read after the iteration's final sync.
    CPU: perf_counter, as in the CPU script."""

    def __init__(self):
        self.names, self.marks = [], []
        self._mark()

    def _mark(self):
        if IS_CUDA:
            e = torch.cuda.Event(enable_timing=True)
            e.record()
            self.marks.append(e)
        else:
            self.marks.append(time.perf_counter())

    def mark(self, name):
        """End of phase `name` (which began at the previous mark)."""
        self.names.append(name)
        self._mark()

    def result(self):
        pairs = zip(self.names, self.marks[:-1], self.marks[1:])
        if IS_CUDA:
            self.marks[-1].synchronize()
            return {n: a.elapsed_time(b) / 1e3 for n, a, b in pairs}
        return {n: b - a for n, a, b in pairs}


def time_iterations(step, warmup, iters):
    """Run step() warmup+iters times; step returns a Phases (or a dict of phase seconds)."""
    for _ in range(warmup):
        step()
    sync()
    totals, phases = [], {}
    for _ in range(iters):
        sync()
        t0 = time.perf_counter()
        ph = step()
        sync()
        totals.append(time.perf_counter() - t0)
        ph = ph.result() if isinstance(ph, Phases) else ph
        for k, v in (ph or {}).items():
            phases.setdefault(k, []).append(v)
    if PROFILE:
        profile_kernels(step)
    return totals, {k: statistics.median(v) for k, v in phases.items()}


def profile_kernels(step, reps=2):
    """--profile: the GPU kernels of `reps` more iterations under torch.profiler, longest first
    (to stderr), to compare with ours (COOPNETS_CUDA_PROFILE=1 in `cargo xtask bench`)."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA if IS_CUDA else ProfilerActivity.CPU]) as prof:
        for _ in range(reps):
            step()
        sync()
    for key in ("self_device_time_total", "self_cuda_time_total") if IS_CUDA else ("self_cpu_time_total",):
        try:
            log(f"   profile of {reps} iterations:\n" + prof.key_averages().table(sort_by=key, row_limit=15, max_name_column_width=90))
            return
        except (AttributeError, KeyError, ValueError):
            continue


def summarize(name, totals, phases, gflop, extra):
    med = statistics.median(totals)
    rec = {
        "workload": name,
        "sec_per_iter_median": round(med, 4),
        "sec_per_iter_min": round(min(totals), 4),
        "sec_per_iter_max": round(max(totals), 4),
        "sec_all": [round(t, 4) for t in totals],
        "phase_sec_median": {k: round(v, 4) for k, v in phases.items()},
        "phase_timer": "cuda_events" if IS_CUDA else "perf_counter",
        "gflop_per_iter": round(gflop, 3) if gflop is not None else None,
        "gflops": round(gflop / med, 1) if gflop else None,
    }
    rec.update(mem_peak())
    rec.update(extra)
    emit(rec)


# --------------------------------------------------------------------------------------
# Nets (unchanged from the CPU script; built on the CPU, then moved with .to(DEV))
# --------------------------------------------------------------------------------------
def init_normal(module, conv_std, convt_std):
    for m in module.modules():
        if isinstance(m, nn.ConvTranspose2d):
            nn.init.normal_(m.weight, 0.0, convt_std)
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, conv_std)
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)) and m.bias is not None:
            nn.init.zeros_(m.bias)


class TextureDescriptor(nn.Module):
    """Generative ConvNet frame_3 (release_1.3 add_bottom_filters.m): no top layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 100, 15, stride=3, padding=2)
        self.conv2 = nn.Conv2d(100, 64, 5, stride=1, padding=2)
        self.conv3 = nn.Conv2d(64, 30, 3, stride=1, padding=2)
        init_normal(self, 0.01, 0.01)

    def forward(self, y):  # f(Y) per image = sum over the whole top feature map
        h = F.relu(self.conv1(y))
        h = F.relu(self.conv2(h))
        h = F.relu(self.conv3(h))
        return h.flatten(1).sum(1)


class MnistDescriptor(nn.Module):
    """TF CoopNets descriptor, net_type mnist; TF 'SAME' padding reproduced exactly."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 4, stride=2, padding=1)  # 28 -> 14 (SAME pad 1/1)
        self.conv2 = nn.Conv2d(64, 128, 4, stride=2, padding=1)  # 14 -> 7 (SAME pad 1/1)
        self.conv3 = nn.Conv2d(128, 256, 4, stride=2, padding=0)  # 7 -> 4 (SAME pad 1/2)
        self.fc = nn.Linear(256 * 4 * 4, 100)
        init_normal(self, 0.01, 0.01)

    def forward(self, y):  # f(Y) per image = sum of the 100 fc outputs
        h = F.leaky_relu(self.conv1(y), 0.2)
        h = F.leaky_relu(self.conv2(h), 0.2)
        h = F.leaky_relu(self.conv3(F.pad(h, (1, 2, 1, 2))), 0.2)
        return self.fc(h.flatten(1)).sum(1)


class MnistGenerator(nn.Module):
    """TF CoopNets generator, net_type mnist; BN in batch-statistics mode as in the TF code."""

    def __init__(self, z_dim=100):
        super().__init__()
        self.z_dim = z_dim
        self.convt1 = nn.ConvTranspose2d(z_dim, 512, 4, stride=1, padding=0)  # 1 -> 4
        self.convt2 = nn.ConvTranspose2d(512, 256, 4, stride=2, padding=1)  # 4 -> 8, crop -> 7
        self.convt3 = nn.ConvTranspose2d(256, 128, 4, stride=2, padding=1)  # 7 -> 14
        self.convt4 = nn.ConvTranspose2d(128, 1, 4, stride=2, padding=1)  # 14 -> 28
        self.bn1 = nn.BatchNorm2d(512, eps=1e-3)
        self.bn2 = nn.BatchNorm2d(256, eps=1e-3)
        self.bn3 = nn.BatchNorm2d(128, eps=1e-3)
        init_normal(self, 0.01, 0.005)

    def forward(self, z):
        h = z.view(-1, self.z_dim, 1, 1)
        h = F.leaky_relu(self.bn1(self.convt1(h)), 0.2)
        h = F.leaky_relu(self.bn2(self.convt2(h)[:, :, :7, :7]), 0.2)  # TF SAME: crop 1 top, 2 bottom
        h = F.leaky_relu(self.bn3(self.convt3(h)), 0.2)
        return torch.tanh(self.convt4(h))


class AbpGenerator(nn.Module):
    """ABP object generator (MatConvNet generatorNet.m, BN + ReLU variant), 64x64x3.

    MatConvNet's convT 5x5 upsample 2 crop [1,2,1,2] is written as PyTorch's
    ConvTranspose2d(k=5, s=2, p=2, output_padding=1): same shapes and FLOPs, the output
    window is shifted by one pixel (crop 2 top / 1 bottom instead of 1 / 2).
    """

    def __init__(self, z_dim=100):
        super().__init__()
        self.fc = nn.Linear(z_dim, 512 * 4 * 4)
        self.bn0 = nn.BatchNorm2d(512)
        chans = [512, 256, 128, 64, 3]
        self.convt = nn.ModuleList(
            nn.ConvTranspose2d(ci, co, 5, stride=2, padding=2, output_padding=1)
            for ci, co in zip(chans[:-1], chans[1:])
        )
        self.bn = nn.ModuleList(nn.BatchNorm2d(c) for c in chans[1:-1])
        init_normal(self, 0.005, 0.005)

    def forward(self, z):
        h = F.relu(self.bn0(self.fc(z).view(-1, 512, 4, 4)))
        for i, ct in enumerate(self.convt):
            h = ct(h)
            h = F.relu(self.bn[i](h)) if i < len(self.bn) else torch.tanh(h)
        return h


# --------------------------------------------------------------------------------------
# Langevin dynamics (noise drawn on the device from the workload's device generator)
# --------------------------------------------------------------------------------------
def descriptor_langevin(des, y, steps, delta, sigma, gen):
    """Y <- Y + delta^2/2 (df/dY - Y/sigma^2) + delta N(0, I)   (noise on, as in the code)."""
    for _ in range(steps):
        y = y.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(des(y).sum(), y)
        with torch.no_grad():
            y = y + 0.5 * delta * delta * (g - y / (sigma * sigma))
            y += delta * torch.randn(y.shape, generator=gen, device=DEV)
    return y.detach()


def generator_langevin(gen_net, z, y, steps, delta, s, sigma_z, gen, batch_mean):
    """Z <- Z + delta^2/2 ((1/s^2) J^T (Y - g(Z)) - Z/sigma_z^2) + delta N(0, I).

    batch_mean=True divides the data term by the batch size, as the TF CoopNets code does.
    """
    for _ in range(steps):
        z = z.detach().requires_grad_(True)
        loss = ((y - gen_net(z)) ** 2).sum() / (2 * s * s)
        if batch_mean:
            loss = loss / z.shape[0]
        (g,) = torch.autograd.grad(loss, z)
        with torch.no_grad():
            z = z - 0.5 * delta * delta * (g + z / (sigma_z * sigma_z))
            z += delta * torch.randn(z.shape, generator=gen, device=DEV)
    return z.detach()


# --------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------
def texture_configs(args):
    """--texture-configs '224x1,224x16' -> [(224, 1), (224, 16)]: image size x chains."""
    out = []
    for item in args.texture_configs.split(","):
        size, chains = item.lower().split("x")
        out.append((int(size), int(chains)))
    return out


def wl_texture(args, S, C):
    mem_reset()
    torch.manual_seed(args.seed)
    gen = torch.Generator(device=DEV).manual_seed(args.seed + 1)
    T = args.texture_steps
    delta, sigma = args.texture_delta, args.texture_sigma
    des = TextureDescriptor().to(DEV)
    opt = torch.optim.Adam(des.parameters(), lr=1e-4, betas=(0.5, 0.999))
    obs = torch.randn(1, 3, S, S, generator=gen, device=DEV) * 50.0  # one image, 0..255 minus mean scale
    syn = torch.zeros(C, 3, S, S, device=DEV)  # persistent chains start at the mean image

    def step():
        nonlocal syn
        ph = Phases()
        syn = descriptor_langevin(des, syn, T, delta, sigma, gen)
        ph.mark("langevin")
        opt.zero_grad(set_to_none=True)
        loss = des(syn).mean() - des(obs).mean()  # Adam minimises mean f(syn) - mean f(obs)
        loss.backward()
        opt.step()
        ph.mark("learn")
        return ph

    saved = syn.clone()
    gflop = count_gflop(step)
    syn = saved
    totals, phases = time_iterations(step, args.warmup, args.iters)
    with torch.no_grad():
        top = des.conv3(des.conv2(des.conv1(obs))).shape
    summarize(
        f"texture-{S}-c{C}",
        totals,
        phases,
        gflop,
        {
            "shapes": {"image": [1, 3, S, S], "chains": [C, 3, S, S], "top_map": list(top)[1:]},
            "config": {
                "net": "frame_3: conv15x15s3p2 3->100 ReLU, conv5x5s1p2 100->64 ReLU, conv3x3s1p2 64->30 ReLU",
                "langevin_steps": T,
                "delta": delta,
                "sigma": sigma,
                "update": "Adam (one step)",
                "layout": "NCHW",
            },
        },
    )


def wl_coopnets_mnist(args, gen_steps):
    mem_reset()
    torch.manual_seed(args.seed)
    gen = torch.Generator(device=DEV).manual_seed(args.seed + 1)
    B, K, Z = args.mnist_batch, args.mnist_chains, 100
    des, g_net = MnistDescriptor().to(DEV), MnistGenerator(Z).to(DEV)
    d_opt = torch.optim.Adam(des.parameters(), lr=0.007, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(g_net.parameters(), lr=1e-4, betas=(0.5, 0.999))
    obs = torch.rand(B, 1, 28, 28, generator=gen, device=DEV) * 2 - 1
    d_delta, d_sigma, d_steps = 0.002, 0.016, 15
    g_delta, g_sigma = 0.1, 0.3

    def step():
        ph = Phases()
        z = torch.randn(K, Z, generator=gen, device=DEV)  # G0
        with torch.no_grad():
            y0 = g_net(z)
        ph.mark("G0_gen")
        syn = descriptor_langevin(des, y0, d_steps, d_delta, d_sigma, gen)  # D1
        ph.mark("D1_des_langevin")
        if gen_steps > 0:  # G1 (TF code: data term averaged over the batch)
            z = generator_langevin(g_net, z, syn, gen_steps, g_delta, g_sigma, 1.0, gen, True)
        ph.mark("G1_gen_langevin")
        d_opt.zero_grad(set_to_none=True)  # D2
        (des(syn).mean() - des(obs).mean()).backward()
        d_opt.step()
        ph.mark("D2_des_update")
        g_opt.zero_grad(set_to_none=True)  # G2
        (((syn - g_net(z)) ** 2).sum() / (2 * g_sigma**2) / K).backward()
        g_opt.step()
        ph.mark("G2_gen_update")
        return ph

    gflop = count_gflop(step)
    totals, phases = time_iterations(step, args.warmup, args.iters)
    summarize(
        "coopnets-mnist" + (f"-g{gen_steps}" if gen_steps else ""),
        totals,
        phases,
        gflop,
        {
            "shapes": {"obs": [B, 1, 28, 28], "chains": [K, 1, 28, 28], "z": [K, Z]},
            "config": {
                "descriptor": "conv4x4s2(SAME) 1->64 LReLU.2, 64->128 LReLU.2, 128->256 LReLU.2 (7->4), fc 4096->100, f=sum",
                "generator": "z100 -> convT4x4 VALID 512 BN LReLU -> convT4x4s2 SAME 256 (7x7) BN LReLU -> 128 (14x14) BN LReLU -> convT4x4s2 1 (28x28) tanh",
                "des_langevin": {"steps": d_steps, "delta": d_delta, "sigma": d_sigma},
                "gen_langevin": {"steps": gen_steps, "delta": g_delta, "sigma_g": g_sigma},
                "updates": "Adam beta1 0.5: descriptor lr 0.007, generator lr 1e-4 (one step each)",
                "layout": "NCHW",
            },
        },
    )


def wl_abp(args):
    mem_reset()
    torch.manual_seed(args.seed)
    gen = torch.Generator(device=DEV).manual_seed(args.seed + 1)
    B, Z, T = args.abp_batch, args.abp_zdim, args.abp_steps
    delta, s, sigma_z = 0.3, 0.3, 1.0
    g_net = AbpGenerator(Z).to(DEV)
    opt = torch.optim.Adam(g_net.parameters(), lr=2e-4, betas=(0.5, 0.999))
    obs = torch.rand(B, 3, 64, 64, generator=gen, device=DEV) * 2 - 1
    z = torch.zeros(B, Z, device=DEV)  # persistent latents (object config starts at 0)

    def step():
        nonlocal z
        ph = Phases()
        z = generator_langevin(g_net, z, obs, T, delta, s, sigma_z, gen, False)  # inference
        ph.mark("inference_langevin")
        opt.zero_grad(set_to_none=True)  # learning: (1/B)(1/s^2) J_W^T (Y - g(Z))
        (((obs - g_net(z)) ** 2).sum() / (2 * s * s) / B).backward()
        opt.step()
        ph.mark("learn")
        return ph

    saved = z.clone()
    gflop = count_gflop(step)
    z = saved
    totals, phases = time_iterations(step, args.warmup, args.iters)
    summarize(
        "abp-generator",
        totals,
        phases,
        gflop,
        {
            "shapes": {"obs": [B, 3, 64, 64], "z": [B, Z]},
            "config": {
                "generator": f"fc {Z}->8192, 4x4x512 BN ReLU, convT5x5s2(p2,op1) 512->256->128->64 (BN ReLU), ->3 tanh",
                "langevin": {"steps": T, "delta": delta, "s": s, "sigma_z": sigma_z},
                "update": "Adam beta1 0.5 (one step)",
                "layout": "NCHW",
            },
        },
    )


def best_of(fn, reps, warm=3):
    """(min, median) wall seconds per call, synchronised before and after each repetition on
    CUDA, plus the median GPU seconds between CUDA events around the call (None on CPU)."""
    for _ in range(warm):
        fn()
    sync()
    ts, gs = [], []
    for _ in range(reps):
        if IS_CUDA:
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        sync()
        t0 = time.perf_counter()
        if IS_CUDA:
            e0.record()
        fn()
        if IS_CUDA:
            e1.record()
        sync()
        ts.append(time.perf_counter() - t0)
        if IS_CUDA:
            gs.append(e0.elapsed_time(e1) / 1e3)
    return min(ts), statistics.median(ts), (statistics.median(gs) if gs else None)


def numpy_sgemm_child(n):
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    mn, md, _ = best_of(lambda: a @ b, 20)
    print(json.dumps({"min": mn, "median": md, "numpy": np.__version__}))


def _gpu_fields(prefix, sec, flop):
    """gpu_sec_median / gpu_gflops_median from CUDA events (empty on CPU)."""
    if sec is None:
        return {}
    return {f"gpu_{prefix}_median": round(sec, 6), "gpu_gflops_median": round(flop / sec / 1e9, 1)}


def wl_kernels(args):
    n = 1024
    flop = 2 * n**3
    saved_threads = torch.get_num_threads()
    for t in ((None,) if IS_CUDA else (1, 2)):  # thread counts are a CPU matter
        if t is not None:
            torch.set_num_threads(t)
        mem_reset()
        g = torch.Generator(device=DEV).manual_seed(args.seed)
        a, b = torch.randn(n, n, generator=g, device=DEV), torch.randn(n, n, generator=g, device=DEV)
        c = torch.empty(n, n, device=DEV)
        mn, md, gmd = best_of(lambda: torch.mm(a, b, out=c), 20)
        emit({"workload": "sgemm", "impl": "torch.mm (cuBLAS)" if IS_CUDA else "torch.mm (MKL)",
              "shape": [n, n, n], "threads": t,
              "sec_median": round(md, 6), "gflops_median": round(flop / md / 1e9, 1),
              "gflops_best": round(flop / mn / 1e9, 1), **_gpu_fields("sec", gmd, flop), **mem_peak()})
        if not IS_CUDA:
            am, bm = a.to_mkldnn(), b.to_mkldnn()
            mn, md, _ = best_of(lambda: torch._C._nn.mkldnn_linear(am, bm, None), 20)
            emit({"workload": "sgemm", "impl": "oneDNN inner product (torch._C._nn.mkldnn_linear)",
                  "shape": [n, n, n], "threads": t, "sec_median": round(md, 6),
                  "gflops_median": round(flop / md / 1e9, 1), "gflops_best": round(flop / mn / 1e9, 1)})
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
            out = subprocess.run([sys.executable, __file__, "--numpy-sgemm-child", str(n)], env=env,
                                 capture_output=True, text=True, check=True).stdout
            r = json.loads(out)
            emit({"workload": "sgemm", "impl": f"numpy {r['numpy']} @ (OpenBLAS)", "shape": [n, n, n],
                  "threads": t, "sec_median": round(r["median"], 6),
                  "gflops_median": round(flop / r["median"] / 1e9, 1),
                  "gflops_best": round(flop / r["min"] / 1e9, 1)})

        # conv2d 3x3, 64->64, input 16x64x64x64 (NCHW), pad 1
        N, Ci, H, W, Co, k = 16, 64, 64, 64, 64, 3
        x = torch.randn(N, Ci, H, W, generator=g, device=DEV)
        w = torch.randn(Co, Ci, k, k, generator=g, device=DEV) * 0.05
        cflop = 2 * N * H * W * Co * Ci * k * k
        conv = dict(stride=[1, 1], padding=[1, 1], dilation=[1, 1], transposed=False,
                    output_padding=[0, 0], groups=1)
        with torch.no_grad():
            y = torch.ops.aten.convolution(x, w, None, **conv)
        gy = torch.randn(y.shape, generator=g, device=DEV)

        def bwd(mask):
            return lambda: torch.ops.aten.convolution_backward(
                gy, x, w, None, conv["stride"], conv["padding"], conv["dilation"], False,
                conv["output_padding"], 1, mask)

        cases = [
            ("forward", lambda: torch.ops.aten.convolution(x, w, None, **conv), cflop),
            ("backward_data", bwd([True, False, False]), cflop),
            ("backward_weight", bwd([False, True, False]), cflop),
            ("backward_both", bwd([True, True, False]), 2 * cflop),
        ]
        for name, fn, fl in cases:
            if IS_CUDA:
                torch.cuda.reset_peak_memory_stats()
            with torch.no_grad():
                mn, md, gmd = best_of(fn, 10)
            emit({"workload": "conv2d", "pass": name, "input": [N, Ci, H, W], "weight": [Co, Ci, k, k],
                  "padding": 1, "stride": 1, "layout": "NCHW", "threads": t,
                  "gflop": round(fl / 1e9, 3), "sec_median": round(md, 5),
                  "gflops_median": round(fl / md / 1e9, 1), "gflops_best": round(fl / mn / 1e9, 1),
                  **_gpu_fields("sec", gmd, fl), **mem_peak()})
        xl = x.contiguous(memory_format=torch.channels_last)
        wl = w.contiguous(memory_format=torch.channels_last)
        if IS_CUDA:
            torch.cuda.reset_peak_memory_stats()
        with torch.no_grad():
            mn, md, gmd = best_of(lambda: torch.ops.aten.convolution(xl, wl, None, **conv), 10)
        emit({"workload": "conv2d", "pass": "forward", "input": [N, Ci, H, W], "weight": [Co, Ci, k, k],
              "padding": 1, "stride": 1, "layout": "channels_last (NHWC)", "threads": t,
              "gflop": round(cflop / 1e9, 3), "sec_median": round(md, 5),
              "gflops_median": round(cflop / md / 1e9, 1), "gflops_best": round(cflop / mn / 1e9, 1),
              **_gpu_fields("sec", gmd, cflop), **mem_peak()})
    if not IS_CUDA:
        torch.set_num_threads(saved_threads)


# (name, transposed, N, Cin, H, W, Cout, k, stride, padding, output_padding)
def layer_specs(args):
    cfgs = texture_configs(args)
    S = cfgs[0][0]
    K, B = args.mnist_chains, args.abp_batch
    h1 = (S + 4 - 15) // 3 + 1
    specs = []
    for n in sorted({1} | {c for s, c in cfgs if s == S}):
        specs += [
            (f"texture{S}.conv1 n{n}", False, n, 3, S, S, 100, 15, 3, 2, 0),
            (f"texture{S}.conv2 n{n}", False, n, 100, h1, h1, 64, 5, 1, 2, 0),
            (f"texture{S}.conv3 n{n}", False, n, 64, h1, h1, 30, 3, 1, 2, 0),
        ]
    specs += [
        (f"mnist_des.conv1 n{K}", False, K, 1, 28, 28, 64, 4, 2, 1, 0),
        (f"mnist_des.conv2 n{K}", False, K, 64, 14, 14, 128, 4, 2, 1, 0),
        (f"mnist_des.conv3 n{K} (input pre-padded to 10x10)", False, K, 128, 10, 10, 256, 4, 2, 0, 0),
        (f"mnist_gen.convt1 n{K}", True, K, 100, 1, 1, 512, 4, 1, 0, 0),
        (f"mnist_gen.convt2 n{K}", True, K, 512, 4, 4, 256, 4, 2, 1, 0),
        (f"mnist_gen.convt3 n{K}", True, K, 256, 7, 7, 128, 4, 2, 1, 0),
        (f"mnist_gen.convt4 n{K}", True, K, 128, 14, 14, 1, 4, 2, 1, 0),
        (f"abp_gen.convt1 n{B}", True, B, 512, 4, 4, 256, 5, 2, 2, 1),
        (f"abp_gen.convt2 n{B}", True, B, 256, 8, 8, 128, 5, 2, 2, 1),
        (f"abp_gen.convt3 n{B}", True, B, 128, 16, 16, 64, 5, 2, 2, 1),
        (f"abp_gen.convt4 n{B}", True, B, 64, 32, 32, 3, 5, 2, 2, 1),
    ]
    return specs


def wl_layers(args):
    g = torch.Generator(device=DEV).manual_seed(args.seed)
    for name, tr, N, Ci, H, W, Co, k, s, p, op in layer_specs(args):
        mem_reset()
        x = torch.randn(N, Ci, H, W, generator=g, device=DEV)
        w = torch.randn(*((Ci, Co) if tr else (Co, Ci)), k, k, generator=g, device=DEV) * 0.05
        kw = dict(stride=[s, s], padding=[p, p], dilation=[1, 1], transposed=tr,
                  output_padding=[op, op], groups=1)
        with torch.no_grad():
            y = torch.ops.aten.convolution(x, w, None, **kw)
        gy = torch.randn(y.shape, generator=g, device=DEV)
        macs = N * (H * W if tr else y.shape[2] * y.shape[3]) * Ci * Co * k * k
        fl = 2 * macs
        res = {}
        passes = [
            ("fwd", lambda: torch.ops.aten.convolution(x, w, None, **kw)),
            ("bwd_data", lambda: torch.ops.aten.convolution_backward(
                gy, x, w, None, kw["stride"], kw["padding"], kw["dilation"], tr, kw["output_padding"], 1,
                [True, False, False])),
            ("bwd_weight", lambda: torch.ops.aten.convolution_backward(
                gy, x, w, None, kw["stride"], kw["padding"], kw["dilation"], tr, kw["output_padding"], 1,
                [False, True, False])),
        ]
        reps = max(3, min(50, int(2e9 / max(fl, 1))))
        for pname, fn in passes:
            with torch.no_grad():
                _, md, gmd = best_of(fn, reps, warm=2)
            res[pname] = {"ms": round(md * 1e3, 3), "gflops": round(fl / md / 1e9, 1)}
            if gmd is not None:
                res[pname].update({"gpu_ms": round(gmd * 1e3, 4), "gpu_gflops": round(fl / gmd / 1e9, 1)})
        emit({"workload": "layer", "layer": name, "transposed": tr, "input": [N, Ci, H, W],
              "output": list(y.shape), "kernel": k, "stride": s, "padding": p, "output_padding": op,
              "gflop_per_pass": round(fl / 1e9, 4), **res, **mem_peak()})


def env_record(args):
    cpu = "?"
    try:
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    except OSError:
        pass
    rec = {"workload": "env", "python": platform.python_version(), "cpu": cpu, "nproc": os.cpu_count(),
           "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
           "torch_version": torch.__version__, "cuda_version": torch.version.cuda,
           "cudnn_version": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
           "cuda_available": torch.cuda.is_available(),
           "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
           "tf32_cudnn": torch.backends.cudnn.allow_tf32,
           "float32_matmul_precision": torch.get_float32_matmul_precision(),
           "cudnn_benchmark": torch.backends.cudnn.benchmark,
           "cudnn_deterministic": torch.backends.cudnn.deterministic,
           "iters": args.iters, "warmup": args.warmup, "seed": args.seed}
    if IS_CUDA:
        idx = DEV.index if DEV.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(idx)
        rec.update({"device_name": torch.cuda.get_device_name(idx),
                    "capability": list(torch.cuda.get_device_capability(idx)),
                    "sm_count": props.multi_processor_count,
                    "gpu_mem_mib": round(props.total_memory / 2**20),
                    "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")})
        try:
            smi = subprocess.run(["nvidia-smi", f"--id={idx}", "--query-gpu=driver_version,clocks.max.sm,power.limit",
                                  "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
            if smi.returncode == 0:
                rec["nvidia_smi"] = smi.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    else:
        rec.update({"device_name": "cpu",
                    "libs": [l.strip(" -") for l in torch.__config__.show().splitlines()
                             if "Math Kernel Library" in l or "MKL-DNN" in l],
                    "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                    "mkldnn_enabled": torch.backends.mkldnn.enabled,
                    "interop_threads": torch.get_num_interop_threads()})
    return rec


def main():
    global DEV, IS_CUDA, PROFILE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default=",".join(ALL_WORKLOADS),
                    help="comma list from: " + ", ".join(ALL_WORKLOADS))
    ap.add_argument("--device", default="cuda", help='"cuda" (default), "cuda:N" or "cpu" (smoke tests)')
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (--device cpu only; ignored on CUDA)")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tf32", action="store_true",
                    help="allow TF32 in cuBLAS matmul and cuDNN conv (default: off, strict FP32)")
    ap.add_argument("--no-cudnn-benchmark", action="store_true",
                    help="torch.backends.cudnn.benchmark = False (default: True)")
    ap.add_argument("--texture-configs", default="224x1,224x16,128x1,128x16",
                    help="SIZExCHAINS list; official GenConvNet texture = 224x1 (nTileRow=nTileCol=1)")
    ap.add_argument("--texture-steps", type=int, default=10)
    ap.add_argument("--texture-delta", type=float, default=0.3)
    ap.add_argument("--texture-sigma", type=float, default=1.0)
    ap.add_argument("--mnist-batch", type=int, default=100)
    ap.add_argument("--mnist-chains", type=int, default=144, help="official: 12x12")
    ap.add_argument("--abp-batch", type=int, default=64)
    ap.add_argument("--abp-zdim", type=int, default=100)
    ap.add_argument("--abp-steps", type=int, default=30)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--profile", action="store_true", help="also print the GPU kernels of 2 profiled iterations (stderr)")
    ap.add_argument("--numpy-sgemm-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.numpy_sgemm_child:
        numpy_sgemm_child(args.numpy_sgemm_child)
        return
    if args.list:
        print("\n".join(ALL_WORKLOADS))
        return

    PROFILE = args.profile
    DEV = torch.device(args.device)
    IS_CUDA = DEV.type == "cuda"
    if IS_CUDA:
        if not torch.cuda.is_available():
            sys.exit(f"--device {args.device}: torch {torch.__version__} sees no CUDA device "
                     "(use --device cpu for a smoke test)")
        if DEV.index is not None:
            torch.cuda.set_device(DEV)
        if args.threads != ap.get_default("threads"):
            log(f"note: --threads {args.threads} ignored on CUDA")
    elif DEV.type == "cpu":
        torch.set_num_threads(args.threads)
    else:
        sys.exit(f"--device {args.device}: only cuda[:N] and cpu are supported")
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark

    emit(env_record(args))
    for w in args.workloads.split(","):
        w = w.strip()
        log(f"== {w}")
        t0 = time.perf_counter()
        if w == "kernels":
            wl_kernels(args)
        elif w == "texture":
            for size, chains in texture_configs(args):
                wl_texture(args, size, chains)
        elif w == "coopnets-mnist":
            wl_coopnets_mnist(args, 0)
        elif w == "coopnets-mnist-g15":
            wl_coopnets_mnist(args, 15)
        elif w == "abp":
            wl_abp(args)
        elif w == "layers":
            wl_layers(args)
        else:
            sys.exit(f"unknown workload {w!r}; use --list")
        log(f"   {w} took {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
