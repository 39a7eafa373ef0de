"""Attachments lose every trace of the sender's device, place and identity, or are refused.

Every file is built here from scratch, so each test shows what the hostile input contains.
"""

from __future__ import annotations

import inspect
import io
import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from relay.media.cleaning import AttachmentRejected, CleanedAttachment, clean_attachment

NAME = "Jo Smith"
CAMERA = "SnoopCam 3000"
MAKER = "Acme Optics"
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf'
    b'-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:creator>Jo Smith</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)
SENSITIVE = (NAME.encode(), CAMERA.encode(), MAKER.encode(), b"GPS", b"Exif\x00\x00", b"xmpmeta")


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = MAKER
    exif[ExifTags.Base.Model] = CAMERA
    exif[ExifTags.Base.Artist] = NAME
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:01 10:11:12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    gps[ExifTags.GPS.GPSProcessingMethod] = b"ASCII\x00\x00\x00GPS"
    return exif


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _insert_jpeg_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def _photo(orientation: int = 1, size: tuple[int, int] = (64, 32)) -> bytes:
    """A phone photo: white with a red top-left corner, and every kind of metadata."""
    image = Image.new("RGB", size, "white")
    image.paste((255, 0, 0), (0, 0, 16, 16))
    out = io.BytesIO()
    image.save(
        out, "JPEG", exif=_exif(orientation), comment=NAME, xmp=XMP, icc_profile=_srgb_profile()
    )
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x50\x00\x08Jo Smith"
    return _insert_jpeg_segment(out.getvalue(), 0xED, iptc)  # APP13: IPTC by-line


def _png(image: Image.Image | None = None, *, metadata: bool = True) -> bytes:
    image = image or Image.new("RGB", (40, 20), "white")
    out = io.BytesIO()
    if not metadata:
        image.save(out, "PNG")
        return out.getvalue()
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_itxt("Comment", f"Written by {NAME} on a {CAMERA}", lang="en", tkey="Comment")
    info.add_text("Location", f"{NAME}, GPS 51.5 -0.12", zip=True)  # zTXt
    info.add(b"tIME", struct.pack(">HBBBBB", 2024, 5, 1, 10, 11, 12))
    image.save(out, "PNG", pnginfo=info, exif=_exif(), icc_profile=_srgb_profile())
    return out.getvalue()


def _png_chunk_types(data: bytes) -> list[bytes]:
    types, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        types.append(data[position + 4 : position + 8])
        position += 12 + length
    return types


