"""runfile.py: helpers for integration tests that edit a tally run file
(schema 2, docs/format.md) the way a hostile file would be edited: a value
rewritten inside its batch, with a checksum that still matches, so that the
file reads as hostile rather than damaged.

    sys.path.insert(0, TOP_SRCDIR + "/tests/integration"); import runfile
    runfile.rewrite_value(db, "text", b'"new"', last=True)
"""
import struct
import zlib


def _varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def _put(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def batch_crc(first_x, last_x, n, data):
    """The checksum of an object_batch row: crc32 of the 64-byte header (owner
    -1, first_x, last_x, n, four NaN reals), then the blob."""
    head = struct.pack("<qqqq", -1, first_x, last_x, n) + struct.pack("<Q", 0x7FF8000000000000) * 4
    return zlib.crc32(head + data)


def rewrite_value(db, metric, new_json, last=False):
    """Replaces the first (or, with last, the last) stored non-scalar value of
    the metric named `metric` (None: of any metric) by the bytes new_json."""
    mid = None
    if metric is not None:
        (mid,) = db.execute("SELECT id FROM metric WHERE name = ?", (metric,)).fetchone()
    rows = db.execute(
        "SELECT id, first_x, last_x, n, data FROM object_batch ORDER BY first_x, id"
    ).fetchall()
    for bid, first, last_x, n, data in reversed(rows) if last else rows:
        found = None
        count, i = _varint(data, 1)
        for _ in range(count):
            owner, i = _varint(data, i)
            _, i = _varint(data, i)  # x delta
            i += 1  # type
            start = i
            length, i = _varint(data, i)
            if mid is None or owner == mid:
                found = (start, i + length)
                if not last:
                    break
            i += length
        if found:
            start, end = found
            data = data[:start] + _put(len(new_json)) + new_json + data[end:]
            db.execute(
                "UPDATE object_batch SET data = ?, crc = ? WHERE id = ?",
                (data, batch_crc(first, last_x, n, data), bid),
            )
            return
    raise LookupError("no stored value of " + (metric or "any metric"))
