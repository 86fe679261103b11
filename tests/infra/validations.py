"""The variables' validation rules, evaluated by Terraform itself on good and bad values.

Design: `terraform console` needs no provider, so where Terraform is installed each rule's
condition (from the parsed .tf, parse_tf.js: the cloud's own, or the shared module's for an input
the cloud passes to infra/modules/deployment) is evaluated with var.<name> replaced by a literal:
a /0 must be refused, a real CIDR accepted, the placeholder repository refused, and so on. This
catches a regex RE2 reads differently than intended, which no parse can. The same goes for a few
locals and preconditions whose inputs come from the cloud (EXPRESSIONS): the data source's answer
is replaced by a literal shaped like it, the other locals they use are inlined. All the
conditions are evaluated in one console session, as one jsonencode([...]) expression.

Usage: python3 validations.py PARSED_JSON_DIR   (needs terraform on PATH)
"""
import json
import re
import subprocess
import sys
import tempfile

from tfconfig import strip_template, validation_conditions

COMMON = {
    "allowed_cidr": (["203.0.113.7/32", "10.0.0.0/8"], ["0.0.0.0/0", "::/0", "not-a-cidr", "203.0.113.7"]),
    "repo_url": (["https://github.com/me/gan.git", "https://gitlab.example.com/group/sub/gan"],
                 ["https://example.invalid/gan.git", "/home/me/gan", "https://host/a b.git", "https://host/$(x).git",
                  "git@github.com:me/gan.git", "ssh://git@host/gan.git", "http://host/gan.git", "git://host/gan.git"]),
    "git_ref": (["main", "v1.0", "0123abcd", "feature/x"], ["main; rm -rf /", "a b", "$(x)", "-c", "--upload-pack=touch /tmp/pwned"]),
    "train_command": (["./gan --train --epochs 5 --dataset-dir 'a b'"], ["./gan --train\nrm -rf /"]),
    "monitor_command": (["./gan --monitor"], ["./gan\n--monitor"]),
    "name": (["gan", "gan-2"], ["Gan", "g", "gan_x", "a-very-long-name-over-21-chars"]),
    "run_id": (["", "20261126T103000Z"], ["a/b", "a b"]),
}
PER_CLOUD = {
    "aws": {"instance_type": (["g5.xlarge", "p3.2xlarge", "g6.xlarge", "p4d.24xlarge"], ["t3.micro", "g5", "m5.large"]),
            "root_volume_gb": ([120, 50], [20])},
    "azure": {"vm_size": (["Standard_NC4as_T4_v3", "Standard_NC24ads_A100_v4"], ["Standard_B1s", "NC4as_T4_v3"])},
    "gcp": {"machine_type": (["g2-standard-4", "a2-highgpu-1g"], ["e2-small", "n1-standard-4"])},
}


# Per-zone answers of data.google_compute_machine_types.gpu (one data source per zone of the region).
def _offers(region, zones, offering, mtype="g2-standard-4"):
    return "{" + ", ".join(
        f'"{region}-{z}" = {{machine_types = [{"{name = " + chr(34) + mtype + chr(34) + "}" if z in offering else ""}]}}'
        for z in zones) + "}"


MT = "data.google_compute_machine_types.gpu"
# (cloud, label, ("local", name) or ("precondition", resource type, resource name),
#  {reference: HCL literal}, expected HCL value of the expression)
EXPRESSIONS = [
    ("gcp", "zone: the first zone offering the machine type, not <region>-a", ("local", "zone_choice"),
     {"var.region": '"europe-west4"', MT: _offers("europe-west4", "abc", "bc"), "var.zone": '""'}, '"europe-west4-b"'),
    ("gcp", "zone: a region without an -a zone", ("local", "zone_choice"),
     {"var.region": '"us-east1"', MT: _offers("us-east1", "bcd", "cd"), "var.zone": '""'}, '"us-east1-c"'),
    ("gcp", "zone: var.zone wins", ("local", "zone_choice"),
     {"var.region": '"us-central1"', MT: _offers("us-central1", "abcf", "abcf"), "var.zone": '"us-central1-f"'}, '"us-central1-f"'),
    ("gcp", "zone precondition: holds for the chosen zone", ("precondition", "terraform_data", "zone"),
     {"var.region": '"europe-west4"', MT: _offers("europe-west4", "abc", "bc"), "var.zone": '""'}, "true"),
    ("gcp", "zone precondition: fails when no zone offers the machine type", ("precondition", "terraform_data", "zone"),
     {"var.region": '"southamerica-west1"', MT: _offers("southamerica-west1", "abc", ""), "var.zone": '""'}, "false"),
    ("gcp", "bucket name: the default deployment keeps gan-training-storage-<project>", ("local", "bucket_name"),
     {"var.name": '"gan"', "var.project": '"my-gan-project"'}, '"gan-training-storage-my-gan-project"'),
    ("gcp", "bucket name: another --var name gets its own bucket", ("local", "bucket_name"),
     {"var.name": '"gan-b"', "var.project": '"my-gan-project"'}, '"gan-training-storage-gan-b-my-gan-project"'),
    ("gcp", "bucket precondition: a 21-character name with a 20-character project fits (63)", ("precondition", "google_storage_bucket", "runs"),
     {"var.name": '"g' + "x" * 20 + '"', "var.project": '"p' + "y" * 19 + '"'}, "true"),
    ("gcp", "bucket precondition: refuses a name over 63 characters", ("precondition", "google_storage_bucket", "runs"),
     {"var.name": '"g' + "x" * 20 + '"', "var.project": '"p' + "y" * 29 + '"'}, "false"),
    ("gcp", "bucket precondition: refuses a domain-scoped project (':' and '.')", ("precondition", "google_storage_bucket", "runs"),
     {"var.name": '"gan"', "var.project": '"example.com:gan"'}, "false"),
    ("gcp", "zone precondition: fails for a var.zone that does not offer it", ("precondition", "terraform_data", "zone"),
     {"var.region": '"europe-west4"', MT: _offers("europe-west4", "abc", "bc"), "var.zone": '"europe-west4-a"'}, "false"),
]


