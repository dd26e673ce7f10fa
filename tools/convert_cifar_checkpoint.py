"""Convert a CIFAR checkpoint of the CRD code (HobbitLong/RepDistiller) or mdistiller for the
CIFAR-100 configs of vkd_mm (configs/cifar100/).

Usage: python tools/convert_cifar_checkpoint.py ckpt_epoch_240.pth \
    checkpoints/cifar100/resnet32x4.pth configs/cifar100/resnet32x4_1xb64-240e_cifar100.py

The config names the architecture: its model is built and the converted weights are loaded into
it strictly, so a checkpoint of another architecture fails with its missing, unknown and wrongly
shaped keys named. The output is an MMEngine checkpoint (``{'state_dict': ..., 'meta': ...}``)
that ``tools/test.py``, ``load_from`` and a distiller's ``teacher_ckpt`` load.
"""
import torch
from mmengine.registry import DefaultScope

from vkd_mm.hosts.mmpretrain import convert_crd_cifar, crd_state_dict
from vkd_mm.registry import MODELS
from vkd_mm.utils import (checkpoint_tool_parser, load_config, load_state_dict_checked,
                          load_tool_checkpoint)


def main():
    parser = checkpoint_tool_parser(
        'Convert a CRD / mdistiller CIFAR checkpoint',
        'CRD checkpoint (its `model`, `net` or `state_dict` entry, or a bare state dict)',
        'output path')
    parser.add_argument('config', help='a configs/cifar100 config of the same architecture')
    args = parser.parse_args()
    checkpoint = load_tool_checkpoint(args)
    state_dict = convert_crd_cifar(crd_state_dict(checkpoint))
    cfg = load_config(args.config)
    model_cfg = cfg.model.student if cfg.model.type == 'VkDDistiller' else cfg.model
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        model = MODELS.build(model_cfg)
    load_state_dict_checked(
        model, state_dict, source=args.checkpoint, role=f'the model of {args.config}')
    torch.save({
        'state_dict': model.state_dict(),
        'meta': {
            'converted_from': args.checkpoint
        }
    }, args.out)
    print(f'{len(state_dict)} tensors written to {args.out}')


if __name__ == '__main__':
    main()
