"""The private OTC program (seed 003) on the Arcium-compatible MXE."""
from localnet.programs.otc.program import OtcProgram

__all__ = ["OtcProgram"]
