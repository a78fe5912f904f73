# SPDX-License-Identifier: MIT
"""The benchmark workloads, PyTorch side: the same shapes and training step as
bench/workloads.cpp (forward + backward + clip_grad_norm(5) + Adam(1e-3); the
*_layer ones: the LSTM layer alone, forward + backward).

    python3 bench/torch_bench.py --workload lstm128 --steps 10 --warmup 3 --threads 1

prints that many per-step times as JSON. bench/run.py runs it in a fresh
process per setting, since OMP_WAIT_POLICY is read once, at start-up."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

B = 32


class CharLM(nn.Module):
    def __init__(self, H, user_cell):
        super().__init__()
        self.emb = nn.Embedding(65, 64)
        self.user_cell = user_cell
        if user_cell:  # the LSTM cell written with torch ops, Python loop over t
            self.W_ih = nn.Linear(64, 4 * H)
            self.W_hh = nn.Linear(H, 4 * H, bias=False)
        else:
            self.rnn = nn.LSTM(64, H)
        self.out = nn.Linear(H, 65)
        self.H = H

    def forward(self, x):
        e = self.emb(x)
        if not self.user_cell:
            return self.out(self.rnn(e)[0])
        h = e.new_zeros(x.shape[1], self.H)
        c = e.new_zeros(x.shape[1], self.H)
        outs = []
        for t in range(x.shape[0]):
            i, f, g, o = (self.W_ih(e[t]) + self.W_hh(h)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        return self.out(torch.stack(outs))


class Seq2Seq(nn.Module):
    V, E, H = 40, 32, 128

    def __init__(self):
        super().__init__()
        V, E, H = self.V, self.E, self.H
        self.src_emb, self.tgt_emb = nn.Embedding(V, E), nn.Embedding(V, E)
        self.encoder = nn.GRU(E, H)
        self.decoder = nn.GRUCell(E + H, H)
        self.W = nn.Parameter(torch.randn(H, H) * 0.1)  # Luong general: score = h . W a
        self.combine, self.out = nn.Linear(2 * H, H), nn.Linear(H, V)

    def forward(self, src, tgt_in):
        enc, h = self.encoder(self.src_emb(src))
        keys = enc.transpose(0, 1)  # [B, S, H]
        h = h[0]
        context = h.new_zeros(h.shape)
        inputs = self.tgt_emb(tgt_in)
        logits = []
        for t in range(tgt_in.shape[0]):
            h = self.decoder(torch.cat([inputs[t], context], 1), h)
            scores = torch.bmm(keys, (h @ self.W).unsqueeze(2)).squeeze(2)
            alpha = torch.softmax(scores, 1)
            context = torch.bmm(alpha.unsqueeze(1), keys).squeeze(1)
            logits.append(self.out(torch.tanh(self.combine(torch.cat([h, context], 1)))))
        return torch.stack(logits)


class Transformer(nn.Module):
    """nn.Transformer with embeddings, sinusoidal positions and an output layer:
    d_model 128, 4 heads, feed-forward 512, 2 + 2 layers, dropout 0.1."""
    V, E = 40, 128

    def __init__(self):
        super().__init__()
        V, E = self.V, self.E
        self.src_emb, self.tgt_emb = nn.Embedding(V, E), nn.Embedding(V, E)
        self.transformer = nn.Transformer(E, 4, 2, 2, 512, dropout=0.1)
        self.out = nn.Linear(E, V)
        t = torch.arange(64).unsqueeze(1).double()
        pe = torch.zeros(64, E, dtype=torch.float64)
        div = torch.pow(10000.0, torch.arange(0, E, 2).double() / E)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(t / div), torch.cos(t / div)
        self.register_buffer("pe", pe.float().unsqueeze(1))

    def forward(self, src, tgt_in, causal):
        x = self.src_emb(src) + self.pe[:src.shape[0]]
        y = self.tgt_emb(tgt_in) + self.pe[:tgt_in.shape[0]]
        return self.out(self.transformer(x, y, tgt_mask=causal))


class TransformerLM(nn.Module):
    """Decoder-only char-LM: learned positions, pre-norm GELU layers under a
    causal mask, d_model 128, 4 heads, feed-forward 512, 2 layers."""
    V, E = 65, 128

    def __init__(self, T):
        super().__init__()
        self.emb = nn.Embedding(self.V, self.E)
        self.pos = nn.Parameter(torch.randn(T, 1, self.E) * 0.02)
        layer = nn.TransformerEncoderLayer(self.E, 4, 512, dropout=0.1, activation="gelu", norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(self.E))
        self.out = nn.Linear(self.E, self.V)

    def forward(self, x, causal):
        return self.out(self.blocks(self.emb(x) + self.pos[:x.shape[0]], mask=causal))


def make_workload(name, T=None):
    """Returns a closure running one training step."""
    torch.manual_seed(1234)
    if name.endswith("_layer"):  # nn.LSTM alone: forward, backward from a fixed output gradient
        H = 512 if "512" in name else 128
        T = T or 64
        lstm = nn.LSTM(64, H)
        x = torch.empty(T, B, 64).uniform_(-1, 1).requires_grad_()
        dy = torch.empty(T, B, H).uniform_(-1, 1)

        def layer_step():
            lstm.zero_grad()
            x.grad = None
            lstm(x)[0].backward(dy)

        return layer_step
    if name.startswith("lstm"):
        H = 512 if "512" in name else 128
        T = T or 64
        model = CharLM(H, name.endswith("_cell"))
        x, y = torch.randint(0, 65, (T, B)), torch.randint(0, 65, (T, B))
        loss_fn = lambda: F.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1))
    elif name == "seq2seq":
        model = Seq2Seq()
        src, tin, tout = (torch.randint(0, 40, (20, B)) for _ in range(3))
        loss_fn = lambda: F.cross_entropy(model(src, tin).reshape(-1, 40), tout.reshape(-1))
    elif name == "transformer":
        model = Transformer()
        src, tin, tout = (torch.randint(0, 40, (20, B)) for _ in range(3))
        causal = torch.triu(torch.ones(20, 20, dtype=torch.bool), 1)
        loss_fn = lambda: F.cross_entropy(model(src, tin, causal).reshape(-1, 40), tout.reshape(-1))
    elif name == "transformer_lm":
        T = T or 64
        model = TransformerLM(T)
        x, y = torch.randint(0, 65, (T, B)), torch.randint(0, 65, (T, B))
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        loss_fn = lambda: F.cross_entropy(model(x, causal).reshape(-1, 65), y.reshape(-1))
    else:
        return None  # the floor rows have no PyTorch side
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss_fn().backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--T", type=int, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    step = make_workload(args.workload, T=args.T)
    times = []
    for s in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        step()
        if s >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"workload": args.workload, "times_ms": times}))


if __name__ == "__main__":
    main()
