"""The allow-listed unpickler behind weights_only=True: a pickle is run as a
program for a small stack machine whose only calls are to an allow-list.

A pickle is a sequence of opcodes. Most push a value (an int, a str, an empty
list), pop and pack values (TUPLE, SETITEMS), or save and fetch them (BINPUT,
BINGET). Four are dangerous, because they run code: GLOBAL names any object of
any module, REDUCE calls it, NEWOBJ instantiates it and BUILD sets its state.
Here GLOBAL only finds names in `allowed` (the format's rebuild functions,
PyTorch's default set, the user's safe globals), REDUCE and NEWOBJ only call
objects found that way, BUILD only fills OrderedDicts and instances of allowed
classes, APPEND only extends lists and SETITEM only fills dicts: PyTorch's
weights_only rules. Persistent ids (tensors and storages that live beside the
pickle) go to the format's `persistent_load`.

Whatever the bytes, the machine ends in a value or in CheckpointError: each
opcode reads at least one byte and does bounded work, memo indices live in a
dict (a huge index costs one entry), every length is checked against the bytes
left, dict keys and set items must be plain scalars (a crafted tuple key could
collide with thousands of others and make every insertion slow), and the value
built may nest at most MAX_DEPTH containers deep.
"""

import struct
from collections import Counter, OrderedDict

from .allow_list import BLOCKED_MODULES
from .error import MAX_DEPTH, MAX_NAME_CHARS, CheckpointError, describe

_ABSENT = object()  # a dict.get default no pickled value can be
_PYTHON2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
_KEY_TYPES = (str, bytes, int, float, bool, type(None))


def check_key(key, where):
    """A dict key or set item must be a scalar whose hash is cheap and hard to collide."""
    if type(key) not in _KEY_TYPES or (type(key) is int and key.bit_length() > 64):
        raise CheckpointError(f"{where}: a dict key or set item is {describe(key)} (a {type(key).__name__}); "
                              "keys must be str, bytes, bool, None, a float or a 64-bit int")
    return key


# ---- PyTorch's default globals besides tensors, with their arguments checked ----------------

def _set(items=()):
    if type(items) not in (list, tuple, set):
        raise CheckpointError(f"set() of a {type(items).__name__}")
    return {check_key(k, "set") for k in items}


def _bytearray(source=b"", encoding=None):
    if isinstance(source, str) and encoding in ("latin1", "latin-1"):
        return bytearray(source, "latin-1")
    if type(source) in (bytes, bytearray) and encoding is None:
        return bytearray(source)
    raise CheckpointError(f"bytearray() of a {type(source).__name__}: expected bytes or a latin-1 str")


def _complex(real=0.0, imag=0.0):
    if not all(type(x) in (int, float) for x in (real, imag)):
        raise CheckpointError("complex() of something other than two numbers")
    return complex(real, imag)


def _pairs(items, what):
    """(key, value) pairs of a dict or a list of pairs, each key checked."""
    if type(items) in (dict, OrderedDict):
        items = list(items.items())
    if type(items) not in (list, tuple) or not all(type(p) in (list, tuple) and len(p) == 2 for p in items):
        raise CheckpointError(f"{what}() of a {type(items).__name__}: expected a dict or a list of pairs")
    return [(check_key(k, what), v) for k, v in items]


def _ordered_dict(items=()):
    return OrderedDict(_pairs(items, "OrderedDict"))


def _counter(items=()):
    if type(items) in (list, tuple):
        return Counter(check_key(k, "Counter") for k in items)
    return Counter(dict(_pairs(items, "Counter")))


def _encode(text, encoding="utf-8"):
    """Protocol 2's spelling of bytes: _codecs.encode(latin-1 str, "latin1")."""
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise CheckpointError("_codecs.encode() other than of a str to latin1 bytes")
    return text.encode("latin-1")


class Private:
    """A base for the objects a format's pickles use to rebuild values (storages, markers), which
    must not be returned themselves."""


def _size(dims=()):
    """tr.Size (a checkpoint holding x.size()) as the tuple of ints it is."""
    if type(dims) not in (list, tuple) or not all(type(n) is int for n in dims):
        raise CheckpointError("Size() of something other than a tuple of ints")
    return tuple(dims)


def _device(kind):
    """tr.device (a checkpoint holding x.device) as the device it names: "cpu" or "cuda"."""
    if kind not in ("cpu", "cuda"):
        raise CheckpointError("device() of something other than 'cpu' or 'cuda'")
    from ..devices import KNOWN  # the devices themselves, not a class a file could choose
    return KNOWN[kind]


