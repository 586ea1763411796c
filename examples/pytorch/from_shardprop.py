#!/usr/bin/env python3
"""Rebuild a shardprop model in PyTorch and check that it predicts what shardprop predicts.

    shardprop export  --model iris-model --format safetensors --out iris.safetensors
    shardprop predict --model iris-model --data packages/cli/data/iris.csv --out shardprop-preds.csv
    python3 from_shardprop.py --weights iris.safetensors --data packages/cli/data/iris.csv \
        --shardprop-predictions shardprop-preds.csv --out torch-preds.csv

The script rebuilds the `nn.Sequential` from the file's metadata, loads the weights (strictly: every tensor
must fit), encodes the CSV as `shardprop train` did (numeric columns as they are, categorical ones one-hot),
standardises the inputs with the exported `(x - mean) / std`, predicts, writes the predictions in the layout
of `shardprop predict` and compares them with shardprop's: it prints the largest absolute difference and the
share of rows whose predicted class agrees, and exits with status 1 when a value differs by more than the
tolerance (default: 1e-5 + 1e-5 * |value|; shardprop's CSV holds 7 significant digits).
"""

from __future__ import annotations

import argparse
import csv
import sys

import torch

from shardprop_torch import decode_outputs, encode_features, load_model, read_csv


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True, help="model.safetensors from `shardprop export --format safetensors`")
    p.add_argument("--data", required=True, help="CSV with the feature columns the model was trained on")
    p.add_argument("--shardprop-predictions", help="`shardprop predict --out` on the same CSV, to compare with")
    p.add_argument("--out", help="write PyTorch's predictions here (same columns as shardprop predict)")
    p.add_argument("--delimiter", default=",")
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-5)
    args = p.parse_args(argv)

    model = load_model(args.weights)
    print(f"model: {args.weights}")
    print(f"  {model.net}".replace("\n", "\n  "))
    if model.mean is not None:
        print(f"  inputs standardised with the exported mean/std ({len(model.mean)} values)")
    x = encode_features(model, args.data, args.delimiter)
    out = model.predict(x)
    columns, cells = decode_outputs(model, out)
    print(f"predicted {len(cells)} rows of {args.data}: columns {', '.join(columns)}")

    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(columns)
            for row in cells:
                w.writerow([c if isinstance(c, str) else f"{c:.7g}" for c in row])
        print(f"wrote {args.out}")

    if not args.shardprop_predictions:
        return 0
    header, rows = read_csv(args.shardprop_predictions)
    if header != columns:
        print(f"error: {args.shardprop_predictions} has columns {header}, expected {columns}", file=sys.stderr)
        return 1
    if len(rows) != len(cells):
        print(f"error: {args.shardprop_predictions} has {len(rows)} rows, the data {len(cells)}", file=sys.stderr)
        return 1
    numeric = [j for j, c in enumerate(cells[0]) if not isinstance(c, str)] if cells else []
    ours = torch.tensor([[row[j] for j in numeric] for row in cells], dtype=torch.float64)
    theirs = torch.tensor([[float(r[j]) for j in numeric] for r in rows], dtype=torch.float64)
    diff = (ours - theirs).abs()
    max_abs = diff.max().item() if diff.numel() else 0.0
    worst = int(diff.max(dim=1).values.argmax().item()) if diff.numel() else 0
    within = bool((diff <= args.atol + args.rtol * theirs.abs()).all().item())
    print(f"max abs diff vs shardprop predict: {max_abs:.3g} (row {worst + 1}; {diff.numel()} values compared)")
    labels = [j for j, c in enumerate(cells[0]) if isinstance(c, str)] if cells else []
    if labels:
        agree = sum(all(cells[i][j] == rows[i][j] for j in labels) for i in range(len(rows)))
        print(f"predicted class agrees on {agree}/{len(rows)} rows")
    print("MATCH" if within else f"MISMATCH: above {args.atol} + {args.rtol} * |value|")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
