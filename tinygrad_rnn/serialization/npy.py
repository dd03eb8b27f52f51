"""The .npy members of the library's format, read strictly.

    \\x93NUMPY <major> <minor> <header length: 2 bytes (v1) or 4 (v2, v3)>
    {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   padded with spaces, then
    the raw values: prod(shape) * itemsize bytes, nothing more, nothing less

Only numeric and boolean dtypes are read (no objects, strings, records,
datetimes or voids: a Tensor holds none of them), and the shape must describe
exactly the bytes the member holds, so a header cannot ask for more memory
than the file has.
"""

import ast
import math

from .. import backend
from .error import CheckpointError, describe

np = backend.np

MAX_HEADER_BYTES = 10000  # NumPy's own limit
NUMERIC_KINDS = "biufc"   # bool, signed, unsigned, float, complex


def check_dtype(dtype, where):
    """Refuse dtypes that are not plain numbers or booleans."""
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise CheckpointError(f"{where} has dtype {str(dtype)[:60]}; a checkpoint holds only numeric and "
                              "boolean arrays")
    return dtype


def write_npy(f, array):
    np.lib.format.write_array(f, array, allow_pickle=False)


def read_npy(data, where):
    """A host array from the bytes of one .npy member (a bytearray; the array shares it)."""
    if bytes(data[:6]) != b"\x93NUMPY" or len(data) < 10:
        raise CheckpointError(f"{where} is not a .npy array")
    major = data[6]
    if major == 1:
        length, start = int.from_bytes(data[8:10], "little"), 10
    elif major in (2, 3):
        length, start = int.from_bytes(data[8:12], "little"), 12
    else:
        raise CheckpointError(f"{where} is .npy version {major}, which is not one of 1, 2, 3")
    if length > MAX_HEADER_BYTES or start + length > len(data):
        raise CheckpointError(f"{where} declares a {length}-byte .npy header, beyond the member or the "
                              f"{MAX_HEADER_BYTES}-byte limit")
    text = bytes(data[start:start + length]).decode("utf-8" if major == 3 else "latin1", "replace")
    try:
        header = ast.literal_eval(text)
    except Exception:  # SyntaxError, ValueError, MemoryError, RecursionError from a hostile header
        raise CheckpointError(f"{where} has a .npy header that is not a Python literal") from None
    if not isinstance(header, dict) or sorted(header) != ["descr", "fortran_order", "shape"]:
        raise CheckpointError(f"{where} has a .npy header without exactly descr, fortran_order and shape")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str):
        raise CheckpointError(f"{where} has a structured dtype; a checkpoint holds only numeric and boolean arrays")
    try:
        dtype = np.dtype(descr)
    except Exception:
        raise CheckpointError(f"{where} has dtype {describe(descr)}, which NumPy does not know") from None
    check_dtype(dtype, where)
    if type(fortran) is not bool:
        raise CheckpointError(f"{where} has fortran_order {describe(fortran)}; expected True or False")
    if (type(shape) is not tuple or len(shape) > 64
            or not all(type(n) is int and 0 <= n < 2 ** 63 for n in shape)):
        raise CheckpointError(f"{where} has shape {describe(shape)}; expected a tuple of at most 64 "
                              "non-negative ints")
    count = math.prod(shape)
    body = len(data) - start - length
    if count * dtype.itemsize != body:
        raise CheckpointError(f"{where} has shape {shape} of {dtype}, which needs {count * dtype.itemsize} bytes, "
                              f"but the member holds {body}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=start + length)
    array = array.reshape(shape, order="F" if fortran else "C")
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))
