"""DCGAN generators (Radford et al., 2016): a latent vector to a 64x64 image.

``DCGANGenerator`` is the classic one.  The latent is a 1x1 "image" with ``nz``
channels; ``ConvTranspose2d(kernel_size=4, stride=1, padding=0)`` projects it to
4x4, and four ``ConvTranspose2d(kernel_size=4, stride=2, padding=1)`` layers double
it to 8, 16, 32 and 64.  Every input size runs (a transposed convolution accepts
any size); a larger latent grid gives a larger image, ``16 * (n + 3)``.

``DCGANShortGenerator`` is the variant people write when they switch the upsampling
layers to 3x3 kernels: ``ConvTranspose2d(kernel_size=3, stride=2, padding=1)`` gives
``2n - 1``, not ``2n``, so each layer needs ``output_padding=1``.  Here the last
layer was left without it, and the generator makes 63x63 images that no longer
match the 64x64 discriminator or the training data ("one pixel short").
"""

from torch import nn
from torch.nn import functional as F


class DCGANGenerator(nn.Module):
    """1x1 latent -> project (4x4) -> up1 (8) -> up2 (16) -> up3 (32) -> up4 (64)."""

    def __init__(self, nz: int = 8, ngf: int = 2, out_channels: int = 3):
        super().__init__()
        self.project = nn.ConvTranspose2d(nz, 8 * ngf, kernel_size=4, stride=1, padding=0, bias=False)
        self.norm0 = nn.BatchNorm2d(8 * ngf)
        self.up1 = nn.ConvTranspose2d(8 * ngf, 4 * ngf, kernel_size=4, stride=2, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(4 * ngf)
        self.up2 = nn.ConvTranspose2d(4 * ngf, 2 * ngf, kernel_size=4, stride=2, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(2 * ngf)
        self.up3 = nn.ConvTranspose2d(2 * ngf, ngf, kernel_size=4, stride=2, padding=1, bias=False)
        self.norm3 = nn.BatchNorm2d(ngf)
        self.up4 = nn.ConvTranspose2d(ngf, out_channels, kernel_size=4, stride=2, padding=1, bias=False)

    def forward(self, z):
        x = F.relu(self.norm0(self.project(z)))
        x = F.relu(self.norm1(self.up1(x)))
        x = F.relu(self.norm2(self.up2(x)))
        x = F.relu(self.norm3(self.up3(x)))
        return F.tanh(self.up4(x))


class DCGANShortGenerator(nn.Module):
    """Like DCGANGenerator with 3x3 upsampling kernels: output_padding=1 on up1..up3, forgotten on up4 (63x63)."""

    def __init__(self, nz: int = 8, ngf: int = 2, out_channels: int = 3):
        super().__init__()
        self.project = nn.ConvTranspose2d(nz, 8 * ngf, kernel_size=4, stride=1, padding=0, bias=False)
        self.norm0 = nn.BatchNorm2d(8 * ngf)
        self.up1 = nn.ConvTranspose2d(8 * ngf, 4 * ngf, kernel_size=3, stride=2, padding=1, output_padding=1,
                                      bias=False)
        self.norm1 = nn.BatchNorm2d(4 * ngf)
        self.up2 = nn.ConvTranspose2d(4 * ngf, 2 * ngf, kernel_size=3, stride=2, padding=1, output_padding=1,
                                      bias=False)
        self.norm2 = nn.BatchNorm2d(2 * ngf)
        self.up3 = nn.ConvTranspose2d(2 * ngf, ngf, kernel_size=3, stride=2, padding=1, output_padding=1, bias=False)
        self.norm3 = nn.BatchNorm2d(ngf)
        self.up4 = nn.ConvTranspose2d(ngf, out_channels, kernel_size=3, stride=2, padding=1, bias=False)  # 2n - 1

    def forward(self, z):
        x = F.relu(self.norm0(self.project(z)))
        x = F.relu(self.norm1(self.up1(x)))
        x = F.relu(self.norm2(self.up2(x)))
        x = F.relu(self.norm3(self.up3(x)))
        return F.tanh(self.up4(x))
