#!/usr/bin/python3
"""Writes the reference fixtures that seqnn's Go tests compare against.

Run with Debian's PyTorch (apt-get install python3-torch python3-numpy):

    /usr/bin/python3 reference/generate.py    # nn/testdata/reference/*.json, train/testdata/reference/*

Every fixture is float64 and deterministic: rerunning the script reproduces the files byte
for byte. Two kinds of reference:

- Keras 2.1.1 convention (hard_sigmoid recurrent activation, LSTM gates i,f,c,o, GRU gates
  z,r,h with the reset gate applied before the recurrent product, one bias vector): Keras
  itself is not installed here, so the forward equations of Keras 2.1.1's LSTM/GRU/Conv1D/
  Dense are written out below with torch tensors and differentiated by torch autograd.
- PyTorch convention (sigmoid, GRU reset after the recurrent product, two bias vectors,
  gates i,f,g,o and r,z,n): torch.nn.LSTM, torch.nn.GRU and torch.nn.Conv1d themselves,
  their weights then mapped to seqnn's Keras layout as written in to_keras_* below.

Each fixture holds the layer's configuration, the input x (B, in...), the weights in Keras
layout and names, the output y, a target and the MSE loss of y against it, the gradient of
that loss with respect to x and every weight, and, for the Adam fixtures, the weights after
several optimizer steps on that loss.

Training fixtures (train/testdata/reference/, see training_fixtures below): the tutorial's
whole models trained for 2 epochs on a windows CSV, for `demo train --init --windows
--no-shuffle --no-dropout` to reproduce step for step.
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert import from_torch, to_torch, write_safetensors  # noqa: E402

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nn", "testdata",
                   "reference")
TRAIN_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train",
                         "testdata", "reference")


def hard_sigmoid(x):
    # Keras 2.1.1 backend (TensorFlow): clip(0.2x + 0.5, 0, 1).
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


ACT = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": hard_sigmoid,
}


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def mse(y, target):
    return ((y - target) ** 2).mean()


# --- Keras 2.1.1 equations --------------------------------------------------------------


def keras_lstm(x, kernel, rec, bias, rec_act, act="tanh"):
    """x (B, T, F); kernel (F, 4H); rec (H, 4H); bias (4H); gates i, f, c, o."""
    B, T, _ = x.shape
    H = rec.shape[0]
    ra, a = ACT[rec_act], ACT[act]
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    for t in range(T):
        z = x[:, t] @ kernel + h @ rec + bias
        i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        c = ra(f) * c + ra(i) * a(g)
        h = ra(o) * a(c)
    return h


def keras_gru(x, kernel, rec, bias, rec_act, reset_after, act="tanh"):
    """x (B, T, F); kernel (F, 3H); rec (H, 3H); gates z, r, h.

    bias is (3H) when reset_after is false (Keras 2.1.1), (2, 3H) otherwise (Keras 2.2's
    reset_after layout: row 0 input bias, row 1 recurrent bias)."""
    B, T, _ = x.shape
    H = rec.shape[0]
    ra, a = ACT[rec_act], ACT[act]
    h = x.new_zeros(B, H)
    for t in range(T):
        if not reset_after:
            xp = x[:, t] @ kernel + bias
            z = ra(xp[:, :H] + h @ rec[:, :H])
            r = ra(xp[:, H:2 * H] + h @ rec[:, H:2 * H])
            hh = a(xp[:, 2 * H:] + (r * h) @ rec[:, 2 * H:])
        else:
            xp = x[:, t] @ kernel + bias[0]
            hp = h @ rec + bias[1]
            z = ra(xp[:, :H] + hp[:, :H])
            r = ra(xp[:, H:2 * H] + hp[:, H:2 * H])
            hh = a(xp[:, 2 * H:] + r * hp[:, 2 * H:])
        h = z * h + (1 - z) * hh
    return h


def keras_conv1d(x, kernel, bias, stride, act):
    """x (B, T, C) channels last; kernel (K, C, O); valid padding."""
    w = kernel.permute(2, 1, 0)  # (O, C, K), torch's layout
    y = F.conv1d(x.transpose(1, 2), w, bias, stride=stride)
    return ACT[act](y.transpose(1, 2))


def keras_dense(x, kernel, bias, act):
    return ACT[act](x @ kernel + bias)


# --- PyTorch modules mapped to Keras layout ---------------------------------------------


def to_keras_lstm(m):
    """nn.LSTM (gates i,f,g,o) -> Keras: kernel = W_ih^T (F,4H), recurrent_kernel = W_hh^T
    (H,4H), bias = b_ih + b_hh (one vector: only the sum enters the equations)."""
    return {
        "kernel": m.weight_ih_l0.detach().t(),
        "recurrent_kernel": m.weight_hh_l0.detach().t(),
        "bias": (m.bias_ih_l0 + m.bias_hh_l0).detach(),
    }


def rz_to_zr(w, H):
    """Reorders PyTorch's GRU gate blocks r,z,n along dim 0 into Keras's z,r,h."""
    return torch.cat([w[H:2 * H], w[:H], w[2 * H:]], dim=0)


def to_keras_gru(m, H):
    """nn.GRU (gates r,z,n; reset after) -> Keras reset_after layout: kernel (F,3H),
    recurrent_kernel (H,3H), bias (2,3H) = [b_ih; b_hh], all reordered to z,r,h."""
    return {
        "kernel": rz_to_zr(m.weight_ih_l0.detach(), H).t(),
        "recurrent_kernel": rz_to_zr(m.weight_hh_l0.detach(), H).t(),
        "bias": torch.stack([rz_to_zr(m.bias_ih_l0.detach(), H),
                             rz_to_zr(m.bias_hh_l0.detach(), H)]),
    }


# --- fixtures ---------------------------------------------------------------------------


def record(name, layer, config, x, params, forward, steps=0):
    """Runs forward on leaf copies of x and params, backpropagates the MSE against a seeded
    target, optionally takes Adam steps, and writes the fixture."""
    x = x.clone().requires_grad_(True)
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    y = forward(x, leaves)
    g = torch.Generator().manual_seed(len(name))
    target = torch.rand(y.shape, generator=g)
    loss = mse(y, target)
    loss.backward()
    fx = {
        "name": name,
        "layer": layer,
        "config": config,
        "input_shape": list(x.shape[1:]),
        "batch": x.shape[0],
        "x": flat(x),
        "params": {k: {"shape": list(v.shape), "values": flat(v)} for k, v in leaves.items()},
        "y": flat(y),
        "output_shape": list(y.shape[1:]),
        "target": flat(target),
        "loss": float(loss),
        "dx": flat(x.grad),
        "grads": {k: flat(v.grad) for k, v in leaves.items()},
        "torch": torch.__version__,
    }
    write(name, fx)


def adam_fixture(name, form, steps=5):
    """A Dense(4, tanh) layer trained on a fixed batch for several Adam steps."""
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(3, 5, generator=gen)
    target = torch.rand(3, 4, generator=gen)
    kernel = (torch.rand(5, 4, generator=gen) - 0.5).requires_grad_(True)
    bias = (torch.rand(4, generator=gen) - 0.5).requires_grad_(True)
    start = {"kernel": flat(kernel), "bias": flat(bias)}
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    losses = []
    if form == "pytorch":
        opt = torch.optim.Adam([kernel, bias], lr=lr, betas=(b1, b2), eps=eps)
    m = [torch.zeros_like(kernel), torch.zeros_like(bias)]
    v = [torch.zeros_like(kernel), torch.zeros_like(bias)]
    for t in range(1, steps + 1):
        loss = mse(torch.tanh(x @ kernel + bias), target)
        losses.append(float(loss))
        if form == "pytorch":
            opt.zero_grad()
            loss.backward()
            opt.step()
            continue
        kernel.grad = bias.grad = None
        loss.backward()
        # Keras 2.1.1: lr_t = lr·sqrt(1-β2ᵗ)/(1-β1ᵗ); p -= lr_t·m/(sqrt(v)+ε).
        lr_t = lr * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t)
        with torch.no_grad():
            for i, p in enumerate([kernel, bias]):
                m[i] = b1 * m[i] + (1 - b1) * p.grad
                v[i] = b2 * v[i] + (1 - b2) * p.grad ** 2
                p -= lr_t * m[i] / (v[i].sqrt() + eps)
    write(name, {
        "name": name, "form": form, "lr": lr, "beta1": b1, "beta2": b2, "epsilon": eps,
        "steps": steps, "x": flat(x), "target": flat(target), "input": 5, "units": 4,
        "start": start, "losses": losses,
        "after": {"kernel": flat(kernel), "bias": flat(bias)},
        "torch": torch.__version__,
    })


def write(name, fx):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(fx, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")


def uniform(gen, shape, scale):
    return (torch.rand(shape, generator=gen) * 2 - 1) * scale


def lstm_fixtures():
    for B, T, F_, H, tag in [(3, 7, 2, 5, "odd"), (8, 256, 1, 50, "tutorial")]:
        for rec_act in ["hard_sigmoid", "sigmoid"]:
            gen = torch.Generator().manual_seed(B * 1000 + T)
            x = torch.randn(B, T, F_, generator=gen)
            params = {
                "kernel": uniform(gen, (F_, 4 * H), (6 / (F_ + 4 * H)) ** 0.5),
                "recurrent_kernel": uniform(gen, (H, 4 * H), 1 / H ** 0.5),
                "bias": uniform(gen, (4 * H,), 0.3),
            }
            record(f"lstm_keras_{rec_act}_{tag}", "lstm",
                   {"units": H, "recurrent_activation": rec_act, "convention": "keras"},
                   x, params,
                   lambda x, p, ra=rec_act: keras_lstm(x, p["kernel"], p["recurrent_kernel"],
                                                       p["bias"], ra))

        # PyTorch's own nn.LSTM, weights mapped to Keras layout.
        torch.manual_seed(B + T)
        m = torch.nn.LSTM(F_, H, batch_first=True)
        gen = torch.Generator().manual_seed(B * 7 + T)
        x = torch.randn(B, T, F_, generator=gen)
        params = to_keras_lstm(m)

        def run_torch(x, p, m=m, H=H):
            # The leaves p carry the gradients; write them back into the module's layout
            # (one bias: b_ih = bias, b_hh = 0, the sum being all that matters).
            out = torch._VF.lstm(x, (x.new_zeros(1, x.shape[0], H),
                                        x.new_zeros(1, x.shape[0], H)),
                                    [p["kernel"].t(), p["recurrent_kernel"].t(), p["bias"],
                                     torch.zeros_like(p["bias"])],
                                    True, 1, 0.0, False, False, True)[0]
            return out[:, -1]

        # Check the mapped weights reproduce the module before recording.
        ref, _ = m(x)
        check = run_torch(x, params)
        assert torch.allclose(ref[:, -1], check, rtol=0, atol=1e-14), "LSTM mapping"
        record(f"lstm_pytorch_{tag}", "lstm",
               {"units": H, "recurrent_activation": "sigmoid", "convention": "pytorch"},
               x, params, run_torch)


def gru_fixtures():
    for B, T, F_, H, tag in [(3, 7, 2, 5, "odd"), (8, 256, 1, 50, "tutorial")]:
        for rec_act in ["hard_sigmoid", "sigmoid"]:
            for reset_after in [False, True]:
                gen = torch.Generator().manual_seed(B * 1000 + T + reset_after)
                x = torch.randn(B, T, F_, generator=gen)
                bshape = (2, 3 * H) if reset_after else (3 * H,)
                params = {
                    "kernel": uniform(gen, (F_, 3 * H), (6 / (F_ + 3 * H)) ** 0.5),
                    "recurrent_kernel": uniform(gen, (H, 3 * H), 1 / H ** 0.5),
                    "bias": uniform(gen, bshape, 0.3),
                }
                ra_tag = "reset_after" if reset_after else "reset_before"
                record(f"gru_keras_{rec_act}_{ra_tag}_{tag}", "gru",
                       {"units": H, "recurrent_activation": rec_act,
                        "reset_after": reset_after, "convention": "keras"},
                       x, params,
                       lambda x, p, ra=rec_act, rf=reset_after: keras_gru(
                           x, p["kernel"], p["recurrent_kernel"], p["bias"], ra, rf))

        torch.manual_seed(B + T + 1)
        m = torch.nn.GRU(F_, H, batch_first=True)
        gen = torch.Generator().manual_seed(B * 7 + T + 1)
        x = torch.randn(B, T, F_, generator=gen)
        params = to_keras_gru(m, H)

        def run_torch(x, p, H=H):
            def back(w):  # Keras z,r,h -> PyTorch r,z,n along dim 0
                return torch.cat([w[H:2 * H], w[:H], w[2 * H:]], dim=0)
            out, _ = torch._VF.gru(x, x.new_zeros(1, x.shape[0], H),
                                   [back(p["kernel"].t()), back(p["recurrent_kernel"].t()),
                                    back(p["bias"][0]), back(p["bias"][1])],
                                   True, 1, 0.0, False, False, True)
            return out[:, -1]

        ref, _ = m(x)
        assert torch.allclose(ref[:, -1], run_torch(x, params), rtol=0, atol=1e-14), "GRU"
        record(f"gru_pytorch_{tag}", "gru",
               {"units": H, "recurrent_activation": "sigmoid", "reset_after": True,
                "convention": "pytorch"},
               x, params, run_torch)


def conv_fixtures():
    # (name, B, T, [(filters, kernel, stride, activation), ...]) — the tutorial's 256->79->16
    # and the original project's 3- and 4-layer CNNs, 256->83->38->16 and
    # 256->128->64->32->16, plus odd shapes.
    stacks = [
        ("odd_k3_s1", 3, 11, 2, [(5, 3, 1, "linear")]),
        ("odd_k4_s3", 3, 17, 3, [(4, 4, 3, "relu")]),
        ("odd_k5_s2", 2, 9, 1, [(3, 5, 2, "tanh")]),
        ("tutorial", 8, 256, 1, [(8, 20, 3, "relu"), (1, 16, 4, "linear")]),
        ("cnn3", 8, 256, 1, [(8, 8, 3, "relu"), (8, 8, 2, "relu"), (1, 8, 2, "linear")]),
        ("cnn4", 8, 256, 1, [(8, 2, 2, "relu"), (8, 2, 2, "relu"), (8, 2, 2, "relu"),
                             (1, 2, 2, "linear")]),
    ]
    for tag, B, T, C, layers in stacks:
        gen = torch.Generator().manual_seed(T * 31 + C)
        x = torch.rand(B, T, C, generator=gen)
        params = {}
        c = C
        for i, (o, k, s, _) in enumerate(layers):
            name = "conv1d" if i == 0 else f"conv1d_{i}"
            limit = (6 / (k * c + k * o)) ** 0.5
            params[name + "/kernel"] = uniform(gen, (k, c, o), limit)
            params[name + "/bias"] = uniform(gen, (o,), 0.1)
            c = o

        def fwd(x, p, layers=layers):
            for i, (_, _, s, act) in enumerate(layers):
                name = "conv1d" if i == 0 else f"conv1d_{i}"
                x = keras_conv1d(x, p[name + "/kernel"], p[name + "/bias"], s, act)
            return x

        # The same stack through torch.nn.Conv1d modules, as a check of the layout mapping.
        xt = x.transpose(1, 2)
        for i, (o, k, s, act) in enumerate(layers):
            name = "conv1d" if i == 0 else f"conv1d_{i}"
            mod = torch.nn.Conv1d(xt.shape[1], o, k, stride=s)
            with torch.no_grad():
                mod.weight.copy_(params[name + "/kernel"].permute(2, 1, 0))
                mod.bias.copy_(params[name + "/bias"])
            xt = ACT[act](mod(xt))
        assert torch.allclose(xt.transpose(1, 2), fwd(x, params), rtol=0, atol=1e-14)
        record(f"conv1d_{tag}", "conv1d_stack",
               {"layers": [{"filters": o, "kernel": k, "stride": s, "activation": a}
                           for o, k, s, a in layers]},
               x, params, fwd)


def dense_and_activation_fixtures():
    gen = torch.Generator().manual_seed(5)
    for act in ["linear", "relu", "tanh", "sigmoid", "hard_sigmoid"]:
        x = torch.randn(3, 7, generator=gen) * 2
        params = {"kernel": uniform(gen, (7, 5), 0.7), "bias": uniform(gen, (5,), 0.2)}
        record(f"dense_{act}", "dense", {"units": 5, "activation": act}, x, params,
               lambda x, p, a=act: keras_dense(x, p["kernel"], p["bias"], a))
    for act in ["relu", "tanh", "sigmoid", "hard_sigmoid"]:
        x = torch.randn(4, 9, generator=gen) * 3
        record(f"activation_{act}", "activation", {"activation": act}, x, {},
               lambda x, p, a=act: ACT[a](x))
    x = torch.randn(4, 9, generator=gen) * 3
    record("leaky_relu", "leaky_re_lu", {"alpha": 0.3}, x, {},
           lambda x, p: F.leaky_relu(x, 0.3))
    # Dropout at inference is the identity (Keras and PyTorch both scale at training time).
    x = torch.randn(3, 6, generator=gen)
    drop = torch.nn.Dropout(0.5).eval()
    record("dropout_inference", "dropout", {"rate": 0.5}, x, {}, lambda x, p: drop(x))


# --- training fixtures ------------------------------------------------------------------
#
# The tutorial's models (nn/models.go) trained as `demo train --windows windows.csv --init
# <model>_<convention>-init.safetensors --no-shuffle --no-dropout --batch 8 --epochs 2
# --dtype float64 --convention C --adam-form C` trains them: 20 windows in order, batches
# of 8, 8 and 4, the MSE over each batch, one Adam step per batch (lr 0.001, β 0.9/0.999,
# ε 1e-8), dropout off. Per model and convention it writes the initial weights, the
# weights after each epoch (Keras names and layouts, F64), and a JSON file with the epoch
# losses as Keras's BaseLogger reports them (mean of batch losses weighted by batch size,
# taken while the weights change) and the loss over all windows after each epoch.
#
# Keras convention: the Keras 2.1.1 equations above (hard_sigmoid, GRU reset before)
# and Keras 2.1.1's Adam written out by hand. PyTorch convention: torch.nn.LSTM,
# torch.nn.GRU (sigmoid, reset after), torch.nn.Conv1d and torch.nn.Linear themselves,
# trained by torch.optim.Adam, their weights mapped with reference/convert.py. The LSTM's
# bias_hh_l0 is held at zero (requires_grad off): seqnn's LSTM has one bias, Keras's,
# and Adam on two biases with the same gradient moves their sum twice as far.

N_WINDOWS, IN, OUT_STEPS, BATCH, EPOCHS = 20, 256, 16, 8, 2
LR, BETA1, BETA2, EPS = 0.001, 0.9, 0.999, 1e-8
H = 50


def training_windows():
    """20 random walks of 272 steps, scaled together into [0, 1]."""
    gen = torch.Generator().manual_seed(2017)
    walk = torch.randn(N_WINDOWS, IN + OUT_STEPS, generator=gen).cumsum(1)
    return (walk - walk.min()) / (walk.max() - walk.min())


def initial_weights(model, convention):
    """Keras-layout weights drawn from a seeded generator, Keras-like scales, non-zero
    biases so that every bias is exercised."""
    gen = torch.Generator().manual_seed({"cnn": 1, "lstm": 2, "gru": 3}[model] * 10 +
                                        (convention == "pytorch"))
    if model == "cnn":
        return {
            "conv1d/kernel": uniform(gen, (20, 1, 8), (6 / (20 + 160)) ** 0.5),
            "conv1d/bias": uniform(gen, (8,), 0.1),
            "conv1d_1/kernel": uniform(gen, (16, 8, 1), (6 / (128 + 16)) ** 0.5),
            "conv1d_1/bias": uniform(gen, (1,), 0.1),
        }
    gates = 4 if model == "lstm" else 3
    bias = (2, gates * H) if model == "gru" and convention == "pytorch" else (gates * H,)
    return {
        f"{model}/kernel": uniform(gen, (1, gates * H), (6 / (1 + gates * H)) ** 0.5),
        f"{model}/recurrent_kernel": uniform(gen, (H, gates * H), 1 / H ** 0.5),
        f"{model}/bias": uniform(gen, bias, 0.2),
        "dense/kernel": uniform(gen, (H, OUT_STEPS), (6 / (H + OUT_STEPS)) ** 0.5),
        "dense/bias": uniform(gen, (OUT_STEPS,), 0.1),
    }


def keras_tutorial(model, p, x):
    """The tutorial model in the Keras 2.1.1 equations, dropout off; x (B, 256)."""
    xs = x.unsqueeze(-1)
    if model == "cnn":
        h = keras_conv1d(xs, p["conv1d/kernel"], p["conv1d/bias"], 3, "relu")
        return keras_conv1d(h, p["conv1d_1/kernel"], p["conv1d_1/bias"], 4,
                            "linear").reshape(len(x), -1)
    if model == "lstm":
        h = keras_lstm(xs, p["lstm/kernel"], p["lstm/recurrent_kernel"], p["lstm/bias"],
                       "hard_sigmoid")
        return F.leaky_relu(keras_dense(h, p["dense/kernel"], p["dense/bias"], "linear"), 0.3)
    h = keras_gru(xs, p["gru/kernel"], p["gru/recurrent_kernel"], p["gru/bias"],
                  "hard_sigmoid", False)
    return keras_dense(torch.tanh(h), p["dense/kernel"], p["dense/bias"], "relu")


class TorchTutorial(torch.nn.Module):
    """The tutorial model from torch.nn modules, named as reference/convert.py maps them
    (rnn, dense, c1, c2); dropout is left out, as training runs without it."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        if model == "cnn":
            self.c1 = torch.nn.Conv1d(1, 8, 20, stride=3)
            self.c2 = torch.nn.Conv1d(8, 1, 16, stride=4)
            return
        rnn = torch.nn.LSTM if model == "lstm" else torch.nn.GRU
        self.rnn = rnn(1, H, batch_first=True)
        self.dense = torch.nn.Linear(H, OUT_STEPS)

    def forward(self, x):  # x (B, 256)
        xs = x.unsqueeze(-1)
        if self.model == "cnn":
            return self.c2(torch.relu(self.c1(xs.transpose(1, 2)))).reshape(len(x), -1)
        h = self.rnn(xs)[0][:, -1]
        if self.model == "lstm":
            return F.leaky_relu(self.dense(h), 0.3)
        return torch.relu(self.dense(torch.tanh(h)))


