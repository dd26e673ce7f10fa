"""Export the generator (and its EMA) of a trained GAN, without the discriminator, the V_kD
projector or the teacher: a checkpoint that MMagic's stock BigGAN config loads.

Usage: python tools/export_generator.py work_dirs/.../iter_500000.pth generator.pth
Then:  python tools/test.py mmagic::biggan/biggan_2xb25-500kiters_cifar10-32x32.py generator.pth
(the stock config reports the discriminator's weights as missing, which sampling never uses).
"""
import torch

from vkd_mm.utils import checkpoint_tool_parser, extract_state_dict, load_tool_checkpoint

GENERATOR_PREFIXES = ('generator.', 'generator_ema.')


def main():
    args = checkpoint_tool_parser('Export a GAN generator', 'training checkpoint',
                                  'output path').parse_args()
    checkpoint = load_tool_checkpoint(args)
    state = {
        k: v
        for k, v in extract_state_dict(checkpoint).items() if k.startswith(GENERATOR_PREFIXES)
    }
    if not any(k.startswith('generator.') for k in state):
        raise SystemExit(f'{args.checkpoint} has no generator.* weights')
    meta = dict(checkpoint.get('meta', {}), exported_from=args.checkpoint)
    torch.save({'state_dict': state, 'meta': meta}, args.out)
    print(f'{len(state)} generator tensors written to {args.out}')


if __name__ == '__main__':
    main()
