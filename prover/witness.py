"""Witness computation from a circom circuit's WASM, in-process with wasmtime (no Node).

Why wasmtime and not groth16py's built-in witness (wasmi, an interpreter): the JIT-compiled WASM
computes our ~5k-wire witnesses in tens of milliseconds instead of several hundred, which is most
of the difference between a 0.25 s and a 0.6 s proof. Compiling the 4 MB WASM takes seconds, so
the compiled module is serialised once into the user's cache directory (keyed by the WASM's
sha256 and the wasmtime version) and reloaded in milliseconds afterwards.

The host side follows circom 2's `witness_calculator.js` protocol: inputs are set through the
shared read/write memory by FNV-1a-64 hash of the signal name, and a failed `===` or `assert`
in the circuit surfaces as `WitnessFailure` carrying circom's message (template and line).
"""
from __future__ import annotations

import hashlib
import os
import struct
import threading
from pathlib import Path
from typing import Mapping

import wasmtime

from .cache_dir import ensure_private_cache_dir, trusted_entry, write_private

_EXCEPTIONS = {
    1: "signal not found", 2: "too many signals set", 3: "signal already set",
    4: "assert failed", 5: "not enough memory", 6: "input signal array access exceeds the size",
    7: "out of bounds array access",
}


class WitnessFailure(Exception):
    """The circuit rejected the inputs (a constraint or assert failed, or an input is wrong)."""


def _fnv1a64(name: str) -> tuple[int, int]:
    h = 0xCBF29CE484222325
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h >> 32, h & 0xFFFFFFFF


_ENGINE = wasmtime.Engine()

# A tiny helper module that calls the circuit's getWitness(i) for every wire and copies each
# value into its own memory: one host call instead of one per wire (wasmtime-py spends ~40 µs
# per call, which would dominate the whole witness). Uses wasm multi-memory.
_COLLECTOR_WAT = """
(module
  (import "c" "getWitness" (func $gw (param i32)))
  (import "c" "memory" (memory $cm 0))
  (memory $out (export "out") 1)
  (func (export "collect") (param $n i32) (param $src i32) (param $n8 i32)
    (local $i i32)
    (drop (memory.grow $out
      (i32.add (i32.div_u (i32.mul (local.get $n) (local.get $n8)) (i32.const 65536))
               (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $gw (local.get $i))
        (memory.copy $out $cm (i32.mul (local.get $i) (local.get $n8)) (local.get $src)
                     (local.get $n8))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))
"""
_COLLECTOR = wasmtime.Module(_ENGINE, _COLLECTOR_WAT)
_MODULES: dict[str, wasmtime.Module] = {}
_MODULES_LOCK = threading.Lock()


_BY_FILE: dict[tuple[str, int, int], wasmtime.Module] = {}


