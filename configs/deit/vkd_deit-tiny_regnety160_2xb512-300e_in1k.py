# V_kD DeiT-Ti <- RegNetY-160 at the official batch: 2 GPUs x 512 images (scripts/train.sh).
# paper: Table 1, DeiT-Ti <- RegNetY-160, V_kD, top-1 78.3
# differs: projector: the paper's exp map here; the official code uses torch's Householder map
# differs: projector not weight-decayed; the official one is decayed, which zeroes it in 1 step
# differs: fp32; the official code trains under fp16 autocast (tools/train.py --amp for that)
# The 2 x 256 config with 512 images per GPU; the lr stays 5e-4 (the official code does not
# scale it).
#
#   tools/dist_train.sh configs/deit/vkd_deit-tiny_regnety160_2xb512-300e_in1k.py 2 --amp
_base_ = ['./vkd_deit-tiny_regnety160_2xb256-300e_in1k.py']

train_dataloader = dict(batch_size=512)
