# V_kD for the BigGAN discriminator (the paper's generative setting): a frozen CLIP ViT-B/32
# image tower sees the same DiffAugmented real and fake images as D, fed as KD-DLGAN feeds it
# ([-1, 1] RGB, nearest x7 to 224). D's 512-d embedding goes through an orthogonal projector
# inside D; 10 x the batch mean L2 distance to the teacher feature (KD-DLGAN's distance and
# weight, which the V_kD author's "modified KD-DLGAN" keeps), in the discriminator steps; the
# teacher feature is not normalised (the author's 'no-normalisation' run). A config takes it as
# `model = {{_base_.vkd_model}}` over a diffaug-biggan config.
# CLIP weights: a local copy of openai/clip-vit-base-patch32 (transformers layout).
clip_path = 'checkpoints/clip-vit-base-patch32'

vkd_model = dict(
    discriminator=dict(
        type='VkDBigGANDiscriminator',
        kd_channels=512,
        kd_hidden_channels=1024,
        teacher_channels=512,
        projector=dict(type='OrthogonalProjector', orthogonal_map='matrix_exp')),
    teacher=dict(
        type='FrozenImageTeacher',
        encoder=dict(type='CLIPImageEncoder', pretrained=clip_path),
        input_mode='raw',
        channel_order='BGR'),
    teacher_norm=None,
    kd_loss=dict(type='L2DistanceLoss', loss_weight=10.0),
    kd_steps=('discriminator', ))
