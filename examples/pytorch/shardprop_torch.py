"""Helpers shared by from_shardprop.py and train_ddp.py.

Everything here reads what `shardprop export --format safetensors` writes:

* the tensors `<2i>.weight` [out, in] and `<2i>.bias` [out] of a `torch.nn.Sequential` in which layer i is an
  `nn.Linear` at index 2i and its activation at index 2i + 1 (`nn.Identity` for a linear activation);
* the string metadata: `architecture` (JSON; its `sequential` list names every module and its constructor
  arguments), `normalization` (JSON `{mean, std}`: inputs are `(x - mean) / std`), `class_labels`,
  `input_names`, `feature_names`, `target_names`, `task`, `loss`, and `shardprop` (the model's whole metadata
  section, including how `shardprop train` encoded the CSV columns).

It needs PyTorch only. The `safetensors` package is used when it is installed; otherwise a small reader and
writer of the format (an 8-byte little-endian header length, a JSON header, then the raw tensor bytes) stand in.
"""

from __future__ import annotations

import csv
import json
import math
import os
import struct
import sys
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

# What `shardprop train` reads as a missing value (packages/cli/src/csv.ts).
MISSING_MARKERS = {"", "NA", "N/A", "NaN", "nan", "null"}


# ---------------------------------------------------------------------------------------------------------------
# safetensors


def read_safetensors(path: str) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The metadata and the tensors of a safetensors file."""
    try:
        from safetensors import safe_open  # type: ignore[import-not-found]
    except ImportError:
        return _read_safetensors_plain(path)
    tensors: dict[str, torch.Tensor] = {}
    with safe_open(path, framework="pt") as f:
        metadata = dict(f.metadata() or {})
        for name in f.keys():
            tensors[name] = f.get_tensor(name)
    return metadata, tensors


def _read_safetensors_plain(path: str) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = data[8 + n :]
    if sys.byteorder != "little":
        raise RuntimeError("this plain reader assumes a little-endian machine; install the safetensors package")
    dtypes = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16}
    tensors: dict[str, torch.Tensor] = {}
    for name, info in header.items():
        dtype = dtypes.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, which this reader does not know")
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).clone()
    return metadata, tensors


def write_safetensors(path: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Writes `tensors` (float32, any device) and `metadata` atomically: a temporary file, then a rename."""
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in tensors.items()}
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        from safetensors.torch import save_file  # type: ignore[import-not-found]
    except ImportError:
        _write_safetensors_plain(tmp, tensors, metadata)
    else:
        save_file(tensors, tmp, metadata=metadata)
    os.replace(tmp, path)


