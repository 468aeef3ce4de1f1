"""A 5-level 2-D U-Net (Ronneberger et al., 2015) with "same" 3x3 convolutions.

Each encoder level is two 3x3 convolutions (padding 1) with ReLU, followed by
``MaxPool2d(2)``; each decoder level doubles the size with
``ConvTranspose2d(kernel_size=2, stride=2)``, concatenates the skip connection of
the same level, and applies two more 3x3 convolutions.

The real-world problem: the pools round down and the transposed convolutions
double exactly, so a decoder level only lines up with its skip when the encoder
size at that level was even.  Four pools need the input to be a multiple of 16
on every axis; anything else, e.g. a 350x525 photo, crashes in ``torch.cat``
with "Sizes of tensors must match except in dimension 1".

    tconvcalc net examples/networks/unet.py:UNet --in 350,525
"""

import torch
from torch import nn


class DoubleConv(nn.Module):
    """Two 3x3 convolutions with padding 1, each followed by ReLU: size-preserving."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        return self.relu2(self.conv2(self.relu1(self.conv1(x))))


class UNet(nn.Module):
    """5 levels: 4 poolings down, 4 transposed convolutions up, 4 skip concatenations."""

    def __init__(self, in_channels: int = 3, out_channels: int = 2, widths=(4, 4, 8, 8, 8)):
        super().__init__()
        c1, c2, c3, c4, c5 = widths
        self.enc1 = DoubleConv(in_channels, c1)
        self.down1 = nn.MaxPool2d(2)
        self.enc2 = DoubleConv(c1, c2)
        self.down2 = nn.MaxPool2d(2)
        self.enc3 = DoubleConv(c2, c3)
        self.down3 = nn.MaxPool2d(2)
        self.enc4 = DoubleConv(c3, c4)
        self.down4 = nn.MaxPool2d(2)
        self.bottleneck = DoubleConv(c4, c5)
        self.up4 = nn.ConvTranspose2d(c5, c4, kernel_size=2, stride=2)
        self.dec4 = DoubleConv(2 * c4, c4)
        self.up3 = nn.ConvTranspose2d(c4, c3, kernel_size=2, stride=2)
        self.dec3 = DoubleConv(2 * c3, c3)
        self.up2 = nn.ConvTranspose2d(c3, c2, kernel_size=2, stride=2)
        self.dec2 = DoubleConv(2 * c2, c2)
        self.up1 = nn.ConvTranspose2d(c2, c1, kernel_size=2, stride=2)
        self.dec1 = DoubleConv(2 * c1, c1)
        self.head = nn.Conv2d(c1, out_channels, kernel_size=1)

    def forward(self, x):
        s1 = self.enc1(x)
        s2 = self.enc2(self.down1(s1))
        s3 = self.enc3(self.down2(s2))
        s4 = self.enc4(self.down3(s3))
        x = self.bottleneck(self.down4(s4))
        x = self.dec4(torch.cat([self.up4(x), s4], dim=1))  # cat4
        x = self.dec3(torch.cat([self.up3(x), s3], dim=1))  # cat3
        x = self.dec2(torch.cat([self.up2(x), s2], dim=1))  # cat2
        x = self.dec1(torch.cat([self.up1(x), s1], dim=1))  # cat1
        return self.head(x)
