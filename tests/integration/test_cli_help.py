"""Every `cortex` command's --help lists its options with their values, each explained, and an
example: a new user learns the command line from it alone."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from cortex.cli.main import main


def commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``group``, the group itself first, with the words that reach it."""
    yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


ALL = list(commands(main))


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(("cortex", *p)) for p, _ in ALL])
def test_help_explains_every_option_and_gives_an_example(path: tuple[str, ...], command: click.Command):
    shown = CliRunner().invoke(main, [*path, "--help"], prog_name="cortex")
    assert shown.exit_code == 0, shown.output
    text = flat(shown.output)
    assert "Example" in shown.output, f"`cortex {' '.join(path)} --help` gives no example"
    for option in command.params:
        if not isinstance(option, click.Option) or option.hidden:
            continue
        assert option.help, f"{option.opts[0]} of `cortex {' '.join(path)}` has no help text"
        assert flat(option.help)[:40] in text
        for name in option.opts:
            assert name in text
        if not option.is_flag and not option.count:
            # a value is asked for: the help shows what kind (a metavar or the choices)
            metavar = option.make_metavar(click.Context(command))
            assert f"{option.opts[-1]} {metavar}" in text or f"{option.opts[0]} {metavar}" in text


def test_run_lists_the_runners_options_and_forwards_none_unseen():
    run = main.commands["run"]
    names = {name for p in run.params for name in getattr(p, "opts", ())}
    assert {"--device", "--size", "--results-dir", "--render-only"} <= names
    unknown = CliRunner().invoke(main, ["run", "squares", "--sise", "ci"])
    assert unknown.exit_code == 2 and "No such option '--sise'" in unknown.output
    bad = CliRunner().invoke(main, ["run", "squares", "--size", "huge"])
    assert bad.exit_code == 2 and "'huge' is not one of 'ci', 'full'" in bad.output
