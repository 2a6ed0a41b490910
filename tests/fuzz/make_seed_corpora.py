#!/usr/bin/python3
"""Writes the seed corpora of the checkpoint, session and params fuzzers
(tests/data/fuzz/{checkpoint,session,params}/) with real writers where one
exists (Debian's python3-torch for checkpoints).

Run: /usr/bin/python3 tests/fuzz/make_seed_corpora.py
The pickle corpus has its own script (make_seed_corpus.py), the image-header
corpus too (make_image_corpus.py).
"""
import collections
import json
import os

import torch

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
data = os.path.join(root, "tests", "data", "fuzz")


def path(kind, name):
    os.makedirs(os.path.join(data, kind), exist_ok=True)
    return os.path.join(data, kind, name)


# --- checkpoints: zip and legacy containers, small tensors of several dtypes,
# a view sharing its storage, a parameter, the trainer's {'network': ...}.
torch.manual_seed(0)
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
sd = collections.OrderedDict()
sd["fc.weight"] = base
sd["fc.view"] = base[:, 1:3]  # strided view of the same storage
sd["fc.bias"] = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
sd["idx"] = torch.tensor([1, 2, 3], dtype=torch.int64)
sd["half"] = torch.tensor([1.5, 2.5], dtype=torch.float16)
sd["flag"] = torch.tensor([True, False])
sd["p"] = torch.nn.Parameter(torch.ones(2, 2))
for name, obj in [("bare", sd), ("trainer", {"network": sd, "epoch": 3})]:
    torch.save(obj, path("checkpoint", name + "_zip.pt"))
    torch.save(obj, path("checkpoint", name + "_legacy.pt"), _use_new_zipfile_serialization=False)


def resume_checkpoint():
    """What `intershape train` writes: Adam's state and the 'intershape' record
    beside the network (Checkpoint's extras)."""
    params = [torch.nn.Parameter(torch.ones(2, 2)), torch.nn.Parameter(torch.zeros(3))]
    adam = torch.optim.Adam(params, lr=1e-4)
    params[0].grad = torch.full((2, 2), 0.5)
    adam.step()
    return {"epoch": 3, "network": sd, "optimizer": adam.state_dict(),
            "intershape": {"format": 1, "epoch": 4, "step_in_epoch": 0, "step": 12,
                           "seed": "5", "batch": 2, "world": 1, "shuffle": True,
                           "augment": False, "dataset_size": 8, "lr": 1e-4, "lr_steps": [45, 47]}}


torch.save(resume_checkpoint(), path("checkpoint", "resume_zip.pt"))

# --- sessions: manifest, frames.csv and one frame JSON, cut by "\n--8<--\n".
manifest = {
    "format": "intershape-session", "format_version": 1, "source": "camera 0",
    "model": "fake", "device": "cpu", "settings": {"smoothing": True},
    "started_at": "2026-11-29T10:00:00Z", "updated_at": "2026-11-29T10:00:02Z",
    "complete": True, "frame_count": 2, "result_count": 2, "dropped_frames": 0, "fps": 30.0,
    "video": {"file": "video.avi", "codec": "FFV1"}, "frames_file": "frames.csv",
    "result_pattern": "frame_%06d.json", "error": "",
}
csv = "position,source_frame,timestamp_s,has_result\n0,10,0.333333,1\n1,11,0.366667,1\n"


def hand(k):
    return {
        "present": True, "presence": 0.9, "pose": [0.01 * i for i in range(48)],
        "shape": [0.1] * 10, "joints3d": [[0.001 * i, 0.002 * i, 0.5] for i in range(21)],
        "verts3d": [[0.0001 * i, 0.0002 * k, 0.5] for i in range(778)],
    }


frame = {
    "version": 1, "frame": 0, "timestamp": 0.333333, "source": "camera 0",
    "image_size": [640, 480], "crop": {"x0": 0.0, "y0": -80.0, "side": 640.0},
    "right": hand(0), "left": hand(1), "trans": [0.0, 0.01, 0.02, 1.0],
    "keypoints2d": [[10.0 + i, 20.0, 0.8] for i in range(42)],
    "heatmap_xyc": [[30.0, 31.0, 0.7] for i in range(42)],
    "timings_ms": {"preprocess": 1.0, "internet": 80.0, "total": 120.0},
}
cut = "\n--8<--\n"
with open(path("session", "complete.txt"), "w") as f:
    f.write(json.dumps(manifest) + cut + csv + cut + json.dumps(frame))
small = dict(manifest, frame_count=0, result_count=0, complete=False, error="disk full")
with open(path("session", "empty.txt"), "w") as f:
    f.write(json.dumps(small) + cut + csv.splitlines()[0] + "\n" + cut + "{}")
with open(path("session", "cut_short.txt"), "w") as f:
    f.write(json.dumps(manifest) + cut + csv + "2,12,0.4" + cut + json.dumps(frame)[:300])

# --- params of `intershape mano`.
with open(path("params", "both.json"), "w") as f:
    json.dump({"right": {"pose": [0.1] * 48, "shape": [0.0] * 10},
               "left": {"pose": [-0.1] * 48, "shape": [1.0] * 10}}, f)
with open(path("params", "left_big.json"), "w") as f:
    json.dump({"left": {"pose": [1e30] + [0] * 47, "shape": [0.0] * 10}}, f)
