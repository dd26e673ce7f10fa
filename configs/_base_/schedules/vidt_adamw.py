# The official ViDT optimiser: AdamW, lr 1e-4, wd 1e-4, gradient clipping at 0.1.
# NOTE the official code exempts the backbone's 1-d parameters, biases and the [DET] token and
# position embedding from weight decay; mmengine's norm/bias multipliers exempt those of the
# decoder and head as well (wd 1e-4 there).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'det_token': dict(decay_mult=0.0),
            'det_pos_embed': dict(decay_mult=0.0)
        }))
