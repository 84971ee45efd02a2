"""Configuration: `.coherence.yaml` or `[tool.coherence]` in pyproject.toml, searched upward from the
working directory (or named with --config). Validated: an unknown key is an error with file:line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator

from .errors import ConfigError
from .schema_errors import first_error, suggest
from .settings import DEFAULT_INCLUDE, Limits, Settings, default_corpus
from .toolfile import load_model

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

YAML_CONFIG = ".coherence.yaml"
PYPROJECT = "pyproject.toml"
FailOn = Literal["error", "warning", "info", "never"]


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    corpus: list[str] = Field([], description="corpus roots, relative to the configuration file")
    include: list[str] = Field(
        list(DEFAULT_INCLUDE), description="globs of the record files under the corpus roots (globs.py)"
    )
    exclude: list[str] = Field([], description="globs of files under the corpus roots that are not records")
    baseline: str | None = Field(None, description="a baseline file, relative to the configuration file")
    select: list[str] = []
    ignore: list[str] = []
    per_path_ignores: dict[str, list[str]] = Field({}, description="glob -> rules not reported for those files")
    severity: dict[str, Literal["error", "warning", "info", "off"]] = Field(
        {}, description="rule id -> severity, or off"
    )
    fail_on: FailOn | None = None
    as_of: dt.date | None = None
    rules: list[str] = Field([], description="extra rule directories, relative to the configuration file")
    limits: dict[str, PositiveInt] = Field({}, description="settings.Limits to change, e.g. max_list_items: 5000")

    @field_validator("severity", mode="before")
    @classmethod
    def _off_unquoted(cls, severity: object) -> object:
        """`XS002: off` unquoted is YAML's false: it means off."""
        if isinstance(severity, dict):
            return {rule: "off" if level is False else level for rule, level in severity.items()}
        return severity

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, limits: dict[str, int]) -> dict[str, int]:
        known = [f.name for f in dataclasses.fields(Limits)]
        for name in limits:
            if name not in known:
                raise ValueError(f"unknown limit '{name}'{suggest(name, known)}; the limits are: {', '.join(known)}")
        return limits


class LoadedConfig(BaseModel):
    config: Config
    path: Path | None = None

    def settings(self, cwd: Path, **given) -> Settings:
        """Settings from this configuration; options given on the command line (not None) win."""
        config, root = self.config, (self.path.parent if self.path else cwd)
        values: dict[str, Any] = {
            # Without `corpus`, a found configuration anchors the default corpus at its own directory.
            "corpus": [root / p for p in config.corpus] or (default_corpus(root) if self.path else []),
            "select": config.select,
            "ignore": config.ignore,
            "rule_dirs": [root / p for p in config.rules],
            "fail_on": config.fail_on or "warning",
            "severity": config.severity,
            "per_path_ignores": config.per_path_ignores,
            "config_root": root,
            "limits": dataclasses.replace(Limits(), **config.limits),
            "include": config.include,
            "exclude": config.exclude,
        }
        if config.baseline:
            values["baseline"] = root / config.baseline
        if config.as_of:
            values["as_of"] = config.as_of
        values.update({k: v for k, v in given.items() if v is not None and v != [] and v != ()})
        if given.get("rule_dirs"):  # rule packs named on the command line add to the configured ones
            values["rule_dirs"] = [*(root / p for p in config.rules), *given["rule_dirs"]]
        return Settings(cwd=cwd, **values)


def _yaml_config(path: Path) -> Config:
    return load_model(path, Config, empty={}, error=ConfigError)[0]


def _toml_line(text: str, key: str) -> int:
    """TOML parsers give no positions: find the key inside the [tool.coherence] tables."""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.startswith("[tool.coherence")
        elif inside and re.match(rf'["\']?{re.escape(key)}["\']?\s*=', stripped):
            return number
    return 1


def _pyproject_config(path: Path) -> Config | None:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    section = data.get("tool", {}).get("coherence")
    if section is None:
        return None
    try:
        return Config.model_validate(section)
    except ValidationError as exc:
        message, at = first_error(Config, section, exc)
        raise ConfigError(f"{path}:{_toml_line(text, str(at[-1]) if at else '')}: {message}") from None


def load_config(explicit: Path | None, cwd: Path) -> LoadedConfig:
    """The named file, or the first configuration found from cwd upward, or the defaults."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        config = _pyproject_config(explicit) if explicit.suffix == ".toml" else _yaml_config(explicit)
        if config is None:
            raise ConfigError(f"{explicit}: no [tool.coherence] table")
        return LoadedConfig(config=config, path=explicit.resolve())
    for directory in [cwd.resolve(), *cwd.resolve().parents]:
        if (directory / YAML_CONFIG).is_file():
            return LoadedConfig(config=_yaml_config(directory / YAML_CONFIG), path=directory / YAML_CONFIG)
        if (directory / PYPROJECT).is_file():
            config = _pyproject_config(directory / PYPROJECT)
            if config is not None:
                return LoadedConfig(config=config, path=directory / PYPROJECT)
    return LoadedConfig(config=Config())
