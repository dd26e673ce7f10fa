# ViT student of the Fashion-MNIST benchmark trained alone: 64-d tokens, 2 heads, 4 layers,
# 7 x 7 patches; DeiT's optimiser settings (no decay on norms, biases, tokens, positions;
# the distillation pairs are not decayed either, by ./_base_/fashion-mnist_cls.py).
_base_ = ['./_base_/fashion-mnist_cls.py', './_base_/models.py']

model = {{_base_.vit_student}}

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }))
