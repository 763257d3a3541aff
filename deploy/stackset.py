"""`make package`: the spoke (template.yaml, Mode spoke) as a template a service-managed CloudFormation StackSet
accepts, and the code it runs, in dist/. No AWS account is needed.

Service-managed StackSets refuse templates that use macros, and both transforms of template.yaml are macros
(AWS::LanguageExtensions, AWS::Serverless). So the spoke is resolved here, offline: Mode fixed to spoke and what
only a hub or a standalone stack makes dropped (deploy/resolve.py), the `Fn::ForEach` loops expanded, and the SAM
resources translated by SAM's own translator (aws-sam-translator). The functions' code comes from an S3 bucket
(parameters ArtifactBucket, ArtifactPrefix), whose zips (deploy/artifacts.py) this command writes beside it.

The per-name alarm sets (OpenSearchDomainNames, StuckQueueNames) loop over a parameter, which only the
LanguageExtensions macro can expand when a stack is made: here they are expanded for the names given at
packaging time (--opensearch-domains, --stuck-queues), one list for every account of the StackSet; none by
default. An account with names of its own gets its alarms from a stack of its own (docs: One organisation).

    .venv/bin/python -m deploy.stackset --artifact-bucket my-bucket [--opensearch-domains a,b]
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from deploy.artifacts import Artifact, deterministic_zip, layer_dependencies
from deploy.resolve import Value, load, resolve

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
DIST = ROOT / "dist"
STACKSET_TEMPLATE = "spoke-stackset.yaml"
SAM_BUILT_LAYER = ROOT / ".aws-sam" / "build" / "CoreLayer"  # `make build`'s core layer, when there is one
# The spoke's code: the one function it runs, and the layer that function imports.
FUNCTION = "BatchQueueMetricsFunction"
LAYER = "CoreLayer"
# A StackSet's instance stacks are named StackSet-<name>-<uuid> (up to ~60 characters): names built from the
# stack name would pass Lambda's and EventBridge's 64, so the StackSet's resources are named after NamePrefix.
STACK_NAME_IN_NAMES = "${AWS::StackName}-${AccountLabel}"
LAYER_TYPE = "AWS::Lambda::LayerVersion"
TEMPLATE_BODY_LIMIT = 51_200  # bytes: a bigger template goes to S3 (--template-url)


def parameters_added(artifact_bucket: str, artifact_prefix: str) -> dict[str, Any]:
    return {
        "NamePrefix": {
            "Type": "String",
            "Description": "Prefix of the spoke's resource names (one spoke stack per account and region).",
            "Default": "alertrouter",
            "AllowedPattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
            "MaxLength": 20,
        },
        "ArtifactBucket": {
            "Type": "String",
            "Description": "S3 bucket holding the spoke's code zips (dist/*.zip), in the region of each stack "
            "instance, readable by the organization's accounts.",
            "Default": artifact_bucket,
            "MinLength": 3,
        },
        "ArtifactPrefix": {
            "Type": "String",
            "Description": "Key prefix of the zips in ArtifactBucket (no trailing slash).",
            "Default": artifact_prefix,
        },
    }


def spoke_template(
    template: Mapping[str, Any],
    code: Mapping[str, Artifact],
    *,
    artifact_bucket: str,
    artifact_prefix: str,
    opensearch_domains: Sequence[str] = (),
    stuck_queues: Sequence[str] = (),
) -> dict[str, Any]:
    """template.yaml's spoke for a service-managed StackSet: no Transform, no SAM resource, no Fn::ForEach; the
    code of `code` (by logical id) read from ArtifactBucket."""
    fixed: dict[str, Value] = {
        "Mode": "spoke",
        "OpenSearchDomainNames": list(opensearch_domains),
        "StuckQueueNames": list(stuck_queues),
        "OpsSmsNumbers": [],  # the ops topic's, which a spoke has not
    }
    spoke = resolve(template, fixed)
    spoke = _named_after_prefix(spoke)
    spoke["Parameters"] = {**spoke["Parameters"], **parameters_added(artifact_bucket, artifact_prefix)}
    # Every account of the StackSet gets the same values: a label for all, the hub's bus required.
    spoke["Parameters"]["AccountLabel"] = {**spoke["Parameters"]["AccountLabel"], "Default": "spoke"}
    del spoke["Parameters"]["HubEventBusArn"]["Default"]
    spoke["Parameters"]["HubEventBusArn"]["Description"] = (
        "The hub stack's HubEventBusArn output (any region)."
    )
    spoke["Parameters"]["HubSinkArn"]["Description"] = (
        "The hub stack's HubSinkArn output (same region as the instance); empty links nothing."
    )
    resources = spoke["Resources"]
    for logical, artifact in code.items():
        key = {"Bucket": {"Ref": "ArtifactBucket"}, "Key": {"Fn::Sub": "${ArtifactPrefix}/" + artifact.name}}
        props = resources[logical]["Properties"]
        props["CodeUri" if "CodeUri" in props else "ContentUri"] = key
        resources[logical].pop("Metadata", None)  # sam build's, which does not run here
    spoke["Transform"] = "AWS::Serverless-2016-10-31"
    translated = _translate(spoke)
    translated["Description"] = (
        "AlertRouter spoke for a service-managed StackSet (make package, from template.yaml Mode spoke): "
        "forwards this account's alarms, Batch and OpenSearch events, the AWS services' events its Watch* "
        "parameters turn on, and a heartbeat to the hub's event bus."
    )
    return translated


def _named_after_prefix(value: Any) -> Any:
    if isinstance(value, list):
        return [_named_after_prefix(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return {"Fn::Sub": value["Fn::Sub"].replace(STACK_NAME_IN_NAMES, "${NamePrefix}-${AccountLabel}")}
        return {k: _named_after_prefix(v) for k, v in value.items()}
    return value


def _translate(template: dict[str, Any]) -> dict[str, Any]:
    """SAM's own translation of the AWS::Serverless resources, offline: no managed policy is looked up (the
    spoke's functions have inline policies only)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    parameters = {
        name: spec.get("Default") for name, spec in template["Parameters"].items() if "Default" in spec
    }
    # SAM wants a region (the partition of the ARNs it writes); what it writes names none (the tests check)
    session = boto3.session.Session(region_name="us-east-1")
    translator = Translator(None, Parser(), boto_session=session)
    translated: dict[str, Any] = translator.translate(
        copy.deepcopy(template), parameters, get_managed_policy_map=dict
    )
    translated.pop("Transform", None)
    # SAM resolves a layer's name with the parameters' defaults (it hashes it into the logical id): put back the
    # !Sub, so that each stack instance's NamePrefix and AccountLabel name its layer
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            [made] = [
                r
                for n, r in translated["Resources"].items()
                if n.startswith(name) and r["Type"] == LAYER_TYPE
            ]
            made["Properties"]["LayerName"] = resource["Properties"]["LayerName"]
    return translated


