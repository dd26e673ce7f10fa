# V_kD for DeiT-S with a RegNetY-160 teacher (paper: 79.8 -> 82.3 % top-1): the DeiT-Ti
# config with a 384-wide student (projector 384 -> 3024).
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
            projector=dict(type='OrthogonalProjector', orthogonal_map='cholesky_qr'),
            teacher_norm=dict(type='SampleLayerNorm'),
            loss=dict(type='VkDLoss', mode='smooth_l1', beta=1.0, loss_weight=1.0)),
    ])
