"""Two `make bench` results side by side: `python -m tests.bench.compare BEFORE.json AFTER.json`.

Prints, per page, p50, p95, throughput and the ratio to the yardstick before and after, and names every
page that got slower (p95 up by more than the noise margin, or its ratio to the yardstick down by more).
The ratios compare fairly across runs because each run measures its own yardstick.
Exit status 1 when a page got slower, so a script can refuse a regression.
"""

import json
import sys
from pathlib import Path

# Two runs of the same code on this machine differ by up to about this much (p95 and ratio alike).
NOISE = 0.10


def pages(result):
    measured = [result["yardstick"], *result["pages"]]
    return {page["name"]: page for page in measured if page["status"] == "measured"}, result["yardstick"]["name"]


def slower(before, after):
    p95_up = after["p95_ms"] > before["p95_ms"] * (1 + NOISE)
    ratio_down = after.get("ratio_to_yardstick", 1) < before.get("ratio_to_yardstick", 1) * (1 - NOISE)
    return p95_up or ratio_down


def main(before_path, after_path):
    (before, yardstick), (after, _) = (pages(json.loads(Path(path).read_text())) for path in (before_path, after_path))
    header = f"{'page':<46} {'p50 ms':>15} {'p95 ms':>15} {'req/s':>15} {'ratio':>13}"
    print(header)
    print("-" * len(header))
    regressions = []
    for name, then in before.items():
        now = after.get(name)
        if now is None:
            print(f"{name:<46} not measured after")
            continue
        cells = [f"{then[key]:>6.1f} → {now[key]:>6.1f}" for key in ("p50_ms", "p95_ms", "requests_per_s")] + [
            f"{then.get('ratio_to_yardstick', 1):>5.2f} → {now.get('ratio_to_yardstick', 1):>5.2f}"
        ]
        flag = "  SLOWER" if name != yardstick and slower(then, now) else ""
        print(f"{name:<46} " + " ".join(f"{cell:>15}" for cell in cells) + flag)
        if flag:
            regressions.append(name)
    if regressions:
        print(f"\nSlower after: {', '.join(regressions)}")
    return 1 if regressions else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m tests.bench.compare BEFORE.json AFTER.json")
    sys.exit(main(sys.argv[1], sys.argv[2]))
