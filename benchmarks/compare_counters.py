"""How four popular cost counters count a transposed convolution, against tconvcalc's exact counts.

For each layer: thop, torchinfo, ptflops and fvcore's multiply-adds, next to tconvcalc's (from the model: the
pairs that land in the output, every input-tap pair, the zero-insertion and sub-pixel forms) and a brute-force
count (the layer run on all-ones input and weights sums exactly the landing pairs).  Prints one table; each
counter's column also names which of tconvcalc's counts it equals (``+ bias``: plus one per output element).

    python -m pip install thop torchinfo ptflops fvcore   # plus torch (the CPU wheel) and tconvcalc
    python benchmarks/compare_counters.py
"""

from __future__ import annotations

import contextlib
import io

import torch

from tconvcalc.model.arithmetic import conv_transpose_cost
from tconvcalc.model.spec import Layer

LAYERS = [  # (name, module, input spatial size)
    ("DCGAN up, k4 s2 p1", torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), (16, 16)),
    ("k3 s2 p1 op1", torch.nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), (16, 16)),
    ("U-Net up, k2 s2", torch.nn.ConvTranspose2d(128, 64, 2, stride=2), (32, 32)),
    ("k < s: k2 s4", torch.nn.ConvTranspose2d(16, 16, 2, stride=4), (8, 8)),
    ("grouped, dilated", torch.nn.ConvTranspose2d(32, 32, 3, stride=2, padding=2, dilation=2, groups=4), (16, 16)),
    ("audio 1-D k25 s4 p11 op1", torch.nn.ConvTranspose1d(32, 16, 25, stride=4, padding=11, output_padding=1),
     (1024,)),
]


def _quiet(call):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return call()


def thop_macs(module, x):
    import thop

    return int(_quiet(lambda: thop.profile(module, inputs=(x,), verbose=False))[0])


def torchinfo_macs(module, x):
    import torchinfo

    return int(_quiet(lambda: torchinfo.summary(module, input_data=x, verbose=0)).total_mult_adds)


def ptflops_macs(module, x):
    from ptflops import get_model_complexity_info

    macs, _ = _quiet(lambda: get_model_complexity_info(module, tuple(x.shape[1:]), as_strings=False,
                                                         print_per_layer_stat=False, backend="pytorch"))
    return int(macs)


def fvcore_macs(module, x):
    from fvcore.nn import FlopCountAnalysis

    return int(_quiet(lambda: FlopCountAnalysis(module, x).total()))


def brute_force(module, x):
    """The layer on ones with unit weights and no bias: each landing (input, tap, channel pair) adds exactly 1."""
    ones = torch.nn.functional.__dict__[f"conv_transpose{x.dim() - 2}d"]
    with torch.no_grad():
        y = ones(torch.ones_like(x, dtype=torch.float64), torch.ones_like(module.weight, dtype=torch.float64),
                 None, module.stride, module.padding, module.output_padding, module.groups, module.dilation)
    return round(y.sum().item())


def main() -> None:
    counters = {"thop": thop_macs, "torchinfo": torchinfo_macs, "ptflops": ptflops_macs, "fvcore": fvcore_macs}
    print(f"{'layer':26} {'landing':>11} {'brute':>11} {'all pairs':>11} {'zero-ins.':>11} {'sub-pixel':>11}  "
          + "  ".join(f"{name:>30}" for name in counters))
    for name, module, size in LAYERS:
        x = torch.randn(1, module.in_channels, *size)
        layer = Layer.from_pytorch(size, module.kernel_size, module.stride, module.padding, module.output_padding,
                                   module.dilation)
        cost = conv_transpose_cost(layer, module.in_channels, module.out_channels, module.groups)
        ours = {"landing": cost.macs, "all pairs": cost.macs_dense, "zero insertion": cost.zero_insertion,
                "sub-pixel": cost.subpixel}
        cells = []
        for counter in counters.values():
            try:
                value = counter(module, x)
            except Exception as error:  # a counter that cannot count the layer says so in its cell
                cells.append(f"{'fails: ' + type(error).__name__:>30}")
                continue
            # a counter may also count the bias as one multiply-add per output element
            same = next((f"= {label}" + (" + bias" if extra else "") for extra in (0, cost.output_elements)
                         for label, count in ours.items() if count + extra == value), None)
            cells.append(f"{value:>11,} {same or f'{value / cost.macs:.2f}× landing':>18}")
        print(f"{name:26} {cost.macs:>11,} {brute_force(module, x):>11,} {cost.macs_dense:>11,} "
              f"{cost.zero_insertion:>11,} {cost.subpixel:>11,}  " + "  ".join(cells))


if __name__ == "__main__":
    main()
