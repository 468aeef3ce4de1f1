"""The explorer page: its size, and how fast it answers an input change, against peers in the same run.

In Chromium (Debian's, driven by Playwright, as the browser tests do) the page is loaded from file:// and one field
changed at a time; the time is from the change to the updated display, layout included.  Peers:

* the same answer in Python, warm: the model's report (`shape_report`), the Keras writer and the operator's
  triples for every cell - what the page computes and draws, minus the drawing;
* a cold `tconvcalc shape` of the same layer, which is what one would run instead of the page.

Targets: the page ≤ 200 KB; an update ≤ 50 ms for any layer the page draws (i ≤ 32).

    python benchmarks/bench_explore.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tconvcalc.conventions.code import translation_code
from tconvcalc.conventions import to_framework
from tconvcalc.explore import page_html
from tconvcalc.model.structure import axis_taps
from tconvcalc.reports.shape import shape_report
from tconvcalc.model.spec import Layer

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# (label, ndim, per-axis PyTorch values i, k, s, p, op, d): a small layer and the largest the page draws
CASES = [("3×3, k3 s2 p1 op1 (2-D)", 2, (3, 3, 2, 1, 1, 1)),
         ("8, k4 s2 p1 (1-D)", 1, (8, 4, 2, 1, 0, 1)),
         ("10×10, k5 s3: 32×32 scatter (2-D)", 2, (10, 5, 3, 0, 0, 1))]
NAMES = ("input_size", "kernel_size", "stride", "padding", "output_padding", "dilation")
CHANGE = """([ndim, names, values, padding]) => {
  const $ = id => document.getElementById(id);
  $(`ndim-${ndim}`).checked = true;
  for (let n = 0; n < ndim; n++) names.forEach((name, j) => { $(`axis${n}-${name}`).value = String(values[j]); });
  for (let n = 0; n < ndim; n++) $(`axis${n}-padding`).value = String(padding);
  const start = performance.now();
  $("axis0-padding").dispatchEvent(new Event("input", { bubbles: true }));
  void document.body.offsetHeight;  // the layout is part of the update
  return performance.now() - start;
}"""


def python_answer(ndim: int, values: tuple[int, ...]) -> None:
    """What the page computes, in Python: the report, the Keras lines and every cell's triples."""
    layer = Layer.from_pytorch(*values, ndim=ndim)
    shape_report(*([v] * ndim for v in values))
    translation_code(to_framework(layer, "keras"))
    for axis in layer.axes:
        axis_taps(axis)


def median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("playwright is not installed: python -m pip install '.[test]'")
    if chromium is None:
        sys.exit("chromium is not on the PATH: apt-get install chromium")
    page_text = page_html(Layer.from_pytorch(3, 3, 2, 1, 1, ndim=2))
    size = len(page_text.encode("utf-8"))
    script = shutil.which("tconvcalc")
    prefix = [script] if script else [sys.executable, "-m", "tconvcalc"]
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        path = Path(folder) / "explore.html"
        path.write_text(page_text, encoding="utf-8")
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(offline=True).new_page()
        page.goto(path.as_uri())
        print(f"page: {size / 1000:.1f} KB (target ≤ 200 KB), one file, nothing fetched")
        print(f"{'layer':<36} {'page ms':>8} {'python ms':>10} {'ratio':>6} {'cold shape ms':>14} {'ratio':>6}")
        for label, ndim, values in CASES:
            i, k, s, p, op, d = values
            page_times = [page.evaluate(CHANGE, [ndim, list(NAMES), list(values), p + n % 2]) for n in range(runs)]
            browser_ms = statistics.median(page_times)
            python_ms = median_ms(lambda: python_answer(ndim, values), runs)
            flags = [f"{flag}={','.join([str(v)] * ndim)}" for flag, v in
                     zip(("--in", "--k", "--s", "--p", "--op", "--d"), values)]
            cold_ms = median_ms(lambda: subprocess.run([*prefix, "shape", *flags], check=True,
                                                       stdout=subprocess.DEVNULL), max(3, runs // 4))
            print(f"{label:<36} {browser_ms:>8.2f} {python_ms:>10.2f} {browser_ms / python_ms:>5.1f}× "
                  f"{cold_ms:>14.1f} {browser_ms / cold_ms:>5.2f}×")
        browser.close()
    print(f"medians of {runs} changes (page: field change to updated display, layout included; target ≤ 50 ms)")


if __name__ == "__main__":
    main()
