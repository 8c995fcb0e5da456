"""WAL segment arithmetic: names, numbers across timelines, and holes in an archive."""

from __future__ import annotations


def segment_number(name: str, segment_size: int) -> tuple[int, int]:
    """(timeline, segment number) of a WAL file name."""
    per_xlogid = 0x100000000 // segment_size
    return int(name[:8], 16), int(name[8:16], 16) * per_xlogid + int(name[16:24], 16)


def segment_name(timeline: int, number: int, segment_size: int) -> str:
    per_xlogid = 0x100000000 // segment_size
    return f"{timeline:08X}{number // per_xlogid:08X}{number % per_xlogid:08X}"


def holes(present: set[str], start: str, end: str, segment_size: int) -> list[str]:
    """Missing segments from start to end, following timeline switches (a timeline's range ends
    where the next one takes over)."""
    by_timeline: dict[int, set[int]] = {}
    for name in present:
        timeline, number = segment_number(name, segment_size)
        by_timeline.setdefault(timeline, set()).add(number)
    first_tl, first = segment_number(start, segment_size)
    last_tl, last = segment_number(end, segment_size)
    missing = []
    timelines = sorted(t for t in by_timeline if first_tl <= t <= last_tl) or [first_tl]
    for timeline in timelines:
        numbers = by_timeline.get(timeline, set())
        low = first if timeline == first_tl else min(numbers, default=first)
        high = last if timeline == last_tl else max(numbers, default=low)
        missing += [segment_name(timeline, n, segment_size) for n in range(low, high + 1)
                    if n not in numbers]
    return missing
