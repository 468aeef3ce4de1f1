"""A pix2pix-style U-Net generator (Isola et al., 2017), 5 levels.

The encoder is five ``Conv2d(kernel_size=4, stride=2, padding=1)`` layers, each
halving the size (rounding down: ``o = floor(n / 2)``); the decoder is five
``ConvTranspose2d(kernel_size=4, stride=2, padding=1)`` layers, each doubling it
exactly, and every decoder level but the last concatenates the encoder output of
the same size (the skip connection).

The real-world problem: pix2pix is trained on 256x256 crops and users then feed it
whole photos.  Five halvings accept the input only at ``32t`` and ``32t + 1`` (t >= 1)
on every axis -- the first convolution's rounding down forgives one extra pixel, no
level below it does -- and the output is then ``32t``.  At 250x300 a concatenation
fails ("Sizes of tensors must match"), and no ``output_padding`` on one layer alone
fixes every level.  (A Keras port with ``padding="same"``, as in the TensorFlow
tutorial, rounds up instead and accepts ``32t - 1`` and ``32t``.)
"""

import torch
from torch import nn
from torch.nn import functional as F


class Down(nn.Module):
    """LeakyReLU -> Conv2d(k=4, s=2, p=1) -> norm: halves the size, rounding down."""

    def __init__(self, in_channels: int, out_channels: int, norm: bool = True, act: bool = True):
        super().__init__()
        self.act = act
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1)
        self.norm = nn.BatchNorm2d(out_channels) if norm else nn.Identity()

    def forward(self, x):
        if self.act:
            x = F.leaky_relu(x, 0.2)
        return self.norm(self.conv(x))


class Up(nn.Module):
    """ReLU -> ConvTranspose2d(k=4, s=2, p=1) -> norm: doubles the size exactly."""

    def __init__(self, in_channels: int, out_channels: int, norm: bool = True):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1)
        self.norm = nn.BatchNorm2d(out_channels) if norm else nn.Identity()

    def forward(self, x):
        return self.norm(self.conv(F.relu(x)))


class Pix2PixGenerator(nn.Module):
    """down1..down5 (/32), up5..up1 (x32); up5..up2 are concatenated with down4..down1."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, widths=(4, 8, 8, 8, 8)):
        super().__init__()
        c1, c2, c3, c4, c5 = widths
        self.down1 = Down(in_channels, c1, norm=False, act=False)
        self.down2 = Down(c1, c2)
        self.down3 = Down(c2, c3)
        self.down4 = Down(c3, c4)
        self.down5 = Down(c4, c5, norm=False)  # innermost: no norm
        self.up5 = Up(c5, c4)
        self.up4 = Up(2 * c4, c3)
        self.up3 = Up(2 * c3, c2)
        self.up2 = Up(2 * c2, c1)
        self.up1 = Up(2 * c1, out_channels, norm=False)  # outermost: no norm, tanh

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        d4 = self.down4(d3)
        d5 = self.down5(d4)
        u = torch.cat([self.up5(d5), d4], dim=1)  # cat4
        u = torch.cat([self.up4(u), d3], dim=1)  # cat3
        u = torch.cat([self.up3(u), d2], dim=1)  # cat2
        u = torch.cat([self.up2(u), d1], dim=1)  # cat1
        return torch.tanh(self.up1(u))
