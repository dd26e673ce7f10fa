"""Convert an official ViDT checkpoint (naver-ai/vidt or roymiles/vkd) for vkd_mm's ViDT.

Usage: python tools/convert_vidt_checkpoint.py vidt_base_150.pth \
    checkpoints/vidt_swin-base_150e_coco.pth

The output is an MMEngine checkpoint (``{'state_dict': ..., 'meta': ...}``) with 80 COCO classes
that configs/vidt/*.py load with ``load_from``, ``tools/test.py`` or a distiller's
``teacher_ckpt``.
"""
import torch

from vkd_mm.hosts.mmdet import convert_official_vidt
from vkd_mm.utils import checkpoint_tool_parser, extract_state_dict, load_tool_checkpoint


def main():
    args = checkpoint_tool_parser(
        'Convert an official ViDT checkpoint',
        'official checkpoint (its `model` entry is read; one that pickles its argparse options '
        'needs --trust-checkpoint)', 'output path').parse_args()
    checkpoint = load_tool_checkpoint(args)
    state_dict = convert_official_vidt(extract_state_dict(checkpoint))
    torch.save({'state_dict': state_dict, 'meta': {'converted_from': args.checkpoint}}, args.out)
    print(f'{len(state_dict)} tensors written to {args.out}')


if __name__ == '__main__':
    main()
