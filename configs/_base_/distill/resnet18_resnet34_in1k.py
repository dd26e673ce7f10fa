# ResNet-34 teacher -> ResNet-18 student on ImageNet over the stock MMPretrain configs (SGD 0.1,
# steps at 30/60/90, 100 epochs, batch 256), and the pairs of the configs/resnet and configs/wkd
# rows; a leaf sets model.distill and / or model.logit_distill to them.
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py', './no_decay_on_pairs.py']

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher='mmpretrain::resnet/resnet34_8xb32_in1k.py',
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth')


def _wkd_logits(gamma):
    # WKD-L, official setting: T 2, Sinkhorn eps 0.05 and 10 iterations, costs from the official
    # wkd_cost_matrix/imagenet/ResNet34/logit_linear_cka.pth or from
    #   python tools/wkd_cost_matrix.py mmpretrain::resnet/resnet34_8xb32_in1k.py TEACHER_CKPT OUT
    return dict(
        name='logits',
        student=dict(path='head.fc', channels=1000),
        teacher=dict(path='head.fc', channels=1000),
        loss=dict(
            type='WKDLogitLoss',
            cost_matrix='data/wkd_cost_matrix/imagenet/ResNet34/logit_linear_cka.pth',
            temperature=2.0,
            loss_weight=gamma,
            sinkhorn_eps=0.05,
            sinkhorn_iters=10,
            sharpen=1.0))


def _wkd_feature(weight):
    # WKD-F, official setting: last-stage maps (512 x 7 x 7), student through the conv bottleneck
    # projector, 4 x 4 grid of per-channel Gaussians, mean-term weight 2
    return dict(
        name='layer4',
        student=dict(path='backbone', index=0, channels=512),
        teacher=dict(path='backbone', index=0, channels=512),
        projector=dict(type='ConvBottleneckProjector', hidden_channels=256),
        teacher_norm=None,
        loss=dict(type='WKDFeatureLoss', loss_weight=weight, mean_weight=2.0, grid=4))


resnet34_pairs = dict(
    # V_kD on the pooled final features: 512 -> 512 through an orthogonal projector with the
    # Cholesky-QR map (exactly orthonormal like the paper's exp-then-slice
    # orthogonal_map='matrix_exp', at a fraction of its cost: benchmarks/bench_projectors.py),
    # teacher standardised over the batch, smooth-L1
    vkd_pooled=dict(
        name='pooled',
        student=dict(path='neck', index=0, channels=512),
        teacher=dict(path='neck', index=0, channels=512),
        projector=dict(type='OrthogonalProjector', orthogonal_map='cholesky_qr'),
        teacher_norm=dict(type='BatchStandardize'),
        loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0)),
    wkd_l_logits=_wkd_logits(30.0),  # WKD-L alone: gamma 30
    wkd_lf_logits=_wkd_logits(10.0),  # with WKD-F: gamma 10
    wkd_f_feature=_wkd_feature(0.02),  # WKD-F alone
    wkd_lf_feature=_wkd_feature(1.0),  # with WKD-L: 1.0 (sic, 50x the WKD-F-only weight)
)