def load_module(wasm_path: str | os.PathLike) -> wasmtime.Module:
    """The compiled module for a circuit WASM (memory cache, then disk cache, then compile)."""
    st = os.stat(wasm_path)
    file_key = (str(Path(wasm_path).resolve()), st.st_mtime_ns, st.st_size)
    with _MODULES_LOCK:
        module = _BY_FILE.get(file_key)
        if module is not None:
            return module
    data = Path(wasm_path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with _MODULES_LOCK:
        module = _MODULES.get(digest)
        if module is not None:
            _BY_FILE[file_key] = module
            return module
        version = getattr(wasmtime, "__version__", "") or "unknown"
        directory = ensure_private_cache_dir()   # None: no private cache possible, compile only
        cache_file = directory / f"{digest[:32]}-wasmtime{version}.cwasm" if directory else None
        module = None
        # native code: deserialized only from a file that is ours and writable by us alone
        if cache_file is not None and trusted_entry(cache_file):
            try:
                module = wasmtime.Module.deserialize_file(_ENGINE, str(cache_file))
            except Exception:  # a stale or truncated cache entry: recompile below
                module = None
        if module is None:
            module = wasmtime.Module(_ENGINE, data)
            if cache_file is not None:
                try:
                    write_private(cache_file, module.serialize())
                except OSError:
                    pass  # an unwritable cache only costs time
        _MODULES[digest] = module
        _BY_FILE[file_key] = module
        return module


def _flatten(value: object) -> list[int]:
    if isinstance(value, (list, tuple)):
        out: list[int] = []
        for v in value:
            out.extend(_flatten(v))
        return out
    if isinstance(value, bool) or not isinstance(value, int):
        raise WitnessFailure(f"circuit inputs must be integers, got {value!r}")
    return [value]


def calculate_witness(wasm_path: str | os.PathLike,
                      inputs: Mapping[str, object]) -> bytes:
    """Run the circuit's witness generator; returns every wire value (wire 0 is the constant 1)
    as consecutive 32-byte little-endian field elements (the `.wtns` body)."""
    module = load_module(wasm_path)
    store = wasmtime.Store(_ENGINE)
    # The host functions reach the instance through wasmtime's Caller, never through `store`:
    # wasmtime-py keeps host callables in a global table until their store is freed, so a
    # closure over the store is a cycle nobody can collect (each witness leaked its store and
    # ~1.5 MiB of wasm memory: bench/soak.py saw the wallet grow by that per proof).
    errors: list[str] = []

    def message(caller: wasmtime.Caller) -> str:
        get_char = caller["getMessageChar"]
        chars = []
        c = get_char(caller)  # type: ignore[operator]
        while c != 0:
            chars.append(chr(c))
            c = get_char(caller)  # type: ignore[operator]
        return "".join(chars)

    def exception_handler(caller: wasmtime.Caller, code: int) -> None:
        raise WitnessFailure(f"{_EXCEPTIONS.get(code, 'unknown error')}: {' '.join(errors)}".strip())

    def print_error(caller: wasmtime.Caller) -> None:
        errors.append(message(caller))

    def write_buffer(caller: wasmtime.Caller) -> None:
        message(caller)  # circuit `log()` output is discarded

    def show_shared(caller: wasmtime.Caller) -> None:
        pass

    i32 = wasmtime.ValType.i32()
    linker = wasmtime.Linker(_ENGINE)
    linker.define_func("runtime", "exceptionHandler", wasmtime.FuncType([i32], []),
                       exception_handler, access_caller=True)
    linker.define_func("runtime", "printErrorMessage", wasmtime.FuncType([], []), print_error,
                       access_caller=True)
    linker.define_func("runtime", "writeBufferMessage", wasmtime.FuncType([], []), write_buffer,
                       access_caller=True)
    linker.define_func("runtime", "showSharedRWMemory", wasmtime.FuncType([], []), show_shared,
                       access_caller=True)
    instance = linker.instantiate(store, module)
    ex = instance.exports(store)
    memory = ex["memory"]
    n32 = ex["getFieldNumLen32"](store)
    n8 = n32 * 4
    try:
        ex["init"](store, 1)
        shared = ex["getSharedRWMemoryStart"](store)
        for name, value in inputs.items():
            hi, lo = _fnv1a64(name)
            values = _flatten(value)
            size = ex["getInputSignalSize"](store, hi, lo)
            if size < 0:
                raise WitnessFailure(f"the circuit has no input signal {name!r}")
            if size != len(values):
                raise WitnessFailure(
                    f"input {name!r} needs {size} value(s), got {len(values)}")
            for i, v in enumerate(values):
                if not 0 <= v < (1 << (8 * n8)):
                    raise WitnessFailure(f"input {name!r} is out of range")
                memory.write(store, v.to_bytes(n8, "little"), shared)
                ex["setInputSignal"](store, hi, lo, i)
        size = ex["getWitnessSize"](store)
        collector = wasmtime.Instance(store, _COLLECTOR, [ex["getWitness"], memory])
        cx = collector.exports(store)
        cx["collect"](store, size, shared, n8)
        return bytes(cx["out"].read(store, 0, size * n8))
    except wasmtime.WasmtimeError as exc:  # a trap raised from a host function
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, WitnessFailure):
            raise cause from None
        raise WitnessFailure(f"witness generation trapped: {exc}") from None


def witness_values(witness: bytes, n8: int = 32) -> list[int]:
    """The wire values of a `calculate_witness` result, as ints."""
    return [int.from_bytes(witness[i:i + n8], "little") for i in range(0, len(witness), n8)]


def write_wtns(path: str | os.PathLike, witness: bytes, prime: int, n8: int = 32) -> None:
    """Write an iden3 `.wtns` file (version 2), the format `groth16py.prove_wtns` reads."""
    if len(witness) % n8:
        raise ValueError("witness length is not a multiple of the field element size")
    header = (struct.pack("<I", n8) + prime.to_bytes(n8, "little")
              + struct.pack("<I", len(witness) // n8))
    body = witness
    with open(path, "wb") as fh:
        fh.write(b"wtns" + struct.pack("<II", 2, 2))
        fh.write(struct.pack("<IQ", 1, len(header)) + header)
        fh.write(struct.pack("<IQ", 2, len(body)) + body)
