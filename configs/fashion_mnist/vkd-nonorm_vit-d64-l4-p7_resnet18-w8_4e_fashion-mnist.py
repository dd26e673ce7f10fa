# Ablation of V_kD: the same orthogonal projector, the teacher's features not normalised.
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = {{_base_.vit_pairs.vkd_nonorm}}
