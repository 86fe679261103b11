"""The GCP VMs' zone, chosen once and kept: applied by Terraform itself.

Design: terraform_data is built into Terraform (no provider to download), so where Terraform is
installed the zone's part of infra/gcp (the locals gpu_zones, zone_choice and zone, and the
resource terraform_data.zone, taken from the parsed configuration, parse_tf.js) is written out as a
.tf.json with the per-zone answers of data.google_compute_machine_types.gpu turned into a variable,
and applied again and again in one state, the way later `infra/run` calls apply the deployment:
the zone must stay while the zones' answers change, and be chosen again when region, zone or
machine type change. safety.py asserts the wiring on every machine; this shows what Terraform does
with it.

Usage: python3 zone_kept.py PARSED_JSON_DIR   (needs terraform on PATH)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

MT = "data.google_compute_machine_types.gpu"
OFFERS_TYPE = "map(object({machine_types = list(object({name = string}))}))"


def offers(region, zones, offering, mtype):
    """The data source's answer: per zone of the region that is up, the machine types it offers."""
    return {f"{region}-{z}": {"machine_types": [{"name": mtype}] if z in offering else []} for z in zones}


def config(cfg):
    sub = lambda text: re.sub(r"\b" + re.escape(MT) + r"\b", "var.zone_offers", text)
    zone = json.loads(json.dumps(cfg["resource"]["terraform_data"]["zone"]))
    for lc in zone.get("lifecycle", []):
        # JSON syntax: ignore_changes names attributes as plain strings, not ${...} expressions.
        lc["ignore_changes"] = [re.sub(r"^\$\{(.*)\}$", r"\1", x) for x in lc.get("ignore_changes", [])]
    return {
        "variable": {"region": {"type": "string"}, "zone": {"type": "string"},
                     "machine_type": {"type": "string"}, "zone_offers": {"type": OFFERS_TYPE}},
        "locals": {k: sub(cfg["locals"][k]) for k in ("gpu_zones", "zone_choice", "zone")},
        "resource": {"terraform_data": {"zone": zone}},
        "output": {"zone": {"value": "${local.zone}"}},
    }


# (label, region, zone, machine type, (zones up, zones offering the type), expected zone or None
# for "refused, the zone stays what it was").
STEPS = [
    ("first apply: the first zone offering the machine type", "europe-west4", "", "g2-standard-4", ("abc", "bc"), "europe-west4-b"),
    ("same options, an earlier-named zone now offers it: the VMs stay", "europe-west4", "", "g2-standard-4", ("abc", "abc"), "europe-west4-b"),
    ("same options, the VMs' zone is down: the VMs stay", "europe-west4", "", "g2-standard-4", ("ac", "ac"), "europe-west4-b"),
    ("--var zone=...: moved there", "europe-west4", "europe-west4-c", "g2-standard-4", ("abc", "abc"), "europe-west4-c"),
    ("--var zone= removed: chosen again", "europe-west4", "", "g2-standard-4", ("abc", "bc"), "europe-west4-b"),
    ("another --instance-type: chosen again", "europe-west4", "", "a2-highgpu-1g", ("abc", "a"), "europe-west4-a"),
    ("another --region: chosen again", "us-east1", "", "a2-highgpu-1g", ("bcd", "cd"), "us-east1-c"),
    ("a --var zone that does not offer the type: refused at plan, the zone stays", "us-east1", "us-east1-b", "a2-highgpu-1g", ("bcd", "cd"), None),
]


def main():
    cfg = json.load(open(f"{sys.argv[1]}/gcp.json"))
    env = dict(os.environ, TF_IN_AUTOMATION="1")
    failed = 0

    def tf(d, *args):
        r = subprocess.run(["terraform", *args], cwd=d, env=env, capture_output=True, text=True)
        # Without the warning about a missing ~/.terraformrc, which says nothing about the test.
        r.stderr = " ".join(line.strip() for line in r.stderr.splitlines()
                            if line.strip(" │╷╵") and "CLI configuration" not in line and "terraformrc" not in line)
        return r

    with tempfile.TemporaryDirectory() as d:
        try:
            body = config(cfg)
        except (KeyError, TypeError) as e:
            print(f"not ok - gcp zone kept (terraform apply): the zone's configuration is missing ({type(e).__name__}: {e})")
            return 1
        with open(f"{d}/zone.tf.json", "w") as f:
            json.dump(body, f, indent=1)
        r = tf(d, "init", "-input=false", "-no-color")
        if r.returncode != 0:
            print(f"not ok - gcp zone kept: terraform init failed: {r.stderr[-600:]}")
            return 1
        current = None
        for label, region, zone, mtype, (up, offering), want in STEPS:
            with open(f"{d}/step.tfvars.json", "w") as f:
                json.dump({"region": region, "zone": zone, "machine_type": mtype,
                           "zone_offers": offers(region, up, offering, mtype)}, f)
            r = tf(d, "apply", "-input=false", "-no-color", "-auto-approve", "-var-file=step.tfvars.json")
            got = tf(d, "output", "-raw", "zone").stdout
            if want is None:
                ok = r.returncode != 0 and "does not offer" in r.stderr and got == current
                detail = f"apply exited {r.returncode}, zone {got!r} (was {current!r})"
            else:
                ok = r.returncode == 0 and got == want
                detail = f"apply exited {r.returncode}, zone {got!r}, want {want!r}: {r.stderr[:300]}"
            print(("ok - " if ok else "not ok - ") + f"gcp zone (terraform apply): {label}" + ("" if ok else f" ({detail})"))
            failed += not ok
            current = got
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
