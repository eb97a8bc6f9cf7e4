"""Settings: defaults < `[tool.lesson-lsp]` in the nearest pyproject.toml < editor settings.

Every value is validated here so that a typo reaches the user as one sentence naming the key,
not as a traceback from deep inside a run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from lesson_lsp.workspace.project import find_root
from lesson_lsp.workspace.storage import KEEP_DIR, keep_in_project, kept_folder, project_cache

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(Exception):
    """A setting has a wrong name, type or value; the message names it."""


@dataclass(frozen=True)
class AgentConfig:
    name: str
    kind: str = "rewrite"
    model: str = ""
    base_url: str = ""
    api_key_env: str = ""
    temperature: float = 0.2
    # The model's window in tokens; 0: what the endpoint's /models reports, else 4096. Prompts
    # are trimmed to fit it (team/prompts/fit.py).
    context_tokens: int = 0


@dataclass(frozen=True)
class EmbeddingsConfig:
    model: str = ""
    base_url: str = ""
    api_key_env: str = ""


@dataclass(frozen=True)
class HarnessConfig:
    timeout_s: float = 20.0
    memory_mb: int = 2048
    min_speedup: float = 1.1
    rel_tol: float = 1e-9
    abs_tol: float = 1e-12
    compare_output: bool = True  # printed output is behaviour: it must match too
    # What checks a candidate beyond the inputs found (differential.py); 0 turns one off.
    edge_inputs: int = 200  # edge inputs derived from the observed calls, at most
    fuzz_s: float = 0.5  # differential fuzzing per candidate (and as much again further out)
    concolic_s: float = 1.0  # the concolic pass (CrossHair) per candidate


@dataclass(frozen=True)
class Config:
    rounds: int = 3
    time_budget_s: float = 300.0
    token_budget: int = 0  # total tokens the LLM agents may use in a run; 0: no limit
    llm_timeout_s: float = 120.0  # one request to an endpoint
    max_concurrent_runs: int = 0  # the language server's runs at once; 0: cores − 1
    team: tuple[AgentConfig, ...] = ()
    lessons_per_prompt: int = 4
    restart_from: str = "best"
    bank: str = ""
    harness: HarnessConfig = field(default_factory=HarnessConfig)
    embeddings: EmbeddingsConfig | None = None  # relevance by an embedding model
    inputs: Mapping[str, str] = field(default_factory=dict)
    preset: str = ""  # "paper": the LessonL paper's settings, which other keys then override
    interpreter: str = ""  # the project's Python (or its virtualenv); empty: found (project.py)
    editor_interpreter: str = ""  # the editor's selected environment: used when no `interpreter`
    trace_lens_min_share: float = 0.05  # a traced function gets a code lens from this share on
    trace_timeout_s: float = 600.0  # a traced workload is stopped after this (its trace kept)
    root: str = ""

    def bank_path(self, create: bool = False) -> Path:
        """Where the lesson bank lives (DESIGN.md, invariant 5). Unset: the user's cache folder
        of this project. Absolute (or `~/…`): that file, as the user chose. Relative: a file in
        the project's `.lesson-lsp/` folder (`lessons.db` and `.lesson-lsp/lessons.db` both mean
        `<root>/.lesson-lsp/lessons.db`), which carries its own .gitignore and is never in a
        package. `create` makes that folder; without it nothing is made (hover only looks)."""
        if not self.bank:
            return project_cache(self.root) / "lessons.db"
        path = Path(os.path.expanduser(self.bank))
        if path.is_absolute():
            return path
        parts = path.parts[1:] if path.parts[:1] == (KEEP_DIR,) else path.parts
        folder = keep_in_project(self.root) if create else kept_folder(self.root)
        return folder.joinpath(*parts) if parts else folder / "lessons.db"


# "As in the paper" (LessonL, arXiv 2505.23946): 4 rounds, k = 4 lessons per prompt, every round
# restarts from the original code. The team (three different code LLMs, temperature 0.2) is
# the user's to configure, since only they know which endpoints they have.
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {"rounds": 4, "lessons_per_prompt": 4, "restart_from": "original"},
    "": {},
}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` (a file or a directory)."""
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _typed(key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if (
        isinstance(value, bool)
        and kind is not bool
        and bool not in (kind if isinstance(kind, tuple) else (kind,))
    ):
        raise ConfigError(f"setting `{key}` must be a number, not {value!r}")
    if not isinstance(value, kind):
        want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"setting `{key}` must be {want}, not {value!r}")
    return value


