# Table 6 ablation: V_kD DeiT-Ti with the orthogonal projector and no teacher normalisation.
# paper: Table 6, DeiT-Ti, orthogonal projector + no normalisation, top-1 figure unknown (not read)
# differs: the differences of ./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py (map, wd, batch, fp32)
# The V_kD DeiT-Ti config with the teacher's pooled feature compared as it is (no per-sample
# layer norm); everything else unchanged.
_base_ = ['./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py']

model = dict(distill=[{{_base_.vkd_pooled.deit_tiny_nonorm}}])
