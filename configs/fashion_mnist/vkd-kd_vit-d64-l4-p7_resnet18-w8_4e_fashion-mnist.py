# V_kD plus Hinton KD on the logits (T=4).
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = {{_base_.vit_pairs.vkd_kd}}
