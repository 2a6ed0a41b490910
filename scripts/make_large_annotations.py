#!/usr/bin/env python3
"""Writes InterHand2.6M-sized synthetic annotation files (test split layout) to
measure `intershape eval --load-only`: load time and peak memory.

Same schema as the real release (InterHand2.6M_test_{data,camera,MANO_NeuralAnnot}.json);
the defaults give files of about the real test split's size (~460 MB of data.json,
~300 MB of MANO fits). No images are written.

  python3 scripts/make_large_annotations.py --out /tmp/ih_large
  intershape eval --dataset /tmp/ih_large --synthetic --mano tests/data/mano --load-only
"""
import argparse
import json
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--annotations", type=int, default=850000)
    ap.add_argument("--cameras", type=int, default=40, help="cameras per capture")
    ap.add_argument("--captures", type=int, default=10)
    args = ap.parse_args()
    rnd = random.Random(7)
    ann_dir = os.path.join(args.out, "annotations", args.split)
    os.makedirs(ann_dir, exist_ok=True)
    frames_per_capture = max(1, args.annotations // (args.captures * args.cameras))
    cams = [str(400000 + c) for c in range(args.cameras)]

    def f():
        return rnd.uniform(-1, 1)

    # data.json, streamed: the file is written piece by piece.
    path = os.path.join(ann_dir, f"InterHand2.6M_{args.split}_data.json")
    with open(path, "w") as out:
        out.write('{"images": [')
        n = 0
        for cap in range(args.captures):
            for cam in cams:
                for fr in range(frames_per_capture):
                    if n:
                        out.write(", ")
                    out.write(json.dumps({
                        "id": n, "file_name": f"Capture{cap}/0000_dh_seq/cam{cam}/image{fr * 6}.jpg",
                        "width": 334, "height": 512, "capture": cap, "subject": cap,
                        "seq_name": "0000_dh_seq", "camera": cam, "frame_idx": fr * 6}))
                    n += 1
        out.write('], "annotations": [')
        for i in range(n):
            if i:
                out.write(", ")
            out.write(json.dumps({
                "id": i, "image_id": i,
                "bbox": [rnd.uniform(0, 200), rnd.uniform(0, 300), rnd.uniform(50, 150), rnd.uniform(50, 150)],
                "joint_valid": [[rnd.choice([0, 1, 1, 1])] for _ in range(42)],
                "hand_type": rnd.choice(["interacting", "interacting", "right", "left"]),
                "hand_type_valid": 1}))
        out.write("]}")

    cameras = {}
    for cap in range(args.captures):
        cameras[str(cap)] = {
            "campos": {c: [f() * 500, f() * 500, f() * 500] for c in cams},
            "camrot": {c: [[f(), f(), f()], [f(), f(), f()], [f(), f(), f()]] for c in cams},
            "focal": {c: [1200 + f(), 1200 + f()] for c in cams},
            "princpt": {c: [167 + f(), 256 + f()] for c in cams}}
    with open(os.path.join(ann_dir, f"InterHand2.6M_{args.split}_camera.json"), "w") as out:
        json.dump(cameras, out)

    path = os.path.join(ann_dir, f"InterHand2.6M_{args.split}_MANO_NeuralAnnot.json")
    with open(path, "w") as out:
        out.write("{")
        for cap in range(args.captures):
            if cap:
                out.write(", ")
            out.write(f'"{cap}": {{')
            for fr in range(frames_per_capture):
                if fr:
                    out.write(", ")
                fits = {h: {"pose": [f() * 0.3 for _ in range(48)], "shape": [f() for _ in range(10)],
                            "trans": [f() * 0.1, f() * 0.1, 1 + f() * 0.1]} for h in ("right", "left")}
                out.write(f'"{fr * 6}": ' + json.dumps(fits))
            out.write("}")
        out.write("}")
    for name in sorted(os.listdir(ann_dir)):
        print(f"{name}: {os.path.getsize(os.path.join(ann_dir, name)) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
