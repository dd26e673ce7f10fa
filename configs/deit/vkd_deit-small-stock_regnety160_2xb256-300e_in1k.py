# V_kD DeiT-S <- RegNetY-160 with a stock DeiT-S student, not the official conv-stem one.
# Stock mmpretrain DistilledVisionTransformer: patch-16 embedding, learned distillation token;
# otherwise the main recipe.
_base_ = ['./vkd_deit-small_regnety160_2xb256-300e_in1k.py']

model = dict(student=dict(backbone=dict(type='DistilledVisionTransformer')))
