# ViDT Swin-nano on COCO (Song et al., ICLR 2022), the recipe of the official code: RAM body with
# 100 [DET] tokens, encoder-free 6-layer deformable decoder with box refinement, 7 prediction
# levels, focal / L1 / GIoU losses (2 / 5 / 2), AdamW lr 1e-4 for every parameter, wd 1e-4,
# grad clip 0.1, cosine over 50 epochs, DETR multi-scale augmentation, 8 GPUs x 2 images.
# Official: 40.4 AP (50 epochs).
_base_ = ['mmdet::deformable_detr/deformable-detr_r50_16xb2-50e_coco.py']

custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='ViDT',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    backbone=dict(
        type='ViDTSwin',
        arch='nano',
        num_det_tokens=100,
        # Swin-nano ImageNet-1K weights of the ViDT release (swin_nano_patch4_window7_224.pth);
        # set to None to start from random weights.
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/swin_nano_patch4_window7_224.pth')),
    embed_dims=256,
    decoder=dict(  # ViDTTransformerDecoder
        num_layers=6,
        return_intermediate=True,
        layer_cfg=dict(  # DeformableDetrTransformerDecoderLayer
            self_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True),
            cross_attn_cfg=dict(  # MultiScaleDeformableAttention
                embed_dims=256, num_heads=8, num_levels=4, num_points=4, dropout=0.1,
                batch_first=True),
            ffn_cfg=dict(embed_dims=256, feedforward_channels=1024, ffn_drop=0.1)),
        post_norm_cfg=None),
    bbox_head=dict(
        type='DeformableDETRHead',
        num_classes=80,
        sync_cls_avg_factor=True,
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='FocalLossCost', weight=2.0),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ])),
    test_cfg=dict(max_per_img=100))

# NOTE the official code exempts the backbone's 1-d parameters, biases and the [DET] token and
# position embedding from weight decay; mmengine's norm/bias multipliers exempt those of the
# decoder and head as well (wd 1e-4 there).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'det_token': dict(decay_mult=0.0),
            'det_pos_embed': dict(decay_mult=0.0)
        }))

max_epochs = 50
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, T_max=max_epochs,
         eta_min=1e-7)
]
auto_scale_lr = dict(base_batch_size=16)
