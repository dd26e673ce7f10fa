# Ablation of the toy V_kD DeiT config: an unconstrained linear projector.
_base_ = ['./vkd_deit-tiny-4l-p4_resnet18-w32_8e_toy-shapes.py']

model = dict(distill=[{{_base_.vkd_pooled.toy_deit_linear}}])
