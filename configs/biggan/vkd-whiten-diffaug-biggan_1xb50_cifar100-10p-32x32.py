# + V_kD (author's 'whiten' run), CIFAR-100 10 %; differs: the projector trains with D.
# Teacher features whitened over each batch of 50 by BatchWhiten's defaults (the author's
# whitening code is not published); otherwise as the vkd-diffaug-* config of the same data.
_base_ = ['./vkd-diffaug-biggan_1xb50_cifar100-10p-32x32.py']

model = dict(teacher_norm=dict(_delete_=True, type='BatchWhiten'))
