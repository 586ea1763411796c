#!/usr/bin/env python3
"""PyTorch CPU on the shardprop benchmark's workloads, printing the same JSON shape as `pnpm bench:peers`.

Workload A: the seed network 39-39-39-1 (sigmoid everywhere), mean squared error, plain SGD (lr 0.25),
10,000 rows, one epoch at batch 1 (per sample), 32 and 256.
Workload B: 784-256-128-10, relu hidden layers, softmax + categorical cross-entropy, plain SGD (lr 0.05),
batch 256, 10,000 rows.

Same data and initial weights as the Node runners: export them first on a machine with Node,

    node apps/bench/dist/main.js --export-data bench-data      # raw float32 + meta.json (about 35 MB)

then, where Python and PyTorch are installed:

    python3 apps/bench/pytorch_bench.py --data bench-data --out pytorch.json
    node apps/bench/dist/main.js --merge pytorch.json          # one report with every runner side by side

Without --data the script draws random data and Glorot weights of the same shapes: the times are comparable,
the losses are not.

Method (as in the Node runners): rows in order (no shuffling), each run trains 2 epochs from the initial weights
and the 2nd is timed, one warm-up round and then --reps rounds in which the thread settings take turns; the
median and min-max are reported. The loop slices the tensors directly (no DataLoader), which is the fastest
plain way to feed PyTorch. Per-sample training is timed on the first 2,000 rows and scaled to the epoch (about
0.4 ms per step), unless --full-batch1 is given.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import socket
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - reported, not hidden
    torch = None
    F = None

SCHEMA = "shardprop-bench/1"
EPOCH_ROWS = 10_000
BATCH1_ROWS = 2_000
EPOCHS_PER_RUN = 2

WORKLOADS = [
    {"id": "A-b1", "family": "A", "batchSize": 1},
    {"id": "A-b32", "family": "A", "batchSize": 32},
    {"id": "A-b256", "family": "A", "batchSize": 256},
    {"id": "B-b256", "family": "B", "batchSize": 256},
]

FAMILIES = {
    "A": {
        "title": "A: seed 39-39-39-1 sigmoid, MSE, SGD",
        "inputSize": 39,
        "units": [39, 39, 39, 1],
        "activation": "sigmoid",
        "outputActivation": "sigmoid",
        "loss": "meanSquaredError",
        "learningRate": 0.25,
    },
    "B": {
        "title": "B: wide 784-256-128-10 relu/softmax, CCE, SGD",
        "inputSize": 784,
        "units": [256, 128, 10],
        "activation": "relu",
        "outputActivation": "softmax",
        "loss": "categoricalCrossentropy",
        "learningRate": 0.05,
    },
}


def train_flops_per_row(input_size: int, units: list[int]) -> int:
    """2 FLOPs per multiply-add: x W and x^T dZ for every layer, dZ W^T for all but the first."""
    flops = 0
    in_size = input_size
    for index, out in enumerate(units):
        flops += (2 if index == 0 else 3) * 2 * in_size * out
        in_size = out
    return flops


def param_count(input_size: int, units: list[int]) -> int:
    count = 0
    in_size = input_size
    for out in units:
        count += in_size * out + out
        in_size = out
    return count


def workload_info(w: dict) -> dict:
    f = FAMILIES[w["family"]]
    flops = train_flops_per_row(f["inputSize"], f["units"])
    return {
        "id": w["id"],
        "family": w["family"],
        "title": f"{f['title']}, batch {w['batchSize']}",
        "layers": [f["inputSize"], *f["units"]],
        "activation": f["activation"],
        "outputActivation": f["outputActivation"],
        "loss": f["loss"],
        "optimizer": "sgd",
        "learningRate": f["learningRate"],
        "batchSize": w["batchSize"],
        "rows": EPOCH_ROWS,
        "params": param_count(f["inputSize"], f["units"]),
        "flopsPerRow": flops,
        "flopsPerEpoch": flops * EPOCH_ROWS,
    }


def read_f32(path: str, shape: tuple[int, ...]) -> "torch.Tensor":
    with open(path, "rb") as fh:
        raw = bytearray(fh.read())
    expected = math.prod(shape) * 4
    if len(raw) != expected:
        raise ValueError(f"{path}: {len(raw)} bytes, expected {expected} for float32 {shape}")
    return torch.frombuffer(raw, dtype=torch.float32).reshape(shape).clone()


def load_family(data_dir: str | None, family: str, seed: int = 1) -> dict:
    f = FAMILIES[family]
    n_in, units = f["inputSize"], f["units"]
    n_out = units[-1]
    ref_losses: dict = {}
    if data_dir:
        with open(os.path.join(data_dir, "meta.json"), encoding="utf-8") as fh:
            meta = json.load(fh)
        fam = next(m for m in meta["families"] if m["family"] == family)
        rows = fam["rows"]
        x = read_f32(os.path.join(data_dir, fam["x"]), (rows, n_in))
        y = read_f32(os.path.join(data_dir, fam["y"]), (rows, n_out))
        flat = read_f32(os.path.join(data_dir, fam["params"]), (param_count(n_in, units),))
        ref_losses = meta.get("refLosses", {})
        source = f"exported by the Node benchmark ({data_dir})"
    else:
        g = torch.Generator().manual_seed(seed)
        rows = EPOCH_ROWS
        x = torch.randn(rows, n_in, generator=g)
        if family == "A":
            y = torch.rand(rows, 1, generator=g) * 0.998 + 0.001
        else:
            y = F.one_hot(torch.randint(0, n_out, (rows,), generator=g), n_out).float()
        parts = []
        in_size = n_in
        for out in units:
            limit = math.sqrt(6.0 / (in_size + out))
            parts.append((torch.rand(in_size * out, generator=g) * 2 - 1) * limit)
            parts.append(torch.zeros(out))
            in_size = out
        flat = torch.cat(parts)
        source = "random (no --data): times comparable, losses not"
    # Keras layout: per layer the kernel [in x out] row-major, then the bias.
    weights = []
    offset = 0
    in_size = n_in
    for out in units:
        kernel = flat[offset : offset + in_size * out].reshape(in_size, out)
        offset += in_size * out
        bias = flat[offset : offset + out]
        offset += out
        weights.append((kernel.t().contiguous(), bias.clone()))  # torch Linear stores [out x in]
        in_size = out
    return {"x": x, "y": y, "weights": weights, "source": source, "refLosses": ref_losses}


def build_model(family: str, weights) -> "torch.nn.Sequential":
    f = FAMILIES[family]
    layers = []
    in_size = f["inputSize"]
    for i, out in enumerate(f["units"]):
        linear = torch.nn.Linear(in_size, out)
        with torch.no_grad():
            linear.weight.copy_(weights[i][0])
            linear.bias.copy_(weights[i][1])
        layers.append(linear)
        last = i == len(f["units"]) - 1
        if f["activation"] == "sigmoid" or (last and f["outputActivation"] == "sigmoid"):
            layers.append(torch.nn.Sigmoid())
        elif not last:
            layers.append(torch.nn.ReLU())
        # softmax output: folded into the loss (cross-entropy on logits), as PyTorch users write it
        in_size = out
    return torch.nn.Sequential(*layers)


def loss_fn(family: str):
    if family == "A":
        return F.mse_loss  # mean over outputs and rows: Keras meanSquaredError
    # Softmax + categorical cross-entropy on one-hot (probability) targets, fused on the logits.
    return lambda logits, target: F.cross_entropy(logits, target)


def run_once(family: str, data: dict, batch_size: int, rows: int, epochs: int) -> list[dict]:
    f = FAMILIES[family]
    model = build_model(family, data["weights"])
    opt = torch.optim.SGD(model.parameters(), lr=f["learningRate"])
    loss_of = loss_fn(family)
    x = data["x"][:rows]
    y = data["y"][:rows]
    samples = []
    for _ in range(epochs):
        total = torch.zeros((), dtype=torch.float64)
        started = time.perf_counter()
        for start in range(0, rows, batch_size):
            xb = x[start : start + batch_size]
            yb = y[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_of(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach().double() * xb.shape[0]
        ms = (time.perf_counter() - started) * 1000
        samples.append({"ms": ms, "loss": float(total) / rows})
    return samples


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def simd_flags() -> list[str]:
    wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
              "neon", "asimd", "sve", "sve2"]
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    have = set(line.split(":", 1)[1].split())
                    return [f for f in wanted if f in have]
    except OSError:
        pass
    return []


def machine_info() -> dict:
    cores = os.cpu_count() or 1
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except AttributeError:
        capability = "unknown"
    return {
        "host": socket.gethostname(),
        "cpuModel": cpu_model(),
        "cores": cores,
        "simdFlags": simd_flags(),
        "wasmSimd": False,
        "shardpropWasmKernels": False,
        "memoryGiB": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
        if hasattr(os, "sysconf")
        else 0,
        "os": f"{platform.system()} {platform.release()}",
        "arch": platform.machine(),
        "node": "",
        "v8": "",
        "virtualized": False,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchCpuCapability": capability,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
    }


def spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="directory written by `main.js --export-data` (same data and weights)")
    parser.add_argument("--reps", type=int, default=5, help="measured repetitions after one warm-up round")
    parser.add_argument("--threads", default="1,all", help="comma-separated thread counts; 'all' = every core")
    parser.add_argument("--workloads", default="all", help="A-b1,A-b32,A-b256,B-b256, A, B or all")
    parser.add_argument("--full-batch1", action="store_true", help="time per-sample training on all 10,000 rows")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 rows, 1 repetition")
    parser.add_argument("--out", help="also write the JSON to this file")
    args = parser.parse_args(argv)

    if torch is None:
        print("PyTorch is not installed: pip install torch (CPU wheels are enough)", file=sys.stderr)
        return 2

    cores = os.cpu_count() or 1
    threads = sorted({cores if t.strip() == "all" else int(t) for t in args.threads.split(",")})
    wanted = [s.strip() for s in args.workloads.split(",") if s.strip()]
    workloads = [
        w for w in WORKLOADS if "all" in wanted or w["id"] in wanted or w["family"] in [s.upper() for s in wanted]
    ]
    reps = 1 if args.quick else args.reps
    torch.manual_seed(1)

    families = {fam: load_family(args.data, fam) for fam in sorted({w["family"] for w in workloads})}
    now = _dt.datetime.now(_dt.timezone.utc)
    result = {
        "schema": SCHEMA,
        "createdAt": now.isoformat(),
        "date": now.date().isoformat(),
        "host": socket.gethostname(),
        "quick": args.quick,
        "reps": reps,
        "warmupRounds": 1,
        "command": "python3 apps/bench/pytorch_bench.py " + " ".join(argv),
        "method": [
            "PyTorch CPU, tensors sliced per batch (no DataLoader), SGD; 2 epochs per run, the 2nd timed; "
            "one warm-up round, thread settings interleaved; per-sample timed on the first "
            f"{EPOCH_ROWS if args.full_batch1 else BATCH1_ROWS:,} rows and scaled.",
            f"Data and initial weights: {next(iter(families.values()))['source']}.",
        ],
        "machine": machine_info(),
        "runners": [
            {
                "id": f"pytorch-t{t}",
                "label": f"PyTorch CPU, {t} thread{'s' if t > 1 else ''}",
                "family": "pytorch",
                "threads": t,
                "kernels": "cpu",
                "details": {"torch": torch.__version__, "threads": t},
            }
            for t in threads
        ],
        "workloads": [workload_info(w) for w in workloads],
        "results": [],
        "skipped": [],
        "failures": [],
    }

    for w in workloads:
        fam = w["family"]
        data = families[fam]
        info = workload_info(w)
        rows = EPOCH_ROWS
        if w["batchSize"] == 1 and not args.full_batch1:
            rows = BATCH1_ROWS
        if args.quick:
            rows = min(rows, 1_000)
        rows = min(rows, data["x"].shape[0])
        times: dict[int, list[float]] = {t: [] for t in threads}
        firsts: dict[int, list[float]] = {t: [] for t in threads}
        losses: dict[int, float] = {}
        for rnd in range(reps + 1):
            order = threads[rnd % len(threads):] + threads[: rnd % len(threads)]
            for t in order:
                torch.set_num_threads(t)
                samples = run_once(fam, data, w["batchSize"], rows, EPOCHS_PER_RUN)
                scale = EPOCH_ROWS / rows
                timed = samples[-1]["ms"] * scale
                losses[t] = samples[0]["loss"]
                if rnd > 0:
                    times[t].append(timed)
                    firsts[t].append(samples[0]["ms"] * scale)
                print(f"  {'warm-up' if rnd == 0 else f'rep {rnd}'}  {w['id']:7s} pytorch-t{t:<3d} "
                      f"{timed:10.1f} ms/epoch  loss {losses[t]:.6g}", file=sys.stderr)
        ref = data["refLosses"].get(w["id"], {}).get(str(rows))
        for t in threads:
            ms = spread(times[t])
            loss = losses[t]
            result["results"].append({
                "workload": w["id"],
                "runner": f"pytorch-t{t}",
                "label": f"PyTorch CPU, {t} thread{'s' if t > 1 else ''}",
                "family": "pytorch",
                "threads": t,
                "kernels": "cpu",
                "rowsTimed": rows,
                "scaled": rows != EPOCH_ROWS,
                "epochsPerRun": EPOCHS_PER_RUN,
                "timedEpoch": EPOCHS_PER_RUN,
                "samplesMs": [round(v, 3) for v in times[t]],
                "msPerEpoch": ms,
                "firstEpochMs": spread(firsts[t]),
                "rowsPerSec": round(EPOCH_ROWS / (ms["median"] / 1000)),
                "gflops": round(info["flopsPerEpoch"] / (ms["median"] / 1000) / 1e9, 3),
                "loss": loss,
                "refLoss": ref if ref is not None else loss,
                "lossRelDiff": abs(loss - ref) / abs(ref) if ref else 0.0,
                **({} if ref is not None else {"refMissing": True}),
            })
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
