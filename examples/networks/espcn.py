"""ESPCN-style single-image super-resolution (Shi et al., 2016), upscale factor 3.

Three "same" convolutions at low resolution (5x5 padding 2, 3x3 padding 1, 3x3
padding 1 to ``C * r * r`` channels), then ``PixelShuffle(r)`` rearranges the
channels into an ``r``-times larger image (depth-to-space, the sub-pixel
convolution).  No transposed convolution, so no checkerboard from uneven kernel
overlap, and every input size runs: the output is exactly ``3n`` per axis.

The real-world problem it shows: a mixed network whose "upsampling layer" is a
channel rearrangement; a shape tool has to size ``PixelShuffle`` (and its ONNX
form ``DepthToSpace``) as well as convolutions.
"""

from torch import nn


class ESPCN(nn.Module):
    """conv1 (5x5) -> conv2 (3x3) -> conv3 (3x3, C*r^2 channels) -> shuffle (x r)."""

    def __init__(self, channels: int = 1, upscale: int = 3, features=(16, 8)):
        super().__init__()
        f1, f2 = features
        self.conv1 = nn.Conv2d(channels, f1, kernel_size=5, padding=2)
        self.act1 = nn.Tanh()
        self.conv2 = nn.Conv2d(f1, f2, kernel_size=3, padding=1)
        self.act2 = nn.Tanh()
        self.conv3 = nn.Conv2d(f2, channels * upscale * upscale, kernel_size=3, padding=1)
        self.shuffle = nn.PixelShuffle(upscale)

    def forward(self, x):
        return self.shuffle(self.conv3(self.act2(self.conv2(self.act1(self.conv1(x))))))
