"""Write the student's weights alone from a distillation checkpoint.

The result loads with ``strict=True`` into the stock student model (the student config without
the distiller), e.g. for ``tools/test.py STUDENT_CONFIG OUT``. The teacher, the projectors and
the normalisers are dropped; the training meta data is kept.

Usage: python tools/export_student.py DISTILL_CHECKPOINT OUT_FILE
"""
import argparse

import torch

from vkd_mm.utils import export_student_state_dict, load_checkpoint_file


def parse_args():
    parser = argparse.ArgumentParser(description='Export the student of a distillation run')
    parser.add_argument('checkpoint', help='checkpoint written by a distillation run')
    parser.add_argument('out', help='output file')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='load with weights_only=False (runs code the file may carry; only for files you '
        'made)')
    return parser.parse_args()


def main():
    args = parse_args()
    checkpoint = load_checkpoint_file(args.checkpoint, map_location='cpu',
                                      trust=args.trust_checkpoint)
    state_dict = export_student_state_dict(checkpoint)
    torch.save(dict(meta=checkpoint.get('meta', {}), state_dict=state_dict), args.out)
    print(f'wrote {len(state_dict)} student tensors to {args.out}')


if __name__ == '__main__':
    main()
