# MMPretrain's runtime; checkpoints every 40 epochs and of the best top-1 (the CRD code reports
# the best test accuracy over its 240 epochs).
_base_ = ['mmpretrain::_base_/default_runtime.py']

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=40, max_keep_ckpts=2, save_best='auto'))
