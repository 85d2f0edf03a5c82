#!/usr/bin/env python3
"""Writes the seed of fuzz-whisper-model-file: the smallest whisper.cpp model file that os1's
check accepts, one encoder and one decoder layer whose 50 tensors hold one float each, four mel
filters of three bins and two tokens. Usage: make-whisper-seed.py OUT"""
import struct
import sys

out = struct.pack("<I", 0x67676D6C)
# n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state,
# n_text_head, n_text_layer, n_mels, ftype
out += struct.pack("<11i", 51864, 1500, 1, 1, 1, 448, 1, 1, 1, 4, 0)
out += struct.pack("<2i", 4, 3) + struct.pack("<12f", *([0.25] * 12))
tokens = [b"hi", b" the"]
out += struct.pack("<i", len(tokens))
for token in tokens:
    out += struct.pack("<I", len(token)) + token

names = ["encoder.positional_embedding", "encoder.conv1.weight", "encoder.conv1.bias", "encoder.conv2.weight",
         "encoder.conv2.bias", "encoder.ln_post.weight", "encoder.ln_post.bias"]
block = ["mlp_ln.weight", "mlp_ln.bias", "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias",
         "attn_ln.weight", "attn_ln.bias", "attn.query.weight", "attn.query.bias", "attn.key.weight",
         "attn.value.weight", "attn.value.bias", "attn.out.weight", "attn.out.bias"]
names += ["encoder.blocks.0." + name for name in block]
names += ["decoder.positional_embedding", "decoder.token_embedding.weight", "decoder.ln.weight", "decoder.ln.bias"]
names += ["decoder.blocks.0." + name for name in block]
names += ["decoder.blocks.0.cross_" + name for name in block if name.startswith("attn")]
assert len(names) == 7 + 15 + 4 + 24
for name in names:
    encoded = name.encode()
    out += struct.pack("<3i", 1, len(encoded), 0) + struct.pack("<i", 1) + encoded + struct.pack("<f", 1.0)

with open(sys.argv[1], "wb") as f:
    f.write(out)
