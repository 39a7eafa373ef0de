"""Cleaning letter attachments: layer 3 (metadata) of the contact-detail wall.

A scan or photo of a letter may carry far more than the letter: GPS coordinates, the camera or
phone model, the owner's name, editing software, timestamps, thumbnails of the uncropped photo.
Nothing of that may reach the other side, so:

- The type comes from the bytes alone (magic number, then the matching decoder must accept the
  whole file). There is no filename or declared type parameter, on purpose.
- Images are decoded to pixels, turned upright (EXIF orientation), and encoded afresh from a new
  image that never saw the original's metadata. ICC profiles are dropped too: they name the
  device maker and model and a creation date, and for a letter the slight colour shift of a
  wide-gamut photo shown as sRGB does not matter.
- PDFs with active content (JavaScript, actions, embedded files, XFA) are refused rather than
  "defused": a letter never needs them. Accepted PDFs are rebuilt from their pages only, with
  annotations (which carry author names and dates), XMP, page-piece data, thumbnails and the
  document information dictionary removed, and JPEG images inside stripped of their APP segments
  (EXIF, XMP, IPTC). The output is parsed again and checked; if anything survived, we refuse.

Everything here is synchronous, CPU-bound and free of I/O: callers in the server run it off the
event loop. Error messages are shown to participants as they are.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from PIL import Image, ImageOps
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject, StreamObject

__all__ = ["AttachmentRejected", "CleanedAttachment", "clean_attachment"]

_MIB: Final = 1024 * 1024
_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_PDF_MAGIC: Final = b"%PDF-"

# Walking a PDF's object graph costs time per object; a letter has a few hundred at most.
_MAX_PDF_OBJECTS: Final = 100_000

_NOT_SUPPORTED: Final = (
    "This file is not a JPEG, PNG or PDF. Please scan the letter as a photo or PDF."
)
_EMPTY: Final = "This file is empty. Please choose the scan or photo of the letter again."
_DAMAGED_IMAGE: Final = (
    "This image could not be read: it may be damaged or incomplete. "
    "Please take the photo or scan again and send it as a JPEG, PNG or PDF."
)
_PDF_UNREADABLE: Final = (
    "This PDF could not be read: it may be damaged or incomplete. "
    "Please scan the letter again, or send a photo of it."
)
_PDF_ENCRYPTED: Final = (
    "This PDF is password-protected. Please save it again without a password, "
    "or send a scan or photo of the letter."
)
_PDF_JAVASCRIPT: Final = (
    "This PDF contains JavaScript, which we cannot pass on. Please print the letter to a new "
    "PDF, or send a scan or photo of it."
)
_PDF_EMBEDDED: Final = (
    "This PDF has other files or media embedded in it. Please send only the letter: save it "
    "as a plain PDF, or send a scan or photo of it."
)
_PDF_ACTIONS: Final = (
    "This PDF contains links or actions (web links, form submission or opening other files). "
    "Please save the letter as a plain PDF without them, or send a scan or photo of it."
)
_PDF_FORM_SCRIPT: Final = (
    "This PDF is a scripted (XFA) form, which we cannot pass on. Please print the letter to a "
    "new PDF, or send a scan or photo of it."
)
_PDF_TOO_COMPLEX: Final = (
    "This PDF is too complex for us to check. Please print the letter to a new PDF, "
    "or send a scan or photo of it."
)
_PDF_NOT_CLEANED: Final = (
    "We could not remove the hidden details from this PDF. "
    "Please send a scan or photo of the letter instead."
)

# Action types (/S) that reach outside the document or run code.
_REFUSED_ACTIONS: Final = {
    "/JavaScript": _PDF_JAVASCRIPT,
    "/Launch": _PDF_ACTIONS,
    "/URI": _PDF_ACTIONS,
    "/SubmitForm": _PDF_ACTIONS,
    "/ImportData": _PDF_ACTIONS,
    "/GoToR": _PDF_ACTIONS,
    "/GoToE": _PDF_EMBEDDED,
    "/Rendition": _PDF_EMBEDDED,
    "/RichMediaExecute": _PDF_EMBEDDED,
    "/Movie": _PDF_EMBEDDED,
    "/Sound": _PDF_EMBEDDED,
}
_EMBEDDING_SUBTYPES: Final = frozenset(
    {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}
)
# Removed from every dictionary reachable from the pages.
_METADATA_KEYS: Final = frozenset({"/Metadata", "/PieceInfo", "/LastModified"})
# Removed from page dictionaries: annotations carry author names (/T), dates (/M) and actions;
# /AA holds page actions, /B article beads (links into the catalog), /Thumb a thumbnail image.
_PAGE_KEYS: Final = frozenset({"/Annots", "/AA", "/B", "/Thumb"})
# JPEG APPn markers kept inside PDFs: APP14 "Adobe" only says how colours are transformed.
_KEPT_JPEG_APP_MARKERS: Final = frozenset({0xEE})


class AttachmentRejected(ValueError):
    """The attachment cannot be passed on; `str(exc)` tells the sender what to do instead."""


@dataclass(frozen=True, slots=True)
class CleanedAttachment:
    """An attachment re-encoded without metadata, typed from its content."""

    data: bytes = field(repr=False)
    media_type: str
    extension: str

    def neutral_filename(self, index: int) -> str:
        """A name that says nothing about the sender: `attachment-1.jpg` for index 1."""
        if index < 1:
            raise ValueError("attachment index counts from 1")
        return f"attachment-{index}.{self.extension}"


def clean_attachment(
    data: bytes, *, max_bytes: int = 10 * _MIB, max_pixels: int = 40_000_000
) -> CleanedAttachment:
    """Re-encode a JPEG, PNG or PDF without metadata, or raise `AttachmentRejected`."""
    if max_bytes < 1 or max_pixels < 1:
        raise ValueError("max_bytes and max_pixels must be positive")
    if not data:
        raise AttachmentRejected(_EMPTY)
    if len(data) > max_bytes:
        raise AttachmentRejected(
            f"This file is larger than {_describe_size(max_bytes)}. Please send a smaller scan "
            "or photo, for example at a lower resolution."
        )
    if data.startswith(_JPEG_MAGIC):
        return _clean_image(data, "JPEG", max_pixels)
    if data.startswith(_PNG_MAGIC):
        return _clean_image(data, "PNG", max_pixels)
    if data.startswith(_PDF_MAGIC):
        return _clean_pdf(data)
    raise AttachmentRejected(_NOT_SUPPORTED)


def _describe_size(size: int) -> str:
    if size >= _MIB:
        return f"{size / _MIB:.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


def _too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> str:
    dimensions = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return (
        f"This image is too large{dimensions}. Please send a smaller photo or scan, "
        f"up to {max_pixels / 1_000_000:.3g} megapixels."
    )


# --- images ------------------------------------------------------------------------------------

# Pillow formats accepted per detected type: "MPO" is a phone's multi-picture JPEG.
_IMAGE_DECODERS: Final = {"JPEG": frozenset({"JPEG", "MPO"}), "PNG": frozenset({"PNG"})}
_IMAGE_OUTPUT: Final = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
_PNG_MODES: Final = frozenset({"1", "L", "LA", "RGB", "RGBA", "I;16"})


def _clean_image(data: bytes, kind: str, max_pixels: int) -> CleanedAttachment:
    try:
        pixels = _decode_upright(data, kind, max_pixels)
    except AttachmentRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard (beyond Image.MAX_IMAGE_PIXELS) fired before ours could.
        raise AttachmentRejected(_too_many_pixels(max_pixels)) from exc
    except Exception as exc:
        # Decoders fail on hostile bytes in many ways (OSError, SyntaxError, struct.error...);
        # every one of them means the same thing to the sender.
        raise AttachmentRejected(_DAMAGED_IMAGE) from exc
    out = io.BytesIO()
    if kind == "JPEG":
        pixels.save(out, "JPEG", quality=90, optimize=True)
    else:
        pixels.save(out, "PNG")
    media_type, extension = _IMAGE_OUTPUT[kind]
    return CleanedAttachment(out.getvalue(), media_type, extension)


def _decode_upright(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """Pixels only, orientation applied, in a fresh image with no metadata attached."""
    # The limit is checked per call from the header, before any pixel is decoded, instead of
    # setting Image.MAX_IMAGE_PIXELS: that is process-wide and shared with other code.
    with Image.open(io.BytesIO(data), formats=[kind]) as image:
        if image.format not in _IMAGE_DECODERS[kind]:
            raise AttachmentRejected(_NOT_SUPPORTED)
        width, height = image.size
        if width * height > max_pixels:
            raise AttachmentRejected(_too_many_pixels(max_pixels, image.size))
        image.load()  # truncated or corrupt data fails here (LOAD_TRUNCATED_IMAGES is off)
        upright = ImageOps.exif_transpose(image)
    pixels = _output_mode(upright, kind)
    # A new image has empty .info, so no EXIF, XMP, ICC, comment or text chunk can be carried
    # into the encoder by Pillow's defaults.
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    return clean


def _output_mode(image: Image.Image, kind: str) -> Image.Image:
    if kind == "JPEG":
        # JPEG decodes to L, RGB or CMYK; browsers show CMYK JPEGs badly, so use RGB.
        return image if image.mode in ("L", "RGB") else image.convert("RGB")
    if "transparency" in image.info:
        # Palette and colour-key transparency live in .info, which we drop: make it an alpha.
        return image.convert("LA" if image.mode in ("1", "L", "I;16") else "RGBA")
    if image.mode == "P":
        return image.convert("RGB")
    return image if image.mode in _PNG_MODES else image.convert("RGBA")


# --- PDFs --------------------------------------------------------------------------------------


def _clean_pdf(data: bytes) -> CleanedAttachment:
    # A file cut short loses its trailer; pypdf would quietly rebuild what it can.
    if b"%%EOF" not in data[-1024:]:
        raise AttachmentRejected(_PDF_UNREADABLE)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise AttachmentRejected(_PDF_ENCRYPTED)
        problem = _find_problem(reader.trailer)
        if problem:
            raise AttachmentRejected(problem)
        pages = list(reader.pages)
        if not pages:
            raise AttachmentRejected(_PDF_UNREADABLE)
        _strip_metadata(pages)
        writer = PdfWriter()  # only pages are copied: no catalog names, outlines or forms
        for page in pages:
            writer.add_page(page)
        writer.metadata = None  # also drops the writer's own /Producer (pypdf)
        out = io.BytesIO()
        writer.write(out)
    except AttachmentRejected:
        raise
    except Exception as exc:  # pypdf raises many types on hostile input; all mean "unreadable"
        raise AttachmentRejected(_PDF_UNREADABLE) from exc
    cleaned = out.getvalue()
    _verify_pdf(cleaned, len(pages))
    return CleanedAttachment(cleaned, "application/pdf", "pdf")


def _walk(start: PdfObject) -> Iterator[DictionaryObject]:
    """Every dictionary (streams included) reachable from `start`, each once.

    A caller may delete keys of the dictionary it was just given: what they pointed to is then
    not visited.
    """
    stack: list[PdfObject | None] = [start]
    seen: set[tuple[int, int]] = set()
    containers = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if not isinstance(obj, DictionaryObject | ArrayObject):
            continue
        containers += 1
        if containers > _MAX_PDF_OBJECTS:
            raise AttachmentRejected(_PDF_TOO_COMPLEX)
        if isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(obj.values())  # dict.values() gives references unresolved
        else:
            stack.extend(obj)


def _name(dictionary: DictionaryObject, key: str) -> str | None:
    value = dictionary.get(key)
    return None if value is None else str(value.get_object())


def _find_problem(root: PdfObject) -> str | None:
    """The message for the first refused feature reachable from `root`, if any."""
    for dictionary in _walk(root):
        if "/JS" in dictionary or "/JavaScript" in dictionary:
            return _PDF_JAVASCRIPT
        if "/XFA" in dictionary:
            return _PDF_FORM_SCRIPT
        if "/EmbeddedFiles" in dictionary or "/EF" in dictionary:
            return _PDF_EMBEDDED
        if _name(dictionary, "/Type") == "/EmbeddedFile":
            return _PDF_EMBEDDED
        if _name(dictionary, "/Subtype") in _EMBEDDING_SUBTYPES:
            return _PDF_EMBEDDED
        action = _name(dictionary, "/S")
        if action in _REFUSED_ACTIONS:
            return _REFUSED_ACTIONS[action]
    return None


def _is_page(dictionary: DictionaryObject) -> bool:
    return _name(dictionary, "/Type") == "/Page"


def _strip_metadata(pages: list[PageObject]) -> None:
    """Remove metadata in place from the pages and everything they use (the reader's copy)."""
    # reader.pages are copies of the page dictionaries (pypdf folds inherited attributes into
    # them) and they are what PdfWriter.add_page clones, so strip these, not the page tree's.
    used = ArrayObject()
    for page in pages:
        for key in _METADATA_KEYS | _PAGE_KEYS:
            page.pop(key, None)
        used.extend(value for key, value in page.items() if key != "/Parent")
    for dictionary in _walk(used):
        for key in _METADATA_KEYS:
            dictionary.pop(key, None)
        if isinstance(dictionary, StreamObject) and _is_plain_jpeg(dictionary):
            # DCTDecode data is a JPEG file as is: read and write the raw bytes, bypassing
            # pypdf's filter handling (EncodedStreamObject.set_data only supports Flate).
            raw = StreamObject.get_data(dictionary)
            StreamObject.set_data(dictionary, _strip_jpeg_segments(raw))


def _is_plain_jpeg(stream: StreamObject) -> bool:
    filters = stream.get("/Filter")
    return filters is not None and filters.get_object() in ("/DCTDecode", ["/DCTDecode"])


def _strip_jpeg_segments(jpeg: bytes) -> bytes:
    """The JPEG without comments and APPn segments (EXIF, XMP, IPTC, ICC, thumbnails).

    Lossless: the compressed image data after the start-of-scan marker is kept byte for byte.
    """
    if not jpeg.startswith(b"\xff\xd8"):
        raise AttachmentRejected(_PDF_UNREADABLE)
    out = bytearray(b"\xff\xd8")
    position = 2
    while position + 4 <= len(jpeg):
        if jpeg[position] != 0xFF:
            raise AttachmentRejected(_PDF_UNREADABLE)
        marker = jpeg[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out += jpeg[position:]
            return bytes(out)
        end = position + 2 + int.from_bytes(jpeg[position + 2 : position + 4], "big")
        is_metadata = 0xE0 <= marker <= 0xEF and marker not in _KEPT_JPEG_APP_MARKERS
        if not (is_metadata or marker == 0xFE):  # 0xFE: comment
            out += jpeg[position:end]
        position = end
    raise AttachmentRejected(_PDF_UNREADABLE)


def _verify_pdf(cleaned: bytes, page_count: int) -> None:
    """Parse our own output and refuse it if any metadata or active content survived."""
    try:
        reader = PdfReader(io.BytesIO(cleaned))
        intact = (
            not reader.is_encrypted
            and len(reader.pages) == page_count
            and "/Info" not in reader.trailer
            and _find_problem(reader.trailer) is None
            and not any(_has_metadata(d) for d in _walk(reader.trailer))
        )
    except AttachmentRejected:
        raise
    except Exception as exc:
        raise AttachmentRejected(_PDF_NOT_CLEANED) from exc
    if not intact:
        raise AttachmentRejected(_PDF_NOT_CLEANED)


def _has_metadata(dictionary: DictionaryObject) -> bool:
    if not _METADATA_KEYS.isdisjoint(dictionary):
        return True
    if _is_page(dictionary) and not _PAGE_KEYS.isdisjoint(dictionary):
        return True
    if isinstance(dictionary, StreamObject) and _is_plain_jpeg(dictionary):
        raw = StreamObject.get_data(dictionary)
        return _strip_jpeg_segments(raw) != raw
    return False
