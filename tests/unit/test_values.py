"""One option value checked and normalised against its definition, as pgBackRest 2.45 reads it."""

from __future__ import annotations

import pytest

from setup_service import option_table, values

OPT = option_table.options()


@pytest.mark.parametrize("value, unsafe", [
    ("plain", False), ("with inner space", False), ("a=b[c]#d", False), ("", False),
    ("a\nb", True), ("a\rb", True), ("a\tb", True), ("a\x00b", True), ("a\x7f", True),
    ("\x1b[31m", True), (" leading", True), ("trailing ", True), ("\u00a0nbsp", True),
])
def test_ini_safety(value: str, unsafe: bool) -> None:
    assert (values.ini_safety(value) is not None) is unsafe


@pytest.mark.parametrize("raw, expected", [
    ("y", "y"), ("n", "n"), ("true", "y"), ("FALSE", "n"), ("Yes", "y"), ("off", "n"),
    ("1", "y"), ("0", "n"), ("on", "y"),
])
def test_boolean_is_written_as_y_or_n(raw: str, expected: str) -> None:
    assert values.normalise(OPT["start-fast"], raw, {}, False) == expected


def test_boolean_rejects_other_words() -> None:
    with pytest.raises(values.ValueProblem) as info:
        values.normalise(OPT["start-fast"], "maybe", {}, False)
    assert "y or n" in info.value.hint


@pytest.mark.parametrize("raw, expected", [("4", "4"), ("+4", "4"), ("007", "7"), ("999", "999")])
def test_integer(raw: str, expected: str) -> None:
    assert values.normalise(OPT["process-max"], raw, {}, False) == expected


@pytest.mark.parametrize("raw", ["0", "1000", "-1", "1.5", "4x", "", "٣"])
def test_integer_out_of_range_or_malformed(raw: str) -> None:
    with pytest.raises(values.ValueProblem):
        values.normalise(OPT["process-max"], raw, {}, False)


def test_range_message_names_the_bounds() -> None:
    with pytest.raises(values.ValueProblem) as info:
        values.normalise(OPT["repo-retention-full"], "0", {}, False)
    assert info.value.hint == "use a value from 1 to 9999999"


def test_range_that_depends_on_another_option() -> None:
    level = OPT["compress-level"]
    assert values.normalise(level, "9", {"compress-type": "gz"}, False) == "9"
    assert values.normalise(level, "12", {"compress-type": "lz4"}, False) == "12"
    with pytest.raises(values.ValueProblem):
        values.normalise(level, "12", {"compress-type": "gz"}, False)


@pytest.mark.parametrize("raw, size", [
    ("0", 0), ("512", 512), ("1b", 1), ("4k", 4096), ("4KB", 4096), ("4KiB", 4096),
    ("2m", 2 * 1024 ** 2), ("8GiB", 8 * 1024 ** 3), ("1t", 1024 ** 4), ("1PB", 1024 ** 5),
])
def test_size_units(raw: str, size: int) -> None:
    assert values.size_bytes(raw) == size


@pytest.mark.parametrize("raw", ["1.5GiB", "GiB", "-1", "4 GiB", "4XB", ""])
def test_size_malformed(raw: str) -> None:
    with pytest.raises(values.ValueProblem):
        values.size_bytes(raw)


def test_size_is_written_as_given_after_a_range_check() -> None:
    assert values.normalise(OPT["archive-push-queue-max"], "8GiB", {}, False) == "8GiB"
    with pytest.raises(values.ValueProblem):
        values.normalise(OPT["manifest-save-threshold"], "0", {}, False)


@pytest.mark.parametrize("raw, seconds", [("60", "60"), ("90s", "90"), ("5m", "300"), ("2h", "7200"),
                                          ("1d", "86400"), ("1.5", "1"), ("3000ms", "3")])
def test_time_is_written_in_whole_seconds(raw: str, seconds: str) -> None:
    if raw == "1.5":
        with pytest.raises(values.ValueProblem) as info:
            values.normalise(OPT["archive-timeout"], raw, {}, False)
        assert "whole" in str(info.value)
        return
    assert values.normalise(OPT["archive-timeout"], raw, {}, False) == seconds


def test_time_range() -> None:
    with pytest.raises(values.ValueProblem):
        values.normalise(OPT["archive-timeout"], "2d", {}, False)  # above 86400 s


@pytest.mark.parametrize("raw, expected", [("/var/log/pgbackrest", "/var/log/pgbackrest"),
                                           ("/var/log/pgbackrest/", "/var/log/pgbackrest"),
                                           ("/", "/")])
def test_path(raw: str, expected: str) -> None:
    assert values.normalise(OPT["log-path"], raw, {}, False) == expected


@pytest.mark.parametrize("raw", ["relative/path", "/a//b", "~/x"])
def test_path_must_be_absolute_without_double_slash(raw: str) -> None:
    with pytest.raises(values.ValueProblem):
        values.normalise(OPT["log-path"], raw, {}, False)


def test_allow_list_is_exact() -> None:
    assert values.normalise(OPT["compress-type"], "zst", {}, False) == "zst"
    with pytest.raises(values.ValueProblem) as info:
        values.normalise(OPT["compress-type"], "LZ4", {}, False)
    assert "lz4" in info.value.hint


def test_secret_values_are_not_repeated_in_messages() -> None:
    with pytest.raises(values.ValueProblem) as info:
        values.normalise(OPT["repo-cipher-type"], "s3cr3t-value", {}, True)
    assert "s3cr3t-value" not in str(info.value) + info.value.hint
    with pytest.raises(values.ValueProblem) as info:
        values.normalise(OPT["compress-type"], "shown-value", {}, False)
    assert "shown-value" in str(info.value)


def test_free_strings_are_kept() -> None:
    assert values.normalise(OPT["repo-s3-bucket"], "a=b#c[d]", {}, False) == "a=b#c[d]"


def test_split_multi() -> None:
    assert values.split_multi(OPT["db-include"], "a:b:c") == ["a", "b", "c"]
    assert values.split_multi(OPT["recovery-option"], "a=1:b=x=y") == ["a=1", "b=x=y"]
    with pytest.raises(values.ValueProblem):
        values.split_multi(OPT["recovery-option"], "a=1:b")


def test_default_for() -> None:
    assert values.default_for(OPT["process-max"], {}) == 1
    assert values.default_for(OPT["repo-s3-bucket"], {}) is None
    chunk = OPT["repo-storage-upload-chunk-size"]
    assert values.default_for(chunk, {"repo-type": "s3"}) is not None
    assert values.default_for(chunk, {}) is None