def _raw_png(width: int, height: int, bit_depth: int, rows: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    idat = zlib.compress(rows, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _contains_any(data: bytes, markers: tuple[bytes, ...]) -> list[bytes]:
    return [marker for marker in markers if marker in data]


# --- images ------------------------------------------------------------------------------------


def test_jpeg_loses_exif_gps_comment_xmp_iptc_and_icc() -> None:
    photo = _photo()
    assert _contains_any(photo, SENSITIVE) == list(SENSITIVE)  # the input really carries them

    cleaned = clean_attachment(photo)

    assert (cleaned.media_type, cleaned.extension) == ("image/jpeg", "jpg")
    assert _contains_any(cleaned.data, SENSITIVE) == []
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        for key in ("exif", "comment", "xmp", "icc_profile", "photoshop"):
            assert key not in image.info
        assert [marker for marker, _ in image.applist] == ["APP0"]  # JFIF header only


def test_jpeg_orientation_is_applied_to_the_pixels_before_the_tag_is_dropped() -> None:
    cleaned = clean_attachment(_photo(orientation=6, size=(64, 32)))

    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.size == (32, 64)
        # Orientation 6 shows the stored top-left corner at the top right.
        red, green, _ = image.convert("RGB").getpixel((32 - 8, 8))
        assert red > 200 and green < 60
        assert image.convert("RGB").getpixel((8, 8)) > (200, 200, 200)


def test_jpeg_unknown_app_segments_and_embedded_thumbnails_are_dropped() -> None:
    photo = _insert_jpeg_segment(_photo(), 0xEF, b"VendorThumb " + NAME.encode())

    cleaned = clean_attachment(photo)

    assert NAME.encode() not in cleaned.data
    assert b"VendorThumb" not in cleaned.data


def test_multi_picture_jpeg_keeps_only_the_first_picture_without_metadata() -> None:
    # Phones save MPO: a JPEG followed by more JPEGs (depth maps, previews), each with EXIF.
    first, second = Image.new("RGB", (40, 20), "white"), Image.new("RGB", (40, 20), "black")
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=_exif())
    assert CAMERA.encode() in out.getvalue()

    cleaned = clean_attachment(out.getvalue())

    assert cleaned.media_type == "image/jpeg"
    assert CAMERA.encode() not in cleaned.data
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.format == "JPEG"
        assert getattr(image, "n_frames", 1) == 1
        assert image.convert("L").getpixel((20, 10)) > 200


def test_png_loses_text_chunks_exif_time_and_icc() -> None:
    png = _png()
    assert NAME.encode() in png and b"eXIf" in png and b"tIME" in png and b"iCCP" in png

    cleaned = clean_attachment(png)

    assert (cleaned.media_type, cleaned.extension) == ("image/png", "png")
    assert _png_chunk_types(cleaned.data) == [b"IHDR", b"IDAT", b"IEND"]
    assert _contains_any(cleaned.data, (*SENSITIVE, b"zTXt", b"iTXt", b"tEXt", b"iCCP")) == []
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.text == {}
        assert dict(image.getexif()) == {}
        assert image.info == {}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("1", "1"),
        ("L", "L"),
        ("LA", "LA"),
        ("RGB", "RGB"),
        ("RGBA", "RGBA"),
        ("P", "RGB"),
        ("I;16", "I;16"),
    ],
)
def test_png_modes_survive_as_a_mode_png_can_hold(mode: str, expected: str) -> None:
    cleaned = clean_attachment(_png(Image.new(mode, (8, 8)), metadata=False))

    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.mode == expected
        assert image.size == (8, 8)


def _palette_with_transparency() -> Image.Image:
    image = Image.new("P", (4, 4), 1)
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    image.info["transparency"] = 1
    return image


def _grey_with_colour_key() -> Image.Image:
    image = Image.new("L", (4, 4), 7)
    image.info["transparency"] = 7
    return image


@pytest.mark.parametrize(
    ("image", "expected"),
    [(_palette_with_transparency(), "RGBA"), (_grey_with_colour_key(), "LA")],
    ids=["palette", "grey colour key"],
)
def test_png_transparency_kept_outside_the_image_becomes_an_alpha_channel(
    image: Image.Image, expected: str
) -> None:
    cleaned = clean_attachment(_png(image, metadata=False))

    with Image.open(io.BytesIO(cleaned.data)) as result:
        assert result.mode == expected
        assert result.getpixel((0, 0))[-1] == 0


@pytest.mark.parametrize(("mode", "expected"), [("L", "L"), ("RGB", "RGB"), ("CMYK", "RGB")])
def test_jpeg_modes_come_out_as_grey_or_rgb(mode: str, expected: str) -> None:
    out = io.BytesIO()
    Image.new(mode, (8, 8)).save(out, "JPEG")

    cleaned = clean_attachment(out.getvalue())

    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert (image.format, image.mode) == ("JPEG", expected)


def test_type_comes_from_content_and_the_function_takes_no_name() -> None:
    assert list(inspect.signature(clean_attachment).parameters) == [
        "data",
        "max_bytes",
        "max_pixels",
    ]
    cleaned = clean_attachment(_png())  # whatever the upload was called, it is a PNG

    assert cleaned.media_type == "image/png"
    assert cleaned.neutral_filename(1) == "attachment-1.png"


