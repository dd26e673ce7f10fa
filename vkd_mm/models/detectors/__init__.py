from .deformable_attention import PortableDeformableAttention, compiled_kernel_runs_on
from .vidt import ViDT
from .vidt_checkpoint import convert_official_vidt, to_official_vidt
from .vidt_decoder import ViDTTransformerDecoder

__all__ = [
    'ViDT', 'ViDTTransformerDecoder', 'PortableDeformableAttention', 'compiled_kernel_runs_on',
    'convert_official_vidt', 'to_official_vidt'
]