def expression(cfg, target, subs):
    """The target's expression with the locals it uses inlined and the references in subs replaced."""
    if target[0] == "local":
        expr = strip_template(cfg["locals"][target[1]])
    else:
        lifecycle = cfg["resource"][target[1]][target[2]]["lifecycle"][0]
        expr = strip_template(lifecycle["precondition"][0]["condition"])
    for _ in range(5):
        expr = re.sub(r"\blocal\.(\w+)\b", lambda m: "(" + strip_template(cfg["locals"][m.group(1)]) + ")", expr)
    for ref, lit in subs.items():
        expr = re.sub(r"\b" + re.escape(ref) + r"\b", lambda _: "(" + lit + ")", expr)
    if "local." in expr:
        raise ValueError(f"could not inline every local: {expr}")
    return expr


def literal(v):
    if isinstance(v, (int, float)):
        return str(v)
    # A JSON string is an HCL string literal, but for ${ and %{ (none of the values above use them).
    return json.dumps(v)


def main():
    d = sys.argv[1]
    cases = []  # (label, expression, expected)
    for cloud in ("aws", "azure", "gcp"):
        cfg = json.load(open(f"{d}/{cloud}.json"))
        table = dict(COMMON, **PER_CLOUD[cloud])
        for var, (good, bad) in table.items():
            rules = validation_conditions(cfg, var)
            if not rules:
                cases.append((f"{cloud}: variable {var} has a validation rule", None, True))
                continue
            for expr in rules:
                for value, want in [(g, True) for g in good] + [(b, False) for b in bad]:
                    e = re.sub(r"\bvar\." + re.escape(var) + r"\b", lambda _: literal(value), expr)
                    verdict = "accepts" if want else "refuses"
                    cases.append((f"{cloud}: {var} {verdict} {value!r}", e.replace("\n", " "), want))
    configs = {c: json.load(open(f"{d}/{c}.json")) for c in ("aws", "azure", "gcp")}
    for cloud, label, target, subs, want in EXPRESSIONS:
        try:
            e = expression(configs[cloud], target, subs)
            cases.append((f"{cloud}: {label}", f"({e}) == ({want})".replace("\n", " "), True))
        except (KeyError, IndexError, ValueError) as err:
            cases.append((f"{cloud}: {label}: the expression is missing ({type(err).__name__}: {err})", None, True))
    exprs = [e for _, e, _ in cases if e is not None]
    # One expression for all of them: the console reads one expression per session reliably.
    batch = "jsonencode([" + ", ".join(f"({e})" for e in exprs) + "])"
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["terraform", "console", "-no-color"], input=batch + "\n", capture_output=True,
                           text=True, cwd=tmp)
    try:
        results = ["true" if x else "false" for x in json.loads(json.loads(r.stdout.strip()))]
    except (ValueError, TypeError):
        results = []
    failed = 0
    if len(results) != len(exprs):
        err = " ".join(line for line in r.stderr.splitlines() if "CLI configuration" not in line and "terraformrc" not in line)
        print(f"not ok - terraform console evaluated {len(results)} of {len(exprs)} rules: {err.strip()[:400]}")
        return 1
    it = iter(results)
    for label, e, want in cases:
        if e is None:
            print(f"not ok - {label}")
            failed += 1
            continue
        got = next(it)
        ok = got == ("true" if want else "false")
        print(("ok - " if ok else "not ok - ") + label + ("" if ok else f" (condition gave {got})"))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
