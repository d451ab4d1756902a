"""`python -m infra.build --out build`: the deployable stack, ready for `sam deploy`.

Writes into the output directory:
  template.yaml              the SAM template (see infra/template.py)
  layer/python/              the shared layer: gatehouse + its dependencies for the runtime and arch
  layer-crypto/python/       the crypto layer: WebAuthn and cryptography, for the flows that use them
  functions/<flow>/          one artifact per flow: functions/__init__.py and functions/<flow>/ only
  manifest.json              flows, handlers, routes, layers and sizes, for tests and benchmarks

The layer's dependencies are cached (see infra/layer.py), so a second build takes seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from infra.discover import Discovery, Flow, discover
from infra.layer import (
    ARCH_PLATFORMS,
    LAYER_DIRS,
    LAYERS,
    build_layers,
    compile_tree,
    compiles_for,
    flow_layers,
    runtime_version,
)
from infra.permissions import for_flow
from infra.template import build_template

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RUNTIME = "python3.12"
DEFAULT_ARCH = "arm64"
DEFAULT_STAGE = "dev"
# Lambda's limit for a function and its layers, unzipped.
UNZIPPED_LIMIT = 250 * 1024 * 1024
# The function serving GET /openapi.json (functions/ops/routes.py reads openapi.json beside it).
OPENAPI_FLOW = "ops"


def discovered_flows(repo: Path) -> tuple[Discovery, list[Flow]]:
    """The flows to package, or SystemExit naming every flow that cannot be."""
    found = discover(repo)
    flows = list(found.flows)
    problems = [f"{f.name} also serves {', '.join(f.foreign_routes)}" for f in flows if f.foreign_routes]
    problems += [f"{f.name} has neither routes nor a SCHEDULE" for f in flows if not f.routes and not f.schedules]
    for flow in flows:
        try:
            for_flow(flow.name)
        except KeyError as exc:
            problems.append(str(exc.args[0]))
    if problems:
        raise SystemExit("cannot package:\n  " + "\n  ".join(problems))
    return found, flows


def build_template_only(out: Path, *, runtime: str = DEFAULT_RUNTIME, arch: str = DEFAULT_ARCH,
                        stage: str = DEFAULT_STAGE, repo: Path = REPO) -> Path:
    """Only `template.yaml` (for checkov and cfn-lint): no layer, no artifacts, a few seconds."""
    found, flows = discovered_flows(repo)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "template.yaml"
    write_template(build_template(flows, runtime=runtime, arch=arch, stage=stage, ses_templates=found.ses_templates),
                   path)
    return path


def build(out: Path, *, runtime: str = DEFAULT_RUNTIME, arch: str = DEFAULT_ARCH, stage: str = DEFAULT_STAGE,
          repo: Path = REPO, cache_dir: Path | None = None, refresh: bool = False) -> dict[str, Any]:
    """Build everything into `out` and return the manifest."""
    runtime_version(runtime)  # fail early on a malformed runtime
    if arch not in ARCH_PLATFORMS:
        raise ValueError(f"unknown architecture {arch!r}: one of {sorted(ARCH_PLATFORMS)}")
    found, flows = discovered_flows(repo)
    out.mkdir(parents=True, exist_ok=True)
    layers = build_layers(repo, {name: out / LAYER_DIRS[name] for name in LAYERS}, runtime=runtime, arch=arch,
                          cache_dir=cache_dir, refresh=refresh)
    functions_root = out / "functions"
    if functions_root.exists():
        shutil.rmtree(functions_root)  # flows that were removed must not linger
    for flow in flows:
        package_function(repo, flow.name, functions_root / flow.name, compile_pyc=compiles_for(runtime))
    if found.openapi and (functions_root / OPENAPI_FLOW).is_dir():
        # The ops Lambda holds only its own routes: it serves the document of all of them from here.
        (functions_root / OPENAPI_FLOW / "functions" / OPENAPI_FLOW / "openapi.json").write_text(
            json.dumps(found.openapi, indent=1, sort_keys=True) + "\n")

    template = build_template(flows, runtime=runtime, arch=arch, stage=stage, ses_templates=found.ses_templates)
    write_template(template, out / "template.yaml")
    layer_bytes = {name: tree_size(path) for name, path in layers.items()}
    manifest: dict[str, Any] = {
        "runtime": runtime, "arch": arch, "stage": stage, "pyc": compiles_for(runtime),
        "layer": {"path": LAYER_DIRS["shared"], "bytes": layer_bytes["shared"]},
        "layers": {name: {"path": LAYER_DIRS[name], "bytes": layer_bytes[name]} for name in LAYERS},
        "functions": [{**asdict(flow), "code_uri": f"functions/{flow.name}", "layers": list(flow_layers(flow.name)),
                       "bytes": tree_size(functions_root / flow.name)} for flow in flows],
    }
    functions: list[dict[str, Any]] = manifest["functions"]
    too_big = [f["name"] for f in functions if f["bytes"] + sum(layer_bytes[n] for n in f["layers"]) > UNZIPPED_LIMIT]
    if too_big:
        raise SystemExit(f"over Lambda's 250 MB unzipped limit with the layer: {', '.join(too_big)}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def package_function(repo: Path, flow: str, dest: Path, *, compile_pyc: bool) -> None:
    """The flow's own package and the `functions` namespace file: nothing of the other flows."""
    source = repo / "functions"
    target = dest / "functions"
    target.mkdir(parents=True)
    init = source / "__init__.py"
    if init.is_file():
        shutil.copy2(init, target / "__init__.py")
    else:
        (target / "__init__.py").write_text("")
    shutil.copytree(source / flow, target / flow, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests"))
    if compile_pyc:
        compile_tree(dest)


def write_template(template: dict[str, Any], path: Path) -> None:
    try:
        import yaml
    except ImportError:  # JSON is YAML too; PyYAML only makes it easier to read
        path.write_text(json.dumps(template, indent=2) + "\n")
        return
    path.write_text(yaml.safe_dump(template, sort_keys=False, width=120, default_flow_style=False, allow_unicode=True))


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.build", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build"), help="output directory (default: build)")
    parser.add_argument("--runtime", default=DEFAULT_RUNTIME, help=f"Lambda runtime (default: {DEFAULT_RUNTIME})")
    parser.add_argument("--arch", default=DEFAULT_ARCH, choices=sorted(ARCH_PLATFORMS),
                        help=f"Lambda architecture (default: {DEFAULT_ARCH})")
    parser.add_argument("--stage", default=DEFAULT_STAGE, help=f"default of the Stage parameter ({DEFAULT_STAGE})")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="where installed dependencies are cached (default: ~/.cache/gatehouse/layer-deps)")
    parser.add_argument("--refresh", action="store_true", help="reinstall the dependencies, ignoring the cache")
    parser.add_argument("--template-only", action="store_true",
                        help="write only template.yaml (no layer, no artifacts): what checkov reads")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    started = time.monotonic()
    if args.template_only:
        path = build_template_only(args.out.resolve(), runtime=args.runtime, arch=args.arch, stage=args.stage)
        print(f"{path}: template only, in {time.monotonic() - started:.1f} s")
        return
    try:
        manifest = build(args.out.resolve(), runtime=args.runtime, arch=args.arch, stage=args.stage,
                         cache_dir=args.cache_dir, refresh=args.refresh)
    except RuntimeError as exc:  # discovery or pip failed: their own output says why
        raise SystemExit(f"make package failed: {exc}") from None
    functions: list[dict[str, Any]] = manifest["functions"]
    routes = sum(len(f["routes"]) for f in functions)
    sizes = ", ".join(f"{name} {layer['bytes'] / 2**20:.1f} MiB" for name, layer in manifest["layers"].items())
    print(f"{args.out}/template.yaml: {len(functions)} functions, {routes} routes, layers {sizes} "
          f"({args.runtime}, {args.arch}, "
          f"{'with' if manifest['pyc'] else 'without'} .pyc) in {time.monotonic() - started:.1f} s")
    for flow in functions:
        kind = f"{len(flow['routes'])} routes" if flow["routes"] else ", ".join(flow["schedules"])
        print(f"  {flow['name']:<22} {flow['handler']:<56} {kind}; layers {' + '.join(flow['layers'])}")


if __name__ == "__main__":
    main()
