"""Writes a training checkpoint's Adam first moments (exp_avg): OUT.npy, the
tensors of the parameters that have a state, flattened and concatenated in
index order (float32), and OUT_ids.npy, those indices (int64). Read with
PyTorch's own torch.load (Debian's python3-torch), so the C++ test needs no
pickle walker.

usage: adam_moments.py CHECKPOINT OUT.npy
"""
import sys

import numpy
import torch


def main():
    ck = torch.load(sys.argv[1], map_location="cpu")
    state = ck["optimizer"]["state"]
    ids = ck["optimizer"]["param_groups"][0]["params"]
    have = [i for i in ids if i in state]
    flat = [state[i]["exp_avg"].reshape(-1).numpy() for i in have]
    numpy.save(sys.argv[2], numpy.concatenate(flat).astype(numpy.float32))
    numpy.save(sys.argv[2][:-4] + "_ids.npy", numpy.array(have, dtype=numpy.int64))


if __name__ == "__main__":
    main()
