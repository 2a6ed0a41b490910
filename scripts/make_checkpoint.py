#!/usr/bin/python3
"""Writes a checkpoint of the two-hand network with the deterministic weights of
tests/data/parity/WEIGHTS.md, in the structure of the released
snapshot_99.pth.tar:

    {'epoch': 99,
     'network': OrderedDict('module.<key>' -> tensor, ... 602 entries),
     'optimizer': {'state': {...}, 'param_groups': [...]}}   # a small Adam-like state

saved with torch.save (zip format). Used by the C++ real-file test (generated at
test time into the build folder, ~570 MB; never committed).

Weights: the rule is re-implemented here in numpy (vectorised uint64
arithmetic), independently of the C++ code; keys and shapes come from
state_dict.json (the fixture's list), (kind, a, b) from the rule's table.
MANO buffers: computed from MANO_{RIGHT,LEFT}.pkl as smplx builds them
(use_pca=False, flat_hand_mean=False, float32, left shapedirs fix), the pkl
files read with a restricted unpickler that only builds numpy arrays and plain
stand-ins for the scipy/chumpy objects (nothing from the file is executed).

Run with Debian's python (numpy + torch): /usr/bin/python3 scripts/make_checkpoint.py ...

  --kind network   the full network (default)
  --kind other     a small state dict of another architecture (negative test)
"""

import argparse
import collections
import json
import math
import os
import pickle
import sys

import numpy as np
import torch

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MUL1 = np.uint64(0xBF58476D1CE4E5B9)
MUL2 = np.uint64(0x94D049BB133111EB)

GAINS = [
    ("pose_net.joint_conv_1.0.weight", 1.0),
    ("pose_net.joint_conv_2.0.weight", 1.0),
    ("mano_branch.pose_reg.weight", 0.05),
    ("branch_list.0.pose_reg.weight", 0.2),
    ("branch_list.1.pose_reg.weight", 1.0),
    ("branch_list.2.pose_reg.weight", 2.5),
    ("mano_branch.shape_reg.0.weight", 0.15),
    ("branch_list.0.shape_reg.0.weight", 0.5),
    ("branch_list.1.shape_reg.0.weight", 2.0),
    ("branch_list.2.shape_reg.0.weight", 8.0),
    ("trans_branch.final_layer.weight", 0.1),
    ("conv3.weight", 0.5),
]


def f32(x):
    return float(np.float32(x))


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def rule_ab(key, shape):
    last = key.rsplit(".", 1)[-1]
    if ".mano_layer." in key and last in ("betas", "global_orient", "body_pose", "hand_pose", "transl"):
        return 0.0, f32(0.01) if last == "transl" else f32(0.1)
    if key.endswith(".running_var"):
        return 1.0, 0.25
    if key.endswith(".running_mean"):
        return 0.0, f32(0.1)
    if key.endswith(".bias"):
        return 0.0, f32(0.05)
    if key.endswith(".weight") and len(shape) == 1:
        return 1.0, f32(0.1)
    if key.endswith(".weight") and len(shape) >= 2:
        gain = math.sqrt(2.0)
        for suffix, g in GAINS:
            if key.endswith(suffix):
                gain = g
                break
        fan = int(np.prod(shape[1:]))
        return 0.0, f32(gain * math.sqrt(3.0 / fan))
    raise ValueError("no rule for " + key)


def rule_tensor(salt, key, shape, chunk=1 << 22):
    a, b = rule_ab(key, shape)
    seed = np.uint64(fnv1a64(salt + key))
    n = int(np.prod(shape)) if shape else 1
    out = np.empty(n, dtype=np.float32)
    with np.errstate(over="ignore"):
        for start in range(0, n, chunk):
            x = np.arange(start, min(n, start + chunk), dtype=np.uint64)
            x *= GOLDEN
            x ^= seed
            x += GOLDEN
            x ^= x >> np.uint64(30)
            x *= MUL1
            x ^= x >> np.uint64(27)
            x *= MUL2
            x ^= x >> np.uint64(31)
            x >>= np.uint64(40)
            v = x.astype(np.float64) / 16777216.0 * 2.0 - 1.0
            out[start:start + len(x)] = (a + b * v).astype(np.float32)
    return out.reshape(shape)


# ---- MANO pkl files, read without running anything from them ----------------

