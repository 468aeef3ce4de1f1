"""A DCGAN generator's spatial path, 4 -> 8 -> 16 -> 32 -> 64, planned end to end.

Radford et al.'s generator projects the latent to 4x4 (k=4, s=1, p=0 from 1x1) and then
doubles four times.  `tc.chain` searches every stack of four k=4, stride-2 layers from 4 to
64; the best is the classic k=4, s=2, p=1 (uniform overlap, no output_padding).
The same from the command line:

    tconvcalc chain --in 4 --out 64 --layers 4 --k 4 --s 2 --channels 512,256,128,64,3 --emit pytorch
"""

import tconvcalc as tc
from tconvcalc.model.arithmetic import layer_costs
from tconvcalc.conventions import pytorch_sequential

channels = [512, 256, 128, 64, 3]
project = tc.conv_transpose_output_size((1, 1), 4, 1, 0)  # the latent projection, 1x1 -> 4x4
result = tc.chain(project, (64, 64), layers=4, kernel_sizes=[4], strides=[2])
best = result.stacks[0]
print(f"latent 1x1 -> {project[0]}x{project[1]}, then {result.total} stacks of four k=4 s=2 layers reach 64; the best:")
for layer, cost in zip(best, layer_costs(best, channels)):
    axis = layer.axes[0]  # square layers: every axis the same
    p, op = axis.pytorch
    print(f"{axis.i:>3} -> {axis.o:<3} k={axis.k} s={axis.s} p={p} op={op}  {cost['flops']:>12,} FLOPs "
          f"{cost['params']:>10,} params")
print(pytorch_sequential(best, channels))