def train_tutorial(model, convention, x, y):
    """Trains from initial_weights; returns the initial weights, the weights after each
    epoch (Keras layout), the epoch losses and the losses over all windows after each."""
    init = initial_weights(model, convention)
    if convention == "keras":
        leaves = {k: v.clone().requires_grad_(True) for k, v in init.items()}
        params = list(leaves.values())
        m = [torch.zeros_like(p) for p in params]
        v = [torch.zeros_like(p) for p in params]
        step = 0

        def forward(xb):
            return keras_tutorial(model, leaves, xb)

        def update():
            # Keras 2.1.1: lr_t = lr·sqrt(1-β2ᵗ)/(1-β1ᵗ); p -= lr_t·m/(sqrt(v)+ε).
            nonlocal step
            step += 1
            lr_t = LR * (1 - BETA2 ** step) ** 0.5 / (1 - BETA1 ** step)
            with torch.no_grad():
                for i, p in enumerate(params):
                    m[i] = BETA1 * m[i] + (1 - BETA1) * p.grad
                    v[i] = BETA2 * v[i] + (1 - BETA2) * p.grad ** 2
                    p -= lr_t * m[i] / (v[i].sqrt() + EPS)
                    p.grad = None

        def weights():
            return {k: t.detach().clone() for k, t in leaves.items()}
    else:
        net = TorchTutorial(model)
        sd = {k: val for k, val in to_torch(init).items()}
        net.load_state_dict(sd)
        if model == "lstm":
            net.rnn.bias_hh_l0.requires_grad_(False)
        opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=LR,
                               betas=(BETA1, BETA2), eps=EPS)
        forward = net

        def update():
            opt.step()
            opt.zero_grad()

        def weights():
            w = from_torch({k: t.detach() for k, t in net.state_dict().items()}, model)
            return {k: t.clone() for k, t in w.items()}

        assert all(torch.equal(weights()[k], init[k]) for k in init), "weight mapping"

    epochs, losses, eval_losses = [], [], []
    for _ in range(EPOCHS):
        total = 0.0
        for s in range(0, N_WINDOWS, BATCH):
            loss = mse(forward(x[s:s + BATCH]), y[s:s + BATCH])
            loss.backward()
            update()
            total += float(loss) * len(x[s:s + BATCH])
        losses.append(total / N_WINDOWS)
        with torch.no_grad():
            eval_losses.append(float(mse(forward(x), y)))
        epochs.append(weights())
    return init, epochs, losses, eval_losses


