"""The `coherence` command line: parse options into Settings, call the library, print, exit.

Each command imports what it runs when it runs: `coherence --version` and `--help` load no
pipeline (pydantic models, rules, the engine), so they answer at once."""

from __future__ import annotations

import datetime as dt
import json
import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .errors import CoherenceError, UsageError
from .formats import FORMATS
from .frameworks import FRAMEWORKS
from .report import EXIT_USAGE

FAIL_LEVELS = ["error", "warning", "info", "never"]


class Progress:
    """Progress on a terminal (stderr), rewriting one line; nothing when not a terminal."""

    def __call__(self, message: str) -> None:
        click.echo(f"\r\033[K{message}", err=True, nl=False)


def _csv(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _guard(debug: bool, action):
    """Usage, configuration and internal errors: one line on stderr and exit 2, no traceback."""
    try:
        return action()
    except (CoherenceError, OSError) as exc:
        click.echo(f"coherence: error: {exc}", err=True)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"coherence: internal error: {type(exc).__name__}: {exc} (rerun with --debug)", err=True)
    sys.exit(EXIT_USAGE)


rules_option = click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Add a directory of rule files (repeatable).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coherence")
def main():
    """Find incoherences between migration policies written as YAML records."""


@main.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE (atomically) instead of stdout.",
)
@click.option(
    "--as-of", callback=_date, metavar="DATE", help="Reference date for time-dependent rules [default: today]."
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_LEVELS),
    default=None,
    help="Exit 1 when a finding reaches this severity [default: warning].",
)
@click.option(
    "--select",
    multiple=True,
    metavar="RULES",
    help="Only these rule ids, families, names or framework tags such as gcm:22 (comma-separated).",
)
@click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rule ids, families or names.")
@click.option(
    "--against",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="DIR",
    help="Lint PATHS against this corpus (context) instead of the configured one.",
)
@rules_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Use this configuration instead of searching for .coherence.yaml / pyproject.toml.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Do not report findings recorded in this baseline.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Record the current findings as the baseline (written atomically; stale entries pruned).",
)
@click.option("--stdin-filename", metavar="PATH", help="The path a file read from stdin ('-') stands for.")
@click.option("--no-cache", is_flag=True, help="Parse and evaluate everything; do not use or fill the corpus index.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes that parse files, build facts and evaluate shards [default: one per CPU for large corpora].",
)
@click.option(
    "--summary",
    type=click.Choice(sorted(FRAMEWORKS)),
    default=None,
    help="Print findings per objective of this framework and country (text or json) instead of the findings.",
)
@click.option("--color/--no-color", default=None, help="Colour the text output [default: on a terminal].")
@click.option("--debug", is_flag=True, help="Print tracebacks of internal errors.")
def lint_command(
    paths,
    fmt,
    output,
    as_of,
    fail_on,
    select,
    ignore,
    against,
    rule_dirs,
    config_path,
    baseline,
    write_baseline,
    stdin_filename,
    no_cache,
    jobs,
    summary,
    color,
    debug,
):
    """Lint the corpus, or only the findings that touch PATHS (with the corpus as context).

    With no PATHS the configured corpus is linted (default: policies/ if present, else .).
    '-' reads one file from stdin (name it with --stdin-filename).
    """

    def run():
        from . import lint
        from .atomic import write_atomic
        from .baseline import rebaseline
        from .config import load_config
        from .formats import render
        from .formats.summary import render as framework_summary
        from .identity import cache_directory

        if summary and fmt not in ("text", "json"):
            raise UsageError(f"--summary prints text or json, not {fmt}")
        stdin = None
        targets = [p for p in paths if str(p) != "-"]
        if len(targets) != len(paths):
            stdin = (stdin_filename or "stdin.yaml", sys.stdin.buffer.read())
        cwd = Path.cwd()
        settings = load_config(config_path, cwd).settings(
            cwd,
            corpus=list(against),
            targets=targets,
            select=_csv(select),
            ignore=_csv(ignore),
            rule_dirs=list(rule_dirs),
            fail_on=fail_on,
            as_of=as_of,
            stdin=stdin,
            baseline=baseline,
            jobs=jobs,
            cache_dir=None if no_cache else Path(cache_directory()),
            progress=Progress() if sys.stderr.isatty() else None,
            record_views=fmt == "html" or None,
        )
        report = lint(settings)
        if write_baseline:  # the same run: today's findings become the baseline, and are hidden by it
            text, report = rebaseline(report)
            write_atomic(write_baseline, text)
        use_color = (output is None and sys.stdout.isatty()) if color is None else color
        if summary:
            text = framework_summary(report, summary, fmt)
        else:
            text = render(fmt, report, color=use_color and fmt == "text")
        if output:
            write_atomic(output, text)
        else:
            click.echo(text, nl=False)
        return report.exit_code(settings.fail_on)

    sys.exit(_guard(debug, run))


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--framework",
    type=click.Choice(sorted(FRAMEWORKS)),
    default=None,
    help="List the rules per objective (principle, domain, dimension) of this framework.",
)
@rules_option
def rules_command(fmt, framework, rule_dirs):
    """List every rule: id, name, severity, family, summary (or, with --framework, per framework tag)."""

    def run():
        from .explain import by_framework, catalogue, framework_table, table

        if framework:
            tags = by_framework(framework, list(rule_dirs))
            click.echo(json.dumps(tags, indent=2) if fmt == "json" else framework_table(tags), nl=fmt == "json")
            return 0
        rows = catalogue(list(rule_dirs))
        click.echo(json.dumps(rows, indent=2) if fmt == "json" else table(rows), nl=fmt == "json")
        return 0

    sys.exit(_guard(False, run))


