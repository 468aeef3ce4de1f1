"""A 1-D audio encoder/decoder (a small Wave-U-Net / Demucs-like model).

The encoder is two ``Conv1d(kernel_size=16, stride=8, padding=4)`` layers, each
mapping a length ``n`` to ``floor(n / 8)``; the decoder is two
``ConvTranspose1d(kernel_size=16, stride=8, padding=4)`` layers, each multiplying by
8 exactly, and the first decoder output is concatenated with the first encoder
output (the skip connection).

The real-world problem: the concatenation only lines up when ``floor(n / 8)`` is a
multiple of 8, i.e. for lengths ``64t .. 64t + 7`` -- not only multiples of 64, and
not "any length" as the folklore about 1-D models has it.  Where it runs, the
output is ``64t`` samples: up to 7 samples shorter than the input, which breaks a
loss against the input waveform.
"""

import torch
from torch import nn
from torch.nn import functional as F


class AudioDecoder(nn.Module):
    """down1 (/8) -> down2 (/8) -> mid -> up2 (x8) -> cat1 with down1 -> up1 (x8)."""

    def __init__(self, channels: int = 1, widths=(4, 8)):
        super().__init__()
        c1, c2 = widths
        self.down1 = nn.Conv1d(channels, c1, kernel_size=16, stride=8, padding=4)
        self.down2 = nn.Conv1d(c1, c2, kernel_size=16, stride=8, padding=4)
        self.mid = nn.Conv1d(c2, c2, kernel_size=3, padding=1)
        self.up2 = nn.ConvTranspose1d(c2, c1, kernel_size=16, stride=8, padding=4)
        self.up1 = nn.ConvTranspose1d(2 * c1, channels, kernel_size=16, stride=8, padding=4)

    def forward(self, x):
        d1 = F.relu(self.down1(x))
        d2 = F.relu(self.down2(d1))
        x = F.relu(self.mid(d2))
        x = F.relu(self.up2(x))
        return self.up1(torch.cat([x, d1], dim=1))  # cat1
