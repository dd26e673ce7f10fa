# WKD-L (Lv et al., NeurIPS 2024): Wasserstein distance between the non-target class
# distributions, category costs 1 - CKA from the teacher's logits on the training images
# (tools/wkd_cost_matrix.py; the benchmark makes the file), official T=2, gamma 30 with a cosine
# decay, Sinkhorn eps 0.05, 10 iterations.
_base_ = ['./_base_/distill_vit-d64-l4-p7_resnet18-w8.py']

model = dict(
    logit_distill=[
        dict(
            name='logits',
            student=dict(path='head.layers.head', channels=10),
            teacher=dict(path='head.fc', channels=10),
            loss=dict(
                type='WKDLogitLoss',
                cost_matrix='work_dirs/kd_fashion_mnist/wkd_cost_resnet18-w8.pth',
                temperature=2.0,
                loss_weight=30.0,
                sinkhorn_eps=0.05,
                sinkhorn_iters=10)),
    ])

custom_hooks = [dict(type='CosineLossWeightHook', pairs=['logits'], start=0)]
