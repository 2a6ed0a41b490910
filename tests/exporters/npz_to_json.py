#!/usr/bin/python3
"""Loads an .npz with numpy (the reader users will use) and prints its arrays
as JSON: {name: {"dtype": "<f4", "shape": [...], "data": [flat values]}}.
Used by the C++ tests to check what numpy sees in our files."""
import json
import math
import sys

import numpy as np

with np.load(sys.argv[1], allow_pickle=False) as npz:
    out = {}
    for name in npz.files:
        a = npz[name]
        out[name] = {"dtype": a.dtype.str, "shape": list(a.shape),
                     # JSON has no NaN (empty detection slots): null.
                     "data": [None if isinstance(v.item(), float) and math.isnan(v.item())
                              else v.item() for v in a.reshape(-1)]}
json.dump(out, sys.stdout)
