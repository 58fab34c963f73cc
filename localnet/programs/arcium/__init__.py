"""The arcium program (MXE account, computation definitions, queue, signed callbacks)."""
from localnet.programs.arcium.program import ArciumProgram

__all__ = ["ArciumProgram"]
