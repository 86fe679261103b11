#!/usr/bin/env python3
"""PyTorch reference of gan's two models and its training step, for side-by-side timing.

The modules use the same parameter names as gan's safetensors (acgan28: label_embedding, label_linear,
noise_linear, up.i, bn_up.i, out_conv; conv.i, bn.i, head_adv, head_class. dcgan64: the PyTorch DCGAN
example's nn.Sequential indices main.N), so a generator saved by ./gan loads with
load_state_dict(strict=True) (see load_check.py).

The training step is DESIGN.md's: with B = batch and H = B/2,
  1. D step on H real images with their labels (target 1),
  2. D step on H generated images with random labels (target 0),
  3. G step on B noise+label pairs through D (target 1; only G's weights are updated),
with BCE-with-logits on the real/fake head plus softmax cross-entropy on the class head (acgan28;
dcgan64 has no class head), Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8, two optimiser steps of D
and one of G per mini-batch. Data: random images resident on the GPU, batches drawn by random index,
as ./bench does.

Usage: torch_ref.py [--models acgan28,dcgan64] [--batch 128] [--steps 200] [--warmup 10]
                    [--modes eager,compile,compile-cudagraphs] [--tf32] [--json FILE] [--device cuda]
FP32 by default (TF32 off for cuBLAS and cuDNN, like ./bench's default); --tf32 turns it on for both.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- acgan28 (DESIGN.md)
class AcGanGenerator(nn.Module):
    def __init__(self, num_classes=10, label_dim=50, latent_dim=100, input_filters=128,
                 up_filters=(128, 128), channels=1, alpha=0.2, dropout=0.4, batchnorm=True):
        super().__init__()
        self.alpha, self.input_filters = alpha, input_filters
        self.label_embedding = nn.Embedding(num_classes, label_dim)
        self.label_linear = nn.Linear(label_dim, 49)
        self.noise_linear = nn.Linear(latent_dim, input_filters * 49)
        ups, bns = [], []
        c_in = input_filters + 1
        for f in up_filters:
            # No bias in front of BatchNorm, which cancels it (src/nn/models.cpp says why).
            ups.append(nn.ConvTranspose2d(c_in, f, 4, stride=2, padding=1, bias=not batchnorm))
            if batchnorm:
                bns.append(nn.BatchNorm2d(f, eps=1e-5, momentum=0.1))
            c_in = f
        self.up = nn.ModuleList(ups)
        self.bn_up = nn.ModuleList(bns)
        self.drop = nn.Dropout(dropout)
        self.out_conv = nn.Conv2d(c_in, channels, 7, padding=3)

    def forward(self, noise, labels):
        n = noise.shape[0]
        label_map = self.label_linear(self.label_embedding(labels)).view(n, 1, 7, 7)
        noise_maps = F.leaky_relu(self.noise_linear(noise), self.alpha).view(n, self.input_filters, 7, 7)
        x = torch.cat([noise_maps, label_map], dim=1)  # [noise maps, label map], as gan does
        for i, up in enumerate(self.up):
            x = up(x)
            if len(self.bn_up):
                x = self.bn_up[i](x)
            x = self.drop(F.leaky_relu(x, self.alpha))
        return torch.tanh(self.out_conv(x))


class AcGanDiscriminator(nn.Module):
    def __init__(self, num_classes=10, channels=1, image_size=28, conv_filters=(128, 128), alpha=0.2,
                 dropout=0.4, batchnorm=True):
        super().__init__()
        self.alpha = alpha
        convs, bns = [], []
        c_in, size = channels, image_size
        for f in conv_filters:
            for stride in (2, 1):
                convs.append(nn.Conv2d(c_in, f, 3, stride=stride, padding=1, bias=not batchnorm))
                if batchnorm:
                    bns.append(nn.BatchNorm2d(f, eps=1e-5, momentum=0.1))
                c_in = f
            size = (size + 1) // 2
        self.conv = nn.ModuleList(convs)
        self.bn = nn.ModuleList(bns)
        self.drop = nn.Dropout(dropout)
        features = c_in * size * size
        self.head_adv = nn.Linear(features, 1)
        self.head_class = nn.Linear(features, num_classes)

    def forward(self, x):
        for i, conv in enumerate(self.conv):
            x = conv(x)
            if len(self.bn):
                x = self.bn[i](x)
            x = self.drop(F.leaky_relu(x, self.alpha))
        x = x.flatten(1)
        return self.head_adv(x), self.head_class(x)


# ---------------------------------------------------------------- dcgan64 (PyTorch's DCGAN example)
class DcGanGenerator(nn.Module):
    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, noise, labels=None):  # unconditional: labels are ignored
        return self.main(noise.view(noise.shape[0], -1, 1, 1))


class DcGanDiscriminator(nn.Module):
    # The example ends in Sigmoid + BCELoss; gan keeps the logit and uses BCE-with-logits (the
    # numerically stable equivalent), so the Sequential stops at index 11 here.
    def __init__(self, nc=3, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False))

    def forward(self, x):
        return self.main(x).view(-1, 1), None


def init_weights(m, std=0.02):
    """N(0, 0.02) weights as gan initialises them (biases 0, BatchNorm γ = 1, β = 0)."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, 0.0, std)
        if getattr(m, "bias", None) is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def build(arch):
    if arch == "acgan28":
        return AcGanGenerator(), AcGanDiscriminator(), dict(c=1, s=28, classes=10, latent=100, cond=True)
    if arch == "dcgan64":
        return DcGanGenerator(), DcGanDiscriminator(), dict(c=3, s=64, classes=10, latent=100, cond=False)
    raise SystemExit(f"torch_ref: unknown model {arch!r} (acgan28 or dcgan64)")


