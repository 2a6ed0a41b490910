#!/usr/bin/python3
"""Writes the pickle seed corpus (tests/data/fuzz/pickle/) with real writers.

Run with Debian's Python (numpy installed): /usr/bin/python3 tests/fuzz/make_seed_corpus.py
The unit tests read some of these files and check their values, so change the
values here and in tests/mano/test_pickle.cpp together.
"""
import collections
import os
import pickle
import pickletools
import struct
import sys

import numpy as np

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests", "data", "fuzz", "pickle")
os.makedirs(out, exist_ok=True)


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


shared = [7, 8]
values = {
    "ints": [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**40, -2**63, 2**63 - 1],
    "floats": (1.5, -0.0, 1e300),
    "consts": (None, True, False),
    "bytes": b"\x00\x01bytes",
    "text": "unicod\u00e9 \u2603",
    "set": {3},
    "frozen": frozenset({4}),
    (1, "k"): "tuple key",
    "shared": (shared, shared),
    "long": "x" * 300,
    "empty": ([], {}, ()),
}
for protocol in (2, 3, 4, 5):
    write(f"values_p{protocol}.pkl", pickle.dumps(values, protocol=protocol))

od = collections.OrderedDict([("w", 1), ("b", [1.0, 2.0])])
write("ordered_dict_p2.pkl", pickle.dumps(od, protocol=2))

a = np.arange(6, dtype="<f8").reshape(2, 3)
write("ndarray_f8_p2.pkl", pickle.dumps(a, protocol=2))
write("ndarray_fortran_p2.pkl", pickle.dumps(np.asfortranarray(a), protocol=2))
write("ndarray_be_f4_p3.pkl", pickle.dumps(a.astype(">f4"), protocol=3))
write("ndarray_u4_p4.pkl", pickle.dumps(np.array([[1, 4294967295]], dtype="<u4"), protocol=4))

# The MANO file's structure with every raw array shortened to 16 bytes: all
# opcodes, globals and memo references of the real file in a few kilobytes.
mano = open(os.path.join(root, "tests", "data", "mano", "MANO_RIGHT.pkl"), "rb").read()
ops = list(pickletools.genops(mano))
small = bytearray()
for i, (op, arg, pos) in enumerate(ops):
    end = ops[i + 1][2] if i + 1 < len(ops) else len(mano)
    if op.name == "BINSTRING" and len(arg) > 64:
        raw = arg.encode("latin1")[:16]
        small += b"T" + struct.pack("<i", len(raw)) + raw
    else:
        small += mano[pos:end]
write("mano_right_small.pkl", bytes(small))
write("mano_right_head.pkl", mano[:4096])

# MANO-like dicts that are wrong in one way each (the loader must say which).
write("mano_wrong_shape_p2.pkl", pickle.dumps({"v_template": np.zeros((777, 3))}, protocol=2))
write("mano_missing_key_p2.pkl", pickle.dumps({"v_template": np.zeros((778, 3), dtype="<f4")}, protocol=2))
write("mano_object_dtype_p2.pkl", pickle.dumps({"v_template": np.array([None, 1], dtype=object)}, protocol=2))
print("wrote", sorted(os.listdir(out)))
