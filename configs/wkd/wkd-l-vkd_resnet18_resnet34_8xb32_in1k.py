# WKD-L on the logits combined with V_kD on the pooled last-stage features: an orthogonal
# 512 -> 512 projector (exp of a skew-symmetric matrix), teacher features standardised over the
# batch, smooth-L1. Only the WKD-L term decays.
# The projector uses the Cholesky-QR map: exactly orthonormal like the paper's exp-then-slice
# (orthogonal_map='matrix_exp'), at a fraction of its cost (benchmarks/bench_projectors.py).
_base_ = ['./wkd-l_resnet18_resnet34_8xb32_in1k.py']

model = dict(distill=[
    dict(
        name='pooled',
        student=dict(path='neck', index=0, channels=512),
        teacher=dict(path='neck', index=0, channels=512),
        projector=dict(type='OrthogonalProjector', orthogonal_map='cholesky_qr'),
        teacher_norm=dict(type='BatchStandardize'),
        loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'projectors': dict(decay_mult=0.0)}))
