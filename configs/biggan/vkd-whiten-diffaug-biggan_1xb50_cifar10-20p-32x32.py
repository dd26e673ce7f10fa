# + V_kD with the teacher features whitened over each batch of 50 (ZCA with Ledoit-Wolf
# shrinkage, since 50 samples cannot give a full-rank 512 x 512 covariance).
_base_ = ['./vkd-diffaug-biggan_1xb50_cifar10-20p-32x32.py']

model = dict(teacher_norm=dict(_delete_=True, type='BatchWhiten'))
