"""A VGG-style convolutional encoder: five stages of 3x3 convolution + ReLU + ``MaxPool2d(2)``.

The feature extractor of VGG-16 (Simonyan & Zisserman, 2015) in miniature, as used for
perceptual losses and as the encoder of many segmentation models, ending in a 1x1
convolution ("head") instead of the fully connected classifier, so it is fully
convolutional: any input of at least 32x32 runs, and the output is ``floor(n / 32)``.

The real-world problem: there is no merge, so nothing checks that the sizes line up,
and the runtimes disagree on inputs that are too small.  PyTorch refuses a pooling
whose input is smaller than its window ("Output size is too small"); ONNX Runtime
pools a 1-pixel map into 1 pixel, so the exported ``.onnx`` file runs at every size
from 1 to 31 that the PyTorch model rejects, and returns a 1x1 map.
"""

from torch import nn


class Stage(nn.Module):
    """A 3x3 convolution with padding 1 and ReLU, then MaxPool2d(2): floor(n / 2)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(self.relu(self.conv(x)))


class VGGEncoder(nn.Module):
    """stage1..stage5 (each /2, rounding down), then a 1x1 convolution."""

    def __init__(self, in_channels: int = 3, out_channels: int = 4, widths=(4, 4, 8, 8, 8)):
        super().__init__()
        c1, c2, c3, c4, c5 = widths
        self.stage1 = Stage(in_channels, c1)
        self.stage2 = Stage(c1, c2)
        self.stage3 = Stage(c2, c3)
        self.stage4 = Stage(c3, c4)
        self.stage5 = Stage(c4, c5)
        self.head = nn.Conv2d(c5, out_channels, kernel_size=1)

    def forward(self, x):
        x = self.stage5(self.stage4(self.stage3(self.stage2(self.stage1(x)))))
        return self.head(x)
