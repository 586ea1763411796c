#!/usr/bin/env python3
"""Continue training a shardprop model with PyTorch DistributedDataParallel.

    shardprop export --model iris-model --format safetensors --out iris.safetensors
    # 4 processes on one machine's CPUs (gloo):
    torchrun --standalone --nproc_per_node=4 train_ddp.py --weights iris.safetensors \
        --data packages/cli/data/iris.csv --epochs 20 --out iris-ddp.safetensors
    # one process per GPU (NCCL), e.g. 8 GPUs on each of 2 machines:
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 train_ddp.py ...

The network, its weights, the input standardisation and the loss come from the export; the data is the CSV
`shardprop train` was given (or more of it), encoded the same way. Every process reads the CSV and trains on
its own part of each epoch (DistributedSampler); DDP averages the gradients across processes after every
backward pass, so with a per-process batch of `--batch-size / world size` rows a step is one step over
`--batch-size` rows, as in shardprop. Backend: NCCL when CUDA is available, gloo otherwise (or with --cpu).

The optimizer is the model's (from its metadata) unless --optimizer / --lr say otherwise; its state (Adam's
moments, ...) is not in the export, so it starts fresh. Softmax + categorical cross-entropy and sigmoid +
binary cross-entropy are trained on the logits (nn.CrossEntropyLoss, nn.BCEWithLogitsLoss), which is the same
loss, computed stably; the saved model keeps its output activation.

Rank 0 prints the loss per epoch (the mean over all rows of the epoch, summed across processes) and writes
--out: the trained weights with the export's metadata (plus a `torch_training` entry), in the same layout, so
from_shardprop.py loads it and `modelFromSafetensors` in @shardprop/core/export reads it back.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, Subset, TensorDataset

from shardprop_torch import encode_features, encode_targets, load_model, write_safetensors

EPSILON = 1e-7  # Keras's clipping epsilon for cross-entropy on probabilities


def make_optimizer(name: str, params, lr: float, cfg: dict) -> torch.optim.Optimizer:
    """shardprop's (tfjs's) optimizers, by name, with the hyper-parameters of the model's metadata."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(
            params, lr=lr, momentum=cfg.get("momentum", 0.9), nesterov=bool(cfg.get("nesterov", False))
        )
    betas = (cfg.get("beta1", 0.9), cfg.get("beta2", 0.999))
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=cfg.get("epsilon", 1e-7))
    if name == "adamw":
        return torch.optim.AdamW(
            params, lr=lr, betas=betas, eps=cfg.get("epsilon", 1e-7), weight_decay=cfg.get("weightDecay", 0.01)
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(
            params,
            lr=lr,
            alpha=cfg.get("rho", 0.9),
            eps=cfg.get("epsilon", 1e-7),
            momentum=cfg.get("momentum", 0.0),
            centered=bool(cfg.get("centered", False)),
        )
    raise SystemExit(f"error: --optimizer {name}: expected sgd, momentum, adam, adamw or rmsprop")


def loss_setup(net: nn.Sequential, loss: str):
    """The module to train (the network, or the network without its output activation when the loss takes
    logits) and the loss function. The trimmed network shares its modules (and state-dict names) with `net`."""
    last = net[-1]
    if loss in ("categoricalCrossentropy", "sparseCategoricalCrossentropy"):
        if isinstance(last, nn.Softmax):
            return net[:-1], nn.CrossEntropyLoss()
        nll = nn.NLLLoss()
        return net, lambda p, y: nll(torch.log(p.clamp(EPSILON, 1 - EPSILON)), y)
    if loss == "binaryCrossentropy":
        if isinstance(last, nn.Sigmoid):
            return net[:-1], nn.BCEWithLogitsLoss()
        bce = nn.BCELoss()
        return net, lambda p, y: bce(p.clamp(EPSILON, 1 - EPSILON), y)
    return net, nn.MSELoss()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True, help="model.safetensors from `shardprop export --format safetensors`")
    p.add_argument("--data", required=True, help="training CSV with the feature and target columns")
    p.add_argument("--out", help="write the trained model here (safetensors, same layout and metadata)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=None, help="global batch size (default: the model's, or 32)")
    p.add_argument("--optimizer", default=None, help="sgd, momentum, adam, adamw or rmsprop (default: the model's)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: the model's)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--delimiter", default=",")
    p.add_argument("--cpu", action="store_true", help="train on CPUs with gloo even when CUDA is available")
    p.add_argument("--curve", help="rank 0 writes the loss curve here as JSON")
    args = p.parse_args(argv)

    # Without torchrun: one process.
    for key, value in (("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_RANK", "0"), ("LOCAL_WORLD_SIZE", "1")):
        os.environ.setdefault(key, value)
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")
    use_cuda = torch.cuda.is_available() and not args.cpu
    backend = "nccl" if use_cuda else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
        # Share the machine's cores between the processes on it.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))
    torch.manual_seed(args.seed)

    model = load_model(args.weights, device)
    training = model.meta.get("training") or {}
    opt_cfg = dict(model.meta.get("optimizer") or training.get("optimizer") or {})
    opt_name = args.optimizer or opt_cfg.get("name") or "sgd"
    lr = args.lr if args.lr is not None else float(opt_cfg.get("learningRate", 0.01))
    if args.optimizer and args.optimizer != opt_cfg.get("name"):
        opt_cfg = {}
    batch = args.batch_size or int(training.get("batchSize", 32))
    per_rank = max(1, batch // world)
    if rank == 0 and per_rank * world != batch:
        print(f"note: batch {batch} is not a multiple of {world} processes; using {per_rank * world}", flush=True)

    x = model.standardize(encode_features(model, args.data, args.delimiter))
    y = encode_targets(model, args.data, args.delimiter)
    data = TensorDataset(x, y)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(data, batch_size=per_rank, sampler=sampler)

    train_net, loss_fn = loss_setup(model.net, model.loss)
    ddp = DDP(train_net, device_ids=[local_rank] if use_cuda else None)
    optimizer = make_optimizer(opt_name, ddp.parameters(), lr, opt_cfg)

    # Evaluation splits the rows exactly (rank r takes rows r, r + world, ...); the training sampler pads the
    # last round with repeated rows so that every process takes the same number of steps.
    eval_loader = DataLoader(Subset(data, range(rank, len(data), world)), batch_size=max(per_rank, 256))

    def epoch_loss(train: bool) -> float:
        """A pass over this rank's part of the data (training: one epoch of steps); the mean loss over the rows
        of all ranks."""
        ddp.train(train)
        total = torch.zeros(2, dtype=torch.float64, device=device)
        for xb, yb in loader if train else eval_loader:
            xb, yb = xb.to(device), yb.to(device)
            with torch.set_grad_enabled(train):
                loss = loss_fn(ddp(xb), yb)
            if train:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # DDP all-reduces (averages) the gradients here
                optimizer.step()
            total[0] += loss.detach().double() * len(xb)
            total[1] += len(xb)
        dist.all_reduce(total)
        return (total[0] / total[1]).item()

    if rank == 0:
        print(
            f"DDP: {world} process{'es' if world > 1 else ''}, backend {backend}, device {device.type}; "
            f"{len(data)} rows, batch {per_rank} x {world} = {per_rank * world}; "
            f"{opt_name} lr {lr}; loss {model.loss}",
            flush=True,
        )
    curve = [epoch_loss(train=False)]
    if rank == 0:
        print(f"epoch {0:{len(str(args.epochs))}d}/{args.epochs}  loss {curve[0]:.6f}  (the exported weights)", flush=True)
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        start = time.perf_counter()
        curve.append(epoch_loss(train=True))
        if rank == 0:
            ms = (time.perf_counter() - start) * 1000
            print(f"epoch {epoch:{len(str(args.epochs))}d}/{args.epochs}  loss {curve[-1]:.6f}  {ms:.0f} ms", flush=True)
    final = epoch_loss(train=False)

    if rank == 0:
        print(f"loss on all rows after training: {final:.6f} (before: {curve[0]:.6f})")
        print("loss curve (epoch 0: the exported weights; then the mean training loss of each epoch):")
        lo, hi = min(curve), max(curve)
        for epoch, v in enumerate(curve):
            bar = "#" * (1 + round(39 * (v - lo) / (hi - lo))) if hi > lo else "#"
            print(f"  {epoch:{len(str(args.epochs))}d}  {v:.6f}  {bar}", flush=True)
        if args.curve:
            with open(args.curve, "w", encoding="utf-8") as f:
                json.dump({"world_size": world, "backend": backend, "loss": curve, "final_loss": final}, f)
        if args.out:
            metadata = dict(model.metadata)
            metadata["torch_training"] = json.dumps(
                {
                    "epochs": args.epochs,
                    "world_size": world,
                    "backend": backend,
                    "optimizer": opt_name,
                    "learning_rate": lr,
                    "batch_size": per_rank * world,
                    "loss_curve": curve,
                    "final_loss": final,
                    "torch_version": torch.__version__,
                }
            )
            write_safetensors(args.out, model.net.state_dict(), metadata)
            print(f"wrote {args.out}", flush=True)
    dist.barrier()
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
