#!/usr/bin/env python3
"""Check a pixelcnn4j checkpoint with nothing but Python 3 and numpy (no torch, no safetensors).

    python3 docs/check_checkpoint.py model.safetensors              # header, checksum, names, masks
    python3 docs/check_checkpoint.py model.safetensors --nll x.npy  # + per-image NLL of x.npy
    python3 docs/check_checkpoint.py model.safetensors --nll x.npy --labels y.npy   # conditional

It reads the safetensors layout by hand (8-byte little-endian header length, JSON header, data
section), verifies the CRC32C in the metadata key `checksum.data`, checks that the tensor names and
shapes are exactly those of the model the `model.*` metadata describes (the plain PixelCNN or Gated
PixelCNN) and that masked taps are
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
    arch = meta.get("model.architecture")
    if arch not in ("pixelcnn", "gated"):
        raise SystemExit(f"model.architecture is {arch!r}, expected 'pixelcnn' or 'gated'")
    ints = ["channels", "height", "width", "levels", "hidden_channels", "head_channels", "blocks",
            "input_kernel", "block_kernel"]
    ints += ["residual_channels"] if arch == "pixelcnn" else ["classes"]
    cfg = {k: int(meta["model." + k]) for k in ints}
    cfg["head"] = meta["model.head"]
    cfg["architecture"] = arch
    if arch == "gated":
        cfg["skip_connections"] = meta["model.skip_connections"] == "true"
    return cfg


def square_mask(out_ch, in_ch, k, mask_type, image_channels):
    """{0,1} mask (out, in, k, k): before the centre live, after dead, centre by channel group."""
    c = k // 2
    m = np.zeros((out_ch, in_ch, k, k), np.float32)
    m[:, :, :c, :] = 1
    m[:, :, c, :c] = 1
    m[:, :, c, c] = centre_mask(out_ch, in_ch, mask_type, image_channels)
    return m


def centre_mask(out_ch, in_ch, mask_type, image_channels):
    g_out = np.arange(out_ch) // (out_ch // image_channels)
    g_in = np.arange(in_ch) // (in_ch // image_channels)
    return g_in[None, :] < g_out[:, None] if mask_type == "A" else g_in[None, :] <= g_out[:, None]


def horizontal_mask(out_ch, in_ch, kw, mask_type, image_channels):
    """Gated PixelCNN's horizontal stack (out, in, 1, kw): the pixels to the left, the pixel itself by group."""
    m = np.ones((out_ch, in_ch, 1, kw), np.float32)
    m[:, :, 0, kw - 1] = centre_mask(out_ch, in_ch, mask_type, image_channels)
    return m


