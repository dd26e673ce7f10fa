# WKD-F from a ResNet-34 to a ResNet-18 on ImageNet, the official setting: last-stage maps
# (512 x 7 x 7), student through the conv bottleneck projector, 4 x 4 grid of per-channel
# Gaussians, mean-term weight 2, loss weight 0.02 with a cosine decay from epoch 0.
_base_ = ['../_base_/distill/resnet18_resnet34_in1k.py']

model = dict(distill=[{{_base_.resnet34_pairs.wkd_f_feature}}])

optim_wrapper = dict(optimizer=dict(nesterov=True))

custom_hooks = [dict(type='CosineLossWeightHook', pairs=['layer4'], start=0)]
