#!/usr/bin/env python3
"""A small glTF-skinning and BVH evaluator for the rig tests (numpy only).

Poses a .glb's skinned meshes at given times the way a glTF viewer does
(animation sampling: LINEAR with slerp for rotations, STEP; node hierarchy;
skinning with every JOINTS_n/WEIGHTS_n set and the inverse bind matrices) and
parses a BVH file back and runs its forward kinematics. It knows nothing about
MANO: it reads only the files.

Usage: rig_eval.py REQUEST.json  -> prints a JSON report on stdout.
REQUEST: {"glb": path, "times": [..], "bvh": {"right": path, ...},
          "bvh_frames": [..], "expected": {"right": {"verts": path.f64, "verts_lbs": path.f64,
          "joints": path.f64}}}   (raw float64, [len(times), n, 3])
"""
import json
import struct
import sys

import numpy as np

COMP = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32, 5120: np.int8,
        5122: np.int16}
NCOMP = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def load_glb(path):
    data = open(path, "rb").read()
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF" and version == 2 and length == len(data), "not a GLB 2.0"
    jlen, jtype = struct.unpack_from("<I4s", data, 12)
    assert jtype == b"JSON"
    gltf = json.loads(data[20:20 + jlen])
    off = 20 + jlen
    blen, btype = struct.unpack_from("<I4s", data, off)
    assert btype == b"BIN\x00"
    return gltf, data[off + 8:off + 8 + blen]


def accessor(gltf, binary, i):
    a = gltf["accessors"][i]
    v = gltf["bufferViews"][a["bufferView"]]
    dt = np.dtype(COMP[a["componentType"]])
    n = NCOMP[a["type"]]
    start = v.get("byteOffset", 0) + a.get("byteOffset", 0)
    stride = v.get("byteStride", 0)
    assert stride in (0, n * dt.itemsize), "strided views not handled"
    arr = np.frombuffer(binary, dt, a["count"] * n, start).reshape(a["count"], n)
    return arr


def quat_to_mat(q):
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def slerp(a, b, t):
    d = float(np.dot(a, b))
    if d < 0:
        b, d = -b, -d
    if d > 0.9995:
        r = a + t * (b - a)
        return r / np.linalg.norm(r)
    th = np.arccos(d)
    return (np.sin((1 - t) * th) * a + np.sin(t * th) * b) / np.sin(th)


def sample(times, values, interp, t, path):
    if t <= times[0]:
        return values[0].astype(np.float64)
    if t >= times[-1]:
        return values[-1].astype(np.float64)
    k = int(np.searchsorted(times, t, side="right")) - 1  # times[k] <= t < times[k+1]
    if interp == "STEP":
        return values[k].astype(np.float64)
    u = (t - float(times[k])) / (float(times[k + 1]) - float(times[k]))
    a, b = values[k].astype(np.float64), values[k + 1].astype(np.float64)
    if path == "rotation":
        return slerp(a, b, u)
    return a + u * (b - a)


def trs(node):
    m = np.eye(4)
    if "matrix" in node:
        return np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T
    r = quat_to_mat(np.array(node.get("rotation", [0, 0, 0, 1]), dtype=np.float64))
    s = np.array(node.get("scale", [1, 1, 1]), dtype=np.float64)
    m[:3, :3] = r * s[None, :]
    m[:3, 3] = node.get("translation", [0, 0, 0])
    return m