def training_fixtures():
    os.makedirs(TRAIN_OUT, exist_ok=True)
    w = training_windows()
    with open(os.path.join(TRAIN_OUT, "windows.csv"), "w") as f:
        f.write(",".join([f"x{i}" for i in range(IN)] + [f"y{j}" for j in range(OUT_STEPS)]))
        f.write("\n")
        for row in w.tolist():
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    x, y = w[:, :IN], w[:, IN:]
    for model in ["cnn", "lstm", "gru"]:
        for convention in ["keras", "pytorch"]:
            name = f"{model}_{convention}"
            init, epochs, losses, eval_losses = train_tutorial(model, convention, x, y)
            meta = {"model": model, "convention": convention, "dtype": "float64"}
            write_safetensors(os.path.join(TRAIN_OUT, name + "-init.safetensors"), init, meta)
            for e, weights in enumerate(epochs, 1):
                write_safetensors(os.path.join(TRAIN_OUT, f"{name}-epoch{e}.safetensors"),
                                  weights, dict(meta, epoch=e))
            with open(os.path.join(TRAIN_OUT, name + ".json"), "w") as f:
                json.dump({"model": model, "convention": convention, "adam_form": convention,
                           "windows": N_WINDOWS, "batch": BATCH, "epochs": EPOCHS,
                           "lr": LR, "beta1": BETA1, "beta2": BETA2, "epsilon": EPS,
                           "loss": losses, "eval_loss": eval_losses,
                           "torch": torch.__version__},
                          f, sort_keys=True, separators=(",", ":"))
                f.write("\n")


def main():
    lstm_fixtures()
    gru_fixtures()
    conv_fixtures()
    dense_and_activation_fixtures()
    adam_fixture("adam_keras", "keras")
    adam_fixture("adam_pytorch", "pytorch")
    training_fixtures()
    print("wrote fixtures to", os.path.normpath(OUT), "and", os.path.normpath(TRAIN_OUT),
          file=sys.stderr)


if __name__ == "__main__":
    main()
