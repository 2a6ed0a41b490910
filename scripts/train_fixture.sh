#!/usr/bin/env bash
# The issue-12 acceptance run that is too long for CI: `intershape train` for
# 3 epochs on the fixture's train split (rule weights, no augmentation, batch
# 4: 2 steps an epoch, validated on the fixture's test split at each epoch
# end), then checks that the logged training loss went down, that each epoch
# was validated, that every epoch's checkpoint loads in PyTorch, plots the log
# (scripts/plot_training.py -> WORK_DIR/curves.png) and runs `intershape eval`
# on the last checkpoint (test split of the same fixture).
#
#   scripts/train_fixture.sh [BUILD_DIR] [WORK_DIR]
#
# Needs Debian's python3-torch for the torch.load check and python3-matplotlib
# for the plot. ~3 GB of disk for the
# checkpoints (1.3 GB each, with Adam's moments), removed at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
work="${2:-$(mktemp -d)}"
bin="$build/app/intershape"
data="$root/tests/data/interhand/InterHand2.6M_5fps_batch1"
mkdir -p "$work"
cp -r "$data" "$work/dataset"   # the joints cache is written next to the annotations

"$bin" train --synthetic --mano "$root/tests/data/mano" --dataset "$work/dataset" \
  --output "$work/run" --epochs 3 --batch 4 --no-augment --seed 1 --lr 1e-4 --threads 2 \
  --val-split test

/usr/bin/python3 - "$work/run" <<'PY'
import json, sys, torch
run = sys.argv[1]
records = [json.loads(l) for l in open(run + "/train_log.jsonl")]
steps = [r for r in records if "val" not in r]
vals = [r for r in records if "val" in r]
assert [v["epoch"] for v in vals] == [0, 1, 2], vals
print("validation MPJPE / MPVPE per epoch:",
      [(round(v["val"]["mpjpe"], 2), round(v["val"]["mpvpe"], 2)) for v in vals])
first = [s["total"] for s in steps if s["epoch"] == 0]
last = [s["total"] for s in steps if s["epoch"] == 2]
print("loss per step:", [round(s["total"], 3) for s in steps])
assert sum(last) / len(last) < sum(first) / len(first), "the training loss did not go down"
for e in range(3):
    ck = torch.load(f"{run}/snapshot_{e}.pth.tar", map_location="cpu")
    assert ck["epoch"] == e and len(ck["network"]) == 602, e
print("3 checkpoints load in torch.load; loss down from", first, "to", last)
PY

"$root/scripts/plot_training.py" "$work/run/train_log.jsonl" "$work/curves.png"

"$bin" eval --checkpoint "$work/run/snapshot_2.pth.tar" --dataset "$work/dataset" \
  --output "$work/eval" --device cpu --threads 2
rm -f "$work"/run/snapshot_*.pth.tar
echo "train_fixture: OK ($work)"