def pose_glb(gltf, binary, t):
    """Node world matrices and skinned vertices of every skinned mesh node at time t."""
    nodes = [dict(n) for n in gltf["nodes"]]
    for anim in gltf.get("animations", [])[:1]:
        for ch in anim["channels"]:
            s = anim["samplers"][ch["sampler"]]
            times = accessor(gltf, binary, s["input"])[:, 0]
            vals = accessor(gltf, binary, s["output"])
            tgt = ch["target"]
            if tgt["path"] == "weights":  # one row of morph weights per key
                vals = vals.reshape(len(times), -1)
            nodes[tgt["node"]][tgt["path"]] = list(
                sample(times, vals, s.get("interpolation", "LINEAR"), t, tgt["path"]))
    parent = {}
    for i, n in enumerate(nodes):
        for c in n.get("children", []):
            parent[c] = i
    world = {}

    def w(i):
        if i not in world:
            world[i] = (w(parent[i]) if i in parent else np.eye(4)) @ trs(nodes[i])
        return world[i]

    for i in range(len(nodes)):
        w(i)
    meshes = {}
    for i, n in enumerate(nodes):
        if "skin" not in n:
            continue
        skin = gltf["skins"][n["skin"]]
        ibm = accessor(gltf, binary, skin["inverseBindMatrices"]).astype(np.float64)
        jm = np.stack([world[j] @ ibm[k].reshape(4, 4).T for k, j in enumerate(skin["joints"])])
        prim = gltf["meshes"][n["mesh"]]["primitives"][0]
        pos = accessor(gltf, binary, prim["attributes"]["POSITION"]).astype(np.float64)
        # Morph targets come before skinning (glTF 2.0, 3.7.2.2 and 3.7.3.3).
        weights = n.get("weights", gltf["meshes"][n["mesh"]].get("weights"))
        for t, target in enumerate(prim.get("targets", [])):
            pos = pos + float(weights[t]) * accessor(gltf, binary, target["POSITION"])
        skin_m = np.zeros((pos.shape[0], 4, 4))
        s = 0
        while "JOINTS_%d" % s in prim["attributes"]:
            jj = accessor(gltf, binary, prim["attributes"]["JOINTS_%d" % s]).astype(np.int64)
            ww = accessor(gltf, binary, prim["attributes"]["WEIGHTS_%d" % s]).astype(np.float64)
            for c in range(4):
                skin_m += ww[:, c, None, None] * jm[jj[:, c]]
            s += 1
        ph = np.concatenate([pos, np.ones((pos.shape[0], 1))], 1)
        v = np.einsum("nij,nj->ni", skin_m, ph)[:, :3]
        joints = np.stack([world[j][:3, 3] for j in skin["joints"]])
        scale = np.linalg.norm(world[skin["joints"][0]][:3, :3], axis=0).mean()
        meshes[n["name"]] = {"verts": v, "joints": joints, "scale": float(scale)}
    return meshes


def euler_zxy_to_mat(z, x, y):
    cz, sz, cx, sx, cy, sy = np.cos(z), np.sin(z), np.cos(x), np.sin(x), np.cos(y), np.sin(y)
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    return rz @ rx @ ry


def load_bvh(path):
    """Parses a BVH file: joints (name, parent, offset, channels), end sites, frames."""
    tok = open(path).read().split()
    i = 0
    joints, stack = [], []
    assert tok[0] == "HIERARCHY"
    i = 1
    while tok[i] != "MOTION":
        t = tok[i]
        if t in ("ROOT", "JOINT"):
            joints.append({"name": tok[i + 1], "parent": stack[-1] if stack else -1,
                           "channels": [], "end": False})
            i += 2
        elif t == "End":
            joints.append({"name": joints[stack[-1]]["name"] + "_end", "parent": stack[-1],
                           "channels": [], "end": True})
            i += 2
        elif t == "{":
            stack.append(len(joints) - 1)
            i += 1
        elif t == "}":
            stack.pop()
            i += 1
        elif t == "OFFSET":
            joints[stack[-1]]["offset"] = np.array([float(v) for v in tok[i + 1:i + 4]])
            i += 4
        elif t == "CHANNELS":
            n = int(tok[i + 1])
            joints[stack[-1]]["channels"] = tok[i + 2:i + 2 + n]
            i += 2 + n
        else:
            raise ValueError("unexpected token %r" % t)
    assert tok[i + 1] == "Frames:" and tok[i + 3] == "Frame" and tok[i + 4] == "Time:"
    nframes, frame_time = int(tok[i + 2]), float(tok[i + 5])
    values = np.array([float(v) for v in tok[i + 6:]])
    nch = sum(len(j["channels"]) for j in joints)
    assert values.size == nframes * nch, "motion has %d values, expected %d" % (values.size,
                                                                                 nframes * nch)
    return joints, frame_time, values.reshape(nframes, nch)


