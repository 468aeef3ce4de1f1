"""A 4-level U-Net whose size rules are not "a multiple of 2^levels".

Downsampling is ``MaxPool2d(2, ceil_mode=True)`` (``o = ceil(n / 2)``), and each
decoder level upsamples differently, as happens when a model is assembled from
pieces:

* ``up3``: ``ConvTranspose2d(kernel_size=3, stride=2, padding=1)``, ``2n - 1``:
  restores an *odd* size (ceil-pooled);
* ``up2``: ``Upsample(scale_factor=2, mode="nearest")`` then a 3x3 convolution,
  ``2n``: restores an *even* size;
* ``up1``: ``ConvTranspose2d(kernel_size=3, stride=2, padding=1, output_padding=1)``,
  ``2n``: restores an even size.

The skips therefore need the input to be even, half of it even and a quarter of it
odd: the network runs exactly at ``8t + 4`` (4, 12, 20, ...), and *every* multiple
of 8 -- the folklore's answer for three poolings -- crashes in ``torch.cat``.
"""

import torch
from torch import nn


class ConvBlock(nn.Module):
    """Two 3x3 convolutions with padding 1, each followed by ReLU: size-preserving."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        return self.relu2(self.conv2(self.relu1(self.conv1(x))))


class UpsampleConv(nn.Module):
    """Nearest-neighbour x2 upsampling followed by a 3x3 convolution (padding 1)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)

    def forward(self, x):
        return self.conv(self.upsample(x))


class OddUNet(nn.Module):
    """enc1..enc3 with ceil-mode pools, a bottleneck, and three different decoder levels."""

    def __init__(self, in_channels: int = 3, out_channels: int = 2, widths=(4, 4, 8, 8)):
        super().__init__()
        c1, c2, c3, c4 = widths
        self.enc1 = ConvBlock(in_channels, c1)
        self.down1 = nn.MaxPool2d(2, ceil_mode=True)
        self.enc2 = ConvBlock(c1, c2)
        self.down2 = nn.MaxPool2d(2, ceil_mode=True)
        self.enc3 = ConvBlock(c2, c3)
        self.down3 = nn.MaxPool2d(2, ceil_mode=True)
        self.bottleneck = ConvBlock(c3, c4)
        self.up3 = nn.ConvTranspose2d(c4, c3, kernel_size=3, stride=2, padding=1)  # 2n - 1
        self.dec3 = ConvBlock(2 * c3, c3)
        self.up2 = UpsampleConv(c3, c2)  # 2n
        self.dec2 = ConvBlock(2 * c2, c2)
        self.up1 = nn.ConvTranspose2d(c2, c1, kernel_size=3, stride=2, padding=1, output_padding=1)  # 2n
        self.dec1 = ConvBlock(2 * c1, c1)
        self.head = nn.Conv2d(c1, out_channels, kernel_size=1)

    def forward(self, x):
        s1 = self.enc1(x)
        s2 = self.enc2(self.down1(s1))
        s3 = self.enc3(self.down2(s2))
        x = self.bottleneck(self.down3(s3))
        x = self.dec3(torch.cat([self.up3(x), s3], dim=1))  # cat3
        x = self.dec2(torch.cat([self.up2(x), s2], dim=1))  # cat2
        x = self.dec1(torch.cat([self.up1(x), s1], dim=1))  # cat1
        return self.head(x)
