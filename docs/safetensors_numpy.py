"""Read and write safetensors files with Python 3 and numpy alone (docs/interop.md).

The `safetensors` package is not everywhere (Debian, for one, packages PyTorch but not it). This
module does what docs/interop.md uses it for, for float32 tensors, which is all pixelcnn4j files
hold:

    load_file(path)                        {name: tensor}, like safetensors.torch.load_file
    read_metadata(path)                    {key: value}, like safe_open(path, "pt").metadata()
    save_file(tensors, path, metadata)     like safetensors.torch.save_file
    read(path)                             (metadata, {name: numpy array}, data section bytes)
    crc32c(data)                           the CRC32C of pixelcnn4j's checksum.data

Tensors come back as torch tensors when torch is installed (numpy arrays otherwise, or with
load_file(path, numpy=True)); save_file takes either. The layout: an 8-byte little-endian header
length N, N bytes of JSON header (padded with spaces to a multiple of 8), then the tensors' bytes
back to back, each entry's data_offsets relative to the start of that data section.
"""
import json
import math
import os
import struct
import tempfile

import numpy as np

# The reader's limit on the header, as pixelcnn4j's (Safetensors.MAX_HEADER_BYTES).
MAX_HEADER_BYTES = 100 * 1024 * 1024


def read(path):
    """Returns (metadata, {name: float32 numpy array}, data section), checking the layout."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: truncated, no 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} is corrupt or exceeds the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    tensors, spans = {}, []
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {entry['dtype']}; this reader takes F32 only")
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        if end - begin != 4 * math.prod(shape) or end > len(data):
            raise ValueError(f"{path}: {name}: data_offsets {begin}..{end} do not fit shape {shape}")
        tensors[name] = np.frombuffer(data, dtype="<f4", count=math.prod(shape), offset=begin).reshape(shape)
        spans.append((begin, end, name))
    at = 0
    for begin, end, name in sorted(spans):
        if begin != at:
            raise ValueError(f"{path}: {name} starts at {begin}, expected {at} (gap or overlap)")
        at = end
    if at != len(data):
        raise ValueError(f"{path}: data section has {len(data)} bytes, tensors cover {at}")
    return metadata, tensors, data


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    """CRC32C (Castagnoli), as java.util.zip.CRC32C computes it."""
    try:
        import crc32c as fast  # optional: pip install crc32c

        return fast.crc32c(data)
    except ImportError:
        pass
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def read_metadata(path):
    """The metadata, {key: value} of strings."""
    return read(path)[0]


def load_file(path, numpy=False):
    """{name: tensor}: torch tensors (float32, writable copies) when torch is installed."""
    _, tensors, _ = read(path)
    if not numpy:
        try:
            import torch
        except ImportError:
            numpy = True
    if numpy:
        return {name: array.copy() for name, array in tensors.items()}
    return {name: torch.from_numpy(array.copy()) for name, array in tensors.items()}


def save_file(tensors, path, metadata=None):
    """Writes {name: float32 tensor or array} and {key: str} metadata, atomically (temporary
    file, then rename), tensors in name order like safetensors.torch.save_file."""
    arrays = {}
    for name, t in tensors.items():
        array = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
        if array.dtype != np.float32:
            raise ValueError(f"{name}: dtype {array.dtype}; convert to float32 first (.float())")
        arrays[name] = np.ascontiguousarray(array, dtype="<f4")
    header, offset = {}, 0
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("metadata keys and values must be strings")
        header["__metadata__"] = dict(metadata)
    for name in sorted(arrays):
        size = arrays[name].nbytes
        header[name] = {"dtype": "F32", "shape": list(arrays[name].shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for name in sorted(arrays):
                f.write(arrays[name].tobytes())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
