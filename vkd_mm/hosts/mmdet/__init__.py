"""ViDT for MMDetection: the Swin body with [DET] tokens, the detector, its deformable decoder
and the converter of official checkpoints."""
from vkd_mm.hosts import require_host_libraries

require_host_libraries(__name__)

from .deformable_attention import PortableDeformableAttention, compiled_kernel_runs_on
from .vidt import ViDT
from .vidt_checkpoint import convert_official_vidt, to_official_vidt
from .vidt_decoder import ViDTTransformerDecoder
from .vidt_swin import ViDTSwin

__all__ = [
    'ViDT', 'ViDTSwin', 'ViDTTransformerDecoder', 'PortableDeformableAttention',
    'compiled_kernel_runs_on', 'convert_official_vidt', 'to_official_vidt'
]
