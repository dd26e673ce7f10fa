# WKD-L (Lv et al., NeurIPS 2024) from a ResNet-34 to a ResNet-18 on ImageNet, the official
# setting: temperature 2, gamma 30 with a cosine decay from epoch 0, Sinkhorn eps 0.05 and 10
# iterations, costs 1 - exp(-(1 - CKA)) from the teacher's logits. The schedule is stock
# MMPretrain's (SGD 0.1, steps at 30/60/90, 100 epochs, batch 256) plus Nesterov, as official.
# Costs: the official wkd_cost_matrix/imagenet/ResNet34/logit_linear_cka.pth, or a file from
#   python tools/wkd_cost_matrix.py mmpretrain::resnet/resnet34_8xb32_in1k.py TEACHER_CKPT OUT
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher='mmpretrain::resnet/resnet34_8xb32_in1k.py',
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth',
    logit_distill=[
        dict(
            name='logits',
            student=dict(path='head.fc', channels=1000),
            teacher=dict(path='head.fc', channels=1000),
            loss=dict(
                type='WKDLogitLoss',
                cost_matrix='data/wkd_cost_matrix/imagenet/ResNet34/logit_linear_cka.pth',
                temperature=2.0,
                loss_weight=30.0,
                sinkhorn_eps=0.05,
                sinkhorn_iters=10,
                sharpen=1.0)),
    ])

optim_wrapper = dict(optimizer=dict(nesterov=True))

custom_hooks = [dict(type='CosineLossWeightHook', pairs=['logits'], start=0)]
