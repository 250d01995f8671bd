"""The table of a scripts/cpu-sitting.sh sitting: per workload and thread count, our and
PyTorch's medians per round, PyTorch time / ours, and our peak RSS. Usage: sitting_table.py DIR"""
import collections
import glob
import json
import re
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/sitting"
ours, rss, torch = (collections.defaultdict(dict) for _ in range(3))
for f in glob.glob(f"{out}/ours.r*.t*"):
    r, t = re.search(r"r(\d+)\.t(\d)", f).groups()
    for line in open(f):
        m = re.search(r"\| ((?:texture-\d+-c\d+|abp|coopnets-mnist)) iteration[^|]*\| (\d) \| ([\d.]+) \|.*RSS_KB (\d+)", line)
        if m:
            ours[(m.group(1), t)][r] = float(m.group(3))
            rss[(m.group(1), t)][r] = int(m.group(4)) / 1024
for f in glob.glob(f"{out}/torch.r*.t*.json"):
    r, t = re.search(r"r(\d+)\.t(\d)", f).groups()
    for line in open(f):
        d = json.loads(line)
        if "sec_per_iter_median" in d:
            torch[(d["workload"].replace("abp-generator", "abp"), t)][r] = d["sec_per_iter_median"] * 1000


def fmt(d):
    return " / ".join(f"{d[r]:.1f}" if d[r] < 1000 else f"{d[r]:.0f}" for r in sorted(d))


print("| workload | threads | ours r1 / r2 | PyTorch r1 / r2 | PyTorch / ours | our peak RSS MiB |")
print("|---|---|---|---|---|---|")
for t in "12":
    for w in ["texture-128-c1", "texture-224-c1", "texture-128-c16", "texture-224-c16", "abp", "coopnets-mnist"]:
        o, p = ours.get((w, t), {}), torch.get((w, t), {})
        ratio = " / ".join(f"{p[r] / o[r]:.2f}" for r in sorted(o) if r in p)
        peak = max(rss[(w, t)].values(), default=0)
        print(f"| {w} | {t} | {fmt(o)} | {fmt(p)} | {ratio} | {peak:.0f} |")
