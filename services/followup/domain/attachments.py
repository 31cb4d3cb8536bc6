"""Files a department attaches to its reply: what is accepted.

A file is accepted when it is no larger than ``MAX_BYTES``, a
case holds at most ``MAX_FILES``, and its first bytes are those of a type
the hotline takes (photos, PDF, plain text): the name and the declared type
are not trusted, the content decides. The repository keeps accepted files
in the case service's MongoDB in GridFS's own layout (``attachments.files`` +
``attachments.chunks``), so MongoDB's GridFS tools can read them.
"""
import re
import unicodedata

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 10
CHUNK_BYTES = 255 * 1024  # GridFS's default chunk size

# content type -> (magic bytes at offset 0, extensions)
TYPES = {
    "image/jpeg": ((b"\xff\xd8\xff",), (".jpg", ".jpeg")),
    "image/png": ((b"\x89PNG\r\n\x1a\n",), (".png",)),
    "image/gif": ((b"GIF87a", b"GIF89a"), (".gif",)),
    "image/webp": ((b"RIFF",), (".webp",)),
    "application/pdf": ((b"%PDF-",), (".pdf",)),
}


class AttachmentRefused(Exception):
    """The file is not accepted; ``errors`` says why, by field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def sniff(data: bytes) -> str | None:
    """The content type the bytes are, or ``None``."""
    for kind, (magics, _ext) in TYPES.items():
        if any(data.startswith(m) for m in magics):
            if kind == "image/webp" and data[8:12] != b"WEBP":
                continue
            return kind
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "text/plain"
    return None


def clean_name(filename: object) -> str:
    """A file name safe to show and to send back in a header."""
    name = unicodedata.normalize("NFC", str(filename or "")).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return name[:120] or "attachment"


def check(filename: object, data: object, files_so_far: int) -> tuple[str, str]:
    """``(clean name, content type)`` for an acceptable file, else ``AttachmentRefused``."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise AttachmentRefused({"file": ["the file is empty"]})
    if len(data) > MAX_BYTES:
        raise AttachmentRefused({"file": [f"at most {MAX_BYTES // (1024 * 1024)} MB per file"]})
    if files_so_far >= MAX_FILES:
        raise AttachmentRefused({"file": [f"at most {MAX_FILES} files per case"]})
    kind = sniff(bytes(data[:4096]))
    if kind is None:
        raise AttachmentRefused({"file": [
            "only photos (JPEG, PNG, GIF, WebP), PDF and plain text are accepted"]})
    return clean_name(filename), kind