def bvh_fk(joints, row):
    world, c = [], 0
    for j in joints:
        m = np.eye(4)
        m[:3, 3] = j.get("offset", np.zeros(3))
        pos = np.zeros(3)
        rot = {"Xrotation": 0.0, "Yrotation": 0.0, "Zrotation": 0.0}
        order = []
        for ch in j["channels"]:
            if ch.endswith("position"):
                pos["XYZ".index(ch[0])] = row[c]
            else:
                rot[ch] = np.radians(row[c])
                order.append(ch)
            c += 1
        if order:
            assert order == ["Zrotation", "Xrotation", "Yrotation"], order
            m[:3, :3] = euler_zxy_to_mat(rot["Zrotation"], rot["Xrotation"], rot["Yrotation"])
        m[:3, 3] += pos
        world.append((world[j["parent"]] if j["parent"] >= 0 else np.eye(4)) @ m)
    return np.stack([w[:3, 3] for w in world])


def main():
    req = json.load(open(sys.argv[1]))
    report = {}
    gltf, binary = load_glb(req["glb"])
    report["animation_end"] = max(
        float(gltf["accessors"][s["input"]]["max"][0]) for s in gltf["animations"][0]["samplers"])
    report["extras"] = gltf["asset"].get("extras", {})
    report["nodes"] = [n.get("name", "") for n in gltf["nodes"]]
    posed = [pose_glb(gltf, binary, t) for t in req["times"]]
    report["scales"] = {name: [p[name]["scale"] if name in p else None for p in posed]
                        for name in ("right_hand", "left_hand")}
    for side, exp in req.get("expected", {}).items():
        name = side + "_hand"
        frames = exp["frames"]  # indices into times
        ev = np.fromfile(exp["verts"]).reshape(len(frames), -1, 3)
        el = np.fromfile(exp["verts_lbs"]).reshape(len(frames), -1, 3)
        ej = np.fromfile(exp["joints"]).reshape(len(frames), -1, 3)
        gv = np.stack([posed[f][name]["verts"] for f in frames])
        gj = np.stack([posed[f][name]["joints"] for f in frames])
        report[side] = {
            "vertex_err_mano_mm": float(np.abs(gv - ev).max() * 1000),
            "vertex_err_mano_mean_mm": float(np.linalg.norm(gv - ev, axis=2).mean() * 1000),
            "vertex_err_lbs_mm": float(np.abs(gv - el).max() * 1000),
            "joint_err_mm": float(np.abs(gj[:, :16] - ej[:, :16]).max() * 1000),
            "tip_err_mm": float(np.abs(gj[:, 16:] - ej[:, 16:]).max() * 1000),
        }
        if side in req.get("bvh", {}):
            joints, frame_time, motion = load_bvh(req["bvh"][side])
            bf = exp["bvh_frames"]
            skel = [k for k, j in enumerate(joints) if not j["end"]]
            ends = [k for k, j in enumerate(joints) if j["end"]]
            err, tip = 0.0, 0.0
            for e, f in enumerate(bf):
                p = bvh_fk(joints, motion[f])
                err = max(err, float(np.abs(p[skel] - ej[e, :16]).max()))
                names = [joints[joints[k]["parent"]]["name"] for k in ends]
                tip = max(tip, float(np.abs(p[ends] - ej[e, 16:][[
                    ["thumb3", "index3", "middle3", "ring3", "pinky3"].index(n) for n in names]]).max()))
            report[side]["bvh_joint_err_mm"] = err * 1000
            report[side]["bvh_tip_err_mm"] = tip * 1000
            report[side]["bvh_frames"] = int(motion.shape[0])
            report[side]["bvh_frame_time"] = frame_time
            report[side]["bvh_joint_names"] = [j["name"] for j in joints if not j["end"]]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
