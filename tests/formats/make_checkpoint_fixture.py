#!/usr/bin/python3
"""Writes real torch.save checkpoints (and broken copies) for test_mano_checkpoint.

Usage: /usr/bin/python3 make_checkpoint_fixture.py OUT_DIR MANO_DIR
Writes into OUT_DIR:
  trainer.pt        {'epoch', 'network' (DataParallel state dict: 'module.' keys,
                    _metadata), 'optimizer' (Adam after one step)}
  bare.pt           a plain state dict (no prefix)
  state_dict.pt     {'state_dict': ..., 'epoch': ...}
  mano.pt           {'network': the MANO buffers of both hands as the two-hand
                    network registers them (smplx layout; left fix applied)}
  expected.json     every tensor of trainer.pt's network: key (prefix stripped),
                    dtype, shape, values (C order)
  expected_optimizer.json  trainer.pt's optimizer: lr, params, per-index step,
                    exp_avg, exp_avg_sq (C order)
  not_state_dict.pt a list; truncated.pt; crc.pt (one byte of a storage record
                    flipped); crc_pkl.pt (one byte of data.pkl flipped);
                    not_a_zip.pt; no_pkl.pt (a zip without data.pkl); legacy.pt and
                    legacy_trainer.pt (the legacy format), legacy_cut_*.pt
"""
import collections
import io
import json
import os
import pickle
import sys
import zipfile

import numpy as np
import torch

out, mano_dir = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)
        self.bn = torch.nn.BatchNorm1d(2)
        base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
        self.register_buffer("transposed", base.t())          # non-contiguous view
        self.register_buffer("row1", base[1])                  # shares base's storage, offset 4
        self.register_buffer("col2", base[:, 2])               # offset 2, stride 4
        self.register_buffer("f64", torch.tensor([[1.25, -2.5e-300], [3.0, 1234.5678901234]], dtype=torch.float64))
        self.register_buffer("i64", torch.tensor([-1, 0, 2**40], dtype=torch.int64))
        self.register_buffer("scalar", torch.tensor(7, dtype=torch.int64))
        self.register_buffer("empty", torch.zeros(0, 3))
        self.register_buffer("expanded", torch.tensor([5.0, 6.0]).expand(3, 2))  # stride 0


net = torch.nn.DataParallel(Net())
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
net.train()
net.module.bn(net.module.fc(torch.randn(4, 3))).sum().backward()
opt.step()
sd = net.state_dict()
assert all(k.startswith("module.") for k in sd)
torch.save({"epoch": 7, "network": sd, "optimizer": opt.state_dict()}, os.path.join(out, "trainer.pt"))

expected = []
for k, v in sd.items():
    expected.append({"key": k[len("module."):], "dtype": str(v.dtype).replace("torch.", ""),
                     "shape": list(v.shape), "values": v.contiguous().reshape(-1).tolist()})
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f)
# The optimizer's state as Checkpoint's extras must expose it.
osd = opt.state_dict()
with open(os.path.join(out, "expected_optimizer.json"), "w") as f:
    json.dump({"lr": osd["param_groups"][0]["lr"], "params": osd["param_groups"][0]["params"],
               "state": {str(i): {"step": float(s["step"]),
                                  "exp_avg": s["exp_avg"].reshape(-1).tolist(),
                                  "exp_avg_sq": s["exp_avg_sq"].reshape(-1).tolist()}
                         for i, s in osd["state"].items()}}, f)

bare = collections.OrderedDict((k[len("module."):], v) for k, v in sd.items())
torch.save(bare, os.path.join(out, "bare.pt"))
torch.save({"state_dict": bare, "epoch": 1}, os.path.join(out, "state_dict.pt"))
torch.save([1, 2, 3], os.path.join(out, "not_state_dict.pt"))
torch.save({"epoch": 1, "network": {"w": 3}}, os.path.join(out, "not_tensors.pt"))


