#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs every workload on tapegrad, PyTorch and (for the LSTM layer alone)
oneDNN in the same invocation, each peer at every thread setting, alternating
rounds so machine drift hits all of them; keeps each peer's best setting and
prints a table of median ms/step, the ratios against each peer's best, which
setting won, and peak memory. Also writes JSON.

    python3 bench/run.py [--threads 1,2] [--steps 20] [--json bench/results.json] [--smoke]
"""
import argparse
import math
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = [  # (name, PyTorch counterpart or None, oneDNN counterpart or None, description)
    ("lstm128", "lstm128", None, "char-LM, built-in LSTM, H=128"),
    ("lstm128_cell", "lstm128_cell", None, "char-LM, user-defined LSTM cell, H=128"),
    ("lstm128_hoisted", "lstm128_cell", None, "the same user cell, input projection hoisted (project_inputs), H=128"),
    ("lstm128_layer", "lstm128_layer", 128, "the LSTM layer alone, forward + backward, H=128"),
    ("floor128", None, None, "hand-fused LSTM floor, H=128 (no optimizer)"),
    ("lstm512", "lstm512", None, "char-LM, built-in LSTM, H=512"),
    ("lstm512_cell", "lstm512_cell", None, "char-LM, user-defined LSTM cell, H=512"),
    ("lstm512_hoisted", "lstm512_cell", None, "the same user cell, input projection hoisted (project_inputs), H=512"),
    ("lstm512_layer", "lstm512_layer", 512, "the LSTM layer alone, forward + backward, H=512"),
    ("floor512", None, None, "hand-fused LSTM floor, H=512 (no optimizer)"),
    ("seq2seq", "seq2seq", None, "seq2seq GRU + Luong general attention"),
    ("transformer", "transformer", None, "Transformer seq2seq, d 128, 4 heads, ff 512, 2+2 layers, S=T=20"),
    ("transformer_lm", "transformer_lm", None, "decoder-only Transformer char-LM, pre-norm GELU, 2 layers, T=64"),
    ("mingru_step", None, None, "minGRU layer alone (cells/), step by step, T=256, B=32, H=128"),
    ("mingru_scan", None, None, "the same minGRU as one parallel log-space scan"),
    ("mingru_step_b4", None, None, "minGRU layer alone, step by step, T=256, B=4"),
    ("mingru_scan_b4", None, None, "the same as one parallel log-space scan, B=4"),
    ("minlstm_step", None, None, "minLSTM layer alone (cells/), step by step, T=256, B=32, H=128"),
    ("minlstm_scan", None, None, "the same minLSTM as one parallel log-space scan"),
    ("minlstm_step_b4", None, None, "minLSTM layer alone, step by step, T=256, B=4"),
    ("minlstm_scan_b4", None, None, "the same as one parallel log-space scan, B=4"),
]


def thread_env(threads, wait_policy=None):
    env = dict(os.environ, TAPEGRAD_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads))
    env.pop("OMP_WAIT_POLICY", None)
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    return env


def run_json(cmd, env):
    return json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)


def run_tapegrad(binary, name, steps, warmup, threads, T=None, checkpoint_every=0):
    cmd = [binary, "--workload", name, "--steps", str(steps), "--warmup", str(warmup)]
    if T:
        cmd += ["--T", str(T)]
    if checkpoint_every:
        cmd += ["--checkpoint-every", str(checkpoint_every)]
    return run_json(cmd, thread_env(threads))


class Setting:
    """One peer at one thread setting: runs a workload in a fresh process."""

    def __init__(self, peer, threads, wait_policy=None):
        self.peer, self.threads, self.wait_policy = peer, threads, wait_policy

    def label(self):
        return f"{self.threads} thread{'s' if self.threads > 1 else ''}" + \
            (f", OMP_WAIT_POLICY={self.wait_policy}" if self.wait_policy else "")


def wait_until_idle(limit_s=2.0):
    """Returns once the machine's other processes have stopped using CPU: a
    PyTorch process's OpenMP threads spin-wait after its last step, and the
    next run should not share the cores with them."""
    def busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v) - v[3] - v[4], sum(v)
    end = time.monotonic() + limit_s
    last = busy()
    while time.monotonic() < end:
        time.sleep(0.05)
        now = busy()
        if now[1] > last[1] and (now[0] - last[0]) / (now[1] - last[1]) < 0.1:
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
    ap.add_argument("--threads", default=",".join(str(n) for n in range(1, (os.cpu_count() or 1) + 1)),
                    help="thread counts to try for every peer (comma-separated; default 1 to the core count)")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per peer, setting and workload")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2, help="alternations between the settings")
    ap.add_argument("--memory-T", type=int, default=1000)
    ap.add_argument("--checkpoint-T", default="1000,10000,100000",
                    help="sequence lengths for the gradient-checkpointing rows (comma-separated)")
    ap.add_argument("--json", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "build", "bench", "tapegrad_bench"))
    ap.add_argument("--dnnl-binary", default=os.path.join(HERE, "..", "build", "bench", "dnnl_lstm_bench"))
    ap.add_argument("--smoke", action="store_true", help="tiny run: checks that everything works, times nothing useful")
    ap.add_argument("--only", help="comma-separated workload names (and 'memory', 'checkpoint', 'dist')")
    ap.add_argument("--no-torch", action="store_true", help="no PyTorch side")
    args = ap.parse_args()
    if args.smoke:
        args.steps, args.warmup, args.rounds, args.memory_T = 2, 1, 1, 50
    thread_counts = [int(t) for t in args.threads.split(",")]
    max_threads = max(thread_counts)

    torch_version = None
    if not args.no_torch:
        probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            torch_version = probe.stdout.strip()
        else:
            print("PyTorch is not installed (apt-get install python3-torch): no PyTorch side\n")
    have_dnnl = os.path.exists(args.dnnl_binary)
    if not have_dnnl:
        print("oneDNN's LSTM bench is not built (apt-get install libdnnl-dev, then build again): no oneDNN row\n")

    settings = {"tapegrad": [Setting("tapegrad", n) for n in thread_counts]}
    if torch_version:
        # PyTorch's OpenMP threads spin after each parallel region by default;
        # PASSIVE makes them sleep, which on few cores can be much faster
        settings["PyTorch"] = [Setting("PyTorch", n, w) for n in thread_counts for w in (None, "PASSIVE")]
    if have_dnnl:
        settings["oneDNN"] = [Setting("oneDNN", n) for n in thread_counts]

    def run(setting, name, torch_name, dnnl_H, steps):
        if setting.peer == "tapegrad":
            return run_tapegrad(args.binary, name, steps, args.warmup, setting.threads)
        if setting.peer == "PyTorch":
            cmd = [sys.executable, os.path.join(HERE, "torch_bench.py"), "--workload", torch_name,
                   "--steps", str(steps), "--warmup", str(args.warmup), "--threads", str(setting.threads)]
            return run_json(cmd, thread_env(setting.threads, setting.wait_policy))
        cmd = [args.dnnl_binary, "--H", str(dnnl_H), "--steps", str(steps), "--warmup", str(args.warmup)]
        return run_json(cmd, thread_env(setting.threads))

    per_round = max(1, args.steps // args.rounds)
    results, n_steps = [], 0
    chosen = [w for w in WORKLOADS if not args.only or w[0] in args.only.split(",")]
    for name, torch_name, dnnl_H, desc in chosen:
        runs = [s for s in settings["tapegrad"]]
        if torch_name and torch_version:
            runs += settings["PyTorch"]
        if dnnl_H and have_dnnl:
            runs += settings["oneDNN"]
        times = {id(s): [] for s in runs}
        peak, flops = 0, 0
        for r in range(args.rounds):
            for s in (runs if r % 2 == 0 else runs[::-1]):  # alternate the order too
                wait_until_idle()
                d = run(s, name, torch_name, dnnl_H, per_round)
                times[id(s)] += d["times_ms"]
                if s.peer == "tapegrad":
                    peak = max(peak, d["peak_rss_kb"])
                    flops = d["gemm_flops"]
        n_steps = len(times[id(runs[0])])
        row = {"workload": name, "description": desc, "tapegrad_peak_rss_mb": peak / 1024, "settings": []}
        for peer in ("tapegrad", "PyTorch", "oneDNN"):
            mine = [s for s in runs if s.peer == peer]
            if not mine:
                continue
            medians = [(statistics.median(times[id(s)]), s) for s in mine]
            for ms, s in medians:
                row["settings"].append({"peer": peer, "setting": s.label(), "ms": ms})
            best_ms, best = min(medians, key=lambda m: m[0])
            row[peer] = {"ms": best_ms, "setting": best.label()}
        row["speedup"] = row["PyTorch"]["ms"] / row["tapegrad"]["ms"] if "PyTorch" in row else None
        row["vs_onednn"] = row["tapegrad"]["ms"] / row["oneDNN"]["ms"] if "oneDNN" in row else None
        if flops:
            row["gemm_gflops_achieved"] = flops / row["tapegrad"]["ms"] / 1e6
        results.append(row)
        print(f"  measured {name}", file=sys.stderr)

    best_threads = {r["workload"]: int(r["tapegrad"]["setting"].split()[0]) for r in results}
    rates = {}
    for H in (128, 512):
        if any(r["workload"].endswith(str(H)) or r["workload"].startswith(f"lstm{H}") for r in results):
            out = subprocess.run([args.binary, "--sgemm", str(H)], env=thread_env(max_threads), check=True,
                                 capture_output=True, text=True)
            rates[H] = json.loads(out.stdout)["sgemm_gflops"]

    lstm_threads = best_threads.get("lstm128", max_threads)  # for the memory and checkpointing rows
    mem = None
    if not args.only or "memory" in args.only:
        d = run_tapegrad(args.binary, "lstm128", 1, 0, lstm_threads, T=args.memory_T)
        mem = {"T": args.memory_T, "tapegrad_peak_mb": d["peak_rss_kb"] / 1024,
               "tapegrad_step_mb": (d["peak_rss_kb"] - d["base_rss_kb"]) / 1024}
        if torch_version:
            base, peak = memory_torch(1, args.memory_T)
            mem.update(pytorch_peak_mb=peak / 1024, pytorch_step_mb=(peak - base) / 1024)

    # gradient checkpointing: one lstm128 step at each T, straight (where it
    # fits: up to 10,000 steps) and with segments of k = 32 and k = sqrt(T)
    ckpt_rows = []
    if not args.only or "checkpoint" in args.only:
        for T in [int(t) for t in (("50",) if args.smoke else args.checkpoint_T.split(","))]:
            ks = ([0] if T <= 10000 else []) + sorted({min(32, T), max(1, round(math.sqrt(T)))})
            base_ms = None
            for k in ks:
                d = run_tapegrad(args.binary, "lstm128", 1, 0, lstm_threads, T=T, checkpoint_every=k)
                ms = statistics.median(d["times_ms"])
                if k == 0:
                    base_ms = ms
                ckpt_rows.append({"T": T, "k": k, "peak_mb": d["peak_rss_kb"] / 1024,
                                  "step_mb": (d["peak_rss_kb"] - d["base_rss_kb"]) / 1024, "ms": ms,
                                  "vs_straight": ms / base_ms if base_ms else None})

    # data-parallel training: 1 process x 2 threads against 2 ranks x 1 thread
    dist_rows = []
    dist_binary = os.path.join(os.path.dirname(args.binary), "dist_bench")
    mpirun = shutil.which("mpirun")
    if (not args.only or "dist" in args.only.split(",")) and os.path.exists(dist_binary) and mpirun:
        cores = os.cpu_count() or 2
        settings_dist = [
            ("1 rank x %d threads" % cores, [dist_binary], cores),
            ("%d ranks x 1 thread, overlapped" % cores,
             [mpirun, "--oversubscribe", "--allow-run-as-root", "-np", str(cores), "-x", "TAPEGRAD_NUM_THREADS=1",
              dist_binary], 1),
            ("%d ranks x 1 thread, plain" % cores,
             [mpirun, "--oversubscribe", "--allow-run-as-root", "-np", str(cores), "-x", "TAPEGRAD_NUM_THREADS=1",
              dist_binary, "--plain"], 1),
        ]
        got = {label: ([], []) for label, _, _ in settings_dist}
        for r in range(args.rounds):
            for label, cmd, threads in (settings_dist if r % 2 == 0 else settings_dist[::-1]):
                wait_until_idle()
                d = run_json(cmd + ["--steps", str(per_round), "--warmup", str(args.warmup)], thread_env(threads))
                got[label][0].extend(d["times_ms"])
                got[label][1].extend(d["wait_ms"])
        base = statistics.median(got[settings_dist[0][0]][0])
        for label, _, _ in settings_dist:
            ms, wait = statistics.median(got[label][0]), statistics.median(got[label][1])
            dist_rows.append({"setting": label, "ms": ms, "throughput_vs_one_process": base / ms,
                              "wait_share": wait / ms})

    # ---- the table
    print(f"tapegrad vs PyTorch {torch_version or '(missing)'} and oneDNN {'(built)' if have_dnnl else '(missing)'}; "
          f"each peer at its best of {len(settings['tapegrad'])} thread settings (PyTorch also with "
          f"OMP_WAIT_POLICY=PASSIVE); median of {n_steps} steps; {machine()}")
    print(f"{'workload':<16} {'tapegrad ms':>11} {'PyTorch ms':>10} {'speed-up':>8} {'oneDNN ms':>9} "
          f"{'tg/oneDNN':>9} {'peak MB':>7}  best settings: tapegrad / PyTorch / oneDNN")
    for r in results:
        pt = f"{r['PyTorch']['ms']:10.2f}" if "PyTorch" in r else f"{'-':>10}"
        sp = f"{r['speedup']:7.2f}x" if r["speedup"] else f"{'-':>8}"
        dn = f"{r['oneDNN']['ms']:9.2f}" if "oneDNN" in r else f"{'-':>9}"
        vs = f"{r['vs_onednn']:8.2f}x" if r["vs_onednn"] else f"{'-':>9}"
        won = " / ".join(r[p]["setting"] if p in r else "-" for p in ("tapegrad", "PyTorch", "oneDNN"))
        print(f"{r['workload']:<16} {r['tapegrad']['ms']:11.2f} {pt} {sp} {dn} {vs} {r['tapegrad_peak_rss_mb']:7.0f}  {won}")
    print("every setting, median ms/step:")
    for r in results:
        line = "; ".join(f"{s['peer']} {s['setting']} {s['ms']:.2f}" for s in r["settings"])
        print(f"  {r['workload']:<16} {line}")
    by_name = {r["workload"]: r["tapegrad"]["ms"] for r in results}
    for H in (128, 512):
        if f"lstm{H}" in by_name:
            parts = [f"{kind} {by_name[f'lstm{H}_{kind}'] / by_name[f'lstm{H}']:.2f}x"
                     for kind in ("cell", "hoisted") if f"lstm{H}_{kind}" in by_name]
            if parts:
                print(f"user cell / built-in LSTM at H={H}: " + ", ".join(parts))
    for cell in ("mingru", "minlstm"):
        parts = [f"B={b} {by_name[f'{cell}_scan{sfx}'] / by_name[f'{cell}_step{sfx}']:.2f}x"
                 for b, sfx in ((32, ""), (4, "_b4")) if f"{cell}_step{sfx}" in by_name and f"{cell}_scan{sfx}" in by_name]
        if parts:
            print(f"{cell} at T=256, the parallel scan's time over the step-by-step form's: " + ", ".join(parts))
    for H, rate in rates.items():
        ach = [r for r in results if r["workload"] in (f"lstm{H}", f"lstm{H}_layer", f"floor{H}")
               and "gemm_gflops_achieved" in r]
        line = ", ".join(f"{r['workload']} {r['gemm_gflops_achieved']:.0f}" for r in ach)
        print(f"GFLOP/s at H={H} ({max_threads} threads): the GEMMs alone on the same shapes {rate:.0f}; "
              f"achieved over a whole step: {line}")
    if mem:
        line = f"memory, one step of lstm128 at T={mem['T']}: tapegrad peak RSS {mem['tapegrad_peak_mb']:.0f} MB " \
               f"(+{mem['tapegrad_step_mb']:.0f} MB for the step)"
        if "pytorch_peak_mb" in mem:
            line += f", PyTorch {mem['pytorch_peak_mb']:.0f} MB (+{mem['pytorch_step_mb']:.0f} MB)"
        print(line)

    if ckpt_rows:
        print(f"gradient checkpointing, one lstm128 step, {lstm_threads} threads "
              "(k = 0: straight; else the whole step in segments of k):")
        print(f"{'T':>8} {'k':>5} {'peak MB':>8} {'step MB':>8} {'ms':>10} {'vs k=0':>7}")
        for r in ckpt_rows:
            ratio = f"{r['vs_straight']:6.2f}x" if r["vs_straight"] else f"{'-':>7}"
            print(f"{r['T']:>8} {r['k']:>5} {r['peak_mb']:8.0f} {r['step_mb']:8.0f} {r['ms']:10.1f} {ratio}")

    if dist_rows:
        print("data-parallel char-LM lstm128 step (global batch 32): time, throughput against one process, "
              "share of the step spent waiting for the gradient sums after backward:")
        for r in dist_rows:
            print(f"  {r['setting']:<34} {r['ms']:8.2f} ms  {r['throughput_vs_one_process']:5.2f}x  "
                  f"waiting {100 * r['wait_share']:4.1f}%")

    report = {"thread_settings": thread_counts, "dist": dist_rows, "torch": torch_version, "onednn": have_dnnl, "machine": machine(),
              "cores": os.cpu_count(), "smoke": args.smoke, "results": results, "sgemm_gflops": rates, "memory": mem,
              "checkpointing": ckpt_rows,
              "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
    print(f"(written to {os.path.relpath(args.json)})")


def machine():
    """The CPU as /proc/cpuinfo names it, its family, and whether it has AVX-512."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                info.setdefault(k.strip(), v.strip())
    except OSError:
        pass
    name = info.get("model name", platform.machine())
    family = f", family {info['cpu family']}" if "cpu family" in info else ""
    simd = "AVX-512" if "avx512f" in info.get("flags", "").split() else "AVX2" if "avx2" in info.get("flags", "") else ""
    return f"{name}{family}, {simd}, {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
