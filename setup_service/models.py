"""The typed result of validation: what will be rendered and published."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from setup_service.namespace import MOUNT_PATH_PATTERN

StorageType = Literal["posix", "s3", "azure", "gcs"]
BackupType = Literal["full", "diff", "incr"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Repository(_Frozen):
    index: int = Field(ge=1, le=256)
    type: StorageType
    options: list[tuple[str, str]]  # config-file key and value, in file order
    encrypted: bool


class PublishedFile(_Frozen):
    """A file an option points at, copied into files/ of the published set."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    content: bytes
    secret: bool
    variable: str  # the variable that named it


class SetupConfig(_Frozen):
    stanza: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    backups_enabled: bool
    repo_type: Literal["none", "posix", "s3", "azure", "gcs"]
    mount_path: str = Field(pattern=MOUNT_PATH_PATTERN)
    global_options: list[tuple[str, str]]
    stanza_options: list[tuple[str, str]]
    # [global:<command>] sections, by command: options that apply to that command only.
    command_sections: dict[str, list[tuple[str, str]]] = {}
    repositories: list[Repository]
    files: list[PublishedFile]
    schedules: dict[BackupType, str]
    drill_schedule: str | None = None  # restore-drill's; None: no scheduled drill
