#!/usr/bin/python3
"""Loads a checkpoint with PyTorch's own torch.load (Debian's python3-torch) and
prints a JSON summary for test_train_checkpoint: its structure, the network keys
in order, float64 sums of every tensor, and the optimizer state.

    /usr/bin/python3 torch_load_summary.py CHECKPOINT
"""
import collections
import json
import sys

import torch

ck = torch.load(sys.argv[1], map_location="cpu")
net = ck["network"]
opt = ck["optimizer"]
out = {
    "top_keys": sorted(ck.keys()),
    "epoch": ck["epoch"],
    "network_is_ordered_dict": isinstance(net, collections.OrderedDict),
    "network_keys": list(net.keys()),
    "network_sums": {k: float(v.double().sum()) for k, v in net.items()},
    "network_dtypes": {k: str(v.dtype) for k, v in net.items()},
    "state_ids": sorted(opt["state"].keys()),
    "state": {
        str(i): {
            "step": float(s["step"]),
            "step_is_tensor": torch.is_tensor(s["step"]),
            "exp_avg_sum": float(s["exp_avg"].double().sum()),
            "exp_avg_sq_sum": float(s["exp_avg_sq"].double().sum()),
            "shape": list(s["exp_avg"].shape),
        }
        for i, s in opt["state"].items()
    },
    "param_groups": [{k: v for k, v in g.items()} for g in opt["param_groups"]],
    "intershape": ck.get("intershape"),
}
# What the reference's resume does: an Adam over parameters of these shapes
# takes this state dict.
params = [torch.nn.Parameter(torch.zeros(1)) for _ in opt["param_groups"][0]["params"]]
for i, s in opt["state"].items():
    params[i] = torch.nn.Parameter(torch.zeros(s["exp_avg"].shape))
adam = torch.optim.Adam(params, lr=1e-4)
adam.load_state_dict(opt)
out["adam_load_state_dict"] = "ok"
json.dump(out, sys.stdout)
