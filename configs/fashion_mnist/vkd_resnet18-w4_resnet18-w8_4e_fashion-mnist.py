# V_kD, the paper's classification recipe: orthogonal projector (exp of a skew-symmetric
# matrix, then a slice), teacher features under a per-sample layer norm, smooth-L1.
_base_ = ['./_base_/distill_resnet18-w4_resnet18-w8.py']

model = {{_base_.resnet_pairs.vkd}}