PRIVATE = (_set, _bytearray, _complex, _encode, _ordered_dict, _counter, _size, _device)
DEFAULT_GLOBALS = {  # each with its arguments checked: OrderedDict(pairs) would hash any key
    "collections.OrderedDict": _ordered_dict,
    "collections.Counter": _counter,
    "builtins.set": _set,
    "builtins.bytearray": _bytearray,
    "builtins.complex": _complex,
    "_codecs.encode": _encode,
    "tinygrad_rnn.tensor_surface.Size": _size,
    "tinygrad_rnn.devices.device": _device,
}


class RestrictedUnpickler:
    """Unpickle `data` (bytes, from offset `start`) calling only the objects in `allowed`
    ({"module.name": object}).

    persistent_load(pid) turns a persistent id into its object; `where` names the
    record in messages; `refuse(name)` may return a clearer message for a name
    that is not allowed; `private` lists objects (a format's rebuild functions and
    markers) that a pickle may call but that may not appear in what it returns."""

    def __init__(self, data, allowed, persistent_load, where, refuse=None, start=0, private=()):
        self.data, self.pos = data, start  # after load(), pos is just past the pickle's STOP
        self.allowed = allowed
        self.callables = {id(v): v for v in allowed.values()}
        self.private = {id(v): v for v in [*private, *PRIVATE]}
        self.persistent_load = persistent_load
        self.where = where
        self.refuse = refuse or (lambda name: None)

    def load(self):
        self.stack, self.marks, self.memo = [], [], {}
        try:
            while True:
                op = self.read(1)[0]
                handler = _DISPATCH.get(op)
                if handler is None:
                    raise CheckpointError(f"it uses pickle opcode {bytes([op])!r}, which a weights_only load "
                                          "does not run")
                if handler is _stop:
                    break
                handler(self)
            value = self.pop()
        except CheckpointError as exc:
            if str(exc).startswith("load: "):  # from persistent_load: it names the file and the member already
                raise
            raise CheckpointError(f"{self.where}, at byte {self.pos}: {exc}") from None
        except Exception as exc:  # a stack underflow, a bad argument to an allowed call, MemoryError
            raise CheckpointError(f"{self.where} is malformed at byte {self.pos}: {type(exc).__name__}: "
                                  f"{describe(str(exc))}") from None
        check_depth(value, self.where, self.is_private)
        return value

    def is_private(self, obj):
        return self.private.get(id(obj), _ABSENT) is obj or isinstance(obj, Private)

    # ---- reading --------------------------------------------------------------------
    def read(self, n):
        if self.pos + n > len(self.data):
            raise CheckpointError("the pickle is truncated")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def readline(self):
        end = self.data.find(b"\n", self.pos, self.pos + MAX_NAME_CHARS + 1)
        if end < 0:
            raise CheckpointError("a GLOBAL name is unterminated or too long")
        line = bytes(self.data[self.pos:end]).decode("utf-8")
        self.pos = end + 1
        return line

    def uint(self, n):
        return int.from_bytes(self.read(n), "little")

    def pop(self):
        if not self.stack:
            raise CheckpointError("the pickle's stack is empty where a value is needed")
        return self.stack.pop()

    def pop_mark(self):
        if not self.marks:
            raise CheckpointError("the pickle closes a MARK it never opened")
        items, self.stack = self.stack, self.marks.pop()
        return items

    def top(self):
        if not self.stack:
            raise CheckpointError("the pickle's stack is empty where a value is needed")
        return self.stack[-1]

    # ---- the four opcodes that run code ------------------------------------------------
    def find(self, module, name):
        module = _PYTHON2_MODULES.get(module, module)
        full = f"{module}.{name}"
        if full in self.allowed and not any(module == m or module.startswith(m + ".") for m in BLOCKED_MODULES):
            return self.allowed[full]
        reason = self.refuse(full)
        if reason is not None:
            raise CheckpointError(reason)
        if module.split(".")[0] == "tinygrad_rnn":
            reason = (f"it refers to {full}, one of the library's own classes, which a weights_only load never "
                      "allows by itself (loading it runs its code)")
        raise CheckpointError((reason or f"it refers to {full}, which a weights_only load does not allow") + (
            f"; if you trust this file and that object, allow it with tr.serialization.safe_globals([{full}]) "
            "(or add_safe_globals), or load with weights_only=False, which runs whatever code the file holds"))

    def callable(self, obj, what):
        if self.callables.get(id(obj), _ABSENT) is not obj:
            raise CheckpointError(f"{what} of {describe(obj)}, which is not an allowed global")
        return obj

    def build(self, state):
        inst = self.top()
        if type(inst) is OrderedDict:  # a state_dict's _metadata
            if type(state) is not dict or not all(type(k) is str for k in state):
                raise CheckpointError("BUILD of an OrderedDict with a state that is not a dict of str keys")
            inst.__dict__.update(state)
            return
        self.callable(type(inst), "BUILD")
        setstate = getattr(inst, "__setstate__", None)
        if setstate is not None:
            setstate(state)
            return
        slots = None
        if type(state) is tuple and len(state) == 2:
            state, slots = state
        for part in (state, slots):
            if part is not None and (type(part) is not dict or not all(type(k) is str for k in part)):
                raise CheckpointError(f"BUILD of a {type(inst).__name__} with a state that is not a dict of str keys")
        if state:
            inst.__dict__.update(state)
        for k, v in (slots or {}).items():
            setattr(inst, k, v)


