"""A seekable, read-only file object over a presigned GET URL, fetching only the ranges asked for.

PyAV and Pillow read through it, so probing a large MP4 downloads its header and index, not the
whole file; memory is bounded by the block cache whatever the object's size.
"""

from __future__ import annotations

import bisect
import io
from collections import OrderedDict

import httpx

from dam.domain.errors import StorageUnavailable
from dam.storage.s3 import STORAGE

# Each ranged GET costs a round trip (~5 ms to a local SeaweedFS): blocks are large enough that
# probing a high-bit-rate 1080p MP4 takes 3 requests (header + first frames, index at the end,
# the rest of the first frames) yet small enough to stay under 1% of a 100 MB file (make bench).
BLOCK = 320 * 1024
CACHE_BLOCKS = 12  # 3.75 MiB
# Rendering decodes the whole file front to back: few large reads, few kept (at most 8 MiB).
SEQUENTIAL_BLOCK = 2 * 1024 * 1024
SEQUENTIAL_CACHE_BLOCKS = 4


class _Seekable(io.RawIOBase):
    """A read-only file of known size: the position, and seeking it (reads are the subclass's)."""

    _size = 0
    _pos = 0

    def readable(self) -> bool:
        """Always."""
        return True

    def seekable(self) -> bool:
        """Always."""
        return True

    def tell(self) -> int:
        """Current position."""
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position; nothing is fetched until a read."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos


class RangeReader(_Seekable):
    """Random access to an object of known size with HTTP range requests."""

    def __init__(
        self,
        url: str,
        size: int,
        *,
        client: httpx.Client,
        block: int = BLOCK,
        cache_blocks: int = CACHE_BLOCKS,
        cache: OrderedDict[int, bytes] | None = None,
    ) -> None:
        """``cache``: blocks of this object other readers fetched (with the same ``block``), shared."""
        super().__init__()
        self._url = url
        self._size = size
        self._client = client
        self._block = block
        self._cache_blocks = cache_blocks
        self._pos = 0
        self._cache: OrderedDict[int, bytes] = OrderedDict() if cache is None else cache
        self.bytes_fetched = 0
        self.requests = 0

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the current position (short only at the end of the object)."""
        want = min(len(buffer), self._size - self._pos)
        done = 0
        while done < want:
            index, offset = divmod(self._pos + done, self._block)
            block = self._fetch(index)
            take = min(want - done, len(block) - offset)
            if take <= 0:
                break
            buffer[done : done + take] = block[offset : offset + take]
            done += take
        self._pos += done
        return done

    def _fetch(self, index: int) -> bytes:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        start = index * self._block
        end = min(self._size, start + self._block) - 1
        try:
            response = self._client.get(self._url, headers={"Range": f"bytes={start}-{end}"})
        except httpx.HTTPError as exc:
            STORAGE.failed(exc)
            raise StorageUnavailable(f"reading the object failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            STORAGE.failed(f"{response.status_code} to a ranged read")
            raise StorageUnavailable(f"storage answered {response.status_code} to a ranged read")
        STORAGE.answered()
        if response.status_code == 404:
            raise OSError("the object is missing from storage")
        if response.status_code not in {200, 206}:
            raise OSError(f"storage answered {response.status_code} to a ranged read")
        data = response.content
        if response.status_code == 200:  # the store ignored Range; keep only our block
            data = data[start : end + 1]
        self.requests += 1
        self.bytes_fetched += len(data)
        self._cache[index] = data
        if len(self._cache) > self._cache_blocks:
            self._cache.popitem(last=False)
        return data


class ConcatReader(_Seekable):
    """Several objects read as one seekable file (a rendition's init segment and its segments)."""

    def __init__(self, parts: list[tuple[str, int]], *, client: httpx.Client) -> None:
        super().__init__()
        self._parts = [RangeReader(url, size, client=client, cache_blocks=2) for url, size in parts]
        self._starts: list[int] = []
        total = 0
        for _, size in parts:
            self._starts.append(total)
            total += size
        self._size = total
        self._pos = 0

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the current position, across object boundaries."""
        view = memoryview(buffer)  # a slice of a bytearray would be a copy
        done = 0
        while done < len(view) and self._pos < self._size:
            index = bisect.bisect_right(self._starts, self._pos) - 1
            part = self._parts[index]
            part.seek(self._pos - self._starts[index])
            got = part.readinto(view[done:])
            if got <= 0:
                break
            done += got
            self._pos += got
        return done