@main.command("explain")
@click.argument("rule")
@rules_option
def explain_command(rule, rule_dirs):
    """Explain a rule (by id or name): rationale, sources, examples, how to suppress it."""

    def run():
        from .explain import explain, find

        found = find(rule, list(rule_dirs))
        if found is None:
            raise UsageError(f"no rule with id or name '{rule}' (see `coherence rules`)")
        click.echo(explain(found), nl=False)
        return 0

    sys.exit(_guard(False, run))


@main.command("test-rules")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--debug", is_flag=True, help="Print tracebacks of internal errors.")
def test_rules_command(directory, debug):
    """Run a rule pack's fixture cases (default: the built-in pack), like `semgrep --test`."""

    def run():
        from .ruletest import run_pack

        result = run_pack(directory)
        for problem in result.problems:
            click.echo(f"FAIL {problem}")
        for case in result.cases:
            if case.passed:
                click.echo(f"ok   {case.rule.spec.id} {case.case.name}")
            else:
                click.echo(f"FAIL {case.explain()}")
        failed = sum(not c.passed for c in result.cases) + len(result.problems)
        click.echo(f"{len(result.cases) - sum(not c.passed for c in result.cases)} passed, {failed} failed")
        return 0 if result.passed else 1

    sys.exit(_guard(debug, run))


@main.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--source",
    metavar="REQUIREMENT",
    help="What the pre-commit hook and the CI workflow pip-install coherence from, e.g. "
    f"'coherence-rules @ git+https://…@v{__version__}' [default: where this coherence was installed from].",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist (default: skip them).")
def init_command(directory, source, force):
    """Scaffold a policy repository: config, pre-commit, a CI workflow uploading SARIF, example records."""

    def run():
        from . import scaffold

        requirement = source or scaffold.installed_requirement()
        done = scaffold.init(directory, requirement, force)
        for path, status in done.items():
            click.echo(f"{status} {(directory / path).as_posix()}" + (" (exists)" if status == "skipped" else ""))
        written = [path for path in scaffold.INSTALLERS if done[path] != "skipped"]
        if written and scaffold.is_local(requirement):
            click.echo(
                f"coherence: warning: only this machine can install {requirement}, a CI runner cannot "
                f"({', '.join(written)}): pass --source REQUIREMENT (a git URL with a tag, or a release wheel's URL)",
                err=True,
            )
        click.echo("next: edit the example records, then `coherence lint` and `pre-commit install`")
        return 0

    sys.exit(_guard(False, run))


@main.command("serve")
def serve_command():
    """Keep the corpus in memory and answer the `coherence lint` runs started in this directory (a
    pre-commit hook, an editor) until interrupted: they print what they would print, faster."""

    def run():
        from .serve import serve

        serve(say=lambda message: click.echo(message, err=True))
        return 0

    sys.exit(_guard(False, run))


@main.command("schema")
def schema_command():
    """Print the JSON Schema of the record format (for editors and other tools)."""
    from .schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
