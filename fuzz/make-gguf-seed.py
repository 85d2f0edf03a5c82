#!/usr/bin/env python3
"""Writes the seed of fuzz-model-check: the smallest GGUF file that os1's model check accepts, a
llama with one layer, four heads and one 8x8 float tensor. Usage: make-gguf-seed.py OUT"""
import struct
import sys


def text(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def kv_string(key, value):
    return text(key) + struct.pack("<I", 8) + text(value)


def kv_u32(key, value):
    return text(key) + struct.pack("<I", 4) + struct.pack("<I", value)


kvs = [
    kv_string("general.architecture", "llama"),
    kv_string("general.name", "seed"),
    kv_u32("llama.block_count", 1),
    kv_u32("llama.embedding_length", 8),
    kv_u32("llama.attention.head_count", 4),
    kv_u32("llama.attention.head_count_kv", 2),
    kv_u32("llama.rope.dimension_count", 2),
]
# One tensor: name, dimensions, type 0 (F32), offset 0 in the data section.
tensors = [text("blk.0.attn_q.weight") + struct.pack("<I", 2) + struct.pack("<QQ", 8, 8) + struct.pack("<IQ", 0, 0)]

header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + b"".join(tensors)
header += b"\0" * (-len(header) % 32)  # the data section starts aligned to 32 bytes
data = struct.pack("<64f", *[i / 64 for i in range(64)])
with open(sys.argv[1], "wb") as out:
    out.write(header + data)
