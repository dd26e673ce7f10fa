# Ablation of V_kD: a 2-hidden-layer MLP projector (Linear-BN-ReLU x 2, Linear; hidden
# width 64) instead of the orthogonal one.
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = {{_base_.vit_pairs.vkd_mlp}}