# MANO buffers as smplx registers them, from the pkl files (chumpy and scipy
# objects stubbed: the values are plain numpy inside).
class Stub:
    def __init__(self, *a):
        pass

    def __setstate__(self, s):
        self.__dict__.update(s)


class StubUnpickler(pickle.Unpickler):
    def find_class(self, m, n):
        if m.startswith("chumpy") or m.startswith("scipy"):
            return Stub
        return super().find_class(m, n)


def load_mano(path):
    d = StubUnpickler(open(path, "rb"), encoding="latin1").load()
    s = d["shapedirs"]
    shapedirs = s.a.x.ravel()[s.idxs].reshape(s.preferred_shape)[:, :, :10]
    j = d["J_regressor"]
    rows, cols = j._shape
    dense = np.zeros((rows, cols))
    for c in range(cols):
        for k in range(j.indptr[c], j.indptr[c + 1]):
            dense[j.indices[k], c] += j.data[k]
    f32 = lambda x: torch.tensor(np.array(x), dtype=torch.float32)
    parents = torch.tensor(d["kintree_table"][0].astype(np.int64))
    parents[0] = -1
    return {
        "shapedirs": f32(shapedirs),
        "faces_tensor": torch.tensor(d["f"].astype(np.int64)),
        "v_template": f32(d["v_template"]),
        "J_regressor": f32(dense),
        "posedirs": f32(np.reshape(d["posedirs"], [-1, 135]).T),
        "parents": parents,
        "lbs_weights": f32(d["weights"]),
        "hand_mean": f32(d["hands_mean"]),
    }


right = load_mano(os.path.join(mano_dir, "MANO_RIGHT.pkl"))
left = load_mano(os.path.join(mano_dir, "MANO_LEFT.pkl"))
if torch.sum(torch.abs(left["shapedirs"][:, 0, :] - right["shapedirs"][:, 0, :])) < 1:
    left["shapedirs"][:, 0, :] *= -1
mano_sd = collections.OrderedDict()
for side, bufs in (("r", right), ("l", left)):
    mano_sd[f"module.mesh_reg.mano_layer.{side}.transl"] = torch.nn.Parameter(torch.tensor([[0.01, -0.02, 0.03]]))
    for k, v in bufs.items():
        mano_sd[f"module.mesh_reg.mano_layer.{side}.{k}"] = v
torch.save({"epoch": 1, "network": mano_sd}, os.path.join(out, "mano.pt"))

# Broken copies.
good = open(os.path.join(out, "trainer.pt"), "rb").read()
open(os.path.join(out, "truncated.pt"), "wb").write(good[: len(good) // 2])
marker = np.array([1234.5678901234], dtype="<f8").tobytes()
i = good.find(marker)
assert i > 0 and good.find(marker, i + 1) < 0
crc = bytearray(good)
crc[i] ^= 0x01
open(os.path.join(out, "crc.pt"), "wb").write(bytes(crc))
j = good.find(b"_rebuild_tensor_v2")
assert j > 0
crc_pkl = bytearray(good)
crc_pkl[j] ^= 0x20
open(os.path.join(out, "crc_pkl.pt"), "wb").write(bytes(crc_pkl))
open(os.path.join(out, "not_a_zip.pt"), "wb").write(b"hello, this is text\n" * 10)
with zipfile.ZipFile(os.path.join(out, "no_pkl.pt"), "w") as z:
    z.writestr("archive/version", "3\n")
torch.save(bare, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
torch.save({"epoch": 7, "network": sd, "optimizer": opt.state_dict()}, os.path.join(out, "legacy_trainer.pt"),
           _use_new_zipfile_serialization=False)
legacy = open(os.path.join(out, "legacy.pt"), "rb").read()
open(os.path.join(out, "legacy_cut_data.pt"), "wb").write(legacy[:-5])
open(os.path.join(out, "legacy_cut_pickle.pt"), "wb").write(legacy[:400])
open(os.path.join(out, "legacy_cut_magic.pt"), "wb").write(legacy[:9])
print("wrote checkpoint fixtures to", out)
