#!/usr/bin/python3
"""The PyTorch + cuDNN side of cuda/device-check.sh's benchmarks.

It mirrors bench/torch_epoch.py on device 'cuda' with torch.backends.cudnn enabled: the
tutorial's three models, one training epoch each (107 batches of 8 windows: forward,
MSE, backward, Adam step; then the loss over 214 validation windows in batches of 8),
float32. It also times one forward and backward of a wide LSTM and GRU (B 256, T 256,
F 512, H 512), and a 4096^3 float32 torch.matmul (cuBLAS), the shapes of the Go
benchmarks BenchmarkEpoch, BenchmarkLarge and BenchmarkGemm4096.

Each job runs twice to warm up, then `--rounds` times, each timed with
torch.cuda.synchronize() on both sides; it prints one line per job:

    torch JOB median_ms min_ms

    python3 cuda/torch_cuda_epoch.py --rounds 5

Everything runs in full float32, as seqnn does: TF32 tensor-core math is turned off for
cuBLAS and cuDNN (PyTorch 1.12+ leaves it on for cuDNN by default, trading ten bits of
mantissa for speed). For scale, the wide LSTM and GRU are also timed with TF32 on, as
large/lstm-tf32 and large/gru-tf32.

The models differ from seqnn's as bench/torch_epoch.py says: PyTorch's LSTM and GRU use
the sigmoid gate and the reset-after GRU (cuDNN's forms), not Keras 2.1.1's
hard_sigmoid and reset-before; the work per step is the same.
"""

import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

# The tutorial's models and shapes are bench/torch_epoch.py's, the CPU peer's: one
# definition for both benchmarks.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import torch_epoch  # noqa: E402
from torch_epoch import CNNModel, GRUModel, LSTMModel  # noqa: E402

DEV = "cuda"


def make_epoch(model_cls):
    # The data sits on the GPU, as the Go benchmark's does not: seqnn uploads each batch
    # inside TrainStep, which the Go figure includes; here the batch is already there. The
    # loss comes back to the host every step, as in seqnn.
    return torch_epoch.make_epoch(model_cls, DEV, host_loss=True)


def make_large(rnn_cls):
    b, t, f, h = 256, 256, 512, 512
    rnn = rnn_cls(f, h, batch_first=True).to(DEV)
    g = torch.Generator().manual_seed(2)
    x = torch.rand(b, t, f, generator=g).to(DEV)
    dy = torch.rand(b, t, h, generator=g).to(DEV)

    def step():
        rnn.zero_grad()
        out, _ = rnn(x)
        out.backward(dy)  # the whole sequence's gradient, as BenchmarkLarge passes
    return step


def make_matmul():
    n = 4096
    g = torch.Generator().manual_seed(3)
    a = torch.rand(n, n, generator=g).to(DEV)

    def step():
        torch.matmul(a, a)
    return step


def with_tf32(step):
    """step with cuDNN's TF32 tensor-core math on, PyTorch's default, for comparison."""
    def run():
        torch.backends.cudnn.allow_tf32 = True
        try:
            step()
        finally:
            torch.backends.cudnn.allow_tf32 = False
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch: CUDA unavailable", flush=True)
        return 1
    torch.backends.cudnn.enabled = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False  # full float32, as seqnn's kernels
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    print("torch", torch.__version__, "cudnn", torch.backends.cudnn.version(),
          torch.cuda.get_device_name(0), flush=True)
    jobs = [("epoch/cnn", make_epoch(CNNModel)), ("epoch/lstm", make_epoch(LSTMModel)),
            ("epoch/gru", make_epoch(GRUModel)), ("large/lstm", make_large(nn.LSTM)),
            ("large/gru", make_large(nn.GRU)), ("gemm4096", make_matmul()),
            ("large/lstm-tf32", with_tf32(make_large(nn.LSTM))),
            ("large/gru-tf32", with_tf32(make_large(nn.GRU)))]
    for name, job in jobs:
        for _ in range(2):
            job()
        times = []
        for _ in range(args.rounds):
            torch.cuda.synchronize()
            start = time.perf_counter()
            job()
            torch.cuda.synchronize()
            times.append((time.perf_counter() - start) * 1e3)
        print(f"torch {name} {statistics.median(times):.3f} {min(times):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
