# Hinton KD: KL between the tempered logits (T=4, weighted T^2), plus the labels' CE.
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = {{_base_.resnet_pairs.kd}}
