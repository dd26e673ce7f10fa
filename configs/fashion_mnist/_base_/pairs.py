# The distillation terms of the benchmark's rows for each student, as `model` fields: a method
# config takes `model = {{_base_.<student>_pairs.<row>}}` over its student's distill_* base.
# Features: the student's pooled final features (ResNet: 32-d; ViT: the mean of the 16 patch
# tokens after the last norm, 64-d) against the teacher's (64-d); logits: the 10 class logits
# (the ViT's class-token head). The DeiT-style student's rows all keep DeiT's distillation
# (KL at T=1 between its distillation head and the teacher's logits, as in configs/deit/) and
# add the feature term of the paper's DeiT ablation of projector and normalisation on the mean of its 16 patch tokens after
# the last norm (class and distillation tokens skipped).


def _rows(features, logits):
    def pooled(projector, teacher_norm=dict(type='SampleLayerNorm'), mode='smooth_l1'):
        return dict(
            name='pooled',
            student=features,
            teacher=dict(path='neck', index=0, channels=64),
            projector=projector,
            teacher_norm=teacher_norm,
            loss=dict(type='VkDLoss', mode=mode, loss_weight=1.0))

    def logit_pair(loss):
        return dict(
            name='logits',
            student=dict(path=logits, channels=10),
            teacher=dict(path='head.fc', channels=10),
            loss=loss)

    orthogonal = dict(type='OrthogonalProjector', orthogonal_map='matrix_exp')
    kd = logit_pair(dict(type='KLDivergenceLoss', temperature=4.0, loss_weight=1.0))
    return dict(
        # FitNet: an unconstrained linear projector, no normalisation, squared L2
        fitnet=dict(distill=[pooled(dict(type='LinearProjector'), None, 'mse')]),
        # Hinton KD: KL between the tempered logits (T=4, weighted T^2)
        kd=dict(logit_distill=[kd]),
        # V_kD: orthogonal projector (exp of a skew-symmetric matrix, then a slice), teacher under
        # a per-sample layer norm, smooth-L1; and its ablations
        vkd=dict(distill=[pooled(orthogonal)]),
        vkd_nonorm=dict(distill=[pooled(orthogonal, None)]),
        vkd_linear=dict(distill=[pooled(dict(type='LinearProjector'))]),
        vkd_mlp=dict(distill=[pooled(dict(type='MLPProjector', num_hidden_layers=2))]),
        vkd_kd=dict(distill=[pooled(orthogonal)], logit_distill=[kd]),
        # WKD-L, official T=2, gamma 30, Sinkhorn eps 0.05 and 10 iterations; the category costs
        # 1 - CKA from the teacher's logits on the training images (tools/wkd_cost_matrix.py; the
        # benchmark makes the file)
        wkd_l=dict(logit_distill=[
            logit_pair(
                dict(
                    type='WKDLogitLoss',
                    cost_matrix='work_dirs/kd_fashion_mnist/wkd_cost_resnet18-w8.pth',
                    temperature=2.0,
                    loss_weight=30.0,
                    sinkhorn_eps=0.05,
                    sinkhorn_iters=10))
        ]))


def _deit_rows():
    features = dict(path='backbone.ln1', channels=64, skip_tokens=2, pool='avg')

    def pooled(projector, teacher_norm):
        return [
            dict(
                name='pooled',
                student=features,
                teacher=dict(path='neck', index=0, channels=64),
                projector=projector,
                teacher_norm=teacher_norm,
                loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=1.0))
        ]

    orthogonal = dict(type='OrthogonalProjector', orthogonal_map='matrix_exp')
    linear = dict(type='LinearProjector')
    layer_norm = dict(type='SampleLayerNorm')
    return dict(
        deit_vkd=dict(distill=pooled(orthogonal, layer_norm)),
        deit_vkd_linear=dict(distill=pooled(linear, layer_norm)),
        deit_vkd_nonorm=dict(distill=pooled(orthogonal, None)),
        deit_vkd_linear_nonorm=dict(distill=pooled(linear, None)))


resnet_pairs = _rows(dict(path='neck', index=0, channels=32), 'head.fc')
vit_pairs = _rows(
    dict(path='backbone.ln1', channels=64, skip_tokens=1, pool='avg'), 'head.layers.head')
deit_pairs = _deit_rows()
deit_logit_pair = dict(
    name='dist',
    student=dict(path='head.layers.head_dist', channels=10),
    teacher=dict(path='head.fc', channels=10),
    loss=dict(type='KLDivergenceLoss', temperature=1.0, loss_weight=1.0))
