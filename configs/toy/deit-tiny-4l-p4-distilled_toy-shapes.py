# Evaluation config of the distilled toy DeiT: the stock mmpretrain distilled DeiT
# (DistilledVisionTransformer + DeiTClsHead, both heads averaged), into which the students of
# the toy DeiT distillation configs export and load strictly. Like mmpretrain's own
# deit-tiny-distilled config, it is for evaluation only.
_base_ = ['./deit-tiny-4l-p4_8e_toy-shapes.py']

model = dict(
    backbone=dict(type='DistilledVisionTransformer'),
    head=dict(type='DeiTClsHead'),
)
