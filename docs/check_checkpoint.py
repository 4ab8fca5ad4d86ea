#!/usr/bin/env python3
"""Check a pixelcnn4j checkpoint with nothing but Python 3 and numpy (no torch, no safetensors).

    python3 docs/check_checkpoint.py model.safetensors              # header, checksum, names, masks
    python3 docs/check_checkpoint.py model.safetensors --nll x.npy  # + per-image NLL of x.npy

It reads the safetensors layout by hand (8-byte little-endian header length, JSON header, data
section), verifies the CRC32C in the metadata key `checksum.data`, checks that the tensor names and
shapes are exactly those of the model the `model.*` metadata describes and that masked taps are
finite (Adam's second moments also non-negative). Masked taps may hold any value (pixelcnn4j
drops them on load); a note says when they are not zero, as pixelcnn4j saves them. With --nll it runs the model's forward pass in numpy (the same computation as the
PyTorch module of docs/interop.md) on a uint8 array of N x C x H x W images and prints each image's
negative log-likelihood in nats and bits/dim, to compare with PixelCnn.logLikelihood.
Exit status 0 if every check passes, 1 otherwise.
"""
import argparse
import math
import sys

import numpy as np

import safetensors_numpy  # beside this script: the numpy safetensors reader of docs/interop.md

# ----------------------------------------------------------------------------- file layout


def read_safetensors(path):
    """Returns (metadata dict, {name: float32 array}, data section bytes), checking the layout."""
    return safetensors_numpy.read(path)


# ----------------------------------------------------------------------------- the model


def config_from_metadata(meta):
    ints = ["channels", "height", "width", "levels", "hidden_channels", "residual_channels",
            "head_channels", "blocks", "input_kernel", "block_kernel"]
    cfg = {k: int(meta["model." + k]) for k in ints}
    cfg["head"] = meta["model.head"]
    return cfg


def layers(cfg):
    """(state_dict prefix, in, out, kernel, mask type) of every masked convolution, in order."""
    c = cfg["channels"]
    hid, res, head = cfg["hidden_channels"], cfg["residual_channels"], cfg["head_channels"]
    out = c if cfg["head"] == "bernoulli" else c * cfg["levels"]
    result = [("input", c, hid, cfg["input_kernel"], "A")]
    for i in range(cfg["blocks"]):
        result += [(f"blocks.{i}.conv1", hid, res, 1, "B"),
                   (f"blocks.{i}.conv2", res, res, cfg["block_kernel"], "B"),
                   (f"blocks.{i}.conv3", res, hid, 1, "B")]
    result += [("head.conv1", hid, head, 1, "B"), ("head.conv2", head, out, 1, "B")]
    return result


def mask(out_ch, in_ch, k, mask_type, image_channels):
    """{0,1} mask (out, in, k, k): before the centre live, after dead, centre by channel group."""
    c = k // 2
    m = np.zeros((out_ch, in_ch, k, k), np.float32)
    m[:, :, :c, :] = 1
    m[:, :, c, :c] = 1
    g_out = np.arange(out_ch) // (out_ch // image_channels)
    g_in = np.arange(in_ch) // (in_ch // image_channels)
    live = g_in[None, :] < g_out[:, None] if mask_type == "A" else g_in[None, :] <= g_out[:, None]
    m[:, :, c, c] = live
    return m


def conv2d(x, w, b):
    """'same' convolution (cross-correlation, as torch.conv2d), x N x I x H x W, w O x I x k x k."""
    n, _, h, wd = x.shape
    k = w.shape[2]
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((n, w.shape[0], h, wd), np.float32)
    for i in range(k):
        for j in range(k):
            tap = w[:, :, i, j]
            if tap.any():
                out += np.einsum("oi,nihw->nohw", tap, xp[:, :, i : i + h, j : j + wd], optimize=True)
    return out + b[None, :, None, None]


def relu(x):
    return np.maximum(x, 0)


def logits(cfg, weights, images):
    """Logits N x K x H x W of uint8 images N x C x H x W."""
    masks = {name: mask(o, i, k, t, cfg["channels"]) for name, i, o, k, t in layers(cfg)}

    def conv(name, x):
        return conv2d(x, weights[name + ".weight"] * masks[name], weights[name + ".bias"])

    x = images.astype(np.float32)
    if cfg["head"] != "bernoulli":
        x = x / np.float32(cfg["levels"] - 1)
    h = conv("input", x)
    for i in range(cfg["blocks"]):
        t = relu(conv(f"blocks.{i}.conv1", relu(h)))
        t = relu(conv(f"blocks.{i}.conv2", t))
        h = h + conv(f"blocks.{i}.conv3", t)
    return conv("head.conv2", relu(conv("head.conv1", relu(h))))


