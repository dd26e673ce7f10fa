# WKD-L and WKD-F together, the official ImageNet ResNet-34 -> ResNet-18 setting: gamma 10,
# feature weight 1.0 (sic, 50x the WKD-F-only weight), both decayed with a cosine.
_base_ = ['./wkd-l_resnet18_resnet34_8xb32_in1k.py']

model = dict(
    logit_distill=[{{_base_.resnet34_pairs.wkd_lf_logits}}],
    distill=[{{_base_.resnet34_pairs.wkd_lf_feature}}])

custom_hooks = [dict(type='CosineLossWeightHook', pairs=['logits', 'layer4'], start=0)]
