# V_kD from a ResNet-34 to a ResNet-18 on ImageNet, over the stock MMPretrain configs (stock
# schedule: SGD 0.1, steps at 30/60/90, 100 epochs, batch 256): the pooled final features,
# 512 -> 512 through an orthogonal projector (Cholesky-QR map), teacher standardised over the
# batch, smooth-L1. Point teacher_ckpt at ResNet-34 weights before training.
_base_ = ['../_base_/distill/resnet18_resnet34_in1k.py']

model = dict(distill=[{{_base_.resnet34_pairs.vkd_pooled}}])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))

custom_hooks = [dict(type='ProjectorDiagnosticsHook', interval=50)]
