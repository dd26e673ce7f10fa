# Table 6 ablation: V_kD DeiT-Ti with a linear projector and no teacher normalisation.
# paper: Table 6, DeiT-Ti, linear projector + no normalisation, top-1 figure unknown (not read)
# differs: the differences of ./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py (wd, batch, fp32)
# The V_kD DeiT-Ti config with an unconstrained linear 192 -> 3024 projector (LinearProjector)
# and the teacher's pooled feature compared as it is; everything else unchanged.
_base_ = ['./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py']

model = dict(distill=[{{_base_.vkd_pooled.deit_tiny_linear_nonorm}}])
