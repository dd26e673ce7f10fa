# paper: Table 5, CIFAR-100 10 % data, FitNet row, FID: not transcribed
# differs: the paper gives no FitNet setting; this one is a choice (below)
# FitNet (Romero et al., ICLR 2015) hint in the KD-DLGAN loop: the CLIP teacher feature regressed
# from D's 512-d embedding through an unconstrained linear map (LinearProjector), with no
# normalisation and the squared L2 distance (10 x the mean squared error), in D's steps; otherwise
# as the vkd-diffaug-* config of the same data.
_base_ = ['./vkd-diffaug-biggan_1xb50_cifar100-10p-32x32.py']

model = dict(
    discriminator=dict(projector=dict(_delete_=True, type='LinearProjector')),
    kd_loss=dict(_delete_=True, type='VkDLoss', mode='mse', loss_weight=10.0))
