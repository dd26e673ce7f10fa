# V_kD DeiT-S <- RegNetY-160 (paper 82.3 %), the official code's recipe; differs: projector wd 0.
# The DeiT-Ti config with the 384-wide conv-stem student. Stock-DeiT student:
# vkd_deit-small-stock_regnety160_2xb256-300e_in1k.py.
_base_ = ['./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py']

model = dict(
    student=dict(
        backbone=dict(arch='deit-small'),
        head=dict(in_channels=384)),
    distill=[
        dict(
            name='repr',
            student=dict(path='backbone.ln1', channels=384, skip_tokens=2, pool='avg'),
            teacher=dict(path='model.head.global_pool', channels=3024),
            projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp'),
            teacher_norm=dict(type='SampleLayerNorm'),
            loss=dict(type='VkDLoss', mode='smooth_l1', beta=1.0, loss_weight=1.0)),
    ])
