"""A DCGAN generator's spatial path, 1 -> 4 -> 8 -> 16 -> 32 -> 64, planned layer by layer.

The first layer projects the 1x1 latent to 4x4 (k=4, s=1, p=0); each later layer
doubles the size with the classic k=4, s=2, p=1, which the planner ranks first
among layers with padding (uniform overlap, no output_padding).
"""

import tconvcalc as tc

channels = [100, 512, 256, 128, 64, 3]
sizes = [1, 4, 8, 16, 32, 64]

for n, (i, o) in enumerate(zip(sizes, sizes[1:])):
    plan = tc.plan(i, o, kernel_sizes=[4], strides=[1, 2], max_padding=1, limit=1)
    (axis,) = plan.candidates[0].axes
    p, op = axis.pytorch
    assert tc.conv_transpose_output_size(i, axis.k, axis.s, p, op) == o
    print(f"{i:>3} -> {o:<3} nn.ConvTranspose2d({channels[n]}, {channels[n + 1]}, kernel_size={axis.k}, "
          f"stride={axis.s}, padding={p}, bias=False)")
