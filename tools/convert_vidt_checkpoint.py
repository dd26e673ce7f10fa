"""Convert an official ViDT checkpoint (naver-ai/vidt or roymiles/vkd) for vkd_mm's ViDT.

Usage: python tools/convert_vidt_checkpoint.py vidt_base_150.pth checkpoints/vidt_swin-base_150e_coco.pth

The output is an MMEngine checkpoint (``{'state_dict': ..., 'meta': ...}``) with 80 COCO classes
that configs/vidt/*.py load with ``load_from``, ``tools/test.py`` or a distiller's
``teacher_ckpt``.
"""
import argparse

import torch

from vkd_mm.hosts.mmdet import convert_official_vidt
from vkd_mm.utils import extract_state_dict, load_checkpoint_file


def main():
    parser = argparse.ArgumentParser(description='Convert an official ViDT checkpoint')
    parser.add_argument('src', help='official checkpoint (its `model` entry is read)')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='load with weights_only=False (runs code the file may carry; official checkpoints '
        'that pickle their argparse options need it)')
    args = parser.parse_args()
    checkpoint = load_checkpoint_file(args.src, map_location='cpu', trust=args.trust_checkpoint)
    state_dict = convert_official_vidt(extract_state_dict(checkpoint))
    torch.save({'state_dict': state_dict, 'meta': {'converted_from': args.src}}, args.dst)
    print(f'{len(state_dict)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
