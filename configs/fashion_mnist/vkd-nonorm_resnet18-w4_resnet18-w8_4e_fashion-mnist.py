# Ablation of V_kD: the same orthogonal projector, the teacher's features not normalised.
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = {{_base_.resnet_pairs.vkd_nonorm}}
