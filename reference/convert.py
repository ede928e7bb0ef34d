#!/usr/bin/python3
"""Converts seqnn checkpoints (safetensors, Keras names and layouts) to and from PyTorch
state_dicts of the tutorial's models as bench/torch_epoch.py defines them.

    /usr/bin/python3 reference/convert.py to-torch   lstm-07-0.00123.safetensors lstm.pt
    /usr/bin/python3 reference/convert.py from-torch lstm.pt lstm.safetensors --model lstm
    /usr/bin/python3 reference/convert.py to-torch   out/dataset.safetensors dataset.pt

A prepared dataset (demo prepare's dataset.safetensors, format seqnn-dataset) converts
to a dict {"tensors": {name: tensor}, "metadata": {key: value}}: series/time (int64, Unix
seconds), series/close (USD), train/x, train/y, val/x, val/y (scaled, float64) and
train/start, val/start (int64), with the scaler's scale_min and scale_max among the
metadata (USD = scaled * (scale_max - scale_min) + scale_min).

The mapping, layer by layer (README.md, "Weights in and out", has the same table):

    seqnn / Keras                     PyTorch
    lstm/kernel            (F, 4H)    rnn.weight_ih_l0  (4H, F)   transposed; gates i,f,c,o = i,f,g,o
    lstm/recurrent_kernel  (H, 4H)    rnn.weight_hh_l0  (4H, H)   transposed
    lstm/bias              (4H)       rnn.bias_ih_l0 + rnn.bias_hh_l0 (only the sum matters;
                                      to-torch puts it all in bias_ih and zeros in bias_hh)
    gru/kernel             (F, 3H)    rnn.weight_ih_l0  (3H, F)   transposed; gates z,r,h <-> r,z,n
    gru/recurrent_kernel   (H, 3H)    rnn.weight_hh_l0  (3H, H)   transposed, reordered
    gru/bias               (2, 3H)    [bias_ih_l0; bias_hh_l0]    reordered (reset_after only:
                                      Keras 2.1.1's reset-before GRU has no PyTorch twin)
    dense/kernel           (I, O)     dense.weight (O, I)         transposed
    dense/bias             (O)        dense.bias
    conv1d/kernel          (K, C, O)  c1.weight (O, C, K)         axes reversed
    conv1d_1/kernel        (K, C, O)  c2.weight (O, C, K)

A checkpoint's metadata that says what its weights are, model, dataset (the SHA-256 of
the prepared dataset, or of the --windows files, it was trained on), convention and
dtype, travels with the weights: to-torch keeps it on the state_dict (an OrderedDict) as
its attribute seqnn_metadata, which torch.save and torch.load keep, and from-torch
writes it back, so that `demo predict --usd` can check the dataset it is given (the dtype
written is that of the tensors). A state_dict without it (one a model's state_dict()
returned) gives a file that records only its model; predict --usd then warns that it
cannot check the dataset. To keep it across training in PyTorch, set it on the new
state_dict: `sd2.seqnn_metadata = sd.seqnn_metadata`.

Weights move exactly; outputs agree only where the conventions do. PyTorch's LSTM and GRU
use sigmoid gates, so a model trained with Keras 2.1.1's hard_sigmoid computes different
numbers in PyTorch even with identical weights.

safetensors is read and written here with the standard library (the format is an 8-byte
little-endian header length, a JSON header, then the raw little-endian tensors), so the
script needs only torch.
"""

import argparse
import collections
import json
import struct
import sys

import torch

# Every safetensors dtype that torch 1.13 holds; seqnn writes F32 and F64 weights and
# I64 times and window starts in datasets.
DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
          "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32,
          "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
NAMES = {t: n for n, t in DTYPES.items()}
TORCH_MODULE = {"lstm": "rnn", "gru": "rnn", "dense": "dense", "conv1d": "c1", "conv1d_1": "c2"}
# The checkpoint metadata that says what the weights are, carried through to-torch and
# from-torch (the other keys describe the training run, not the weights).
CARRIED = ("model", "dataset", "convention", "dtype")
FLOAT_NAMES = {torch.float32: "float32", torch.float64: "float64"}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        (n,) = struct.unpack("<Q", raw[:8])
        if 8 + n > len(raw):
            raise ValueError(f"its header describes {8 + n} bytes, it holds {len(raw)}")
        header = json.loads(raw[8:8 + n])
    except (struct.error, ValueError, UnicodeDecodeError) as e:
        sys.exit(f"{path}: not a safetensors file, or a truncated one ({e}); give a "
                 "checkpoint, a dataset.safetensors or a file this script wrote")
    meta = header.pop("__metadata__", {})
    body = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        if info["dtype"] not in DTYPES:
            sys.exit(f"{path}: tensor {name!r} is {info['dtype']}, a dtype this script "
                     f"does not read (it reads {', '.join(DTYPES)})")
        dtype = DTYPES[info["dtype"]]
        if end == begin:  # torch.frombuffer refuses an empty buffer
            t = torch.empty(0, dtype=dtype)
        else:
            t = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, meta