def _write_safetensors_plain(path: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    header: dict[str, Any] = {"__metadata__": metadata}
    chunks: list[bytes] = []
    offset = 0
    for name, t in tensors.items():
        values = t.flatten().tolist()
        raw = struct.pack(f"<{len(values)}f", *values)  # float32 little-endian, exact for float32 values
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
        f.flush()
        os.fsync(f.fileno())


# ---------------------------------------------------------------------------------------------------------------
# The model


@dataclass
class ShardpropModel:
    """A model exported by shardprop: the rebuilt network and what its metadata says."""

    net: nn.Sequential
    metadata: dict[str, str]
    architecture: dict[str, Any]
    mean: torch.Tensor | None
    std: torch.Tensor | None
    class_labels: list[str] | None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def loss(self) -> str:
        return self.metadata.get("loss") or self.meta.get("loss") or "meanSquaredError"

    @property
    def output_size(self) -> int:
        return int(self.architecture["outputSize"])

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """`(x - mean) / std` in float64, then float32 (as shardprop computes it)."""
        x = x.to(torch.float64)
        if self.mean is not None and self.std is not None:
            x = (x - self.mean) / self.std
        return x.to(torch.float32)

    @torch.no_grad()
    def predict(self, x_raw: torch.Tensor) -> torch.Tensor:
        """The network's outputs for encoded (not yet standardised) inputs."""
        self.net.eval()
        device = next(self.net.parameters()).device
        return self.net(self.standardize(x_raw).to(device)).cpu()


def build_sequential(architecture: dict[str, Any]) -> nn.Sequential:
    """The `nn.Sequential` described by `architecture["sequential"]`."""
    modules = sorted(architecture["sequential"], key=lambda m: m["index"])
    if [m["index"] for m in modules] != list(range(len(modules))):
        raise ValueError("architecture.sequential: module indices must be 0, 1, 2, ...")
    layers = []
    for m in modules:
        cls = getattr(nn, m["module"], None)
        if cls is None:
            raise ValueError(f"architecture.sequential[{m['index']}]: torch.nn has no module {m['module']}")
        layers.append(cls(**m.get("kwargs", {})))
    return nn.Sequential(*layers)


def load_model(path: str, device: str | torch.device = "cpu") -> ShardpropModel:
    """Rebuilds the network of a shardprop safetensors export and loads its weights (strictly)."""
    metadata, tensors = read_safetensors(path)
    if "architecture" not in metadata:
        raise ValueError(f"{path}: no 'architecture' metadata; export it with: shardprop export --format safetensors")
    architecture = json.loads(metadata["architecture"])
    net = build_sequential(architecture)
    net.load_state_dict(tensors, strict=True)
    net.to(device)
    mean = std = None
    if "normalization" in metadata:
        norm = json.loads(metadata["normalization"])
        mean = torch.tensor(norm["mean"], dtype=torch.float64)
        std = torch.tensor(norm["std"], dtype=torch.float64)
    labels = json.loads(metadata["class_labels"]) if "class_labels" in metadata else None
    meta = json.loads(metadata["shardprop"]) if "shardprop" in metadata else {}
    return ShardpropModel(net, metadata, architecture, mean, std, labels, meta)


# ---------------------------------------------------------------------------------------------------------------
# CSV files, encoded the way `shardprop train` encoded them


def read_csv(path: str, delimiter: str = ",") -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = [[cell.strip() for cell in row] for row in csv.reader(f, delimiter=delimiter)]
    rows = [r for r in rows if r and any(cell != "" for cell in r)]
    if not rows:
        raise ValueError(f"{path}: empty file")
    return rows[0], rows[1:]


def _number(text: str, where: str) -> float:
    if text in MISSING_MARKERS:
        raise ValueError(f"{where}: missing value (drop or fill such rows first)")
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{where}: {text!r} is not a finite number")
    return v


def encode_features(model: ShardpropModel, path: str, delimiter: str = ",") -> torch.Tensor:
    """The CSV's feature columns as the network's raw inputs [rows, inputSize] (float64, not standardised):
    numeric columns as they are, categorical ones one-hot over the training vocabulary."""
    encodings = model.meta.get("encodings")
    if not encodings or "features" not in encodings:
        raise ValueError("the export has no CSV encoding (train the model with `shardprop train`)")
    header, rows = read_csv(path, delimiter)
    index = {name: i for i, name in enumerate(header)}
    columns: list[list[float]] = []
    for f in encodings["features"]:
        if f["name"] not in index:
            raise ValueError(f"{path}: no column named {f['name']!r}, which the model needs")
        j = index[f["name"]]
        if f["kind"] == "numeric":
            columns.append([_number(r[j], f"{path}:{k + 2}:{j + 1}") for k, r in enumerate(rows)])
        else:
            vocab = f["vocabulary"]
            for v in vocab:
                columns.append([1.0 if r[j] == v else 0.0 for r in rows])
            unknown = next((r[j] for r in rows if r[j] not in vocab), None)
            if unknown is not None:
                raise ValueError(f"{path}: category {unknown!r} of column {f['name']!r} was not seen in training")
    x = torch.tensor(columns, dtype=torch.float64).T.contiguous()
    if x.shape[1] != model.architecture["inputSize"]:
        raise ValueError(f"the encoding gives {x.shape[1]} inputs, the network takes {model.architecture['inputSize']}")
    return x


def encode_targets(model: ShardpropModel, path: str, delimiter: str = ",") -> torch.Tensor:
    """The CSV's target as the loss expects it: values [rows, k] (regression), the class as a float [rows, 1]
    (one sigmoid output), or the class index [rows] (long; softmax outputs)."""
    target = model.meta["encodings"]["target"]
    header, rows = read_csv(path, delimiter)
    index = {name: i for i, name in enumerate(header)}
    if target["task"] == "regression":
        cols = [index[c] for c in target["columns"]]
        return torch.tensor([[_number(r[j], f"{path}:{k + 2}:{j + 1}") for j in cols] for k, r in enumerate(rows)])
    j = index[target["column"]]
    classes = target["classes"]

    def label(text: str) -> str:
        # shardprop writes numeric labels as JavaScript prints numbers: "1", not "1.0".
        if target.get("numeric"):
            v = float(text)
            return str(int(v)) if v.is_integer() else repr(v)
        return text

    ids = []
    for k, r in enumerate(rows):
        lab = label(r[j])
        if lab not in classes:
            raise ValueError(f"{path}:{k + 2}: class {lab!r} is not one the model knows ({', '.join(classes)})")
        ids.append(classes.index(lab))
    if model.output_size == 1:
        return torch.tensor(ids, dtype=torch.float32).unsqueeze(1)
    return torch.tensor(ids, dtype=torch.long)


def decode_outputs(model: ShardpropModel, out: torch.Tensor) -> tuple[list[str], list[list[Any]]]:
    """Prediction columns as `shardprop predict` writes them."""
    target = model.meta["encodings"]["target"]
    if target["task"] == "regression":
        return [f"predicted_{c}" for c in target["columns"]], out.tolist()
    classes = target["classes"]
    cells = []
    for row in out.tolist():
        probs = [1 - row[0], row[0]] if len(row) == 1 else row
        best = (1 if row[0] >= 0.5 else 0) if len(row) == 1 else max(range(len(probs)), key=lambda k: probs[k])
        cells.append([classes[best], *probs])
    return [f"predicted_{target['column']}", *[f"p_{c}" for c in classes]], cells
