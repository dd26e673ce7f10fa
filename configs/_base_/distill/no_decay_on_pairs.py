# No weight decay on what the distiller adds per pair: `pairs.<name>.projector`, the pair's
# norms (`pairs.<name>.teacher_norm`, `.student_norm`) and loss (`pairs.<name>.loss`); MMEngine
# matches custom_keys as substrings of the parameter names. The orthogonal projector keeps
# orthonormal rows under any weight decay; excluding it avoids shrinking a parameter whose scale
# the map ignores. The official classification code decays its projector, which zeroes it after
# one step (its Householder parameterisation truncates the decayed diagonal); ours must not be.
# Use as `optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))`;
# `deit_no_decay` adds DeiT's no-decay tokens and position embedding, for a ViT student.
no_decay_on_pairs = {'pairs': dict(decay_mult=0.0)}
deit_no_decay = {
    '.cls_token': dict(decay_mult=0.0),
    '.dist_token': dict(decay_mult=0.0),
    '.pos_embed': dict(decay_mult=0.0),
    **no_decay_on_pairs,
}
