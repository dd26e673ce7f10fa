# No-distillation baseline: stock DeiT-Ti, V_kD recipe's schedule.
# paper: Table 1, DeiT-Ti alone (DeiT's own figure), top-1 72.2
# differs: the V_kD recipe's schedule and augmentation, not DeiT's recipe behind 72.2
# Same schedule and augmentation as the V_kD configs, for a like-for-like comparison.
_base_ = ['mmpretrain::deit/deit-tiny_4xb256_in1k.py', '../_base_/distill/no_decay_on_pairs.py']

# The official V_kD DeiT recipe (roymiles/vkd train.py, utils/optimizer.py): AdamW with a fixed
# lr of 5e-4 (the code computes a scaled lr and never uses it), weight decay 0.05 without norms,
# biases, position embeddings and tokens, cosine to 5e-6 per iteration without warm-up, no
# gradient clipping, 300 epochs, 3-Augment + ColorJitter (DeiT III) instead of RandAugment /
# RandomErasing, Mixup 0.8 / CutMix 1.0 with label smoothing 0.1.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomChoice',
        transforms=[
            [dict(type='RandomGrayscale', prob=1.0, keep_channels=True)],
            [dict(type='Solarize', thr=128, prob=1.0)],
            [dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), prob=1.0)],
        ]),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type='PackInputs'),
]

train_dataloader = dict(batch_size=256, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        # and, our fix, the distillation pairs: the official projector is zeroed by weight
        # decay after one step
        custom_keys={{_base_.deit_no_decay}}),
)

param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=5e-6, by_epoch=True, begin=0, end=300,
         convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)

auto_scale_lr = dict(enable=False)