def layers(cfg):
    """(state_dict prefix, mask (out, in, kh, kw), padding (top, left)) of every convolution, in order."""
    c = cfg["channels"]
    hid, head = cfg["hidden_channels"], cfg["head_channels"]
    out = c if cfg["head"] == "bernoulli" else c * cfg["levels"]
    if cfg["architecture"] == "pixelcnn":
        res = cfg["residual_channels"]

        def sq(name, i, o, k, t):
            return (name, square_mask(o, i, k, t, c), (k // 2, k // 2))

        result = [sq("input", c, hid, cfg["input_kernel"], "A")]
        for i in range(cfg["blocks"]):
            result += [sq(f"blocks.{i}.conv1", hid, res, 1, "B"),
                       sq(f"blocks.{i}.conv2", res, res, cfg["block_kernel"], "B"),
                       sq(f"blocks.{i}.conv3", res, hid, 1, "B")]
    else:
        result = []
        for l in range(cfg["blocks"]):
            k = cfg["input_kernel"] if l == 0 else cfg["block_kernel"]
            kh, inp, p = k // 2 + 1, c if l == 0 else hid, f"layers.{l}"
            last = l == cfg["blocks"] - 1
            # Vertical: the kh rows above (layer 0) or kh - 1 above and its own row of the vertical maps.
            result.append((p + ".v_conv", np.ones((2 * hid, inp, kh, k), np.float32), (kh if l == 0 else kh - 1, k // 2)))
            result.append((p + ".h_conv", horizontal_mask(2 * hid, inp, kh, "A" if l == 0 else "B", c), (0, k // 2)))
            result.append((p + ".v_to_h", np.ones((2 * hid, 2 * hid, 1, 1), np.float32), (0, 0)))
            if not (last and cfg["skip_connections"]):
                result.append((p + ".h_out", square_mask(hid, hid, 1, "B", c), (0, 0)))
            if cfg["skip_connections"]:
                result.append((p + ".skip", square_mask(hid, hid, 1, "B", c), (0, 0)))
    result += [("head.conv1", square_mask(head, hid, 1, "B", c), (0, 0)),
               ("head.conv2", square_mask(out, head, 1, "B", c), (0, 0))]
    return result


def tables(cfg):
    """(name, shape) of a conditional gated model's class-bias tables (nn.Embedding weights)."""
    if cfg["architecture"] != "gated" or cfg["classes"] == 0:
        return []
    shape = (cfg["classes"], 2 * cfg["hidden_channels"])
    return [(f"layers.{l}.{s}_class.weight", shape) for l in range(cfg["blocks"]) for s in ("v", "h")]


def conv2d(x, w, b, pad):
    """Cross-correlation (as torch.conv2d) of x N x I x H x W with w O x I x kh x kw, output H x W:
    output (r, s) reads input (r - top + i, s - left + j) at tap (i, j), zeros outside."""
    n, _, h, wd = x.shape
    kh, kw = w.shape[2], w.shape[3]
    top, left = pad
    xp = np.pad(x, ((0, 0), (0, 0), (top, max(0, kh - 1 - top)), (left, max(0, kw - 1 - left))))
    out = np.zeros((n, w.shape[0], h, wd), np.float32)
    for i in range(kh):
        for j in range(kw):
            tap = w[:, :, i, j]
            if tap.any():
                out += np.einsum("oi,nihw->nohw", tap, xp[:, :, i : i + h, j : j + wd], optimize=True)
    return out + b[None, :, None, None]


def relu(x):
    return np.maximum(x, 0)


def gate(pre, image_channels):
    """tanh(a) * sigmoid(b), a and b the halves of each of the C channel groups of 2F channels."""
    n, two_f, h, w = pre.shape
    grouped = pre.reshape(n, image_channels, 2, two_f // (2 * image_channels), h, w)
    a, b = grouped[:, :, 0], grouped[:, :, 1]
    return (np.tanh(a) / (1 + np.exp(-b))).reshape(n, two_f // 2, h, w).astype(np.float32)


def logits(cfg, weights, images, labels=None):
    """Logits N x K x H x W of uint8 images N x C x H x W (and their labels, conditional models)."""
    convs = {name: (m, pad) for name, m, pad in layers(cfg)}

    def conv(name, x):
        m, pad = convs[name]
        return conv2d(x, weights[name + ".weight"] * m, weights[name + ".bias"], pad)

    x = images.astype(np.float32)
    if cfg["head"] != "bernoulli":
        x = x / np.float32(cfg["levels"] - 1)
    if cfg["architecture"] == "pixelcnn":
        h = conv("input", x)
        for i in range(cfg["blocks"]):
            t = relu(conv(f"blocks.{i}.conv1", relu(h)))
            t = relu(conv(f"blocks.{i}.conv2", t))
            h = h + conv(f"blocks.{i}.conv3", t)
        return conv("head.conv2", relu(conv("head.conv1", relu(h))))
    c = cfg["channels"]
    v, h, skip = x, x, 0
    for l in range(cfg["blocks"]):
        p = f"layers.{l}"
        v_pre = conv(p + ".v_conv", v)
        if cfg["classes"] > 0:
            v_pre = v_pre + weights[p + ".v_class.weight"][labels][:, :, None, None]
        h_pre = conv(p + ".h_conv", h) + conv(p + ".v_to_h", v_pre)
        if cfg["classes"] > 0:
            h_pre = h_pre + weights[p + ".h_class.weight"][labels][:, :, None, None]
        g = gate(h_pre, c)
        if cfg["skip_connections"]:
            skip = skip + conv(p + ".skip", g)
        if p + ".h_out.weight" in weights:
            h = conv(p + ".h_out", g) + (h if l > 0 else 0)
        v = gate(v_pre, c)
    return conv("head.conv2", relu(conv("head.conv1", relu(skip if cfg["skip_connections"] else h))))


def nll_nats(cfg, weights, images, labels=None):
    """Per-image negative log-likelihood in nats."""
    z = logits(cfg, weights, images, labels).astype(np.float64)
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
    parser.add_argument("--labels", metavar="LABELS.npy", help="a conditional model: one class per image")
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
    for name, m, _ in layers(cfg):
        expected[name + ".weight"] = (m.shape, m)
        expected[name + ".bias"] = ((m.shape[0],), None)
    for name, shape in tables(cfg):
        expected[name] = (shape, None)
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
        shape = tuple(shape)
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
        labels = None
        if cfg["architecture"] == "gated" and cfg["classes"] > 0:
            if not args.labels:
                sys.exit("the model is class-conditional: give --labels LABELS.npy, one class per image")
            labels = np.load(args.labels).astype(np.int64)
            if labels.shape != (images.shape[0],) or labels.min() < 0 or labels.max() >= cfg["classes"]:
                sys.exit(f"{args.labels}: expected {images.shape[0]} labels in 0..{cfg['classes'] - 1}")
        nats = nll_nats(cfg, weights, images, labels)
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
