# No-distillation baseline: stock DeiT-S, V_kD recipe's schedule (paper quotes DeiT's 79.8 %).
_base_ = ['./deit-tiny_2xb256-300e_in1k.py']

model = dict(backbone=dict(arch='deit-small'), head=dict(in_channels=384))
