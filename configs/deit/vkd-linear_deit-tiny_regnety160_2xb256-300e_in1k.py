# Table 6 ablation: V_kD DeiT-Ti with a linear projector and the teacher's layer norm.
# paper: Table 6, DeiT-Ti, linear projector + layer norm, top-1 figure unknown (not read here)
# differs: the differences of ./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py (wd, batch, fp32)
# The V_kD DeiT-Ti config with an unconstrained linear 192 -> 3024 projector (LinearProjector)
# in place of the orthogonal one; everything else unchanged.
_base_ = ['./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py']

model = dict(distill=[{{_base_.vkd_pooled.deit_tiny_linear}}])
