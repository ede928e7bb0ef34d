#!/usr/bin/python3
"""The PyTorch side of seqnn's side-by-side benchmark (bench/compare).

It builds the tutorial's three models in PyTorch with the shapes seqnn uses and times one
training epoch: 107 batches of 8 windows (forward, MSE, backward, Adam step) and a
validation pass over 214 windows, in float32. It also times one forward+backward of a
large LSTM/GRU (B=64, T=256, F=256, H=256).

It is driven over stdin/stdout so that the Go runner can alternate A B A B without paying
Python's start-up each time: each input line names a job ("lstm", "gru", "cnn",
"lstm-large", "gru-large"), and the script answers with one line, the job's wall-clock
seconds. Warm-up runs happen on "warm JOB" lines, answered with "ok".

    /usr/bin/python3 bench/torch_epoch.py --threads 2

PyTorch here is Debian's python3-torch 1.13 with libopenblas0-pthread installed, and
torch.set_flush_denormal(True): its GRU backward meets denormal floats and runs about 4x
slower without it.
"""

import argparse
import sys
import time

import torch
import torch.nn as nn

B, T, F, H, OUT = 8, 256, 1, 50, 16
TRAIN_BATCHES, VAL_WINDOWS = 107, 214


class LSTMModel(nn.Module):
    # LSTM(50) -> Dropout(0.8) -> Dense(16) -> LeakyReLU(0.3)
    def __init__(self, f=F, h=H):
        super().__init__()
        self.rnn = nn.LSTM(f, h, batch_first=True)
        self.drop = nn.Dropout(0.8)
        self.dense = nn.Linear(h, OUT)

    def forward(self, x):
        out, _ = self.rnn(x)
        return nn.functional.leaky_relu(self.dense(self.drop(out[:, -1])), 0.3)


class GRUModel(nn.Module):
    # GRU(50) -> tanh -> Dropout(0.2) -> Dense(16) -> ReLU
    def __init__(self, f=F, h=H):
        super().__init__()
        self.rnn = nn.GRU(f, h, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.dense = nn.Linear(h, OUT)

    def forward(self, x):
        out, _ = self.rnn(x)
        return torch.relu(self.dense(self.drop(torch.tanh(out[:, -1]))))


class CNNModel(nn.Module):
    # Conv1D(8, 20, stride 3, relu) -> Dropout(0.5) -> Conv1D(1, 16, stride 4)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(F, 8, 20, stride=3)
        self.drop = nn.Dropout(0.5)
        self.c2 = nn.Conv1d(8, 1, 16, stride=4)

    def forward(self, x):  # x (B, T, F), channels last as in Keras
        y = self.c2(self.drop(torch.relu(self.c1(x.transpose(1, 2)))))
        return y.transpose(1, 2)  # (B, 16, 1)


def make_epoch(model_cls, dev="cpu", host_loss=False):
    """One training epoch of model_cls on dev, with its data already there; host_loss
    brings every loss back to the host (.item()), as seqnn's GPU session does each step."""
    model = model_cls().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-8)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(TRAIN_BATCHES * B, T, F, generator=g).to(dev)
    y = torch.rand(TRAIN_BATCHES * B, OUT, generator=g).to(dev)
    xv = torch.rand(VAL_WINDOWS, T, F, generator=g).to(dev)
    yv = torch.rand(VAL_WINDOWS, OUT, generator=g).to(dev)
    if model_cls is CNNModel:
        y, yv = y.unsqueeze(-1), yv.unsqueeze(-1)
    loss_fn = nn.MSELoss()

    def epoch():
        model.train()
        for i in range(TRAIN_BATCHES):
            xb, yb = x[i * B:(i + 1) * B], y[i * B:(i + 1) * B]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            if host_loss:
                loss.item()
        model.eval()
        with torch.no_grad():
            for i in range(0, VAL_WINDOWS, B):
                loss = loss_fn(model(xv[i:i + B]), yv[i:i + B])
                if host_loss:
                    loss.item()
    return epoch


def make_large(rnn_cls):
    b, t, f, h = 64, 256, 256, 256
    rnn = rnn_cls(f, h, batch_first=True)
    g = torch.Generator().manual_seed(2)
    x = torch.rand(b, t, f, generator=g)

    def step():
        rnn.zero_grad()
        out, _ = rnn(x)
        out[:, -1].sum().backward()
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    jobs = {
        "lstm": make_epoch(LSTMModel),
        "gru": make_epoch(GRUModel),
        "cnn": make_epoch(CNNModel),
        "lstm-large": make_large(nn.LSTM),
        "gru-large": make_large(nn.GRU),
    }
    print("ready torch", torch.__version__, "threads", torch.get_num_threads(), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "warm":
            jobs[words[1]]()
            print("ok", flush=True)
            continue
        start = time.perf_counter()
        jobs[words[0]]()
        print(f"{time.perf_counter() - start:.6f}", flush=True)


if __name__ == "__main__":
    main()