def nll_nats(cfg, weights, images):
    """Per-image negative log-likelihood in nats."""
    z = logits(cfg, weights, images).astype(np.float64)
    n, c, h, w = images.shape
    if cfg["head"] == "bernoulli":
        x = images.astype(np.float64)
        per_dim = np.maximum(z, 0) - z * x + np.log1p(np.exp(-np.abs(z)))  # BCE with logits
    else:
        levels = cfg["levels"]
        z = z.reshape(n, c, levels, h, w)
        zmax = z.max(axis=2, keepdims=True)
        log_norm = (zmax + np.log(np.exp(z - zmax).sum(axis=2, keepdims=True)))[:, :, 0]
        picked = np.take_along_axis(z, images.astype(np.int64)[:, :, None], axis=2)[:, :, 0]
        per_dim = log_norm - picked
    return per_dim.reshape(n, -1).sum(axis=1)


# ----------------------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--nll", metavar="IMAGES.npy", help="uint8 array N x C x H x W to score")
    args = parser.parse_args()

    problems = []
    meta, tensors, data = read_safetensors(args.checkpoint)
    print("metadata:")
    for key in sorted(meta):
        print(f"  {key} = {meta[key]}")
    if meta.get("format") != "pixelcnn4j/1":
        problems.append(f"format is {meta.get('format')!r}, expected 'pixelcnn4j/1'")
    if "checksum.data" in meta:
        actual = f"{safetensors_numpy.crc32c(data):08x}"
        ok = actual == meta["checksum.data"].lower()
        print(f"checksum.data: {meta['checksum.data']} (computed {actual}: {'ok' if ok else 'MISMATCH'})")
        if not ok:
            problems.append("checksum mismatch")
    else:
        print("checksum.data: absent (allowed)")

    cfg = config_from_metadata(meta)
    step = int(meta.get("training.step", "0"))
    expected = {}
    for name, i, o, k, t in layers(cfg):
        expected[name + ".weight"] = ((o, i, k, k), mask(o, i, k, t, cfg["channels"]))
        expected[name + ".bias"] = ((o,), None)
    weights = {n: t for n, t in tensors.items() if not n.startswith("optimizer.")}
    print(f"tensors: {len(weights)} weights, {len(tensors) - len(weights)} optimizer entries, step {step}")
    if set(weights) != set(expected):
        problems.append(f"names differ: missing {sorted(set(expected) - set(weights))}, "
                        f"unexpected {sorted(set(weights) - set(expected))}")
    for name, (shape, m) in expected.items():
        t = weights.get(name)
        if t is None:
            continue
        live = "" if m is None else f", {int(m[0].sum())} of {m[0].size} taps live for output 0"
        print(f"  {name:24s} {str(list(t.shape)):18s}{live}")
        if t.shape != shape:
            problems.append(f"{name}: shape {t.shape}, expected {shape}")
            continue
        if not np.all(np.isfinite(t)):
            problems.append(f"{name}: holds values that are not finite")
        if m is not None and np.any(t[m == 0] != 0):
            # Valid (pixelcnn4j drops masked taps on load), but not what pixelcnn4j itself writes.
            print(f"  note: {name} has nonzero masked taps; pixelcnn4j ignores them (saves them as zeros)")
        for prefix in ("optimizer.exp_avg.", "optimizer.exp_avg_sq."):
            moment = tensors.get(prefix + name)
            if moment is None:
                if step > 0:
                    problems.append(f"{prefix}{name} missing although training.step is {step}")
                continue
            if moment.shape != shape:
                problems.append(f"{prefix}{name}: shape {moment.shape}, expected {shape}")
            elif not np.all(np.isfinite(moment)):
                problems.append(f"{prefix}{name}: holds values that are not finite")
            elif prefix == "optimizer.exp_avg_sq." and np.any(moment < 0):
                problems.append(f"{prefix}{name}: a second moment is negative")

    if args.nll and not problems:
        images = np.load(args.nll)
        want = (cfg["channels"], cfg["height"], cfg["width"])
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != want:
            sys.exit(f"{args.nll}: expected uint8 N x {want[0]} x {want[1]} x {want[2]}, "
                     f"got {images.dtype} {images.shape}")
        nats = nll_nats(cfg, weights, images)
        dims = images[0].size
        for i, v in enumerate(nats):
            print(f"image {i}: {v:.6f} nats, {v / (dims * math.log(2)):.6f} bits/dim")
        print(f"mean: {nats.mean():.6f} nats")

    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