class _Leave:
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj


def check_depth(root, where, is_private=lambda obj: False):
    """Refuse values nested more than MAX_DEPTH containers deep (longest path, cycles cut), in O(size).

    A depth-first walk: the containers on its path (`active`) are one chain of
    nesting, so the walk stops as soon as that chain is too long; a finished
    container's depth is remembered, so a value shared a million times is
    walked once; empty containers and non-containers are never pushed."""
    depth, active, stack = {}, set(), [root]
    too_deep = CheckpointError(f"{where} nests containers more than {MAX_DEPTH} deep")
    if is_private(root):
        _refuse_private(root, where)
    while stack:
        item = stack.pop()
        if type(item) is _Leave:
            obj = item.obj
            active.discard(id(obj))
            children = _children(obj)
            for c in children:
                if is_private(c):
                    _refuse_private(c, where)
            depth[id(obj)] = found = 1 + max((_depth(c, depth) for c in children), default=0)
            if found > MAX_DEPTH:
                raise too_deep
            continue
        if id(item) in depth or id(item) in active or not _is_container(item):
            continue
        children = _children(item)
        active.add(id(item))
        if len(active) > MAX_DEPTH:
            raise too_deep
        stack.append(_Leave(item))
        stack.extend(c for c in children if id(c) not in depth and _is_container(c) and _children(c))


def _refuse_private(obj, where):
    name = getattr(obj, "__name__", None)
    raise CheckpointError(f"{where} returns {name or describe(obj)} itself, a part the format only uses to rebuild "
                          "values (a bare storage or rebuild function), not a value")


def _depth(obj, depth):
    return depth.get(id(obj), 1) if _is_container(obj) else 0


def _is_container(obj):
    return isinstance(obj, (list, tuple, dict, set, frozenset)) or type(getattr(obj, "__dict__", None)) is dict


def _children(obj):
    if isinstance(obj, dict):
        return list(obj.values())
    if isinstance(obj, (list, tuple)):
        return obj
    if isinstance(obj, (set, frozenset)):
        return ()
    return list(vars(obj).values())


# ---- opcodes ---------------------------------------------------------------------------

def _stop(u):
    pass  # STOP ends the loop in load(), which then returns the top of the stack


def _global(u):
    module = u.readline()
    u.stack.append(u.find(module, u.readline()))


def _stack_global(u):
    name, module = u.pop(), u.pop()
    if type(name) is not str or type(module) is not str:
        raise CheckpointError("STACK_GLOBAL of names that are not strings")
    u.stack.append(u.find(module, name))


def _reduce(u):
    args = u.pop()
    func = u.callable(u.pop(), "REDUCE (a call)")
    if type(args) is not tuple:
        raise CheckpointError("REDUCE with arguments that are not a tuple")
    u.stack.append(func(*args))


def _newobj(u):
    args = u.pop()
    cls = u.callable(u.pop(), "NEWOBJ (an instantiation)")
    if type(args) is not tuple or not isinstance(cls, type):
        raise CheckpointError("NEWOBJ of something that is not a class with a tuple of arguments")
    u.stack.append(cls.__new__(cls, *args))


def _newobj_ex(u):
    kwargs, args = u.pop(), u.pop()
    cls = u.callable(u.pop(), "NEWOBJ_EX (an instantiation)")
    if type(args) is not tuple or type(kwargs) is not dict or not isinstance(cls, type):
        raise CheckpointError("NEWOBJ_EX of something that is not a class with arguments")
    u.stack.append(cls.__new__(cls, *args, **kwargs))


def _build(u):
    u.build(u.pop())


def _binpersid(u):
    u.stack.append(u.persistent_load(u.pop()))


# containers
def _mark(u):
    u.marks.append(u.stack)
    u.stack = []


def _tuple(u):
    items = tuple(u.pop_mark())  # before u.stack is read: pop_mark replaces it
    u.stack.append(items)


def _tuple_n(n):
    def op(u):
        if len(u.stack) < n:
            raise CheckpointError(f"TUPLE{n} with fewer than {n} values on the stack")
        items = tuple(u.stack[len(u.stack) - n:]) if n else ()
        del u.stack[len(u.stack) - n:]
        u.stack.append(items)
    return op


