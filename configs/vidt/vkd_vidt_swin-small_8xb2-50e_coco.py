# V_kD ViDT Swin-small <- ViDT Swin-base (150 e) on COCO (paper Table 2); differs: 8 x 2 images (official 6 x 2).
# The Swin-nano V_kD recipe (../vidt_swin_nano_vkd.py: the official detection code's token pairs,
# orthogonal 256 -> 256 projectors with the paper's map, batch standardisation, smooth-L1 x 4)
# with the Swin-small student of ./vidt_swin-small_8xb2-50e_coco.py. Teacher as for Swin-nano; the
# paper does not name one per student (the official vidt/example.sh uses a Swin-small one).
#
#   tools/dist_train.sh configs/vidt/vkd_vidt_swin-small_8xb2-50e_coco.py 8
#   tools/test.py configs/vidt/vidt_swin-small_8xb2-50e_coco.py work_dirs/.../student.pth
_base_ = ['./vidt_swin-small_8xb2-50e_coco.py', '../_base_/distill/vidt_vkd_tokens.py']

teacher_config = '{{fileDirname}}/vidt_swin-base_8xb2-50e_coco.py'
teacher_ckpt = 'checkpoints/vidt_swin-base_150e_coco.pth'

model = dict(
    _delete_=True,
    type='VkDDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt,
    distill={{_base_.vidt_vkd_tokens}})

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'projectors': dict(decay_mult=0.0)}))
