# The V_kD token pairs of the official detection code for a ViDT student and teacher: the 4 patch
# levels after input_proj, the body [DET] tokens after tgt_proj and the neck [DET] tokens of all
# 7 decoder levels. Student tokens go through orthogonal 256 -> 256 projectors (exp of a
# skew-symmetric matrix); both sides are standardised per channel over all tokens of the batch;
# smooth-L1 with weight 4.0 per group. Use as `distill={{_base_.vidt_vkd_tokens}}`;
# `vidt_vkd_tokens_cholesky_qr` parameterises the same orthogonal projectors by a Cholesky-QR
# map, which is cheaper on CPU.
_base_ = ['./no_decay_on_pairs.py']


def token_pair(name, path, index=None, channels_last=False, orthogonal_map='matrix_exp'):
    source = dict(path=path, index=index, channels=256, channels_last=channels_last)
    return dict(
        name=name,
        student=source,
        teacher=source,
        projector=dict(type='OrthogonalProjector', orthogonal_map=orthogonal_map),
        student_norm=dict(type='BatchStandardize'),
        teacher_norm=dict(type='BatchStandardize'),
        loss=dict(type='VkDLoss', mode='smooth_l1', loss_weight=4.0))


def token_pairs(orthogonal_map):
    return [
        token_pair('patch8', 'input_proj.0', orthogonal_map=orthogonal_map),
        token_pair('patch16', 'input_proj.1', orthogonal_map=orthogonal_map),
        token_pair('patch32', 'input_proj.2', orthogonal_map=orthogonal_map),
        token_pair('patch64', 'input_proj.3', orthogonal_map=orthogonal_map),
        # [bs, 256, Q, 1]: the body [DET] tokens
        token_pair('body', 'tgt_proj', orthogonal_map=orthogonal_map),
        # [7, bs, Q, 256]: the body tokens and the 6 decoder layers' outputs, one projector
        token_pair('neck', 'decoder', 0, True, orthogonal_map=orthogonal_map),
    ]


vidt_vkd_tokens = token_pairs('matrix_exp')
vidt_vkd_tokens_cholesky_qr = token_pairs('cholesky_qr')
