#!/usr/bin/python3
"""make_seeds.py - writes the seed inputs of the media fuzz targets
(tests/fuzz/fuzz_{image,wav,gif,video}.c) into image/, wav/, gif/ and
video/ here: small PNGs, JPEGs, GIFs, WAVs, MP4/WebM/Ogg headers in the
variants the decoders branch on.  Run once by hand (Debian's python3 with
PIL); its output is checked in so `make fuzz` needs no Python."""
import io
import os
import struct
import wave

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def out(kind, name, data):
    os.makedirs(os.path.join(HERE, kind), exist_ok=True)
    with open(os.path.join(HERE, kind, name), "wb") as f:
        f.write(data)


def saved(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def gradient(mode, w, h):
    img = Image.new("RGBA", (w, h))
    img.putdata([((x * 37) % 256, (y * 53) % 256, (x + y) * 9 % 256, 255 if (x + y) % 3 else 0)
                 for y in range(h) for x in range(w)])
    return img.convert(mode)


# PNG: every colour type and depth, palette with tRNS, interlaced
out("image", "gray1.png", saved(gradient("1", 9, 7), "PNG"))
out("image", "gray8.png", saved(gradient("L", 9, 7), "PNG"))
out("image", "gray_alpha.png", saved(gradient("LA", 9, 7), "PNG"))
out("image", "rgb.png", saved(gradient("RGB", 9, 7), "PNG"))
out("image", "rgba.png", saved(gradient("RGBA", 9, 7), "PNG"))
out("image", "rgb_interlaced.png", saved(gradient("RGB", 11, 9), "PNG", interlace=1))
out("image", "palette_trns.png", saved(gradient("RGBA", 8, 8).convert("P"), "PNG",
                                       transparency=0))
out("image", "gray16.png", saved(gradient("L", 5, 5).convert("I;16"), "PNG"))
# JPEG: baseline, gray, progressive, CMYK, 4:2:0
out("image", "rgb.jpg", saved(gradient("RGB", 16, 8), "JPEG", quality=90))
out("image", "gray.jpg", saved(gradient("L", 8, 8), "JPEG"))
out("image", "progressive.jpg", saved(gradient("RGB", 16, 16), "JPEG", progressive=True))
out("image", "cmyk.jpg", saved(gradient("CMYK", 8, 8), "JPEG"))
out("image", "sub420.jpg", saved(gradient("RGB", 17, 9), "JPEG", subsampling=2))
# GIF as an image too
still = saved(gradient("RGB", 6, 5).convert("P"), "GIF")
out("image", "still.gif", still)

# GIF: animated, transparency, every disposal
frames = [gradient("RGBA", 8, 6).rotate(90 * i).convert("P") for i in range(3)]
anim = io.BytesIO()
frames[0].save(anim, "GIF", save_all=True, append_images=frames[1:], duration=[40, 80, 120],
               loop=0, disposal=[1, 2, 3], transparency=0)
out("gif", "anim.gif", anim.getvalue())
out("gif", "still.gif", still)
inter = io.BytesIO()
gradient("RGB", 8, 9).convert("P").save(inter, "GIF", interlace=True)
out("gif", "interlaced.gif", inter.getvalue())


# WAV: 8, 16, 24, 32-bit PCM; 32 and 64-bit float; extensible
def pcm(width, ch, frames):
    b = io.BytesIO()
    with wave.open(b, "wb") as w:
        w.setnchannels(ch)
        w.setsampwidth(width)
        w.setframerate(8000)
        w.writeframes(bytes((i * 29) % 256 for i in range(width * ch * frames)))
    return b.getvalue()


for width in (1, 2, 3, 4):
    out("wav", "pcm%d.wav" % (8 * width), pcm(width, 2 if width == 2 else 1, 20))


def chunk(cid, body):
    return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def riff(*chunks):
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


f32 = struct.pack("<8f", 0, 0.5, -0.5, 1, -1, 2, float("nan"), 0.25)
out("wav", "float32.wav", riff(chunk(b"fmt ", struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32)),
                               chunk(b"data", f32)))
f64 = struct.pack("<4d", 0, 0.5, -0.5, 1)
out("wav", "float64.wav", riff(chunk(b"LIST", b"odd"), chunk(b"data", f64),
                               chunk(b"fmt ", struct.pack("<HHIIHH", 3, 2, 8000, 128000, 16, 64))))
guid = struct.pack("<H", 1) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
ext = struct.pack("<HHIIHHHHI", 0xfffe, 2, 44100, 176400, 4, 16, 22, 16, 3) + guid
out("wav", "extensible.wav", riff(chunk(b"fmt ", ext), chunk(b"data", bytes(range(64)))))


# video: MP4 boxes, WebM elements, Ogg pages, and the GIF
def box(t, body):
    return struct.pack(">I", 8 + len(body)) + t + body


tkhd = bytearray(84)
struct.pack_into(">II", tkhd, 76, 320 << 16, 240 << 16)
mvhd = bytearray(100)
struct.pack_into(">II", mvhd, 12, 1000, 12500)
stsz = box(b"stsz", struct.pack(">III", 0, 0, 300))
trak = box(b"trak", box(b"tkhd", bytes(tkhd)) +
           box(b"mdia", box(b"minf", box(b"stbl", stsz))))
moov = box(b"moov", box(b"mvhd", bytes(mvhd)) + box(b"trak", box(b"tkhd", bytes(84))) + trak)
out("video", "small.mp4", box(b"ftyp", b"isom\0\0\2\0isomiso2") + moov + box(b"mdat", b"x" * 16))
big = bytearray(box(b"ftyp", b"isom\0\0\2\0") + moov)
big += struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 20) + b"yyyy"
out("video", "largesize.mp4", bytes(big))
webm = bytes([0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84]) + b"webm" + bytes([
    0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x15, 0x49, 0xa9, 0x66, 0x8e, 0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40,
    0x44, 0x89, 0x84, 0x45, 0x1c, 0x40, 0x00,
    0x16, 0x54, 0xae, 0x6b, 0x8c, 0xae, 0x8a, 0xe0, 0x88, 0xb0, 0x82, 0x01, 0x40, 0xba, 0x82,
    0x00, 0xf0, 0x1f, 0x43, 0xb6, 0x75, 0x82, 0xe7, 0x80])
out("video", "small.webm", webm)


def page(flags, body):
    return b"OggS\0" + bytes([flags]) + bytes(20) + bytes([1, len(body)]) + body


theora = bytearray(42)
theora[:10] = b"\x80theora\x03\x02\x01"
theora[14:20] = bytes([0, 2, 0x80, 0, 1, 0xe0])
out("video", "theora.ogg", page(2, bytes(theora)) + page(0, b"abc"))
out("video", "anim.gif", anim.getvalue())