def _agent(index: int, raw: Any) -> AgentConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"setting `team[{index}]` must be a table with `name` and `kind`")
    known = {f.name for f in fields(AgentConfig)}
    raw = {_snake(k): v for k, v in raw.items()}  # editors send camelCase
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(
            f"setting `team[{index}]` has unknown key(s): {', '.join(sorted(unknown))}"
        )
    if "name" not in raw:
        raise ConfigError(f"setting `team[{index}]` needs a `name`")
    agent = AgentConfig(
        name=_typed(f"team[{index}].name", raw["name"], str),
        kind=_typed(f"team[{index}].kind", raw.get("kind", "rewrite"), str),
        model=_typed(f"team[{index}].model", raw.get("model", ""), str),
        base_url=_typed(f"team[{index}].base_url", raw.get("base_url", ""), str),
        api_key_env=_typed(f"team[{index}].api_key_env", raw.get("api_key_env", ""), str),
        temperature=float(
            _typed(f"team[{index}].temperature", raw.get("temperature", 0.2), (int, float))
        ),
        context_tokens=_typed(f"team[{index}].context_tokens", raw.get("context_tokens", 0),
                              int),
    )
    if "context_tokens" in raw and agent.context_tokens < 512:
        raise ConfigError(f"setting `team[{index}].context_tokens` must be at least 512 (the "
                          f"model's window in tokens), not {agent.context_tokens}")
    if agent.kind not in ("openai", "rewrite"):
        raise ConfigError(f"setting `team[{index}].kind` must be `openai` or `rewrite`")
    if agent.kind == "openai" and not agent.model:
        raise ConfigError(f"setting `team[{index}]` is an `openai` agent and needs a `model`")
    return agent


def _harness(base: HarnessConfig, raw: Any) -> HarnessConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError("setting `harness` must be a table")
    known = {f.name for f in fields(HarnessConfig)}
    raw = {_snake(k): v for k, v in raw.items()}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"setting `harness` has unknown key(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "compare_output":
            values[key] = _typed("harness.compare_output", value, bool)
            continue
        if key in ("memory_mb", "edge_inputs"):
            values[key] = _typed(f"harness.{key}", value, int)
        else:
            values[key] = float(_typed(f"harness.{key}", value, (int, float)))
        may_be_zero = ("rel_tol", "abs_tol", "edge_inputs", "fuzz_s", "concolic_s")
        if values[key] < 0 or (values[key] == 0 and key not in may_be_zero):
            raise ConfigError(f"setting `harness.{key}` must be positive")
    return replace(base, **values)


def merge(config: Config, raw: Mapping[str, Any], source: str) -> Config:
    """`config` overridden by the keys of `raw`; `source` names where they came from."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: settings must be a table")
    known = {f.name for f in fields(Config)} - {"root"}
    # Editors send camelCase; accept both spellings.
    normal = {_snake(k): v for k, v in raw.items() if v is not None}
    unknown = set(normal) - known
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    if "preset" in normal:
        if normal["preset"] not in PRESETS:
            raise ConfigError("setting `preset` must be `paper` (or empty)")
        values.update(PRESETS[normal["preset"]])
    for key, value in normal.items():
        if key == "preset":
            values[key] = value
        elif key in ("rounds", "lessons_per_prompt", "token_budget", "max_concurrent_runs"):
            values[key] = _typed(key, value, int)
            if values[key] < (1 if key == "rounds" else 0):
                raise ConfigError(f"setting `{key}` is too small: {value}")
        elif key in ("time_budget_s", "llm_timeout_s", "trace_timeout_s"):
            values[key] = float(_typed(key, value, (int, float)))
            if key == "trace_timeout_s" and values[key] <= 0:
                raise ConfigError(f"setting `{key}` must be positive, not {value}")
        elif key == "trace_lens_min_share":
            values[key] = float(_typed(key, value, (int, float)))
            if not 0 <= values[key] <= 1:
                raise ConfigError(f"setting `{key}` is a share of the workload, from 0 to 1, "
                                  f"not {value}")
        elif key == "team":
            if not isinstance(value, list):
                raise ConfigError("setting `team` must be a list of agents")
            values[key] = tuple(_agent(i, a) for i, a in enumerate(value))
        elif key == "restart_from":
            if value not in ("original", "best"):
                raise ConfigError("setting `restart_from` must be `original` or `best`")
            values[key] = value
        elif key in ("bank", "interpreter", "editor_interpreter"):
            values[key] = _typed(key, value, str)
            if key == "bank" and not Path(os.path.expanduser(value)).is_absolute() and \
                    ".." in Path(value).parts:
                raise ConfigError("setting `bank`: a relative path is kept in the project's "
                                  ".lesson-lsp/ folder and cannot climb out of it with `..`; "
                                  "give an absolute path (or ~/…) for a bank elsewhere")
        elif key == "harness":
            values[key] = _harness(config.harness, value)
        elif key == "embeddings":
            if not isinstance(value, Mapping) or not isinstance(value.get("model"), str) or \
                    set(value) - {"model", "base_url", "api_key_env"} or not all(
                        isinstance(v, str) for v in value.values()):
                raise ConfigError("setting `embeddings` must be a table with `model` and "
                                  "optionally `base_url` and `api_key_env` (strings)")
            values[key] = EmbeddingsConfig(**dict(value))
        elif key == "inputs":
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ConfigError('setting `inputs` must map "FILE::FUNC" to "FILE::CALLABLE"')
            values[key] = {**config.inputs, **value}
    return replace(config, **values)


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key).replace("-", "_")


def load(path: Path, overrides: Mapping[str, Any] | None = None) -> Config:
    """The settings that apply to the file or folder `path`."""
    path = path.resolve()
    config = Config(root=str(find_root(path)))
    pyproject = find_pyproject(path)
    if pyproject is not None:
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{pyproject.name}: cannot read it: {exc}") from exc
        section = data.get("tool", {}).get("lesson-lsp", {})
        config = replace(config, root=str(pyproject.parent))
        config = merge(config, section, f"[tool.lesson-lsp] in {pyproject}")
    if overrides:
        config = merge(config, overrides, "editor settings")
    return config
