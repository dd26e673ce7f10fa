"""BigGAN trained with DiffAugment, LeCam and V_kD from a frozen image encoder.

The paper's generative experiments (V_kD, CVPR 2024, Tables 4-5) modify KD-DLGAN's training loop
(Cui et al., CVPR 2023): a frozen CLIP image encoder sees the same DiffAugmented real and fake
images as the discriminator; the discriminator's embedding of each goes through an orthogonal
projector and is matched to the (whitened) teacher features.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmagic.models.editors.biggan import BigGAN
from mmagic.structures import DataSample
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from torch import nn

from vkd_mm.models.distillers import DistillPair
from vkd_mm.registry import MODELS

__all__ = ['VkDBigGAN', 'LeCamRegularizer']

_STEPS = ('discriminator', 'generator')


class LeCamRegularizer(nn.Module):
    """LeCam regularisation (Tseng et al., CVPR 2021) with moving averages of D's outputs.

    loss = weight * (mean(relu(D(real) - ema_fake)^2) + mean(relu(ema_real - D(fake))^2)),
    applied once ``start_iter`` generator iterations have passed (KD-DLGAN: 0.3, decay 0.9,
    start 1000). The averages are buffers, so they are checkpointed and resumed.
    """

    def __init__(self, weight: float = 0.3, decay: float = 0.9, start_iter: int = 1000) -> None:
        super().__init__()
        self.weight, self.decay, self.start_iter = weight, decay, start_iter
        self.register_buffer('ema_real', torch.zeros(()))
        self.register_buffer('ema_fake', torch.zeros(()))

    def forward(self, pred_real: torch.Tensor, pred_fake: torch.Tensor,
                gen_iter: int) -> Optional[torch.Tensor]:
        """Update the averages; return the loss, or None before ``start_iter``."""
        with torch.no_grad():
            for ema, pred in ((self.ema_real, pred_real), (self.ema_fake, pred_fake)):
                ema.mul_(self.decay).add_((1 - self.decay) * pred.mean())
        if gen_iter < self.start_iter:
            return None
        return self.weight * (
            F.relu(pred_real - self.ema_fake).pow(2).mean() +
            F.relu(self.ema_real - pred_fake).pow(2).mean())


@MODELS.register_module()
class VkDBigGAN(BigGAN):
    """:class:`mmagic.models.BigGAN` with DiffAugment, optional LeCam and V_kD.

    Discriminator step (every iteration)::

        real, G(z) -> DiffAugment -> D (one pass on [fake; real]) -> hinge (+ LeCam)
                          |               `-> embedding -> D.projector -> s_real, s_fake
                          `-> frozen teacher -> teacher_norm -> t_real, t_fake
        loss_vkd_real = kd_loss(s_real, t_real), loss_vkd_fake = kd_loss(s_fake, t_fake)

    With ``kd_cross_terms`` each teacher feature also pulls the other half's embedding, as
    KD-DLGAN's aggregated distillation does (its ``TripletLoss_reverse``):
    loss_vkd_real = kd_loss(s_real, t_real) + kd_loss(s_fake, t_real), and likewise for fake.

    Generator step: ``-D(DiffAugment(G(z)))``, plus ``loss_vkd_gen_fake`` when ``kd_steps``
    includes 'generator'. Real and fake are normalised separately, each over its batch.

    The teacher is kept out of the module tree: it is not in checkpoints, not in DDP's
    parameters, not in the EMA, and follows the inputs' device.

    Args:
        teacher (dict, optional): a :class:`FrozenImageTeacher` config; None trains the
            DiffAugment baseline.
        teacher_norm (dict, optional): normaliser of the teacher features, held with
            ``kd_loss`` by the :class:`DistillPair` ``vkd_pair``. Default:
            ``BatchSampleWhiten`` (the paper's whitening: the 50 features of a batch made
            unit-norm and mutually orthogonal); None for no normalisation.
        kd_loss (dict): the V_kD loss. Default: ``L2DistanceLoss(loss_weight=10.0)``, the
            distance and weight of KD-DLGAN, which the V_kD author's runs build on.
        kd_steps (Sequence[str]): steps that get the V_kD term: 'discriminator' and/or
            'generator'. Default: ('discriminator', ) as the V_kD author's loop.
        kd_cross_terms (bool): in the discriminator step, each teacher feature also pulls the
            other half's embedding (KD-DLGAN). Default: False.
        diff_augment (dict, optional): DiffAugment config; None disables it.
        lecam (dict, optional): :class:`LeCamRegularizer` arguments; None disables it.
        **kwargs: :class:`BigGAN` arguments (generator, discriminator, steps, EMA, ...).
    """

    def __init__(self,
                 *args,
                 teacher: Optional[dict] = None,
                 teacher_norm: Optional[dict] = dict(type='BatchSampleWhiten'),
                 kd_loss: dict = dict(type='L2DistanceLoss', loss_weight=10.0),
                 kd_steps: Sequence[str] = ('discriminator', ),
                 kd_cross_terms: bool = False,
                 diff_augment: Optional[dict] = dict(type='DiffAugment'),
                 lecam: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        unknown = set(kd_steps) - set(_STEPS)
        if unknown:
            raise ValueError(f'kd_steps {sorted(unknown)} unknown; choose from {_STEPS}')
        self.kd_steps = tuple(kd_steps)
        self.kd_cross_terms = kd_cross_terms
        # a list keeps the teacher out of state_dict(), parameters() and DDP
        self._teacher = [MODELS.build(teacher)] if teacher is not None else []
        self.vkd_pair = None
        if self._teacher:
            if not hasattr(self.discriminator, 'projector'):
                raise ValueError('V_kD needs a discriminator with a projector, e.g. '
                                 "dict(type='VkDBigGANDiscriminator', ...)")
            # D projects its embedding itself (inside its DDP wrapper): the pair has no projector
            channels = self.discriminator.teacher_channels
            self.vkd_pair = DistillPair(
                'vkd',
                student=dict(path=None, channels=channels),
                teacher=dict(path=None, channels=channels),
                loss=kd_loss,
                teacher_norm=teacher_norm)
        self.diff_augment = MODELS.build(diff_augment) if diff_augment else nn.Identity()
        self.lecam = LeCamRegularizer(**lecam) if lecam is not None else None

    @property
    def teacher(self) -> Optional[nn.Module]:
        return self._teacher[0] if self._teacher else None

    def teacher_features(self, images: torch.Tensor) -> torch.Tensor:
        """Frozen teacher features (B, C_t) of augmented images, on the images' device."""
        teacher = self.teacher
        param = next(teacher.parameters(), None)
        if param is not None and param.device != images.device:
            teacher.to(images.device)
        return teacher(images)

    def vkd_losses(self, images: torch.Tensor, projected: torch.Tensor,
                   names: Sequence[str]) -> Dict[str, torch.Tensor]:
        """``loss_vkd_<name>`` per equal chunk of the batch (e.g. fake, real): the chunk's
        teacher target against its own embedding, and with ``kd_cross_terms`` against every
        other chunk's too.

        Args:
            images (Tensor): the augmented images D saw, (k * B, 3, H, W).
            projected (Tensor): D's projected embeddings of them, (k * B, C_t).
            names (Sequence[str]): one name per chunk of B.
        """
        pair = self.vkd_pair
        chunks = [
            pair.reduce(student, teacher) for student, teacher in zip(
                projected.chunk(len(names)),
                self.teacher_features(images).chunk(len(names)))
        ]
        students = [pair.project(student) for student, _ in chunks]
        # each chunk is normalised over its own batch of B
        targets = [pair.target(teacher) for _, teacher in chunks]
        losses = {}
        for index, (name, target) in enumerate(zip(names, targets)):
            pulled = students if self.kd_cross_terms else [students[index]]
            losses[f'loss_vkd_{name}'] = sum(pair.loss(student, target) for student in pulled)
        return losses

    @staticmethod
    def generator_iteration(discriminator_steps: int) -> int:
        """Generator updates so far, from the runner's iteration count."""
        return MessageHub.get_current_instance().get_info('iter', 0) // discriminator_steps

    def train_discriminator(self, inputs: dict, data_samples: DataSample,
                            optimizer_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        real_imgs = data_samples.gt_img
        real_labels = self.data_sample_to_label(data_samples)
        batch = real_imgs.shape[0]
        fake_labels = self.label_fn(num_batches=batch)
        with torch.no_grad():
            fake_imgs = self.generator(
                noise=self.noise_fn(num_batches=batch), label=fake_labels, return_noise=False)
        # NOTE one pass over [fake; real], as KD-DLGAN: one spectral-norm power iteration
        images = self.diff_augment(torch.cat([fake_imgs, real_imgs]))
        labels = torch.cat([fake_labels.view(-1), real_labels.view(-1)])
        with_kd = self.teacher is not None and 'discriminator' in self.kd_steps
        if with_kd:
            preds, projected = self.discriminator(images, label=labels, return_features=True)
        else:
            preds = self.discriminator(images, label=labels)
        pred_fake, pred_real = preds.split(batch)
        losses = dict(
            loss_disc_fake=F.relu(1 + pred_fake).mean(),
            loss_disc_real=F.relu(1 - pred_real).mean())
        if self.lecam is not None:
            lecam = self.lecam(pred_real, pred_fake,
                               self.generator_iteration(self.discriminator_steps))
            if lecam is not None:
                losses['loss_lecam'] = lecam
        if with_kd:
            losses.update(self.vkd_losses(images, projected, ('fake', 'real')))
        parsed_loss, log_vars = self.parse_losses(losses)
        optimizer_wrapper.update_params(parsed_loss)
        return log_vars

    def train_generator(self, inputs: dict, data_samples: DataSample,
                        optimizer_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        batch = len(data_samples)
        labels = self.label_fn(num_batches=batch)
        fake_imgs = self.generator(
            noise=self.noise_fn(num_batches=batch), label=labels, return_noise=False)
        images = self.diff_augment(fake_imgs)
        with_kd = self.teacher is not None and 'generator' in self.kd_steps
        if with_kd:
            preds, projected = self.discriminator(images, label=labels, return_features=True)
        else:
            preds = self.discriminator(images, label=labels)
        losses = dict(loss_gen=-preds.mean())
        if with_kd:
            losses.update(self.vkd_losses(images, projected, ('gen_fake', )))
        parsed_loss, log_vars = self.parse_losses(losses)
        optimizer_wrapper.update_params(parsed_loss)
        return log_vars
