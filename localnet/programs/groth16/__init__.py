"""Groth16 (BN254) verification for the local cluster's programs, through the alt_bn128 syscalls."""
