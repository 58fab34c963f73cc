"""The wire contract shared by the wallet and the programs.

Public names that checks outside the test suite import from here are re-exported below as
their modules land (Poseidon / EdDSA-Poseidon, x25519 + Rescue).
"""
