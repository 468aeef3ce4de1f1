"""The seed example: a 2x2 map upsampled to 4x4 by a k=2, s=2 transposed convolution.

Input [[1,2],[3,4]], kernel [[1,0],[0,0]]: every input sample lands on the top-left
of its 2x2 block, so the output is [[1,0,2,0],[0,0,0,0],[3,0,4,0],[0,0,0,0]].
"""

import numpy as np

import tconvcalc as tc
from tconvcalc import numeric

size = tc.conv_transpose_output_size((2, 2), 2, 2)
print(f"output size: {size[0]}x{size[1]}")
print("layer: nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2)")

x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
w = np.array([[[[1.0, 0.0], [0.0, 0.0]]]])
print(numeric.conv_transpose(x, w, stride=2)[0, 0].astype(int))
