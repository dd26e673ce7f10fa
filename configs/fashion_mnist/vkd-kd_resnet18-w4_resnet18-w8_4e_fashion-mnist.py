# V_kD plus Hinton KD on the logits (T=4).
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = {{_base_.resnet_pairs.vkd_kd}}
