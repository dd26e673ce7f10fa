# FitNet on the pooled final features: an unconstrained linear projector, no
# normalisation of the teacher, squared L2 (mean over channels).
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = {{_base_.vit_pairs.fitnet}}
