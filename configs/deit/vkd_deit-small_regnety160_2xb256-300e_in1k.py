# V_kD DeiT-S <- RegNetY-160 (paper 82.3 %), the official code's recipe; differs: projector wd 0.
# The DeiT-Ti config with the 384-wide conv-stem student. Stock-DeiT student:
# vkd_deit-small-stock_regnety160_2xb256-300e_in1k.py.
_base_ = ['./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py']

model = dict(
    student=dict(
        backbone=dict(arch='deit-small'),
        head=dict(in_channels=384)),
    distill=[{{_base_.vkd_pooled.deit_small}}])
