# Teacher of the Fashion-MNIST benchmark: a ResNet-18 (CIFAR stem) of width 8, 1-channel input,
# trained alone for 15 epochs on the benchmark's training subset.
_base_ = ['./_base_/fashion-mnist_cls.py', './_base_/models.py']

model = {{_base_.teacher_model}}

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=15, eta_min=1e-5)
train_cfg = dict(by_epoch=True, max_epochs=15, val_interval=15)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=15, max_keep_ckpts=1))
