# DeiT-style distillation + V_kD, the paper's DeiT recipe: the mean of the patch tokens through
# an orthogonal projector (exp of a skew-symmetric matrix, then a slice) against the teacher's
# pooled features under a per-sample layer norm, smooth-L1 (the paper's DeiT ablation: orthogonal, layer norm).
_base_ = ['./_base_/distill_deit-cs-d64-l4-p7_resnet18-w8.py']

model = {{_base_.deit_pairs.deit_vkd}}
