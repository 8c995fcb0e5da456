"""Reading a file a variable names, safely: a regular file of bounded size (standard library
only: privileges.py reads the .env file with it before the fast path)."""

from __future__ import annotations

import errno
import os
import stat

# Secrets, keys, certificates and CA bundles are far smaller; a bigger file is a mistake
# (/dev/zero, a disk image), and reading it whole would exhaust the container's memory.
FILE_SIZE_CAP = 1024 * 1024


def read_regular_file(path: str) -> bytes:
    """A regular file of at most FILE_SIZE_CAP bytes. Anything else (a FIFO, which would block
    forever, a device, a directory, a bigger file) is an OSError naming what it is."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= FILE_SIZE_CAP:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        raise OSError(errno.EFBIG, f"larger than {FILE_SIZE_CAP // 1024} KiB")
    finally:
        os.close(fd)
