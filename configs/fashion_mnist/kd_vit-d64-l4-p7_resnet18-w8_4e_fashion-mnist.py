# Hinton KD: KL between the tempered logits (T=4, weighted T^2), plus the labels' CE.
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = {{_base_.vit_pairs.kd}}
