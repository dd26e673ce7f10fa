"""Write the student's weights alone from a distillation checkpoint.

The result loads with ``strict=True`` into the stock student model (the student config without
the distiller), e.g. for ``tools/test.py STUDENT_CONFIG OUT``. The teacher, the projectors and
the normalisers are dropped; the training meta data is kept.

Usage: python tools/export_student.py DISTILL_CHECKPOINT OUT_FILE
"""
import torch

from vkd_mm.utils import checkpoint_tool_parser, export_student_state_dict, load_tool_checkpoint


def main():
    args = checkpoint_tool_parser('Export the student of a distillation run',
                                  'checkpoint written by a distillation run').parse_args()
    checkpoint = load_tool_checkpoint(args)
    state_dict = export_student_state_dict(checkpoint)
    torch.save(dict(meta=checkpoint.get('meta', {}), state_dict=state_dict), args.out)
    print(f'wrote {len(state_dict)} student tensors to {args.out}')


if __name__ == '__main__':
    main()
