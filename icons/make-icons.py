#!/usr/bin/env python3
"""Draws onair's icons as PNGs with the standard library only (so the
project needs no image tool): the app icon's 1,024-pixel source (`make
icons` derives every size from it), the tray's on-air (red) and off-air
(grey) icons, and the reference service's demo picture. Run it (through
`make icons`) after changing a colour; the PNGs are committed."""
import struct
import zlib
from pathlib import Path


def png(path: Path, size: int, pixel) -> None:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y, size)) for x in range(size)) for y in range(size)
    )
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    head = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def disc(colour, ring=None):
    """A filled disc (anti-aliased edge), optionally inside a ring."""
    def pixel(x, y, size):
        c = (size - 1) / 2
        d = ((x - c) ** 2 + (y - c) ** 2) ** 0.5 / (size / 2)
        def cover(r):
            return max(0.0, min(1.0, (r - d) * size / 2))
        if ring is not None:
            outer, inner = cover(0.98), cover(0.80)
            dot = cover(0.50)
            if dot > 0:
                return (*colour, int(255 * dot))
            a = outer - inner
            return (*ring, int(255 * max(0.0, a)))
        return (*colour, int(255 * cover(0.9)))
    return pixel


def avatar(back, figure):
    """A person's silhouette (head and shoulders) on a disc: the picture the
    reference service gives its demo users and channels."""
    def pixel(x, y, size):
        def dist(cx, cy):
            return ((x - cx * (size - 1)) ** 2 + (y - cy * (size - 1)) ** 2) ** 0.5 / (size / 2)
        def cover(d, r):
            return max(0.0, min(1.0, (r - d) * size / 2))
        disc = cover(dist(0.5, 0.5), 0.98)
        person = max(cover(dist(0.5, 0.40), 0.36), cover(dist(0.5, 1.02), 0.66))
        colour = tuple(int(b + (f - b) * person) for b, f in zip(back, figure))
        return (*colour, int(255 * disc))
    return pixel


here = Path(__file__).parent
# The app icon's source: `make icons` derives every size from it.
png(here / "app-icon.png", 1024, disc((230, 40, 55), ring=(40, 40, 48)))
png(here / "tray-on-air.png", 64, disc((230, 40, 55), ring=(230, 40, 55)))
png(here / "tray-off-air.png", 64, disc((150, 150, 160), ring=(150, 150, 160)))
png(here.parent / "crates" / "service" / "assets" / "avatar.png", 96, avatar((70, 84, 110), (196, 205, 222)))
