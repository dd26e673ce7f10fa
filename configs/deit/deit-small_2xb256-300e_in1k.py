# No-distillation baseline: stock DeiT-S, V_kD recipe's schedule.
# paper: Table 1, DeiT-S alone (DeiT's own figure), top-1 79.8
# differs: the V_kD recipe's schedule and augmentation, not DeiT's recipe behind 79.8
_base_ = ['./deit-tiny_2xb256-300e_in1k.py']

model = dict(backbone=dict(arch='deit-small'), head=dict(in_channels=384))
