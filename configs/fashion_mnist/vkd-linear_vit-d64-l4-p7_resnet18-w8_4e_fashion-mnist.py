# Ablation of V_kD: an unconstrained linear projector instead of the orthogonal one.
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = {{_base_.vit_pairs.vkd_linear}}
