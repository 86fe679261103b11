#!/usr/bin/env python3
"""Loads a generator.safetensors written by ./gan into the PyTorch Generator of torch_ref.py with
load_state_dict(strict=True), runs a forward pass and checks the output's shape and range.

Usage: load_check.py FILE [--samples 10]
Uses safetensors.torch.load_file when the safetensors package is installed, otherwise a small
parser of the format (8-byte little-endian header size, JSON header, raw little-endian data).
The architecture and widths are read off the tensor shapes, so any --flags ./gan trained with work.
Exit status 0 when everything checks out; 1 with the reason otherwise.
"""
import argparse
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_ref  # noqa: E402

DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
          "BOOL": torch.bool}


def load_tensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short to be safetensors")
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def fold_legacy_biases(sd):
    """Files written while gan's convs in front of BatchNorm still had biases (up.i.bias beside
    bn_up.i): the bias cancels in train mode, and running_mean tracked conv(x) + bias, so the
    bias-free module computes the same with running_mean - bias (src/nn/models.cpp). Returns the
    number folded."""
    folded = 0
    for k in [k for k in sd if k.startswith("up.") and k.endswith(".bias")]:
        mean = "bn_up." + k.split(".")[1] + ".running_mean"
        if mean in sd:
            sd[mean] = sd[mean] - sd.pop(k)
            folded += 1
    return folded


def generator_for(sd):
    """Builds the torch_ref generator whose shapes match the state dict."""
    if "main.0.weight" in sd:
        nz, ngf8 = sd["main.0.weight"].shape[:2]
        nc = sd["main.12.weight"].shape[1]
        return torch_ref.DcGanGenerator(nz=nz, ngf=ngf8 // 8, nc=nc), nz, None
    num_classes, label_dim = sd["label_embedding.weight"].shape
    latent = sd["noise_linear.weight"].shape[1]
    F_in = sd["noise_linear.weight"].shape[0] // 49
    ups = sorted(int(k.split(".")[1]) for k in sd if k.startswith("up.") and k.endswith(".weight"))
    up_filters = [sd[f"up.{i}.weight"].shape[1] for i in ups]
    channels = sd["out_conv.weight"].shape[0]
    g = torch_ref.AcGanGenerator(num_classes=num_classes, label_dim=label_dim, latent_dim=latent,
                                 input_filters=F_in, up_filters=up_filters, channels=channels,
                                 batchnorm=any(k.startswith("bn_up.") for k in sd))
    return g, latent, num_classes


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--samples", type=int, default=10)
    a = p.parse_args()
    sd = load_tensors(a.file)
    folded = fold_legacy_biases(sd)
    g, latent, classes = generator_for(sd)
    g.load_state_dict(sd, strict=True)  # raises naming missing/unexpected keys or shape mismatches
    g.eval()
    with torch.no_grad():
        z = torch.randn(a.samples, latent)
        labels = torch.arange(a.samples) % classes if classes else None
        y = g(z, labels)
    if not torch.isfinite(y).all():
        print("load_check: the generator produced non-finite values", file=sys.stderr)
        return 1
    if y.abs().max() > 1.0:
        print("load_check: output outside [-1, 1] after tanh", file=sys.stderr)
        return 1
    print(f"load_check: {a.file}: {len(sd)} tensors loaded strictly into {type(g).__name__}; "
          f"output {tuple(y.shape)} in [{y.min():.3f}, {y.max():.3f}]"
          + (f" ({folded} conv biases of an earlier version folded into running_mean)" if folded else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
