"""The layers: the `gatehouse` package and its runtime dependencies, built for Lambda.

Two layers. `shared`, which every function loads, holds gatehouse and what every flow imports.
`crypto` holds WebAuthn and the cryptography stack (webauthn, pyOpenSSL, pyasn1, cbor2, cryptography;
PyJWT when single sign-on lands): only the flows in `CRYPTO_FLOWS` load it. Besides its size,
pyOpenSSL on `sys.path` makes botocore import `urllib3.contrib.pyopenssl` and `cryptography.x509` at
every client creation, so keeping it out of the shared layer also shortens every other cold start.

Dependencies come from `[project].dependencies` in pyproject.toml, installed by pip for the
target platform (`--platform manylinux2014_<arch> --only-binary=:all:`), so an x86_64 laptop builds
an arm64 layer. Installing them is the slow part, so it is cached outside the output directory,
keyed by a hash of everything that decides its content: a second build only copies files.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

# Bump when the way the cache is built changes, so that old caches are not reused.
CACHE_FORMAT = 4

# The Lambda Python runtime ships these (boto3 and what it needs); a layer copy would only add
# size and shadow the runtime's version.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
# Installed as dependencies of ours, also provided by the runtime beside boto3: jmespath (botocore's,
# and Powertools' Logger imports it) is removed from the layer, so the runtime's copy serves both.
RUNTIME_ALSO_PROVIDES = frozenset({"jmespath", "urllib3", "python-dateutil", "six"})

# Projects that go to the `crypto` layer instead of `shared`. argon2-cffi and bcrypt need none of
# them (argon2's binding needs only `_cffi_backend`, which stays in `shared`).
CRYPTO_PROJECTS = frozenset({"cryptography", "webauthn", "pyopenssl", "pyasn1", "pyasn1-modules", "cbor2", "pyjwt"})

# The flows whose code reaches the crypto layer: WebAuthn ceremonies (passkey login in `login`,
# enrolment in `mfa_manage`, verification in `mfa_verify`), and the TOTP seeds' envelope
# (AES-GCM under a KMS data key, `adapters/kms.py`: `mfa_manage`, `mfa_verify`, and the `unifier`,
# which migrates legacy seeds); `sso` will verify ID tokens' signatures with PyJWT's crypto.
CRYPTO_FLOWS = frozenset({"login", "mfa_manage", "mfa_verify", "unifier", "sso"})

LAYERS = ("shared", "crypto")
LAYER_DIRS = {"shared": "layer", "crypto": "layer-crypto"}

# Installed without their dependencies, then trimmed to the modules a Lambda imports: the rest is
# their CLI (Chalice's deployer pulls in pip, setuptools, click, inquirer, PyYAML...).
# This is what `chalice package` itself puts in a deployment package.
RUNTIME_ONLY: dict[str, tuple[str, ...]] = {
    "chalice": ("chalice/__init__.py", "chalice/app.py", "chalice/py.typed"),
}

# Parts of the gatehouse package that never run in Lambda: the local stack (embedded moto, demo data).
GATEHOUSE_EXCLUDED = ("local",)

ARCH_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}

# Files pip leaves that nothing reads at run time. METADATA stays: importlib.metadata.version() needs it.
_NOISE_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}

# Installed as dependencies, never imported by a Lambda (checked by tests/infra/test_package.py):
# Powertools' event handler and utilities other than the two Logger imports (Gatehouse uses Logger
# and Metrics only); cffi and pycparser, which only build C bindings (argon2's compiled binding
# needs the `_cffi_backend` extension, which stays); pydantic's v1 compatibility package and mypy plugin.
NEVER_IMPORTED = ("aws_lambda_powertools/event_handler", "cffi", "pycparser", "pycparser-*.dist-info",
                  "pydantic/v1", "pydantic/mypy.py", "pydantic/__pycache__/mypy.*.pyc")
_POWERTOOLS_UTILITIES_KEPT = {"__init__.py", "__pycache__", "jmespath_utils", "typing"}


def flow_layers(flow: str) -> tuple[str, ...]:
    """The layers a flow's function loads, in the order of `sys.path`."""
    return ("shared", "crypto") if flow in CRYPTO_FLOWS else ("shared",)


