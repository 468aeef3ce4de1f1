"""A U-Net level with an odd size: the encoder's conv maps 33 -> 17, the decoder must give 33 back.

Convolution is many-to-one: with k=3, s=2, p=1 both 33 and 34 go to 17, so the
transposed convolution needs output_padding to say which one the skip connection has.
"""

import tconvcalc as tc

k, s, p = 3, 2, 1
down = tc.conv_output_size(33, k, s, p)
print(f"encoder: Conv2d(k={k}, s={s}, p={p}) maps 33 -> {down}")
print(f"every size that maps to {down}: {tc.conv_input_sizes(down, k, s, p)}")
for size in tc.conv_input_sizes(down, k, s, p):
    op = tc.output_padding_for(size, down, k, s, p)
    back = tc.conv_transpose_output_size(down, k, s, p, op)
    print(f"decoder back to {size}: nn.ConvTranspose2d(c, c, kernel_size={k}, stride={s}, padding={p}, "
          f"output_padding={op})  -> {back}")
