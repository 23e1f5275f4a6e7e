"""Reading one image from a request: the multipart field `file`, or the raw body with an image (or
octet-stream) content type. The size limit is the Upload page's (Settings' "Bytes per image"), applied
before the body is read whole."""
from __future__ import annotations

from pathlib import PurePosixPath

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ml.errors import ImageTooLargeError, MediaTypeError, RequestError
from ml.governance import batch_limits
from ml.inputs import images

FORM_SLACK = 64 * 1024  # a multipart body is the file plus its boundaries and headers
MEDIA_TYPES = ("multipart/form-data", "application/octet-stream")
WRONG_TYPE = ("Send one image as multipart/form-data in the field 'file', or as the request body with an image/* "
              "or application/octet-stream content type.")


def shown_name(raw: str | None) -> str:
    """The client's file name, for sentences and the History page only (never a path we write)."""
    name = PurePosixPath(str(raw or "").replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable())[:120]
    return name or "upload"


def _too_large(name: str, size: int, limit: int) -> ImageTooLargeError:
    return ImageTooLargeError(f"Could not read {name}: {images.too_large(size, limit)}")


async def read_image(request: Request, filename: str | None = None, limit: int | None = None) -> tuple[str, bytes]:
    """(the shown name, the bytes); `limit`: the bytes per image when the caller has just read it."""
    limit = limit if limit is not None else await run_in_threadpool(batch_limits.image_bytes)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    declared = int(declared) if declared.isdigit() else None
    if media == "multipart/form-data":
        if declared is not None and declared > limit + FORM_SLACK:
            raise _too_large(shown_name(filename), declared, limit)
        form = await request.form(max_files=1, max_fields=8)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RequestError("The form has no file in its field 'file': send the image there.")
        name = shown_name(filename or upload.filename)
        data = await upload.read(limit + 1)
        await form.close()
    elif media.startswith("image/") or media == "application/octet-stream":
        name = shown_name(filename)
        if declared is not None and declared > limit:
            raise _too_large(name, declared, limit)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(name, size, limit)
            chunks.append(chunk)
        data = b"".join(chunks)
    else:
        raise MediaTypeError(WRONG_TYPE)
    if len(data) > limit:
        raise _too_large(name, len(data), limit)
    return name, data