class Trainer:
    """DESIGN.md's mini-batch on PyTorch modules (optionally torch.compile'd)."""

    def __init__(self, arch, batch, device, compile_models):
        self.g, self.d, self.info = build(arch)
        self.g.apply(init_weights)
        self.d.apply(init_weights)
        self.g.to(device).train()
        self.d.to(device).train()
        adam = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
        self.opt_g = torch.optim.Adam(self.g.parameters(), **adam)
        self.opt_d = torch.optim.Adam(self.d.parameters(), **adam)
        # compile_models: False, "default" or "reduce-overhead" (torch.compile with CUDA graphs)
        self.g_fwd = torch.compile(self.g, mode=compile_models) if compile_models else self.g
        self.d_fwd = torch.compile(self.d, mode=compile_models) if compile_models else self.d
        self.batch, self.half, self.device = batch, batch // 2, device
        n = 2048
        i = self.info
        self.images = torch.rand(n, i["c"], i["s"], i["s"], device=device) * 2 - 1
        self.labels = torch.randint(0, i["classes"], (n,), device=device)
        self.ones_h = torch.ones(self.half, 1, device=device)
        self.zeros_h = torch.zeros(self.half, 1, device=device)
        self.ones_b = torch.ones(batch, 1, device=device)

    def loss(self, adv, cls, target, labels):
        l = F.binary_cross_entropy_with_logits(adv, target)
        if cls is not None and self.info["cond"]:
            l = l + F.cross_entropy(cls, labels)
        return l

    def step(self):
        i, H, B, dev = self.info, self.half, self.batch, self.device
        idx = torch.randint(0, self.images.shape[0], (H,), device=dev)
        real, real_labels = self.images[idx], self.labels[idx]
        # 1. D on real
        self.opt_d.zero_grad(set_to_none=True)
        adv, cls = self.d_fwd(real)
        self.loss(adv, cls, self.ones_h, real_labels).backward()
        self.opt_d.step()
        # 2. D on generated (G's output detached: only D learns here)
        z = torch.randn(H, i["latent"], device=dev)
        fake_labels = torch.randint(0, i["classes"], (H,), device=dev)
        fake = self.g_fwd(z, fake_labels).detach()
        self.opt_d.zero_grad(set_to_none=True)
        adv, cls = self.d_fwd(fake)
        self.loss(adv, cls, self.zeros_h, fake_labels).backward()
        self.opt_d.step()
        # 3. G through D (D's weights are not updated: only opt_g steps)
        z = torch.randn(B, i["latent"], device=dev)
        g_labels = torch.randint(0, i["classes"], (B,), device=dev)
        self.opt_g.zero_grad(set_to_none=True)
        adv, cls = self.d_fwd(self.g_fwd(z, g_labels))
        self.loss(adv, cls, self.ones_b, g_labels).backward()
        self.opt_g.step()


