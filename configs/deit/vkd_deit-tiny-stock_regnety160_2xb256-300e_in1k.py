# V_kD DeiT-Ti <- RegNetY-160 with a stock DeiT-Ti student, not the official conv-stem one.
# Stock mmpretrain DistilledVisionTransformer: patch-16 embedding, learned distillation token;
# otherwise the main recipe.
# Its exported student loads into a stock mmpretrain DistilledVisionTransformer.
_base_ = ['./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py']

model = dict(student=dict(backbone=dict(type='DistilledVisionTransformer')))
