# CNN student of the Fashion-MNIST benchmark trained alone: a ResNet-18 of width 4 (32-d).
_base_ = ['./_base_/fashion-mnist_cls.py', './_base_/models.py']

model = {{_base_.resnet_student}}
