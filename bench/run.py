#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs every workload on tapegrad and on PyTorch in the same invocation,
alternating rounds so machine drift hits both, and prints a table of
median ms/step, the speed-up ratio and peak memory. Also writes JSON.

    python3 bench/run.py [--threads 2] [--steps 20] [--json bench/results.json] [--smoke]
"""
import argparse
import math
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = [  # (name, PyTorch counterpart or None, description)
    ("lstm128", "lstm128", "char-LM, built-in LSTM, H=128"),
    ("lstm128_cell", "lstm128_cell", "char-LM, user-defined LSTM cell, H=128"),
    ("lstm128_hoisted", "lstm128_cell", "the same user cell, input projection hoisted (project_inputs), H=128"),
    ("floor128", None, "hand-fused LSTM floor, H=128 (no optimizer)"),
    ("lstm512", "lstm512", "char-LM, built-in LSTM, H=512"),
    ("lstm512_cell", "lstm512_cell", "char-LM, user-defined LSTM cell, H=512"),
    ("lstm512_hoisted", "lstm512_cell", "the same user cell, input projection hoisted (project_inputs), H=512"),
    ("floor512", None, "hand-fused LSTM floor, H=512 (no optimizer)"),
    ("seq2seq", "seq2seq", "seq2seq GRU + Luong general attention"),
]


def run_tapegrad(binary, name, steps, warmup, threads, T=None, checkpoint_every=0):
    cmd = [binary, "--workload", name, "--steps", str(steps), "--warmup", str(warmup)]
    if T:
        cmd += ["--T", str(T)]
    if checkpoint_every:
        cmd += ["--checkpoint-every", str(checkpoint_every)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def wait_until_idle(limit_s=2.0):
    """Returns once this process has stopped using CPU. After a step, PyTorch's
    OpenMP threads spin-wait for about 0.1 s (libgomp's default policy); a
    tapegrad run started then would share the cores with them."""
    end = time.monotonic() + limit_s
    last = sum(os.times()[:2])
    while time.monotonic() < end:
        time.sleep(0.05)
        now = sum(os.times()[:2])
        if now - last < 0.005:
            return
        last = now


def memory_torch(threads, T):
    """Peak RSS of one PyTorch training step of workload 1 at length T, in a fresh process."""
    code = (
        "import sys, torch; sys.path.insert(0, %r); import torch_bench as tb\n"
        "torch.set_num_threads(%d)\n"
        "s = tb.make_workload('lstm128', T=%d)\n"
        "base = int(open('/proc/self/statm').read().split()[1]) * 4\n"
        "s()\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(base, hwm)\n" % (HERE, threads, T))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20, help="timed steps per side and workload")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2, help="alternations between the two sides")
    ap.add_argument("--memory-T", type=int, default=1000)
    ap.add_argument("--checkpoint-T", default="1000,10000,100000",
                    help="sequence lengths for the gradient-checkpointing rows (comma-separated)")
    ap.add_argument("--json", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "build", "bench", "tapegrad_bench"))
    ap.add_argument("--smoke", action="store_true", help="tiny run: checks that everything works, times nothing useful")
    ap.add_argument("--only", help="comma-separated workload names (and 'memory')")
    ap.add_argument("--no-torch", action="store_true", help="tapegrad's side only")
    args = ap.parse_args()
    if args.smoke:
        args.steps, args.warmup, args.rounds, args.memory_T = 2, 1, 1, 50

    try:
        if args.no_torch:
            raise ImportError
        import torch
        torch.set_num_threads(args.threads)
        sys.path.insert(0, HERE)
        import torch_bench
        torch_version = torch.__version__
    except ImportError:
        torch = None
        torch_version = None
        if not args.no_torch:
            print("PyTorch is not installed (apt-get install python3-torch): showing tapegrad's side only\n")

    per_round = max(1, args.steps // args.rounds)
    results, tg_times = [], []  # (tg_times: the last workload's, for the header line)
    chosen = [w for w in WORKLOADS if not args.only or w[0] in args.only.split(",")]
    for name, torch_name, desc in chosen:
        tg_times, pt_times, peak = [], [], 0
        pt_step = torch_bench.make_workload(torch_name) if torch and torch_name else None
        if pt_step:
            for _ in range(args.warmup):
                pt_step()
        flops = 0
        for r in range(args.rounds):
            wait_until_idle()
            d = run_tapegrad(args.binary, name, per_round, args.warmup, args.threads)
            tg_times += d["times_ms"]
            peak = max(peak, d["peak_rss_kb"])
            flops = d["gemm_flops"]
            if pt_step:
                for _ in range(per_round):
                    t0 = time.perf_counter()
                    pt_step()
                    pt_times.append((time.perf_counter() - t0) * 1000)
        row = {"workload": name, "description": desc, "tapegrad_ms": statistics.median(tg_times),
               "pytorch_ms": statistics.median(pt_times) if pt_times else None, "tapegrad_peak_rss_mb": peak / 1024}
        row["speedup"] = row["pytorch_ms"] / row["tapegrad_ms"] if row["pytorch_ms"] else None
        if flops:
            row["gemm_gflops_achieved"] = flops / row["tapegrad_ms"] / 1e6
        results.append(row)
        print(f"  measured {name}", file=sys.stderr)

    rates = {}
    for H in (128, 512):
        if any(r["workload"].endswith(str(H)) or r["workload"].startswith(f"lstm{H}") for r in results):
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))
            out = subprocess.run([args.binary, "--sgemm", str(H)], env=env, check=True, capture_output=True, text=True)
            rates[H] = json.loads(out.stdout)["sgemm_gflops"]

    mem = None
    if not args.only or "memory" in args.only:
        d = run_tapegrad(args.binary, "lstm128", 1, 0, args.threads, T=args.memory_T)
        mem = {"T": args.memory_T, "tapegrad_peak_mb": d["peak_rss_kb"] / 1024,
               "tapegrad_step_mb": (d["peak_rss_kb"] - d["base_rss_kb"]) / 1024}
        if torch:
            base, peak = memory_torch(args.threads, args.memory_T)
            mem.update(pytorch_peak_mb=peak / 1024, pytorch_step_mb=(peak - base) / 1024)

    # gradient checkpointing: one lstm128 step at each T, straight (where it
    # fits: up to 10,000 steps) and with segments of k = 32 and k = sqrt(T)
    ckpt_rows = []
    if not args.only or "checkpoint" in args.only:
        for T in [int(t) for t in (("50",) if args.smoke else args.checkpoint_T.split(","))]:
            ks = ([0] if T <= 10000 else []) + sorted({min(32, T), max(1, round(math.sqrt(T)))})
            base_ms = None
            for k in ks:
                d = run_tapegrad(args.binary, "lstm128", 1, 0, args.threads, T=T, checkpoint_every=k)
                ms = statistics.median(d["times_ms"])
                if k == 0:
                    base_ms = ms
                ckpt_rows.append({"T": T, "k": k, "peak_mb": d["peak_rss_kb"] / 1024,
                                  "step_mb": (d["peak_rss_kb"] - d["base_rss_kb"]) / 1024, "ms": ms,
                                  "vs_straight": ms / base_ms if base_ms else None})

    # ---- the table
    print(f"tapegrad vs PyTorch {torch_version or '(missing)'}, {args.threads} threads, "
          f"median of {len(tg_times)} steps, {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{'workload':<15} {'tapegrad ms':>12} {'PyTorch ms':>11} {'speed-up':>9} {'peak MB':>8}  description")
    for r in results:
        pt = f"{r['pytorch_ms']:11.2f}" if r["pytorch_ms"] else f"{'-':>11}"
        sp = f"{r['speedup']:8.2f}x" if r["speedup"] else f"{'-':>9}"
        print(f"{r['workload']:<15} {r['tapegrad_ms']:12.2f} {pt} {sp} {r['tapegrad_peak_rss_mb']:8.0f}  {r['description']}")
    by_name = {r["workload"]: r["tapegrad_ms"] for r in results}
    for H in (128, 512):
        if f"lstm{H}" in by_name:
            parts = [f"{kind} {by_name[f'lstm{H}_{kind}'] / by_name[f'lstm{H}']:.2f}x"
                     for kind in ("cell", "hoisted") if f"lstm{H}_{kind}" in by_name]
            if parts:
                print(f"user cell / built-in LSTM at H={H}: " + ", ".join(parts))
    for H, rate in rates.items():
        ach = [r for r in results if r["workload"] in (f"lstm{H}", f"floor{H}") and "gemm_gflops_achieved" in r]
        line = ", ".join(f"{r['workload']} {r['gemm_gflops_achieved']:.0f}" for r in ach)
        print(f"GFLOP/s at H={H}: the GEMMs alone on the same shapes {rate:.0f}; achieved over a whole step: {line}")
    if mem:
        line = f"memory, one step of lstm128 at T={mem['T']}: tapegrad peak RSS {mem['tapegrad_peak_mb']:.0f} MB " \
               f"(+{mem['tapegrad_step_mb']:.0f} MB for the step)"
        if "pytorch_peak_mb" in mem:
            line += f", PyTorch {mem['pytorch_peak_mb']:.0f} MB (+{mem['pytorch_step_mb']:.0f} MB)"
        print(line)

    if ckpt_rows:
        print("gradient checkpointing, one lstm128 step (k = 0: straight; else the whole step in segments of k):")
        print(f"{'T':>8} {'k':>5} {'peak MB':>8} {'step MB':>8} {'ms':>10} {'vs k=0':>7}")
        for r in ckpt_rows:
            ratio = f"{r['vs_straight']:6.2f}x" if r["vs_straight"] else f"{'-':>7}"
            print(f"{r['T']:>8} {r['k']:>5} {r['peak_mb']:8.0f} {r['step_mb']:8.0f} {r['ms']:10.1f} {ratio}")

    report = {"threads": args.threads, "torch": torch_version, "machine": platform.processor() or platform.machine(),
              "cores": os.cpu_count(), "smoke": args.smoke, "results": results, "sgemm_gflops": rates, "memory": mem,
              "checkpointing": ckpt_rows,
              "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
    print(f"(written to {os.path.relpath(args.json)})")


if __name__ == "__main__":
    main()
