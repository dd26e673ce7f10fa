# ViDT's own distillation, token matching (Song et al., ICLR 2022; official code
# naver-ai/vidt methods/vidt/criterion.py), as pairs of a TokenMatchingDistiller: the same
# tokens as the V_kD pairs (the 4 patch levels after input_proj, the body [DET] tokens after
# tgt_proj, the [DET] tokens of all 7 decoder levels), no projector, no normalisation; per group
# the mean over tokens of the L2 distance, the decoder group weighted by its 7 levels; the
# distiller takes 4 x the square root of the sum. Use as `distill={{_base_.vidt_token_matching}}`.


def token_pair(name, path, index=None, channels_last=False, weight=1.0):
    source = dict(path=path, index=index, channels=256, channels_last=channels_last)
    return dict(
        name=name,
        student=source,
        teacher=source,
        projector=None,
        teacher_norm=None,
        loss=dict(type='TokenMatchingLoss', loss_weight=weight))


vidt_token_matching = [
    token_pair('patch8', 'input_proj.0'),
    token_pair('patch16', 'input_proj.1'),
    token_pair('patch32', 'input_proj.2'),
    token_pair('patch64', 'input_proj.3'),
    # [bs, 256, Q, 1]: the body [DET] tokens
    token_pair('body', 'tgt_proj'),
    # [7, bs, Q, 256]: the body tokens and the 6 decoder layers' outputs
    token_pair('neck', 'decoder', 0, True, weight=7.0),
]
