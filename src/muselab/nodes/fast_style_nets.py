"""The two published fast-style network layouts as torch modules (imported only when a .pth runs).

Parameter names follow each original, so their state dicts load as they are.
"""

import torch
from torch import nn


class ConvLayer(nn.Module):  # pytorch/examples naming: reflection pad, then conv2d
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.in1 = ConvLayer(c, c, 3, 1), nn.InstanceNorm2d(c, affine=True)
        self.conv2, self.in2 = ConvLayer(c, c, 3, 1), nn.InstanceNorm2d(c, affine=True)

    def forward(self, x):
        return x + self.in2(self.conv2(torch.relu(self.in1(self.conv1(x)))))


class UpsampleConv(nn.Module):  # nearest-neighbour upsampling, then a stride-1 convolution
    def __init__(self, cin, cout, k, upsample):
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, 1)

    def forward(self, x):
        x = nn.functional.interpolate(x, mode="nearest", scale_factor=self.upsample)
        return self.conv2d(self.reflection_pad(x))


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network, as pytorch/examples lays it out."""

    def __init__(self):
        super().__init__()
        self.conv1, self.in1 = ConvLayer(3, 32, 9, 1), nn.InstanceNorm2d(32, affine=True)
        self.conv2, self.in2 = ConvLayer(32, 64, 3, 2), nn.InstanceNorm2d(64, affine=True)
        self.conv3, self.in3 = ConvLayer(64, 128, 3, 2), nn.InstanceNorm2d(128, affine=True)
        for i in range(1, 6):
            setattr(self, f"res{i}", Residual(128))
        self.deconv1, self.in4 = UpsampleConv(128, 64, 3, 2), nn.InstanceNorm2d(64, affine=True)
        self.deconv2, self.in5 = UpsampleConv(64, 32, 3, 2), nn.InstanceNorm2d(32, affine=True)
        self.deconv3 = ConvLayer(32, 3, 9, 1)

    def forward(self, x):
        y = torch.relu(self.in1(self.conv1(x)))
        y = torch.relu(self.in2(self.conv2(y)))
        y = torch.relu(self.in3(self.conv3(y)))
        for i in range(1, 6):
            y = getattr(self, f"res{i}")(y)
        y = torch.relu(self.in4(self.deconv1(y)))
        y = torch.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)


class RConv(nn.Module):  # rrmina naming: reflection_pad, conv_layer, norm_layer
    def __init__(self, cin, cout, k, stride, norm=True):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv_layer = nn.Conv2d(cin, cout, k, stride)
        self.norm_layer = nn.InstanceNorm2d(cout, affine=True) if norm else None

    def forward(self, x):
        x = self.conv_layer(self.reflection_pad(x))
        return self.norm_layer(x) if self.norm_layer is not None else x


class RResidual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.relu, self.conv2 = RConv(c, c, 3, 1), nn.ReLU(), RConv(c, c, 3, 1)

    def forward(self, x):
        return x + self.conv2(self.relu(self.conv1(x)))


class RDeconv(nn.Module):  # a transposed convolution, then instance norm
    def __init__(self, cin, cout, k, stride, output_padding):
        super().__init__()
        self.conv_transpose = nn.ConvTranspose2d(cin, cout, k, stride, k // 2, output_padding)
        self.norm_layer = nn.InstanceNorm2d(cout, affine=True)

    def forward(self, x):
        return self.norm_layer(self.conv_transpose(x))


class TransformerNetwork(nn.Module):
    """rrmina's variant: transposed convolutions to upsample, no output activation."""

    def __init__(self):
        super().__init__()
        self.ConvBlock = nn.Sequential(RConv(3, 32, 9, 1), nn.ReLU(), RConv(32, 64, 3, 2), nn.ReLU(),
                                       RConv(64, 128, 3, 2), nn.ReLU())
        self.ResidualBlock = nn.Sequential(*[RResidual(128) for _ in range(5)])
        self.DeconvBlock = nn.Sequential(RDeconv(128, 64, 3, 2, 1), nn.ReLU(), RDeconv(64, 32, 3, 2, 1), nn.ReLU(),
                                         RConv(32, 3, 9, 1, norm=False))

    def forward(self, x):
        return self.DeconvBlock(self.ResidualBlock(self.ConvBlock(x)))