def _list_target(u, op):
    target = u.top()
    if type(target) is not list:
        raise CheckpointError(f"{op} to a {type(target).__name__}; only lists can be appended to")
    return target


def _append(u):
    value = u.pop()
    _list_target(u, "APPEND").append(value)


def _appends(u):
    items = u.pop_mark()
    _list_target(u, "APPENDS").extend(items)


def _dict_target(u, op):
    target = u.top()
    if type(target) not in (dict, OrderedDict, Counter):
        raise CheckpointError(f"{op} on a {type(target).__name__}; only dict, OrderedDict and Counter take items")
    return target


def _setitem(u):
    value, key = u.pop(), u.pop()
    _dict_target(u, "SETITEM")[check_key(key, "SETITEM")] = value


def _setitems(u):
    items = u.pop_mark()
    if len(items) % 2:
        raise CheckpointError("SETITEMS with a key that has no value")
    target = _dict_target(u, "SETITEMS")
    for i in range(0, len(items), 2):
        target[check_key(items[i], "SETITEMS")] = items[i + 1]


def _additems(u):
    items = u.pop_mark()
    target = u.top()
    if type(target) is not set:
        raise CheckpointError(f"ADDITEMS on a {type(target).__name__}; only sets take items")
    target.update(check_key(k, "ADDITEMS") for k in items)


def _frozenset(u):
    items = frozenset(check_key(k, "FROZENSET") for k in u.pop_mark())
    u.stack.append(items)


def _push(value):
    def op(u):
        u.stack.append(value() if callable(value) else value)
    return op


# scalars
def _binint(u):
    u.stack.append(struct.unpack("<i", u.read(4))[0])


def _long(n):
    def op(u):
        u.stack.append(int.from_bytes(u.read(u.uint(n)), "little", signed=True))
    return op


def _binfloat(u):
    u.stack.append(struct.unpack(">d", u.read(8))[0])


def _unicode(n):
    def op(u):
        u.stack.append(bytes(u.read(u.uint(n))).decode("utf-8", "surrogatepass"))
    return op


def _bytes(n):
    def op(u):
        u.stack.append(bytes(u.read(u.uint(n))))
    return op


def _short_binstring(u):  # a Python 2 str: text, for the pickles that still hold one
    u.stack.append(bytes(u.read(u.uint(1))).decode("ascii"))


# the memo
def _put(n):
    def op(u):
        u.memo[u.uint(n)] = u.top()
    return op


def _memoize(u):
    u.memo[len(u.memo)] = u.top()


def _get(n):
    def op(u):
        index = u.uint(n)
        if index not in u.memo:
            raise CheckpointError(f"BINGET of memo entry {index}, which was never stored")
        u.stack.append(u.memo[index])
    return op


# stack
def _pop(u):
    if u.stack:
        u.stack.pop()
    else:
        u.pop_mark()


def _dup(u):
    u.stack.append(u.top())


def _proto(u):
    if u.uint(1) > 5:
        raise CheckpointError("pickle protocol above 5")


def _frame(u):
    u.uint(8)  # a frame only announces the length of what follows


_DISPATCH = {
    ord("."): _stop, ord("c"): _global, 0x93: _stack_global, ord("R"): _reduce, 0x81: _newobj,
    0x92: _newobj_ex, ord("b"): _build, ord("Q"): _binpersid,
    ord("("): _mark, ord("t"): _tuple, ord(")"): _push(()), 0x85: _tuple_n(1), 0x86: _tuple_n(2),
    0x87: _tuple_n(3), ord("]"): _push(list), ord("a"): _append, ord("e"): _appends,
    ord("}"): _push(dict), ord("s"): _setitem, ord("u"): _setitems, 0x8F: _push(set), 0x90: _additems,
    0x91: _frozenset, ord("N"): _push(None), 0x88: _push(True), 0x89: _push(False),
    ord("J"): _binint, ord("K"): lambda u: u.stack.append(u.uint(1)), ord("M"): lambda u: u.stack.append(u.uint(2)),
    0x8A: _long(1), 0x8B: _long(4), ord("G"): _binfloat,
    ord("X"): _unicode(4), 0x8C: _unicode(1), 0x8D: _unicode(8),
    ord("B"): _bytes(4), ord("C"): _bytes(1), 0x8E: _bytes(8), ord("U"): _short_binstring,
    ord("q"): _put(1), ord("r"): _put(4), 0x94: _memoize, ord("h"): _get(1), ord("j"): _get(4),
    ord("0"): _pop, ord("2"): _dup, ord("1"): lambda u: u.pop_mark(), 0x80: _proto, 0x95: _frame,
}
