# DeiT-style distillation alone (the paper's DeiT baseline): the distillation head learns the
# teacher's logits (KL, T=1), the class head the labels; no feature term.
_base_ = ['./_base_/distill_deit-cs-d64-l4-p7_resnet18-w8.py']
