# The DeiT-style student, the paper's projector x normalisation ablation: a linear projector,
# teacher under a layer norm.
_base_ = ['./_base_/distill_deit-cs-d64-l4-p7_resnet18-w8.py']

model = {{_base_.deit_pairs.deit_vkd_linear}}
