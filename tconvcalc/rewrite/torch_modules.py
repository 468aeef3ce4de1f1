"""The rewrites' PyTorch modules, needing nothing but torch: ``tconvcalc rewrite --emit pytorch`` prints this
file's classes as they are, so the code a deployer runs is the code tested here.

Both take their sizes as constructor arguments and make their own convolution (its weights come from a state
dict); :mod:`tconvcalc.rewrite.pytorch` builds them from a transposed layer with its weights rearranged.
"""

from math import prod

from torch import nn
from torch.nn import functional as F


class SubpixelConvTranspose(nn.Module):
    """ConvTranspose as pad (negative: crop) -> stride-1 Conv with out_channels * prod(strides) channels (each
    channel's phases, channel slowest) -> depth to space -> crop crop_start/crop_end per axis. pad is F.pad's
    (last axis first)."""

    def __init__(self, in_channels, out_channels, kernel_size, strides, pad, crop_start, crop_end, groups=1,
                 bias=True):
        super().__init__()
        self.strides, self.pads = tuple(strides), list(pad)
        self.shifts, self.trims = tuple(crop_start), tuple(crop_end)
        self.conv = getattr(nn, f"Conv{len(self.strides)}d")(in_channels, out_channels * prod(self.strides),
                                                              kernel_size, groups=groups, bias=bias)
        square = len(self.strides) == 2 and self.strides[0] == self.strides[1] > 1
        self.shuffle = nn.PixelShuffle(self.strides[0]) if square else None  # CRD order, as the channels are

    def extra_repr(self):
        return f"pad={tuple(self.pads)}, strides={self.strides}, crop_start={self.shifts}, crop_end={self.trims}"

    def forward(self, x):
        y = self.conv(F.pad(x, self.pads))
        if self.shuffle is not None:
            y = self.shuffle(y)
        elif prod(self.strides) > 1:  # (N, C*prod(s), *q) -> (N, C, q_1*s_1, ...): phase r_n after its q_n
            n = len(self.strides)
            batch, channels, *q = y.shape
            y = y.reshape(batch, channels // prod(self.strides), *self.strides, *q)
            order = [0, 1] + [axis for pair in zip(range(2 + n, 2 + 2 * n), range(2, 2 + n)) for axis in pair]
            y = y.permute(order).reshape(batch, channels // prod(self.strides),
                                         *(size * s for size, s in zip(q, self.strides)))
        return y[(..., *(slice(shift, y.shape[2 + n] - trim)
                         for n, (shift, trim) in enumerate(zip(self.shifts, self.trims))))]


class ZeroInsertionConvTranspose(nn.Module):
    """ConvTranspose as s - 1 zeros between inputs -> pad d(k-1) - b before, d(k-1) - e after (negative: crop;
    F.pad's order) -> stride-1 Conv with the flipped, transposed kernel and the layer's dilation."""

    def __init__(self, in_channels, out_channels, kernel_size, strides, pad, dilation=1, groups=1, bias=True):
        super().__init__()
        self.strides, self.pads = tuple(strides), list(pad)
        self.conv = getattr(nn, f"Conv{len(self.strides)}d")(in_channels, out_channels, kernel_size,
                                                              dilation=dilation, groups=groups, bias=bias)

    def extra_repr(self):
        return f"strides={self.strides}, pad={tuple(self.pads)}"

    def forward(self, x):
        for n, s in enumerate(self.strides):
            if s > 1:  # each sample followed by s - 1 zeros, the last sample's dropped
                dim = 2 + n
                spread = F.pad(x.unsqueeze(dim + 1), [0, 0] * (x.dim() - dim - 1) + [0, s - 1])
                x = spread.flatten(dim, dim + 1).narrow(dim, 0, (x.shape[dim] - 1) * s + 1)
        return self.conv(F.pad(x, self.pads))
