"""A strict reader of stored (uncompressed) zip archives, the container of both checkpoint formats.

    [local header 30 B + name + extra][data] ... [central directory] [zip64 end records] [end record 22 B]

The central directory lists every member: name, CRC-32, size and the offset of
its local header. A checkpoint's members are stored, never compressed, so no
member can hold more bytes than the file does; this reader refuses
compression, encryption, sizes that disagree, members that overlap (two names
for the same bytes would let a small file load as a large one), a local header
whose name differs from the directory's, and data whose CRC-32 does not match.
It reads a member only when asked, and only inside the range it was given.
"""

import struct
import zlib

from .error import MAX_NAME_CHARS, CheckpointError

_END = struct.Struct("<4sHHHHIIH")          # end of central directory record
_END64_LOCATOR = struct.Struct("<4sIQI")
_END64 = struct.Struct("<4sQHHIIQQQQ")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_MAX_COMMENT = 0xFFFF


class Member:
    __slots__ = ("name", "crc", "size", "offset", "end")

    def __init__(self, name, crc, size, offset):
        self.name, self.crc, self.size, self.offset, self.end = name, crc, size, offset, None


class ZipReader:
    """The members of a stored zip archive in `source` (a files.Source)."""

    def __init__(self, source):
        self.source, self.name = source, source.name
        cd_start, cd_size, count = self._find_central_directory()
        self.members = self._read_central_directory(cd_start, cd_size, count)
        ordered = sorted(self.members.values(), key=lambda m: m.offset)
        for member, following in zip(ordered, ordered[1:] + [None]):
            member.end = following.offset if following is not None else cd_start

    def _fail(self, what):
        raise CheckpointError(f"load: {self.name} is not a valid checkpoint archive: {what}")

    def _find_central_directory(self):
        size = self.source.size
        if size < _END.size:
            self._fail(f"it is {size} bytes long, shorter than a zip end record")
        tail_start = max(0, size - _END.size - _MAX_COMMENT)
        tail = self.source.read(tail_start, size - tail_start, "the zip end record")
        at = tail.rfind(b"PK\x05\x06")
        while at >= 0 and at + _END.size + struct.unpack_from("<H", tail, at + 20)[0] != len(tail):
            at = tail.rfind(b"PK\x05\x06", 0, at)
        if at < 0:
            self._fail("it has no zip end record (truncated?)")
        _, disk, cd_disk, _, count, cd_size, cd_offset, _ = _END.unpack_from(tail, at)
        end_at = tail_start + at
        if disk or cd_disk:
            self._fail("it is a multi-disk archive")
        locator_at = end_at - _END64_LOCATOR.size
        if locator_at >= 0 and self.source.read(locator_at, 4, "the zip64 locator") == b"PK\x06\x07":
            end64_at = locator_at - _END64.size  # the writers we read put nothing between the two
            record = self.source.read(end64_at, _END64.size, "the zip64 end record") if end64_at >= 0 else b""
            if record[:4] != b"PK\x06\x06":
                self._fail("its zip64 end record is missing")
            _, _, _, _, disk, cd_disk, _, count, cd_size, cd_offset = _END64.unpack(record)
            if disk or cd_disk:
                self._fail("it is a multi-disk archive")
            end_at = end64_at
        cd_start = end_at - cd_size
        if cd_start < 0 or count * _CENTRAL.size > cd_size:
            self._fail(f"its central directory declares {count} members in {cd_size} bytes, which the file "
                       "does not hold")
        self._shift = cd_start - cd_offset  # bytes before the archive (0 unless something was prepended)
        return cd_start, cd_size, count

    def _read_central_directory(self, cd_start, cd_size, count):
        data = self.source.read(cd_start, cd_size, "the zip central directory")
        members, at = {}, 0
        for i in range(count):
            if at + _CENTRAL.size > len(data) or data[at:at + 4] != b"PK\x01\x02":
                self._fail(f"central directory entry {i} is malformed")
            (_, _, _, flags, method, _, _, crc, csize, usize, nlen, elen, clen, _, _, _,
             offset) = _CENTRAL.unpack_from(data, at)
            name_bytes = bytes(data[at + 46:at + 46 + nlen])
            extra = bytes(data[at + 46 + nlen:at + 46 + nlen + elen])
            at += _CENTRAL.size + nlen + elen + clen
            if at > len(data) or nlen > MAX_NAME_CHARS:
                self._fail(f"central directory entry {i} is malformed")
            name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437", "replace")
            usize, csize, offset = self._zip64_fields(extra, usize, csize, offset, name)
            if flags & 0x1:
                self._fail(f"member {name!r} is encrypted")
            if method != 0:
                self._fail(f"member {name!r} is compressed (method {method}); checkpoint members are stored "
                           "uncompressed, and a compressed one could expand far beyond the file's size")
            if csize != usize:
                self._fail(f"member {name!r} declares {csize} stored bytes but {usize} uncompressed")
            if name in members:
                self._fail(f"member {name!r} appears twice")
            offset += self._shift
            if offset < 0 or offset + _LOCAL.size + usize > cd_start:
                self._fail(f"member {name!r} declares {usize} bytes at offset {offset}, beyond what the "
                           f"{self.source.size}-byte file holds")
            members[name] = Member(name, crc, usize, offset)
        if at != len(data):
            self._fail(f"its central directory holds {len(data) - at} bytes beyond its {count} entries")
        return members

    def _zip64_fields(self, extra, usize, csize, offset, name):
        wanted = [v == 0xFFFFFFFF for v in (usize, csize, offset)]
        if not any(wanted):
            return usize, csize, offset
        at = 0
        while at + 4 <= len(extra):
            tag, length = struct.unpack_from("<HH", extra, at)
            if tag == 1:
                values = [usize, csize, offset]
                field = at + 4
                for k in range(3):
                    if wanted[k]:
                        if field + 8 > at + 4 + length:
                            break
                        values[k] = struct.unpack_from("<Q", extra, field)[0]
                        field += 8
                else:
                    return tuple(values)
                break
            at += 4 + length
        self._fail(f"member {name!r} lacks the zip64 sizes its entry refers to")

    # ---- members ----------------------------------------------------------------------
    def names(self):
        return list(self.members)

    def __contains__(self, name):
        return name in self.members

    def size(self, name):
        return self.members[name].size

    def read(self, name):
        """The bytes of member `name` (a bytearray, so arrays made from it are writable), CRC-checked."""
        member = self.members[name]
        header = self.source.read(member.offset, _LOCAL.size, f"the local header of {name!r}")
        signature, _, flags, method, _, _, _, _, _, nlen, elen = _LOCAL.unpack(header)
        if signature != b"PK\x03\x04" or flags & 0x1 or method != 0:
            self._fail(f"the local header of member {name!r} is missing or damaged")
        start = member.offset + _LOCAL.size + nlen + elen
        if start + member.size > member.end:
            self._fail(f"member {name!r} overlaps the next one or runs past the central directory")
        local_name = self.source.read(member.offset + _LOCAL.size, nlen, f"the name of {name!r}")
        if local_name.decode("utf-8" if flags & 0x800 else "cp437", "replace") != name:
            self._fail(f"member {name!r} has another name in its local header")
        data = self.source.read(start, member.size, f"member {name!r}")
        if zlib.crc32(data) != member.crc:
            self._fail(f"member {name!r} fails its CRC-32 check (its bytes are damaged)")
        return data
