# WKD-L (Lv et al., NeurIPS 2024): Wasserstein distance between the non-target class
# distributions, category costs 1 - CKA from the teacher's logits on the training images
# (tools/wkd_cost_matrix.py; the benchmark makes the file), official T=2, gamma 30 with a cosine
# decay, Sinkhorn eps 0.05, 10 iterations.
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = {{_base_.resnet_pairs.wkd_l}}

custom_hooks = [dict(type='CosineLossWeightHook', pairs=['logits'], start=0)]