def set_tf32(on):
    """TF32 for matmul (cuBLAS) and convolutions (cuDNN) on or off, through PyTorch 2.9's
    fp32_precision settings where they exist (the allow_tf32 flags are deprecated there), and
    what is in force afterwards."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision") and hasattr(getattr(conv, "conv", None), "fp32_precision"):
        matmul.fp32_precision = conv.conv.fp32_precision = "tf32" if on else "ieee"
        return {"matmul": matmul.fp32_precision == "tf32", "cudnn_conv": conv.conv.fp32_precision == "tf32"}
    matmul.allow_tf32 = conv.allow_tf32 = on
    return {"matmul": matmul.allow_tf32, "cudnn_conv": conv.allow_tf32}


def run(arch, mode, args):
    torch.manual_seed(1)
    compile_mode = {"eager": False, "compile": "default", "compile-cudagraphs": "reduce-overhead"}.get(mode)
    if compile_mode is None:
        raise SystemExit(f"torch_ref: unknown mode {mode!r} (eager, compile, compile-cudagraphs)")
    t = Trainer(arch, args.batch, args.device, compile_mode)
    for _ in range(args.warmup):
        t.step()
    torch.cuda.synchronize() if args.device == "cuda" else None
    t0 = time.perf_counter()
    for _ in range(args.steps):
        t.step()
    torch.cuda.synchronize() if args.device == "cuda" else None
    s = time.perf_counter() - t0
    return {"model": arch, "mode": mode, "batch": args.batch, "steps": args.steps,
            "ms_per_step": 1e3 * s / args.steps, "steps_per_s": args.steps / s,
            "images_per_s": args.batch * args.steps / s}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="acgan28,dcgan64")
    p.add_argument("--modes", default="eager,compile")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--tf32", action="store_true")
    p.add_argument("--device", default="cuda")
    p.add_argument("--json")
    args = p.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("torch_ref: torch.cuda.is_available() is False; use --device cpu")
    tf32 = set_tf32(args.tf32)
    torch.backends.cudnn.benchmark = True  # like gan's per-shape cudnnFind
    # What is in force, read back: TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1 turns matmul TF32 on whatever
    # is set, and NVIDIA_TF32_OVERRIDE=0 turns it off inside cuBLAS and cuDNN.
    meta = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
            "tf32": args.tf32, "tf32_in_force": tf32, "cudnn": torch.backends.cudnn.version(),
            "NVIDIA_TF32_OVERRIDE": os.environ.get("NVIDIA_TF32_OVERRIDE"),
            "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE": os.environ.get("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE")}
    if any(v != args.tf32 for v in tf32.values()):
        print(f"torch_ref: TF32 asked {args.tf32} but in force: {tf32}", file=sys.stderr)
    rows = []
    for arch in args.models.split(","):
        for mode in args.modes.split(","):
            try:
                r = run(arch, mode, args)
            except Exception as e:  # torch.compile can fail where a compiler is missing: say so, go on
                r = {"model": arch, "mode": mode, "error": f"{type(e).__name__}: {e}".splitlines()[0]}
            rows.append(r)
            if "error" in r:
                print(f"{arch:8s} {mode:8s} FAILED: {r['error']}", flush=True)
            else:
                print(f"{arch:8s} {mode:8s} {r['ms_per_step']:9.3f} ms/step {r['steps_per_s']:9.1f} steps/s "
                      f"{r['images_per_s']:10.0f} images/s", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=2)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
