# Ablation of V_kD: an unconstrained linear projector instead of the orthogonal one.
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = {{_base_.resnet_pairs.vkd_linear}}