def build_code(out_dir: Path, layer_build: Path | None) -> dict[str, Artifact]:
    """The spoke's function and layer zips in out_dir. The layer: a built one (sam build's CoreLayer, its
    python/ as built) when given or found, else the alertrouter package with its requirements installed by pip
    for the Lambda runtime."""
    function = deterministic_zip(
        [(ROOT / "functions" / "batch_queue_metrics", "")], out_dir, "batch-queue-metrics"
    )
    layer_build = layer_build or (SAM_BUILT_LAYER if SAM_BUILT_LAYER.is_dir() else None)
    if layer_build is not None:
        layer = deterministic_zip([(layer_build, "")], out_dir, "core-layer")
    else:
        with tempfile.TemporaryDirectory() as work:
            dependencies = layer_dependencies(ROOT / "layers" / "core" / "requirements.txt", Path(work))
            layer = deterministic_zip(
                [
                    (ROOT / "layers" / "core" / "alertrouter", "python/alertrouter/"),
                    (dependencies, "python/"),
                ],
                out_dir,
                "core-layer",
            )
    return {FUNCTION: function, LAYER: layer}


def commands(template: Path, bucket: str, prefix: str, code: Mapping[str, Artifact]) -> str:
    """What a person runs next, from the organization's management account (or a delegated administrator,
    with --call-as DELEGATED_ADMIN)."""
    body = (
        f"--template-body file://{template}"
        if template.stat().st_size <= TEMPLATE_BODY_LIMIT
        else f"--template-url https://{bucket}.s3.amazonaws.com/{prefix}/{template.name}"
    )
    uploads = "\n".join(f"aws s3 cp {a.path} s3://{bucket}/{prefix}/{a.name}" for a in code.values())
    return f"""# 1. The code, to a bucket in each region of the StackSet's instances, readable by the organization's
#    accounts (a bucket policy allowing s3:GetObject with aws:PrincipalOrgID):
{uploads}
# 2. The StackSet, service-managed: every account of the OUs gets the spoke, and an account that joins later too.
aws cloudformation create-stack-set --stack-set-name alertrouter-spoke {body} \\
  --permission-model SERVICE_MANAGED --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \\
  --capabilities CAPABILITY_IAM \\
  --parameters ParameterKey=HubEventBusArn,ParameterValue=<the hub stack's HubEventBusArn output> \\
               ParameterKey=HubSinkArn,ParameterValue=<the hub stack's HubSinkArn output, or leave out>
# 3. The accounts: every account of these OUs, in these regions.
aws cloudformation create-stack-instances --stack-set-name alertrouter-spoke \\
  --deployment-targets OrganizationalUnitIds=<ou-xxxx-xxxxxxxx> --regions <region> \\
  --operation-preferences FailureToleranceCount=0,MaxConcurrentCount=5
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.stackset", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DIST, help="where to write (default dist/)")
    parser.add_argument(
        "--artifact-bucket", default="alertrouter-stackset-artifacts", help="ArtifactBucket's default"
    )
    parser.add_argument("--artifact-prefix", default="alertrouter/spoke", help="ArtifactPrefix's default")
    parser.add_argument("--opensearch-domains", default="", help="comma-separated OpenSearch domain names")
    parser.add_argument("--stuck-queues", default="", help="comma-separated Batch job queue names")
    parser.add_argument(
        "--layer-build", type=Path, help="a built core layer directory (python/...) to zip as is"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    try:
        code = build_code(out, args.layer_build)
    except subprocess.CalledProcessError:
        print(
            "pip could not install the core layer's requirements for the Lambda runtime (arm64, CPython 3.13): "
            "run `make build` first (its .aws-sam/build/CoreLayer is zipped as it is) or give --layer-build DIR",
            file=sys.stderr,
        )
        return 1
    template = spoke_template(
        load(TEMPLATE),
        code,
        artifact_bucket=args.artifact_bucket,
        artifact_prefix=args.artifact_prefix,
        opensearch_domains=[d for d in args.opensearch_domains.split(",") if d],
        stuck_queues=[q for q in args.stuck_queues.split(",") if q],
    )
    path = out / STACKSET_TEMPLATE
    path.write_text(
        "# Generated by `make package` (deploy/stackset.py) from template.yaml: do not edit.\n"
        + yaml.safe_dump(json.loads(json.dumps(template)), sort_keys=False, width=120),
        encoding="utf-8",
    )
    print(f"{path} ({path.stat().st_size} bytes), " + ", ".join(str(a.path) for a in code.values()))
    print(commands(path, args.artifact_bucket, args.artifact_prefix, code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
