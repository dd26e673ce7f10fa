# WKD-L (Lv et al., NeurIPS 2024) from a ResNet-34 to a ResNet-18 on ImageNet, the official
# setting: temperature 2, gamma 30 with a cosine decay from epoch 0, Sinkhorn eps 0.05 and 10
# iterations, costs 1 - exp(-(1 - CKA)) from the teacher's logits. The schedule is stock
# MMPretrain's (SGD 0.1, steps at 30/60/90, 100 epochs, batch 256) plus Nesterov, as official.
# Costs: the official wkd_cost_matrix/imagenet/ResNet34/logit_linear_cka.pth, or a file from
#   python tools/wkd_cost_matrix.py mmpretrain::resnet/resnet34_8xb32_in1k.py TEACHER_CKPT OUT
_base_ = ['../_base_/distill/resnet18_resnet34_in1k.py']

model = dict(logit_distill=[{{_base_.resnet34_pairs.wkd_l_logits}}])

optim_wrapper = dict(optimizer=dict(nesterov=True))

custom_hooks = [dict(type='CosineLossWeightHook', pairs=['logits'], start=0)]
