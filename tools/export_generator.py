"""Export the generator (and its EMA) of a trained GAN, without the discriminator, the V_kD
projector or the teacher: a checkpoint that MMagic's stock BigGAN config loads.

Usage: python tools/export_generator.py work_dirs/.../iter_500000.pth generator.pth
Then:  python tools/test.py mmagic::biggan/biggan_2xb25-500kiters_cifar10-32x32.py generator.pth
(the stock config reports the discriminator's weights as missing, which sampling never uses).
"""
import argparse

import torch

from vkd_mm.utils import extract_state_dict, load_checkpoint_file

GENERATOR_PREFIXES = ('generator.', 'generator_ema.')


def main():
    parser = argparse.ArgumentParser(description='Export a GAN generator')
    parser.add_argument('checkpoint', help='training checkpoint')
    parser.add_argument('out', help='output path')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='load with weights_only=False (runs code the file may carry; only for files you '
        'made)')
    args = parser.parse_args()
    checkpoint = load_checkpoint_file(args.checkpoint, map_location='cpu',
                                      trust=args.trust_checkpoint)
    state = {k: v for k, v in extract_state_dict(checkpoint).items()
             if k.startswith(GENERATOR_PREFIXES)}
    if not any(k.startswith('generator.') for k in state):
        raise SystemExit(f'{args.checkpoint} has no generator.* weights')
    meta = dict(checkpoint.get('meta', {}), exported_from=args.checkpoint)
    torch.save({'state_dict': state, 'meta': meta}, args.out)
    print(f'{len(state)} generator tensors written to {args.out}')


if __name__ == '__main__':
    main()
