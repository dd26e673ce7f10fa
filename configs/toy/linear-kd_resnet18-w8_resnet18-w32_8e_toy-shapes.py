# Ablation of the toy V_kD config: the same pair through an unconstrained linear projector
# (the paper's Fig. 5 baseline).
_base_ = ['./vkd_resnet18-w8_resnet18-w32_8e_toy-shapes.py']

model = dict(distill=[{{_base_.vkd_pooled.toy_resnet_linear}}])
