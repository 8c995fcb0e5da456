"""Property: a valid environment renders to exactly the intended options, as pgBackRest reads them."""

from __future__ import annotations

from hypothesis import given

from setup_service import render
from setup_service.env_sources import Setting
from setup_service.problems import errors
from setup_service.validate import validate
from tests.property import pgbackrest_ini
from tests.property.strategies import MOUNT, Intended, command_sections, read_file, valid_environment


@given(valid_environment())
def test_rendered_config_reads_back_as_intended(intended: Intended) -> None:
    settings_ = {name: Setting(value, "environment") for name, value in intended.env.items()}
    outcome = validate(settings_, mount_path=MOUNT, read_file=read_file)
    assert errors(outcome.problems) == [], [p.as_dict() for p in outcome.problems]
    assert outcome.config is not None
    files = render.render(outcome.config)
    main = files["pgbackrest.conf"].content.decode()
    include = files["conf.d/repo.conf"].content.decode()

    # each file on its own: the main file holds [global] and [<stanza>], never a repository option
    sections = command_sections(intended)
    assert pgbackrest_ini.parse(main) == {"global": intended.main, **sections,
                                          intended.stanza: intended.stanza_options}
    assert pgbackrest_ini.parse(include) == {"global": intended.repos}
    # as pgBackRest loads them: the include file concatenated after the main file
    merged = pgbackrest_ini.read_set(main, include)
    assert merged == {"global": {**intended.main, **intended.repos}, **sections,
                      intended.stanza: intended.stanza_options}
    assert not set(intended.main) & set(intended.repos)  # no key repeated across the files

    # the typed config says the same as the files
    assert outcome.config.stanza == intended.stanza
    assert {r.index for r in outcome.config.repositories} == {
        int(k[4:].split("-")[0]) for k in intended.repos if k.endswith("-type") and k.startswith("repo")
        and k.count("-") == 1}