def canonical(requirement: str) -> str:
    """The normalised project name of a requirement string (PEP 503)."""
    name = re.split(r"[\s<>=!~;\[(@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_version(runtime: str) -> tuple[int, int]:
    match = re.fullmatch(r"python(\d+)\.(\d+)", runtime)
    if match is None:
        raise ValueError(f"not a Lambda Python runtime: {runtime!r}")
    return int(match[1]), int(match[2])


def compiles_for(runtime: str) -> bool:
    """A .pyc is only valid for the interpreter version that wrote it."""
    return sys.version_info[:2] == runtime_version(runtime)


def dependencies(pyproject: Path) -> list[str]:
    with pyproject.open("rb") as fh:
        deps: list[str] = tomllib.load(fh)["project"]["dependencies"]
    return sorted(d for d in deps if canonical(d) not in RUNTIME_PROVIDED)


def cache_key(deps: Iterable[str], runtime: str, arch: str) -> str:
    recipe = {"format": CACHE_FORMAT, "deps": sorted(deps), "runtime": runtime, "arch": arch,
              "runtime_only": RUNTIME_ONLY, "excluded": sorted(RUNTIME_PROVIDED),
              # .pyc files are in the cache only when this interpreter matches the runtime.
              "pyc": compiles_for(runtime) and f"{sys.implementation.cache_tag}"}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gatehouse" / "layer-deps"


def build_layer(repo: Path, dest: Path, *, runtime: str, arch: str, cache_dir: Path | None = None,
                refresh: bool = False) -> Path:
    """Build the shared layer's content in `dest/python/` and return `dest`."""
    return build_layers(repo, {"shared": dest}, runtime=runtime, arch=arch, cache_dir=cache_dir,
                        refresh=refresh)["shared"]


def build_layers(repo: Path, dests: dict[str, Path], *, runtime: str, arch: str, cache_dir: Path | None = None,
                 refresh: bool = False) -> dict[str, Path]:
    """Build each named layer (`shared`, `crypto`) in `dests[name]/python/`; return `dests`."""
    deps = dependencies(repo / "pyproject.toml")
    cached = _cached_dependencies(deps, runtime=runtime, arch=arch, cache_dir=cache_dir or default_cache_dir(),
                                  refresh=refresh)
    staging = {name: dest / "python" for name, dest in dests.items()}
    for dest in dests.values():
        if dest.exists():
            shutil.rmtree(dest)
    everything = next(iter(dests.values())).parent / f".{os.getpid()}.all"
    shutil.rmtree(everything, ignore_errors=True)
    _copy_tree(cached, everything)
    _trim(everything)
    crypto_root = staging.get("crypto") or everything.parent / f".{os.getpid()}.crypto-unused"
    _move_projects(everything, crypto_root, CRYPTO_PROJECTS)
    if "crypto" not in dests:
        shutil.rmtree(crypto_root, ignore_errors=True)
    if "shared" not in dests:
        shutil.rmtree(everything)
        return dests
    target = staging["shared"]
    target.parent.mkdir(parents=True, exist_ok=True)
    everything.rename(target)
    package = repo / "layers" / "shared" / "python" / "gatehouse"
    shutil.copytree(package, target / "gatehouse",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests", *GATEHOUSE_EXCLUDED))
    if compiles_for(runtime):
        compile_tree(target / "gatehouse")
    return dests


def _trim(root: Path) -> None:
    """Remove what no Lambda imports (see NEVER_IMPORTED), what the runtime provides, and the type stubs."""
    for project in RUNTIME_ALSO_PROVIDES:
        _remove_distribution(root, project)
    for pattern in NEVER_IMPORTED:
        for path in root.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    utilities = root / "aws_lambda_powertools" / "utilities"
    if utilities.is_dir():
        for path in utilities.iterdir():
            if path.name not in _POWERTOOLS_UTILITIES_KEPT:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    for stub in root.rglob("*.pyi"):
        stub.unlink()


def _move_projects(source: Path, dest: Path, projects: Iterable[str]) -> None:
    """Move the installed distributions named (their top-level modules and dist-info) to `dest`."""
    wanted = set(projects)
    dest.mkdir(parents=True, exist_ok=True)
    for info in sorted(source.glob("*.dist-info")):
        if _project_of(info) not in wanted:
            continue
        tops = (info / "top_level.txt").read_text().split() if (info / "top_level.txt").is_file() else []
        for top in tops or [_project_of(info).replace("-", "_")]:
            for path in [source / top, *source.glob(f"{top}.*"), *source.glob(f"__pycache__/{top}.*")]:
                if path.exists():
                    where = dest / path.relative_to(source)
                    where.parent.mkdir(parents=True, exist_ok=True)
                    path.rename(where)
        info.rename(dest / info.name)


def compile_tree(root: Path) -> None:
    # Unchecked-hash .pyc files stay valid whatever mtimes the zip and unzip give the sources, so a
    # cold start never recompiles (a deployed artifact is immutable anyway).
    ok = compileall.compile_dir(str(root), quiet=2, workers=1,
                                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    if not ok:
        raise RuntimeError(f"compileall failed under {root}")


def _cached_dependencies(deps: list[str], *, runtime: str, arch: str, cache_dir: Path, refresh: bool) -> Path:
    key = cache_key(deps, runtime, arch)
    done = cache_dir / key
    if (done / ".complete").is_file() and not refresh:
        return done / "python"
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Build beside the final place and rename: two builds running at once never see half a cache.
    work = cache_dir / f".{key}.{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    target = work / "python"
    full = [d for d in deps if canonical(d) not in RUNTIME_ONLY]
    trimmed = [d for d in deps if canonical(d) in RUNTIME_ONLY]
    _pip(full, target, runtime=runtime, arch=arch)
    if trimmed:
        _pip(trimmed, target, runtime=runtime, arch=arch, no_deps=True)
    _strip(target)
    if compiles_for(runtime):
        compile_tree(target)
    (work / ".complete").write_text(json.dumps({"deps": deps, "runtime": runtime, "arch": arch}) + "\n")
    if refresh and done.exists():
        shutil.rmtree(done)
    try:
        work.rename(done)
    except OSError:  # another build finished first: its result is the same
        shutil.rmtree(work, ignore_errors=True)
    return done / "python"


def _pip(requirements: list[str], target: Path, *, runtime: str, arch: str, no_deps: bool = False) -> None:
    major, minor = runtime_version(runtime)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-compile", "--target", str(target), "--platform", ARCH_PLATFORMS[arch],
               "--implementation", "cp", "--python-version", f"{major}.{minor}", "--only-binary=:all:"]
    if no_deps:
        command.append("--no-deps")
    done = subprocess.run([*command, *requirements], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pip failed for the {arch} layer:\n{done.stderr.strip()}")


def _strip(target: Path) -> None:
    for name in RUNTIME_PROVIDED:
        _remove_distribution(target, name)
    for project, keep in RUNTIME_ONLY.items():
        package = target / project
        for path in sorted(package.rglob("*"), reverse=True):
            relative = path.relative_to(target).as_posix()
            if path.is_file() and relative not in keep:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    # Console scripts and man pages: nothing runs a shell in a Lambda.
    for data in ("bin", "share"):
        shutil.rmtree(target / data, ignore_errors=True)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.is_dir() and (path.name == "__pycache__" or (path.name == "tests" and path.parent != target)):
            shutil.rmtree(path)
        elif path.is_file() and path.parent.name.endswith(".dist-info") and path.name in _NOISE_FILES:
            path.unlink()


def _remove_distribution(target: Path, project: str) -> None:
    for info in target.glob("*.dist-info"):
        if _project_of(info) != project:
            continue
        tops = (info / "top_level.txt").read_text().split() if (info / "top_level.txt").is_file() else []
        for top in tops or [project.replace("-", "_")]:
            shutil.rmtree(target / top, ignore_errors=True)
            (target / f"{top}.py").unlink(missing_ok=True)
        shutil.rmtree(info)


def _project_of(info: Path) -> str:
    """`pyasn1_modules-0.4.2.dist-info` -> `pyasn1-modules`."""
    return canonical(info.name.removesuffix(".dist-info").rsplit("-", 1)[0])


def _copy_tree(source: Path, dest: Path) -> None:
    # Hard links make a layer copy instant; a copy where the cache sits on another filesystem.
    try:
        shutil.copytree(source, dest, copy_function=os.link)
    except (OSError, shutil.Error):
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(source, dest)
