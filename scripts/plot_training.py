#!/usr/bin/python3
"""Plots an `intershape train` log: the six loss terms and their total, the
learning rate, the speed and data-wait share, and the validation figures.

Usage: scripts/plot_training.py OUTPUT/train_log.jsonl out.png [--smooth N]

train_log.jsonl holds one JSON object per step ({"epoch", "step", "lr", the six
terms, "total", "images_per_second", "data_wait_share", ...}) and one per
validated epoch ({"epoch", "step", "val": {"mpjpe", "mpvpe", ...}}), as
core/train/training_run.h writes them. Needs Debian's python3-matplotlib.
"""
import argparse
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

TERMS = ["offset", "consis", "joint", "bone", "shape", "regularizer"]


def read_log(path):
    steps, vals = [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                j = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not JSON ({e})")
            if not isinstance(j, dict):
                continue
            if "val" in j:
                vals.append(j)
            elif "step" in j:
                steps.append(j)
    return steps, vals


def smooth(values, n):
    """Trailing mean over n steps (n <= 1: unchanged); None values skipped."""
    if n <= 1:
        return values
    out, window = [], []
    for v in values:
        if v is not None and math.isfinite(v):
            window.append(v)
        if len(window) > n:
            window.pop(0)
        out.append(sum(window) / len(window) if window else float("nan"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("png")
    ap.add_argument("--smooth", type=int, default=1, help="trailing mean over N steps")
    args = ap.parse_args()
    steps, vals = read_log(args.log)
    if not steps:
        sys.exit(f"{args.log}: no step records")
    x = [j["step"] for j in steps]

    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5), constrained_layout=True)
    ax = axes[0][0]
    for name in TERMS + ["total"]:
        y = smooth([j.get(name) for j in steps], args.smooth)
        ax.plot(x, y, label=name, linewidth=2.2 if name == "total" else 1.2,
                color="black" if name == "total" else None)
    ax.set_yscale("log")  # a term that is exactly 0 (no MANO fit in the batch) is not drawn
    ax.set_xlabel("step")
    ax.set_title("loss terms (weighted, summed over the 4 stages)")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(True, which="both", alpha=0.3)

    ax = axes[0][1]
    ax.plot(x, [j["lr"] for j in steps], color="tab:purple")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title("learning rate")
    ax.grid(True, which="both", alpha=0.3)
    # Epoch boundaries, where the schedule can change.
    for i in range(1, len(steps)):
        if steps[i]["epoch"] != steps[i - 1]["epoch"]:
            for a in axes[0]:
                a.axvline(x[i], color="grey", linestyle=":", linewidth=0.8)

    ax = axes[1][0]
    ips = [j.get("images_per_second") for j in steps]
    if all(v is None for v in ips):  # older logs: batch / seconds
        ips = [j["batch"] / j["seconds"] if j.get("seconds") else None for j in steps]
    ax.plot(x, smooth(ips, args.smooth), color="tab:green")
    ax.set_xlabel("step")
    ax.set_ylabel("images / s", color="tab:green")
    ax.set_title("speed and data-wait share")
    twin = ax.twinx()
    twin.plot(x, [100 * j.get("data_wait_share", float("nan")) for j in steps],
              color="tab:orange", linewidth=0.8)
    twin.set_ylabel("waiting on data, %", color="tab:orange")
    twin.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)

    ax = axes[1][1]
    if vals:
        ve = [j["epoch"] for j in vals]
        for key, color in (("mpjpe", "tab:blue"), ("mpvpe", "tab:red")):
            y = [j["val"].get(key) for j in vals]
            y = [v if isinstance(v, (int, float)) else float("nan") for v in y]
            ax.plot(ve, y, marker="o", color=color, label=key.upper())
        split = vals[-1]["val"].get("split", "?")
        ax.set_title(f"validation ({split} split), mm")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
        ax.grid(True, alpha=0.3)
    else:
        ax.set_title("validation")
        ax.text(0.5, 0.5, "no validation records\n(train with --val-split)", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()

    fig.suptitle(f"{args.log}: {len(steps)} steps, epochs {steps[0]['epoch']}-{steps[-1]['epoch']}")
    fig.savefig(args.png, dpi=100)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
