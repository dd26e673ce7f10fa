# Baseline without distillation: stock mmpretrain DeiT-S with the V_kD recipe's schedule.
_base_ = ['./deit-tiny_2xb256-300e_in1k.py']

model = dict(backbone=dict(arch='deit-small'), head=dict(in_channels=384))
