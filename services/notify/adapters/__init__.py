"""notify's I/O: its collections (``repository``), the channels that send (``channels``)
and intake, asked for a citizen's contact (``intake``)."""
