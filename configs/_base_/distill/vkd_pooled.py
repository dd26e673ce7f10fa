# The V_kD pairs on pooled final features of the toy-shapes and DeiT configs; a leaf sets
# `model.distill=[{{_base_.vkd_pooled.<row>}}]`. The paper's classification recipe: the student
# feature through an orthogonal projector (exp of a skew-symmetric matrix, then a slice), the
# teacher feature under a per-sample layer norm (the official code's target), smooth-L1. A DeiT
# student's feature is the mean of its patch tokens after the final norm (class and distillation
# tokens skipped). The `*_linear` rows swap in an unconstrained linear projector (the paper's
# Fig. 5 baseline); the `*_nonorm` rows leave the teacher feature unnormalised (Table 6).


def _pair(name, student, teacher, projector, normalise=True, **loss):
    return dict(
        name=name,
        student=student,
        teacher=teacher,
        projector=projector,
        teacher_norm=dict(type='SampleLayerNorm') if normalise else None,
        loss=dict(type='VkDLoss', mode='smooth_l1', **loss, loss_weight=1.0))


def _tokens(channels):
    return dict(path='backbone.ln1', channels=channels, skip_tokens=2, pool='avg')


def _rows():
    orthogonal = dict(type='OrthogonalProjector', orthogonal_map='matrix_exp')
    linear = dict(type='LinearProjector')
    toy_resnet = dict(path='neck', index=0, channels=64)
    toy_teacher = dict(path='neck', index=0, channels=256)
    regnety160 = dict(path='model.head.global_pool', channels=3024)
    return dict(
        # toy ResNet-18 w8 (64-d) <- w32 (256-d)
        toy_resnet=_pair('pooled', toy_resnet, toy_teacher, orthogonal),
        toy_resnet_linear=_pair('pooled', toy_resnet, toy_teacher, linear),
        # toy DeiT (192-d) <- toy ResNet-18 w32 (256-d)
        toy_deit=_pair('repr', _tokens(192), toy_teacher, orthogonal, beta=1.0),
        toy_deit_linear=_pair('repr', _tokens(192), toy_teacher, linear, beta=1.0),
        # DeiT-Ti (192-d) / DeiT-S (384-d) <- the pooled final RegNetY-160 feature (3024-d)
        deit_tiny=_pair('repr', _tokens(192), regnety160, orthogonal, beta=1.0),
        # the Table 6 ablation on DeiT-Ti: {orthogonal, linear} x {layer norm, none}
        deit_tiny_nonorm=_pair('repr', _tokens(192), regnety160, orthogonal, False, beta=1.0),
        deit_tiny_linear=_pair('repr', _tokens(192), regnety160, linear, beta=1.0),
        deit_tiny_linear_nonorm=_pair('repr', _tokens(192), regnety160, linear, False, beta=1.0),
        deit_small=_pair('repr', _tokens(384), regnety160, orthogonal, beta=1.0))


vkd_pooled = _rows()