def write_safetensors(path, tensors, meta):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        if t.dtype == torch.bfloat16:  # numpy has no bfloat16: its bits as int16
            b = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            b = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if meta:
        header["__metadata__"] = {k: str(v) for k, v in meta.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # align the body to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def zr_swap(w, H):
    """Swaps the first two gate blocks along dim 0: z,r,h <-> r,z,n (an involution)."""
    return torch.cat([w[H:2 * H], w[:H], w[2 * H:]], dim=0)


def to_torch(keras):
    sd = {}
    for name, w in keras.items():
        if name.startswith("optimizer/"):
            continue  # a checkpoint's Adam moments: not part of the model
        layer, weight = name.split("/")
        if layer not in TORCH_MODULE:
            sys.exit(f"{name}: no PyTorch mapping for layer {layer!r} "
                     f"(known: {', '.join(TORCH_MODULE)})")
        mod, kind = TORCH_MODULE[layer], layer.split("_")[0]
        if kind == "lstm":
            if weight == "kernel":
                sd[f"{mod}.weight_ih_l0"] = w.t()
            elif weight == "recurrent_kernel":
                sd[f"{mod}.weight_hh_l0"] = w.t()
            else:
                sd[f"{mod}.bias_ih_l0"] = w.clone()
                sd[f"{mod}.bias_hh_l0"] = torch.zeros_like(w)
        elif kind == "gru":
            H = w.shape[-1] // 3
            if weight == "bias":
                if w.dim() != 2:
                    sys.exit(f"{name}: a reset-before GRU (bias {list(w.shape)}) has no "
                             "PyTorch equivalent; train with the reset-after GRU "
                             "(demo train --convention pytorch)")
                sd[f"{mod}.bias_ih_l0"] = zr_swap(w[0], H)
                sd[f"{mod}.bias_hh_l0"] = zr_swap(w[1], H)
            else:
                key = "weight_ih_l0" if weight == "kernel" else "weight_hh_l0"
                sd[f"{mod}.{key}"] = zr_swap(w.t(), H)
        elif kind == "dense":
            sd[f"{mod}.weight" if weight == "kernel" else f"{mod}.bias"] = (
                w.t() if weight == "kernel" else w.clone())
        else:  # conv1d
            sd[f"{mod}.weight" if weight == "kernel" else f"{mod}.bias"] = (
                w.permute(2, 1, 0) if weight == "kernel" else w.clone())
    return {k: v.contiguous() for k, v in sd.items()}


def from_torch(sd, model):
    keras = {}
    if model in ("lstm", "gru"):
        if model == "lstm":
            keras["lstm/kernel"] = sd["rnn.weight_ih_l0"].t()
            keras["lstm/recurrent_kernel"] = sd["rnn.weight_hh_l0"].t()
            keras["lstm/bias"] = sd["rnn.bias_ih_l0"] + sd["rnn.bias_hh_l0"]
        else:
            H = sd["rnn.weight_hh_l0"].shape[1]
            keras["gru/kernel"] = zr_swap(sd["rnn.weight_ih_l0"], H).t()
            keras["gru/recurrent_kernel"] = zr_swap(sd["rnn.weight_hh_l0"], H).t()
            keras["gru/bias"] = torch.stack([zr_swap(sd["rnn.bias_ih_l0"], H),
                                             zr_swap(sd["rnn.bias_hh_l0"], H)])
        keras["dense/kernel"] = sd["dense.weight"].t()
        keras["dense/bias"] = sd["dense.bias"]
    elif model == "cnn":
        keras["conv1d/kernel"] = sd["c1.weight"].permute(2, 1, 0)
        keras["conv1d/bias"] = sd["c1.bias"]
        keras["conv1d_1/kernel"] = sd["c2.weight"].permute(2, 1, 0)
        keras["conv1d_1/bias"] = sd["c2.bias"]
    else:
        sys.exit(f"unknown model {model!r}: want lstm, gru or cnn")
    return {k: v.contiguous() for k, v in keras.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("direction", choices=["to-torch", "from-torch"])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--model", choices=["lstm", "gru", "cnn"],
                    help="the model a state_dict holds (from-torch only; default: the "
                    "one to-torch recorded on it)")
    args = ap.parse_args()
    if args.direction == "to-torch":
        tensors, meta = read_safetensors(args.src)
        if meta.get("format") == "seqnn-dataset":
            torch.save({"tensors": tensors, "metadata": meta}, args.dst)
        else:
            sd = collections.OrderedDict(sorted(to_torch(tensors).items()))
            sd.seqnn_metadata = {k: meta[k] for k in CARRIED if meta.get(k)}
            torch.save(sd, args.dst)
    else:
        sd = torch.load(args.src)
        carried = getattr(sd, "seqnn_metadata", None) or {}
        recorded = carried.get("model")
        if args.model and recorded and args.model != recorded:
            sys.exit(f"--model {args.model}: {args.src} records model {recorded} (from the "
                     f"checkpoint to-torch read); leave out --model, or give a state_dict "
                     f"of the {args.model} model")
        model = args.model or recorded
        if not model:
            sys.exit(f"from-torch needs --model lstm|gru|cnn: {args.src} records no model")
        keras = from_torch(sd, model)
        meta = {k: v for k, v in carried.items() if k in CARRIED}
        meta["model"] = model
        dtypes = {FLOAT_NAMES.get(t.dtype) for t in keras.values()}
        meta.pop("dtype", None)
        if len(dtypes) == 1 and None not in dtypes:
            meta["dtype"] = dtypes.pop()
        write_safetensors(args.dst, keras, meta)


if __name__ == "__main__":
    main()
