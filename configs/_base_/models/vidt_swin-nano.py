# ViDT Swin-nano (Song et al., ICLR 2022) as the official code builds it: a Swin body with RAM and
# 100 [DET] tokens, an encoder-free 6-layer deformable decoder (256-d, 8 heads, 4 levels, 4 points,
# FFN 1024, dropout 0.1) with iterative box refinement, 7 prediction levels (the body tokens and
# the 6 layers), focal / L1 / GIoU losses weighted 2 / 5 / 2 with the same Hungarian costs, and
# top-100 post-processing over queries x classes.
custom_imports = dict(imports=['vkd_mm'], allow_failed_imports=False)

model = dict(
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
            self_attn_cfg=dict(  # MultiheadAttention: dropout 0.1 on the weights and the output
                embed_dims=256, num_heads=8, attn_drop=0.1,
                dropout_layer=dict(type='Dropout', drop_prob=0.1), batch_first=True),
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
