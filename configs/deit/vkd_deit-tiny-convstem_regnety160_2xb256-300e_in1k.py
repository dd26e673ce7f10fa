# The official code's student variant: DeiT-Ti with the co-advise conv stem and a
# mean-of-patches distillation token (research notes, section A.3); otherwise the V_kD DeiT-Ti
# recipe. Its exported student loads into a config with this backbone, not into stock DeiT.
_base_ = ['./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py']

model = dict(student=dict(backbone=dict(type='ConvStemDistilledViT')))
