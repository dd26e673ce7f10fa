# WKD-L on the logits combined with V_kD on the pooled last-stage features: an orthogonal
# 512 -> 512 projector, teacher features standardised over the batch, smooth-L1 (the pair of
# ../resnet/vkd_resnet18_resnet34_8xb32_in1k.py). Only the WKD-L term decays.
# The projector uses the Cholesky-QR map: exactly orthonormal like the paper's exp-then-slice
# (orthogonal_map='matrix_exp'), at a fraction of its cost (benchmarks/bench_projectors.py).
_base_ = ['./wkd-l_resnet18_resnet34_8xb32_in1k.py']

model = dict(distill=[{{_base_.resnet34_pairs.vkd_pooled}}])

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.no_decay_on_pairs}}))