class _Plain:
    """Stand-in for scipy.sparse / chumpy objects: keeps their pickled state."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.__dict__.update(state)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("numpy.core.multiarray", "_reconstruct"):
            return np.core.multiarray._reconstruct
        if (module, name) == ("numpy", "ndarray"):
            return np.ndarray
        if (module, name) == ("numpy", "dtype"):
            return np.dtype
        if (module, name) == ("__builtin__", "set"):
            return set
        if (module, name) in (("scipy.sparse.csc", "csc_matrix"), ("chumpy.ch", "Ch"),
                              ("chumpy.reordering", "Select")):
            return _Plain
        raise pickle.UnpicklingError("refusing %s.%s" % (module, name))


def _dense(value):
    if isinstance(value, np.ndarray):
        return value
    d = value.__dict__
    if "indptr" in d:  # csc_matrix
        rows, cols = d["_shape"]
        dense = np.zeros((rows, cols), dtype=np.float64)
        for j in range(cols):
            lo, hi = d["indptr"][j], d["indptr"][j + 1]
            dense[d["indices"][lo:hi], j] = d["data"][lo:hi]
        return dense
    if "idxs" in d:  # chumpy Select of a Ch
        return np.asarray(d["a"].__dict__["x"]).ravel()[d["idxs"]].reshape(d["preferred_shape"])
    if "x" in d:
        return np.asarray(d["x"])
    raise ValueError("unknown object in MANO file")


def load_mano_pkl(path):
    with open(path, "rb") as f:
        data = _RestrictedUnpickler(f, encoding="latin1").load()
    return {k: _dense(v) if not isinstance(v, str) else v for k, v in data.items()}


def mano_buffers(mano_dir):
    """The mano_layer.{r,l} buffers as the reference model holds them."""
    out = {}
    raw = {s: load_mano_pkl(os.path.join(mano_dir, "MANO_%s.pkl" % n)) for s, n in (("r", "RIGHT"), ("l", "LEFT"))}
    for s, d in raw.items():
        b = {}
        b["shapedirs"] = torch.tensor(np.asarray(d["shapedirs"])[:, :, :10], dtype=torch.float32)
        b["faces_tensor"] = torch.tensor(np.asarray(d["f"]).astype(np.int64))
        b["v_template"] = torch.tensor(d["v_template"], dtype=torch.float32)
        b["J_regressor"] = torch.tensor(d["J_regressor"], dtype=torch.float32)
        b["posedirs"] = torch.tensor(np.reshape(d["posedirs"], [-1, d["posedirs"].shape[-1]]).T, dtype=torch.float32)
        parents = np.asarray(d["kintree_table"][0]).astype(np.int64)
        parents[0] = -1
        b["parents"] = torch.tensor(parents)
        b["lbs_weights"] = torch.tensor(d["weights"], dtype=torch.float32)
        b["hand_mean"] = torch.tensor(d["hands_mean"], dtype=torch.float32)
        b["pose_mean"] = torch.cat([torch.zeros(3), b["hand_mean"]])
        out[s] = b
    r, l = out["r"], out["l"]
    if torch.sum(torch.abs(l["shapedirs"][:, 0, :] - r["shapedirs"][:, 0, :])) < 1:
        l["shapedirs"][:, 0, :] *= -1
    for b in out.values():
        b["beta2J"] = (b["J_regressor"][:, :, None, None] * b["shapedirs"].unsqueeze(0)).sum(dim=1)
        b["template_J"] = (b["J_regressor"][:, :, None] * b["v_template"].unsqueeze(0)).sum(dim=1)
        b["vertex_joint_selector.extra_joints_idxs"] = torch.tensor([745, 317, 444, 556, 673], dtype=torch.int64)
    return out


# ---- checkpoints --------------------------------------------------------------

def adam_state(params):
    """A small optimizer state of Adam's structure (the real one is ~2x the network)."""
    return {
        "state": {i: {"step": torch.tensor(float(i + 1)), "exp_avg": torch.zeros_like(p),
                      "exp_avg_sq": torch.zeros_like(p)} for i, p in enumerate(params)},
        "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                          "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                          "differentiable": False, "fused": False, "params": list(range(len(params)))}],
    }


def network_checkpoint(spec_path, mano_dir, salt):
    with open(spec_path) as f:
        entries = json.load(f)["entries"]
    mano = mano_buffers(mano_dir)
    state = collections.OrderedDict()
    for e in entries:
        full, shape = e["key"], tuple(e["shape"])
        key = full[len("module."):] if full.startswith("module.") else full
        if key.endswith(".num_batches_tracked"):
            value = torch.tensor(0, dtype=torch.int64)
        elif ".mano_layer." in key and e["source"] == "mano":
            value = mano[key.split(".")[2]][key.split(".", 3)[3]]
        else:
            value = torch.from_numpy(rule_tensor(salt, key, shape))
        if tuple(value.shape) != shape:
            raise SystemExit("shape mismatch for %s: %s vs %s" % (key, tuple(value.shape), shape))
        state[full] = value
    small = [state["module.mesh_reg.trans_branch.final_layer.bias"],
             state["module.heatmap_predictor.pose_net.hand_fc.2.bias"]]
    return {"epoch": 99, "network": state, "optimizer": adam_state(small)}


def other_checkpoint():
    g = torch.Generator().manual_seed(0)
    state = collections.OrderedDict()
    state["module.backbone.conv1.weight"] = torch.randn(16, 3, 3, 3, generator=g)
    state["module.backbone.bn1.weight"] = torch.ones(16)
    state["module.backbone.bn1.bias"] = torch.zeros(16)
    state["module.head.fc.weight"] = torch.randn(10, 16, generator=g)
    state["module.head.fc.bias"] = torch.zeros(10)
    return {"epoch": 3, "network": state, "optimizer": adam_state([state["module.head.fc.bias"]])}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.join(here, "..", "tests", "data")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="checkpoint file to write")
    p.add_argument("--kind", choices=("network", "other"), default="network")
    p.add_argument("--spec", default=os.path.join(data, "parity", "state_dict.json"))
    p.add_argument("--mano", default=os.path.join(data, "mano"), help="folder with MANO_{RIGHT,LEFT}.pkl")
    p.add_argument("--salt", default="")
    args = p.parse_args()
    obj = network_checkpoint(args.spec, args.mano, args.salt) if args.kind == "network" else other_checkpoint()
    tmp = args.out + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, args.out)  # a half-written file never looks finished
    return 0


if __name__ == "__main__":
    sys.exit(main())