def test_neutral_filename_is_numbered_from_one() -> None:
    attachment = CleanedAttachment(b"", "image/jpeg", "jpg")

    assert attachment.neutral_filename(3) == "attachment-3.jpg"
    with pytest.raises(ValueError, match="counts from 1"):
        attachment.neutral_filename(0)


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (4, 4)).save(out, "GIF")
    return out.getvalue()


def _bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "BMP")
    return out.getvalue()


UNSUPPORTED = {
    "gif": _gif(),
    "bmp": _bmp(),
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html": b"<!doctype html><html><body>Call me on 07700 900123</body></html>",
    "text starting like a jpeg": b"\xff\xd8 please call Jo on 07700 900123",
    "zip": b"PK\x03\x04" + b"\x00" * 40,
}


@pytest.mark.parametrize("data", UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_other_types_are_refused_with_what_to_send_instead(data: bytes) -> None:
    with pytest.raises(AttachmentRejected) as caught:
        clean_attachment(data)

    assert str(caught.value) == (
        "This file is not a JPEG, PNG or PDF. Please scan the letter as a photo or PDF."
    )
    assert isinstance(caught.value, ValueError)


DAMAGED = {
    "jpeg header on garbage": b"\xff\xd8\xff\xe0" + b"garbage " * 50,
    "truncated jpeg": _photo(size=(200, 200))[:-400],
    "png signature on garbage": b"\x89PNG\r\n\x1a\n" + b"garbage " * 50,
    "truncated png": _raw_png(64, 64, 8, bytes(range(256)) * 16 + b"\x00" * 64)[:-40],
}


@pytest.mark.parametrize("data", DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_images_are_refused_as_unreadable(data: bytes) -> None:
    with pytest.raises(AttachmentRejected, match=r"could not be read.*Please"):
        clean_attachment(data)


def test_empty_file_is_refused() -> None:
    with pytest.raises(AttachmentRejected, match="empty"):
        clean_attachment(b"")


def test_decompression_bomb_is_refused_before_decoding() -> None:
    # 48 megapixels in a few kilobytes: one bit per pixel, all zero.
    bomb = _raw_png(8000, 6000, 1, b"\x00" * (1 + 1000) * 6000)
    assert len(bomb) < 20_000

    with pytest.raises(AttachmentRejected, match=r"too large \(8000 x 6000 pixels\)"):
        clean_attachment(bomb)


@pytest.mark.parametrize("side", [10_000, 30_000], ids=["pillow warns", "pillow refuses"])
def test_image_beyond_pillows_own_bomb_limits_is_refused_as_too_large(side: int) -> None:
    bomb = _raw_png(side, side, 1, b"\x00")

    with pytest.raises(AttachmentRejected, match="too large"):
        clean_attachment(bomb)


def test_pixel_limit_is_configurable() -> None:
    with pytest.raises(AttachmentRejected, match="too large"):
        clean_attachment(_png(), max_pixels=40 * 20 - 1)
    assert clean_attachment(_png(), max_pixels=40 * 20).media_type == "image/png"


def test_files_over_the_size_limit_are_refused_before_parsing() -> None:
    photo = _photo()

    with pytest.raises(AttachmentRejected, match="larger than"):
        clean_attachment(photo, max_bytes=len(photo) - 1)
    with pytest.raises(AttachmentRejected, match="larger than 10 MB"):
        clean_attachment(b"%PDF-" + b"0" * (10 * 1024 * 1024))


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        clean_attachment(_png(), max_bytes=0)


# --- PDFs --------------------------------------------------------------------------------------


def _name(value: str) -> NameObject:
    return NameObject(value)


def _dict(**entries: object) -> DictionaryObject:
    return DictionaryObject({NameObject(f"/{key}"): value for key, value in entries.items()})


def _rect() -> ArrayObject:
    return ArrayObject([FloatObject(10), FloatObject(10), FloatObject(50), FloatObject(50)])


def _pdf(build: Callable[[PdfWriter], None] | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if build:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _annotate(writer: PdfWriter, annotation: DictionaryObject) -> None:
    annotation.update({_name("/Type"): _name("/Annot"), _name("/Rect"): _rect()})
    writer.pages[0][_name("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _letter_with_metadata(writer: PdfWriter) -> None:
    """A scanned letter: a JPEG with EXIF on the page, plus every place PDFs hide metadata."""
    writer.add_metadata(
        {"/Author": NAME, "/Producer": "SnoopScan 9", "/Creator": CAMERA, "/Title": "To Alex"}
    )
    writer.xmp_metadata = XMP
    page = writer.pages[0]
    photo = DecodedStreamObject()
    photo.set_data(_photo())
    photo.update(
        _dict(
            Type=_name("/XObject"),
            Subtype=_name("/Image"),
            Width=NumberObject(64),
            Height=NumberObject(32),
            ColorSpace=_name("/DeviceRGB"),
            BitsPerComponent=NumberObject(8),
            Filter=_name("/DCTDecode"),
        )
    )
    page_xmp = DecodedStreamObject()
    page_xmp.set_data(XMP)
    page_xmp.update(_dict(Type=_name("/Metadata"), Subtype=_name("/XML")))
    contents = DecodedStreamObject()
    contents.set_data(b"q 200 0 0 100 0 50 cm /Im0 Do Q")
    page[_name("/Resources")] = _dict(XObject=_dict(Im0=writer._add_object(photo)))
    page[_name("/Contents")] = writer._add_object(contents)
    page[_name("/Metadata")] = writer._add_object(page_xmp)
    page[_name("/PieceInfo")] = _dict(SnoopScan=_dict(Private=TextStringObject(NAME)))
    page[_name("/LastModified")] = TextStringObject("D:20240501101112Z")
    _annotate(
        writer,
        _dict(Subtype=_name("/Text"), T=TextStringObject(NAME), Contents=TextStringObject("ok")),
    )


def test_pdf_is_rebuilt_without_info_xmp_annotations_or_image_exif() -> None:
    letter = _pdf(_letter_with_metadata)
    assert _contains_any(letter, (b"SnoopScan", b"xmpmeta", NAME.encode(), CAMERA.encode()))

    cleaned = clean_attachment(letter)

    assert (cleaned.media_type, cleaned.extension) == ("application/pdf", "pdf")
    assert cleaned.neutral_filename(2) == "attachment-2.pdf"
    markers = (*SENSITIVE, b"SnoopScan", b"pypdf", b"/Author", b"/Producer", b"/PieceInfo")
    assert _contains_any(cleaned.data, markers) == []
    reader = PdfReader(io.BytesIO(cleaned.data))
    assert reader.metadata is None
    assert reader.xmp_metadata is None
    assert len(reader.pages) == 1
    page = reader.pages[0]
    for key in ("/Annots", "/Metadata", "/PieceInfo", "/LastModified"):
        assert key not in page
    # The scan itself is still there and still a valid JPEG, now without EXIF.
    photo = page["/Resources"]["/XObject"]["/Im0"].get_object()
    with Image.open(io.BytesIO(photo.get_data())) as image:
        image.load()
        assert image.size == (64, 32)
        assert "exif" not in image.info


def test_pdf_that_still_has_metadata_after_cleaning_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The output is re-read and checked: if stripping ever misses something, fail closed.
    monkeypatch.setattr("relay.media.cleaning._strip_metadata", lambda pages: None)

    with pytest.raises(AttachmentRejected, match="could not remove the hidden details"):
        clean_attachment(_pdf(_letter_with_metadata))


def test_plain_pdf_is_accepted() -> None:
    cleaned = clean_attachment(_pdf())

    assert len(PdfReader(io.BytesIO(cleaned.data)).pages) == 1


def _javascript() -> DictionaryObject:
    return _dict(S=_name("/JavaScript"), JS=TextStringObject("app.alert('hi')"))


def _open_action_js(writer: PdfWriter) -> None:
    writer.root_object[_name("/OpenAction")] = writer._add_object(_javascript())


def _names_tree_js(writer: PdfWriter) -> None:
    tree = _dict(Names=ArrayObject([TextStringObject("hello"), writer._add_object(_javascript())]))
    writer.root_object[_name("/Names")] = _dict(JavaScript=writer._add_object(tree))


def _page_open_js(writer: PdfWriter) -> None:
    writer.pages[0][_name("/AA")] = _dict(O=_javascript())


def _link_js(writer: PdfWriter) -> None:
    _annotate(writer, _dict(Subtype=_name("/Link"), A=_javascript()))


@pytest.mark.parametrize(
    "build",
    [_open_action_js, _names_tree_js, _page_open_js, _link_js],
    ids=["open action", "names tree", "page action", "link"],
)
def test_pdf_with_javascript_is_refused(build: Callable[[PdfWriter], None]) -> None:
    with pytest.raises(AttachmentRejected, match=r"contains JavaScript.*scan or photo"):
        clean_attachment(_pdf(build))


def _attached_file(writer: PdfWriter) -> None:
    writer.add_attachment("notes.txt", b"Jo Smith, 07700 900123")


def _file_attachment_annotation(writer: PdfWriter) -> None:
    spec = _dict(Type=_name("/Filespec"), F=TextStringObject("notes.txt"))
    _annotate(writer, _dict(Subtype=_name("/FileAttachment"), FS=spec))


@pytest.mark.parametrize(
    "build", [_attached_file, _file_attachment_annotation], ids=["names tree", "annotation"]
)
def test_pdf_with_embedded_file_is_refused(build: Callable[[PdfWriter], None]) -> None:
    with pytest.raises(AttachmentRejected, match="files or media embedded"):
        clean_attachment(_pdf(build))


def _link(action: DictionaryObject) -> Callable[[PdfWriter], None]:
    return lambda writer: _annotate(writer, _dict(Subtype=_name("/Link"), A=action))


ACTIONS = {
    "uri": _dict(S=_name("/URI"), URI=TextStringObject("https://example.com/jo")),
    "launch": _dict(S=_name("/Launch"), F=TextStringObject("cmd.exe")),
    "submit form": _dict(S=_name("/SubmitForm"), F=TextStringObject("https://example.com/")),
    "remote go-to": _dict(S=_name("/GoToR"), F=TextStringObject("other.pdf")),
}


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
def test_pdf_with_outward_actions_is_refused(action: DictionaryObject) -> None:
    with pytest.raises(AttachmentRejected, match="links or actions"):
        clean_attachment(_pdf(_link(action)))


def test_pdf_with_xfa_form_is_refused() -> None:
    def xfa(writer: PdfWriter) -> None:
        template = DecodedStreamObject()
        template.set_data(b"<xdp:xdp><script>xfa.host.messageBox('hi')</script></xdp:xdp>")
        form = _dict(Fields=ArrayObject(), XFA=writer._add_object(template))
        writer.root_object[_name("/AcroForm")] = form

    with pytest.raises(AttachmentRejected, match="XFA"):
        clean_attachment(_pdf(xfa))


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(AttachmentRejected, match="password-protected"):
        clean_attachment(_pdf(lambda writer: writer.encrypt("secret", algorithm="AES-128")))


@pytest.mark.parametrize(
    "data",
    [
        _pdf(_letter_with_metadata)[: len(_pdf(_letter_with_metadata)) // 2],
        b"%PDF-1.7\n" + b"not really a pdf\n" * 20 + b"%%EOF\n",
    ],
    ids=["truncated", "garbage"],
)
def test_unreadable_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(AttachmentRejected, match="PDF could not be read"):
        clean_attachment(data)
