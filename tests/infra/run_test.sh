#!/usr/bin/env bash
# infra/run's argument handling and call sequence, against fake terraform, aws, az, gcloud and curl
# (tests/infra/fakes/) that record every call. Each case runs in a sandbox: a throw-away git
# repository holding a copy of infra/ with an origin remote, a HOME without SSH keys, and a PATH
# with only the fakes and the few system tools infra/run uses, so the real terraform and cloud
# CLIs can neither be called nor be found. Prints "ok - ..." / "not ok - ..." lines.
#
# Also: RUN_DOC_COMMANDS=FILE runs each infra/run command listed in FILE (one per line) the same
# way, for the docs check in check.sh (DOC_NAME: the document they come from, for the test names).

# The predicates below are called through expect(), which shellcheck cannot follow.
# shellcheck disable=SC2317
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }

real_terraform=$(command -v terraform || true)
# System tools infra/run and the fakes need; everything else is absent from the sandbox's PATH.
sysbin=$work/sysbin
mkdir -p "$sysbin"
for t in bash env dirname basename cat sed head tail tr date sleep mv rm cp mkdir git grep printf touch mktemp id; do
  p=$(command -v "$t") && ln -s "$p" "$sysbin/$t"
done
ln -s /usr/bin/python3 "$sysbin/python3"  # infra/run writes its variables file with python3's json

# One template repository, copied for each case (git init and commit once, not per case).
tpl=$work/template
mkdir -p "$tpl"
cp -r "$root/infra" "$tpl/infra"
rm -rf "$tpl"/infra/*/.terraform "$tpl"/infra/*/run.auto.tfvars.json "$tpl"/infra/*/terraform.tfstate*
git -C "$tpl" init -q -b main
git -C "$tpl" add -A
git -C "$tpl" -c user.name=t -c user.email=t@example.com commit -qm sandbox
git -C "$tpl" remote add origin https://git.example.com/gan.git
git -C "$tpl" update-ref refs/remotes/origin/main HEAD

n=0
# new_sandbox [no-origin|unpushed]: sets sb (repo), FAKE_DIR, FAKE_LOG, fakebin, HOME.
new_sandbox() {
  n=$((n + 1))
  sb=$work/case$n/repo
  mkdir -p "$work/case$n/home" "$work/case$n/fake" "$work/case$n/bin"
  cp -a "$tpl" "$sb"
  if [[ ${1:-} == no-origin ]]; then
    git -C "$sb" remote remove origin
  fi
  if [[ ${1:-} == unpushed ]]; then
    git -C "$sb" -c user.name=t -c user.email=t@example.com commit -q --allow-empty -m local-only
  fi
  fakebin=$work/case$n/bin
  cp "$here"/fakes/* "$fakebin/"
  export HOME=$work/case$n/home FAKE_DIR=$work/case$n/fake FAKE_LOG=$work/case$n/fake/calls
  export GAN_IP_URL=http://ip.test/ GAN_WAIT_INTERVAL=0
  : >"$FAKE_LOG"
}

add_ssh_key() { mkdir -p "$HOME/.ssh" && echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAtest test@example" >"$HOME/.ssh/id_ed25519.pub"; }

# run_case ARGS...: runs the sandbox's infra/run; sets rc, out (stdout), err (stderr).
run_case() {
  (cd "$sb" && PATH="$fakebin:$sysbin" bash infra/run "$@" >"$FAKE_DIR/out" 2>"$FAKE_DIR/err")
  rc=$?
  out=$(cat "$FAKE_DIR/out")
  err=$(cat "$FAKE_DIR/err")
}

# in_order RE...: each pattern matches a call after the previous one's.
in_order() {
  local line=0 l
  for re in "$@"; do
    l=$(grep -nE "$re" "$FAKE_LOG" | awk -F: -v after="$line" '$1 > after {print $1; exit}')
    [[ -n $l ]] || return 1
    line=$l
  done
}
# Predicates for expect().
fails_saying() { [[ $rc != 0 ]] && grep -qF -- "$1" <<<"$err"; }
succeeds() { [[ $rc == 0 ]]; }
out_has() { grep -qF -- "$1" <<<"$out"; }
log_has() { grep -qE -- "$1" "$FAKE_LOG"; }
log_lacks() { ! grep -qE -- "$1" "$FAKE_LOG"; }
nothing_created() { log_lacks '^terraform [a-z]+ (init|apply|plan|destroy)'; }
# all PRED1 ARGS... -- PRED2 ARGS... : every predicate holds.
all() {
  local cmd=()
  for a in "$@" --; do
    if [[ $a == -- ]]; then "${cmd[@]}" || return 1; cmd=(); else cmd+=("$a"); fi
  done
}
# Terraform only warns about a value for an undeclared variable and ignores it: every key
# infra/run writes must be a variable of that cloud.
all_declared() {
  local k
  for k in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$FAKE_DIR/tfvars.json"); do
    grep -q "^variable \"$k\" {" "$sb"/infra/"$1"/*.tf || { echo "  undeclared: $k"; return 1; }
  done
}
tfvar() { /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print(json.dumps(v) if not isinstance(v, str) else v)' "$FAKE_DIR/tfvars.json" "$1"; }

# expect NAME CONDITION-COMMAND...: one test line; on failure shows the calls and stderr.
expect() {
  local name=$1; shift
  if "$@"; then ok "$name"; else
    not_ok "$name"
    { echo "  rc=$rc"; echo "  calls:"; sed 's/^/    /' "$FAKE_LOG"; echo "  stderr:"; echo "$err"; } | head -n 40
  fi
}

if [[ -n ${RUN_DOC_COMMANDS:-} ]]; then
  while IFS= read -r cmd; do
    [[ -n $cmd ]] || continue
    new_sandbox
    add_ssh_key
    eval "set -- ${cmd#infra/run}"
    if [[ " $* " == *" --destroy "* ]]; then
      cloud=aws
      prev=""
      for a in "$@"; do [[ $prev == --cloud ]] && cloud=$a; prev=$a; done
      run_case --cloud "$cloud" --no-wait
      : >"$FAKE_LOG"
    fi
    run_case "$@"
    expect "${DOC_NAME:-docs/cloud.md} command runs against infra/run: $cmd" test "$rc" = 0
  done <"$RUN_DOC_COMMANDS"
  exit $((failed > 0))
fi

# ---- AWS: the whole apply sequence ----
new_sandbox
run_case -c './gan --train --epochs 5 --dataset-dir "my data"' -f './gan --monitor' --cloud aws --region eu-west-1 --ref main
expect "aws apply: exits 0" succeeds
expect "aws apply: every value written is a variable of infra/aws" all_declared aws
expect "aws apply: credentials, IP, then init, validate, apply, output, health check in that order" \
  in_order '^terraform \. version' '^aws sts get-caller-identity --region eu-west-1' '^curl http://ip.test/' \
  '^terraform aws init -input=false' '^terraform aws validate' '^terraform aws apply -input=false -auto-approve' \
  '^terraform aws output -raw monitor_url' '^curl http://198.51.100.7:8080/healthz'
expect "aws apply: no plan, no destroy" log_lacks '^terraform aws (plan|destroy)'
expect "aws apply: allowed_cidr is the caller's IP /32" test "$(tfvar allowed_cidr)" = 203.0.113.9/32
expect "aws apply: repo_url from git remote origin" test "$(tfvar repo_url)" = https://git.example.com/gan.git
expect "aws apply: git_ref from --ref" test "$(tfvar git_ref)" = main
expect "aws apply: train command kept verbatim, quotes included" test "$(tfvar train_command)" = './gan --train --epochs 5 --dataset-dir "my data"'
expect "aws apply: monitor command from -f" test "$(tfvar monitor_command)" = './gan --monitor'
expect "aws apply: region from --region" test "$(tfvar region)" = eu-west-1
expect "aws apply: on-demand and a monitor VM by default" test "$(tfvar spot) $(tfvar monitor_vm)" = "false true"
expect "aws apply: no SSH key variable when none exists" test "$(tfvar ssh_public_key)" = null
expect "aws apply: prints the monitor URL" out_has 'monitor:  http://198.51.100.7:8080'
expect "aws apply: reports the monitor answering" out_has 'the monitor answers: http://198.51.100.7:8080'
expect "aws apply: a cost warning" out_has "COST WARNING"
expect "aws apply: the last line says the bucket outlives the teardown" test "$(tail -n 1 <<<"$out" | tr -d ' ')" = "(itkeepsthebucketandeveryruninit,whichbillforstorageuntilyoudeletethemyourself)"
expect "aws apply: the monitor URL with the token read from the monitor VM over SSH" \
  all out_has "open the monitor: http://198.51.100.7:8080/?token=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
  -- log_has '^ssh .*fake-monitor_ssh sudo cat /etc/gan/monitor-token$' \
  -- out_has "training VM's monitor: http://198.51.100.8:8080/?token=" -- log_has '^ssh .*fake-training_ssh sudo cat' 
expect "aws apply: the teardown command, ending the output" grep -qF "    infra/run --cloud aws --destroy" <<<"$(tail -n 3 <<<"$out")"

# ---- waiting: progress lines, then success; or a timeout that still prints the teardown ----
new_sandbox
FAKE_HEALTHZ_AFTER=3 run_case --cloud aws --ref main
expect "wait: two progress lines, then /healthz answers" \
  all succeeds -- test "$(grep -c 'still waiting for http://198.51.100.7:8080' <<<"$out")" = 2
new_sandbox
FAKE_HEALTHZ_AFTER=never run_case --cloud aws --ref main --wait-timeout 0
expect "wait: timeout exits 2, says the VMs still bill, prints the teardown" \
  all test "$rc" = 2 -- fails_saying "still running (and billing)" -- out_has "infra/run --cloud aws --destroy"
# The monitor VM answers whatever became of the GPU VM: the training VM's monitor must answer too.
new_sandbox
FAKE_TRAINING_HEALTHZ_AFTER=never run_case --cloud aws --ref main --wait-timeout 0
expect "wait: the monitor answers but the training VM's never does: exits 2, says the training VM may have failed" \
  all test "$rc" = 2 -- fails_saying "the training VM's monitor (http://198.51.100.8:8080) never answered" \
  -- fails_saying "run fake-run_id is not in the monitor's list of runs" \
  -- fails_saying "cloud-init-output.log" -- out_has "infra/run --cloud aws --destroy"
# A run shorter than the poll interval is over (its VM powered off) before the training VM's monitor
# is asked: the run in the monitor VM's list of runs (from the bucket) shows that it trained.
new_sandbox
FAKE_TRAINING_HEALTHZ_AFTER=never FAKE_RUN_LISTED_AFTER=3 run_case --cloud aws --ref main --wait-timeout 5
expect "wait: the training VM's monitor never answers, the run appears in the monitor's list: success" \
  all succeeds -- out_has "run fake-run_id is in the monitor's list of runs" \
  -- test "$(grep -c "still waiting for the training VM's http://198.51.100.8:8080 or run fake-run_id" <<<"$out")" = 2 \
  -- log_has '^curl http://198.51.100.7:8080/api/runs/fake-run_id$'
new_sandbox
FAKE_RUN_LISTED_AFTER=1 run_case --cloud aws --ref main
expect "wait: the training VM's monitor answers first: the list of runs is not asked" \
  all succeeds -- log_lacks '/api/runs'
# A training command with --no-monitor serves no monitor: only the run in the list counts.
new_sandbox
FAKE_RUN_LISTED_AFTER=2 run_case -c './gan --train --epochs 2 --no-monitor' --cloud aws --ref main --wait-timeout 5
expect "wait with -c '... --no-monitor': the training VM's monitor is not asked; the run in the monitor's list is success" \
  all succeeds -- log_lacks '198.51.100.8' -- out_has "run fake-run_id is in the monitor's list of runs" \
  -- test "$(grep -c 'still waiting for run fake-run_id in its list of runs' <<<"$out")" = 1
new_sandbox
run_case -c './gan --train --no-monitor' --cloud aws --ref main --wait-timeout 0
expect "wait with -c '... --no-monitor', the run never listed: exits 2, says so" \
  all test "$rc" = 2 -- fails_saying "run fake-run_id never appeared in its list of runs" -- log_lacks '198.51.100.8' \
  -- out_has "infra/run --cloud aws --destroy"
new_sandbox
FAKE_TRAINING_URL=http://198.51.100.7:8080 run_case -c "./gan --train '--no-monitor'" --cloud aws --ref main --no-monitor-vm --wait-timeout 5
expect "wait with --no-monitor and --no-monitor-vm: nothing to wait for, says so, exits 0" \
  all succeeds -- log_lacks 'healthz|api/runs' -- out_has "not waiting: the training command has --no-monitor and there is no monitor VM"
new_sandbox
FAKE_TRAINING_HEALTHZ_AFTER=never FAKE_RUN_LISTED_AFTER=1 run_case -c './gan --train --no-monitor-typo' --cloud aws --ref main --wait-timeout 0
expect "wait: a flag that only starts with --no-monitor still asks the training VM's monitor" \
  all succeeds -- log_has '198.51.100.8:8080/healthz'
# The monitor VM's /api/ needs the token the VM made; infra/run reads it over SSH and sends it on
# curl's standard input, never on a command line.
tok=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
new_sandbox
FAKE_VM_TOKEN=$tok FAKE_MONITOR_TOKEN=$tok FAKE_RUN_LISTED_AFTER=1 run_case -c './gan --train --no-monitor' --cloud aws --ref main --wait-timeout 0
expect "wait: the list of runs is asked with the token read from the VM, not on curl's command line" \
  all succeeds -- out_has "run fake-run_id is in the monitor's list of runs" -- log_has '/api/runs/fake-run_id$' \
  -- test "$(grep -c "$tok" "$FAKE_DIR/curl-args")" = 0 -- out_has "/?token=$tok"
new_sandbox
FAKE_SSH_FAIL=1 FAKE_MONITOR_TOKEN=$tok FAKE_RUN_LISTED_AFTER=1 run_case -c './gan --train --no-monitor' --cloud aws --ref main --wait-timeout 0
expect "wait: no SSH access to read the token: not counted as listed, says how to read it" \
  all test "$rc" = 2 -- out_has "needs the token its VM made: read it with 'ssh fake-monitor_ssh sudo cat /etc/gan/monitor-token'"
for form in "--monitor-token s3cret-Token_1" "--monitor-token=s3cret" "--monitor-bind 0.0.0.0" "'--monitor-token-file' /tmp/t"; do
  new_sandbox
  run_case -f "./gan --monitor $form" --cloud aws --ref main
  expect "-f '... $form': refused (infra sets the monitor's address and token), nothing created" \
    all fails_saying "infra sets --monitor-port 8080, --monitor-bind 0.0.0.0 and --monitor-token-file" -- nothing_created
done
new_sandbox
FAKE_TRAINING_HEALTHZ_AFTER=3 run_case --cloud aws --ref main
expect "wait: the monitor answers first, then the training VM's: progress lines name the training VM, then success" \
  all succeeds -- test "$(grep -c "the monitor answers; still waiting for the training VM's http://198.51.100.8:8080" <<<"$out")" = 2 \
  -- out_has "the training VM's monitor answered too: http://198.51.100.8:8080"
new_sandbox
FAKE_HEALTHZ_AFTER=3 run_case --cloud aws --ref main
expect "wait: the training VM's monitor answered once is enough (a short run may be over by the time the monitor VM is up)" \
  all succeeds -- test "$(grep -c '198.51.100.8:8080/healthz' "$FAKE_LOG")" = 1
new_sandbox
FAKE_TRAINING_URL=http://198.51.100.7:8080 FAKE_HEALTHZ_AFTER=2 run_case --cloud aws --ref main --no-monitor-vm
expect "wait without a monitor VM: one URL, probed once per round" \
  all succeeds -- test "$(grep -c '/healthz' "$FAKE_LOG")" = 2 -- log_lacks '198.51.100.8'
new_sandbox
run_case --cloud aws --ref main --no-wait
expect "--no-wait: no health check" all succeeds -- log_lacks healthz

# ---- plan ----
new_sandbox
run_case --cloud aws --ref main --plan --var instance_type=p3.2xlarge
expect "--plan: init, validate, plan; no apply" \
  all succeeds -- in_order '^terraform aws init' '^terraform aws validate' '^terraform aws plan -input=false$' \
  -- log_lacks '^terraform aws (apply|destroy)'
expect "--plan --var: the value is in the variables file Terraform reads" test "$(tfvar instance_type)" = p3.2xlarge

# ---- --var: saved with the rest, so a later destroy sees the same configuration ----
new_sandbox
run_case --cloud aws --ref main --no-wait --var versioning=true --var root_volume_gb=200 \
  --var 'ami_name_pattern=Deep Learning "Base" * (Ubuntu *' --var region=eu-north-1
expect "--var: no -var on Terraform's command line" all succeeds -- log_lacks ' -var '
expect "--var: a bool, a number and a string, each as its type" \
  test "$(tfvar versioning) $(tfvar root_volume_gb) $(tfvar ami_name_pattern)" = 'true 200 Deep Learning "Base" * (Ubuntu *'
expect "--var for a variable infra/run fills: the --var wins, written once" \
  all test "$(tfvar region)" = eu-north-1 -- test "$(grep -c '"region"' "$sb/infra/aws/run.auto.tfvars.json")" = 1
expect "--var: every value written is a variable of infra/aws" all_declared aws
# Where Terraform is installed (outside the sandbox's PATH), it reads the written file itself:
# `terraform console` needs no provider, only the variable declarations.
if [[ -n $real_terraform ]]; then
  mkdir -p "$FAKE_DIR/console"
  cp "$sb/infra/aws/variables.tf" "$sb/infra/aws/run.auto.tfvars.json" "$FAKE_DIR/console/"
  got=$(cd "$FAKE_DIR/console" && echo 'jsonencode([var.versioning, var.root_volume_gb, var.ami_name_pattern, var.region])' |
    "$real_terraform" console 2>/dev/null)
  expect "--var: terraform console reads the file with each value as its declared type" \
    test "$got" = '"[true,200,\"Deep Learning \\\"Base\\\" * (Ubuntu *\",\"eu-north-1\"]"'
fi
cp "$FAKE_DIR/tfvars-apply.json" "$FAKE_DIR/applied.json"
run_case --cloud aws --destroy --yes
expect "--var: destroy reads the same variables as the apply" \
  all succeeds -- log_lacks ' -var ' -- cmp -s "$FAKE_DIR/applied.json" "$FAKE_DIR/tfvars-destroy.json"
new_sandbox
add_ssh_key
run_case --cloud azure --ref main --no-wait \
  --var 'image={"publisher": "microsoft-dsvm", "offer": "ubuntu-hpc", "sku": "2204", "version": "22.04.2025"}'
expect "--var for an object variable: its JSON value written as JSON" \
  all succeeds -- test "$(tfvar image)" = '{"publisher": "microsoft-dsvm", "offer": "ubuntu-hpc", "sku": "2204", "version": "22.04.2025"}'
for bad in "nosuch=1|infra/aws has no variable 'nosuch'" "versioning=yes|versioning is true or false" \
  "root_volume_gb=big|root_volume_gb is a number" "=x|--var expects NAME=VALUE"; do
  new_sandbox
  run_case --cloud aws --ref main --var "${bad%%|*}"
  expect "--var ${bad%%|*}: refused ('${bad#*|}'), nothing created" all fails_saying "${bad#*|}" -- nothing_created
done
new_sandbox
add_ssh_key
run_case --cloud azure --ref main --var 'image=microsoft-dsvm:ubuntu-hpc:2204:latest'
expect "--var for an object variable given as text: refused, asks for JSON" all fails_saying "give its value as JSON" -- nothing_created
new_sandbox
run_case --cloud aws --ref main --var $'ami_name_pattern=a\nb'
expect "--var with a newline: the error names the variable" all fails_saying "--var ami_name_pattern must be one line" -- nothing_created

# ---- destroy ----
new_sandbox
run_case --cloud aws --ref main --no-wait
: >"$FAKE_LOG"
run_case --cloud aws --destroy --yes
expect "--destroy --yes: credentials, init, destroy -auto-approve; no apply" \
  all succeeds -- in_order '^aws sts get-caller-identity' '^terraform aws init' '^terraform aws destroy -input=false -auto-approve' \
  -- log_lacks '^terraform aws apply'
expect "--destroy: keeps the bucket by default, says so and how to delete it" \
  all out_has "keeping the bucket fake-bucket and every run in it" -- out_has "aws s3 rb s3://fake-bucket --force" \
  -- in_order '^terraform aws state list' '^terraform aws state rm aws_s3_bucket.runs aws_s3_bucket_policy.runs aws_s3_bucket_versioning.runs\[0\] aws_s3_bucket_lifecycle_configuration.runs$' '^terraform aws destroy'
expect "--destroy: forgets the saved variables" test ! -e "$sb/infra/aws/run.auto.tfvars.json"
new_sandbox
run_case --cloud aws --ref main --no-wait --var force_destroy_bucket=true
expect "apply with force_destroy_bucket=true: the teardown note says the runs go too" out_has "it deletes the bucket and every run in it"
: >"$FAKE_LOG"
run_case --cloud aws --destroy --yes
expect "--destroy with force_destroy_bucket=true: the bucket goes, after a warning with the fetch command" \
  all succeeds -- out_has 'to keep the run, copy it first: fake-fetch_command' -- log_lacks 'state rm' -- log_has '^terraform aws destroy'
new_sandbox
run_case --cloud gcp --ref main --project p1 --no-wait
: >"$FAKE_LOG"
run_case --cloud gcp --destroy --yes
expect "--destroy on gcp: keeps the bucket by default" \
  all succeeds -- log_has '^terraform gcp state rm google_storage_bucket.runs$' -- out_has "gcloud storage rm -r gs://fake-bucket"
new_sandbox
run_case --cloud aws --ref main --no-wait
: >"$FAKE_LOG"
run_case --cloud aws --destroy
expect "--destroy without --yes lets terraform ask" log_has '^terraform aws destroy$'
new_sandbox
run_case --cloud aws --ref main --spot --no-wait
: >"$FAKE_LOG"
FAKE_SPOT_REQUEST=sir-abc123 run_case --cloud aws --destroy --yes
expect "--destroy of a spot deployment: cancels the persistent spot request first, in its region" \
  all succeeds -- in_order '^aws ec2 describe-instances --region eu-central-1 --instance-ids i-0123456789abcdef0' \
  '^aws ec2 cancel-spot-instance-requests --region eu-central-1 --spot-instance-request-ids sir-abc123' '^terraform aws destroy'
new_sandbox
run_case --cloud aws --ref main --no-wait
: >"$FAKE_LOG"
run_case --cloud aws --destroy --yes
expect "--destroy of an on-demand deployment: nothing to cancel" all succeeds -- log_lacks 'cancel-spot'
new_sandbox
run_case --cloud gcp --destroy
expect "--destroy with nothing deployed: clear error, terraform not run" \
  all fails_saying "nothing to destroy" -- log_lacks '^terraform gcp'
new_sandbox
run_case --cloud aws --ref main --no-wait
run_case --cloud aws --destroy --yes
: >"$FAKE_LOG"
run_case --cloud aws --destroy --yes
expect "--destroy twice: the second finds nothing to destroy (the state is empty), terraform not run" \
  all fails_saying "nothing to destroy" -- log_lacks '^terraform aws (init|destroy)'
new_sandbox
run_case --cloud aws --ref main --no-wait --var versioning=true
rm "$sb/infra/aws/run.auto.tfvars.json"
: >"$FAKE_LOG"
run_case --cloud aws --destroy --yes
expect "--destroy with state but no variables file: names the file and says --plan, terraform not run" \
  all fails_saying "infra/aws/run.auto.tfvars.json is missing, but infra/aws/terraform.tfstate holds a deployment" \
  -- fails_saying "with --plan added" -- log_lacks '^terraform aws (init|destroy)'
run_case --cloud aws --ref main --plan --var versioning=true
: >"$FAKE_LOG"
run_case --cloud aws --destroy --yes
expect "--destroy after the variables file was written again with --plan: destroyed" \
  all succeeds -- log_has '^terraform aws destroy -input=false -auto-approve'

# ---- failing apply ----
new_sandbox
FAKE_TF_FAIL=apply run_case --cloud aws --ref main
expect "failing apply: non-zero exit, points at the teardown, no health check" \
  all fails_saying "infra/run --cloud aws --destroy" -- log_lacks healthz
new_sandbox
FAKE_TF_FAIL=validate run_case --cloud aws --ref main
expect "failing validate: stops before apply" all test "$rc" != 0 -- log_lacks '^terraform aws apply'

# ---- missing tools and credentials: clear errors before anything is created ----
# refused LABEL SAYING [VAR=VALUE...] -- ARGS...: in the sandbox, infra/run ARGS with the fakes set
# by VAR=VALUE fails saying SAYING, and creates nothing.
refused() {
  local label=$1 saying=$2
  shift 2
  while [[ $1 != -- ]]; do local -x "$1"; shift; done
  shift
  run_case "$@"
  expect "$label" all fails_saying "$saying" -- nothing_created
}
new_sandbox
rm "$fakebin/terraform"
run_case --cloud aws --ref main
expect "missing terraform: says so and how to install it" fails_saying "terraform not found on PATH: install Terraform >= 1.5"
new_sandbox
refused "terraform 1.4: too old, nothing created" "1.4.6 is too old" FAKE_TF_VERSION=1.4.6 -- --cloud aws --ref main
new_sandbox
refused "missing AWS credentials: says how to log in, nothing created" "aws configure" FAKE_AWS_FAIL=1 -- --cloud aws --ref main
new_sandbox
rm "$fakebin/aws"
run_case --cloud aws --ref main
expect "missing aws CLI: says so" fails_saying "aws CLI is not installed"
new_sandbox
add_ssh_key
refused "missing Azure login: says az login, nothing created" "az login" FAKE_AZ_FAIL=1 -- --cloud azure --ref main
new_sandbox
refused "missing gcloud login: says gcloud auth login, nothing created" "gcloud auth login" FAKE_GCLOUD_NOAUTH=1 -- --cloud gcp --ref main
new_sandbox
refused "missing application-default credentials: says gcloud auth application-default login, nothing created" \
  "run 'gcloud auth application-default login'" FAKE_GCLOUD_NOADC=1 -- --cloud gcp --ref main
new_sandbox
FAKE_GCLOUD_NOADC=1 GOOGLE_OAUTH_ACCESS_TOKEN=ya29.given run_case --cloud gcp --ref main --no-wait
expect "no application-default credentials but GOOGLE_OAUTH_ACCESS_TOKEN set: Terraform uses that, accepted" succeeds
new_sandbox
refused "no GCP project: asks for --project" "--project" FAKE_GCP_PROJECT="" -- --cloud gcp --ref main

# ---- the caller's IP ----
new_sandbox
FAKE_IP_FAIL=1 run_case --cloud aws --ref main
expect "IP detection fails: asks for --allowed-cidr, nothing created" \
  all fails_saying "could not detect your public IP" -- fails_saying "--allowed-cidr" -- nothing_created
new_sandbox
FAKE_IP="<html>blocked</html>" run_case --cloud aws --ref main
expect "IP service answers garbage: refused" all fails_saying "not an IPv4 address" -- nothing_created
new_sandbox
run_case --cloud aws --ref main --allowed-cidr 198.51.100.0/24 --no-wait
expect "--allowed-cidr: used as given, no IP lookup" \
  all test "$rc $(tfvar allowed_cidr)" = "0 198.51.100.0/24" -- log_lacks ip.test
for bad in 0.0.0.0/0 10.0.0.1 not-a-cidr; do
  new_sandbox
  run_case --cloud aws --ref main --allowed-cidr "$bad"
  expect "--allowed-cidr $bad: refused before terraform" all fails_saying "--allowed-cidr" -- nothing_created
done

# ---- what the VMs clone ----
new_sandbox no-origin
run_case --cloud aws --ref main
expect "no origin remote: says git remote add origin or --repo, nothing created" \
  all fails_saying "git remote add origin URL" -- fails_saying "--repo URL" -- nothing_created
new_sandbox no-origin
run_case --cloud aws --ref main --repo /home/me/gan
expect "--repo with a local path: refused" all fails_saying "cannot clone" -- nothing_created
new_sandbox no-origin
run_case --cloud aws --ref v1.0 --repo https://gitlab.example.com/me/gan.git --no-wait
expect "--repo and --ref: used as given" test "$rc $(tfvar repo_url) $(tfvar git_ref)" = "0 https://gitlab.example.com/me/gan.git v1.0"
# The VMs hold no SSH key: SSH remotes are cloned through their HTTPS form, and infra/run says so.
for pair in "git@github.com:me/gan.git https://github.com/me/gan.git" "ssh://git@github.com/me/gan.git https://github.com/me/gan.git" \
  "ssh://git@gitlab.example.com:2222/group/gan.git https://gitlab.example.com/group/gan.git" "me@git.example.org:/srv/gan.git https://git.example.org/srv/gan.git"; do
  new_sandbox no-origin
  run_case --cloud aws --ref main --repo "${pair% *}" --no-wait
  expect "--repo ${pair% *}: cloned as ${pair#* }, with a note" \
    all succeeds -- test "$(tfvar repo_url)" = "${pair#* }" -- out_has "hold no SSH key, so they clone ${pair#* } (the HTTPS form of ${pair% *})"
done
new_sandbox
git -C "$sb" remote set-url origin git@github.com:me/gan.git
run_case --cloud aws --ref main --no-wait
expect "origin is an SSH remote: its HTTPS form is deployed" all succeeds -- test "$(tfvar repo_url)" = https://github.com/me/gan.git
for bad in git://git.example.com/gan.git http://git.example.com/gan.git ssh://git@github.com; do
  new_sandbox no-origin
  run_case --cloud aws --ref main --repo "$bad"
  expect "--repo $bad: refused, asks for an https:// URL, nothing created" all fails_saying "--repo https://HOST/PATH" -- nothing_created
done
new_sandbox
run_case --cloud aws --no-wait
expect "no --ref: the checkout's HEAD commit" test "$(tfvar git_ref)" = "$(git -C "$sb" rev-parse HEAD)"
new_sandbox unpushed
run_case --cloud aws
expect "no --ref and HEAD not pushed: refused, says push or --ref" all fails_saying "push it first, or pass --ref" -- nothing_created

# ---- Azure and GCP ----
new_sandbox
add_ssh_key
run_case --cloud azure --region westeurope --ref main --instance-type Standard_NC24ads_A100_v4 --no-monitor-vm --no-wait
expect "azure apply: az login checked, then applied in infra/azure" \
  all succeeds -- in_order '^az account show' '^terraform azure init' '^terraform azure apply'
expect "azure apply: subscription from az, location, vm_size, no monitor VM" \
  test "$(tfvar subscription_id) $(tfvar location) $(tfvar vm_size) $(tfvar monitor_vm)" = "11111111-2222-3333-4444-555555555555 westeurope Standard_NC24ads_A100_v4 false"
expect "azure apply: every value written is a variable of infra/azure" all_declared azure
expect "azure apply: SSH public key from ~/.ssh" grep -q '^ssh-ed25519 ' <<<"$(tfvar ssh_public_key)"
new_sandbox
run_case --cloud azure --ref main
expect "azure without an SSH key: says ssh-keygen" all fails_saying "ssh-keygen" -- nothing_created
new_sandbox
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n' >"$HOME/id_ed25519"
run_case --cloud azure --ref main --ssh-key "$HOME/id_ed25519"
expect "--ssh-key with a private key: refused, says pass the .pub file, nothing created" \
  all fails_saying "is not an OpenSSH public key" -- fails_saying "pass the .pub file" -- nothing_created
for key in "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAI me@host" "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5 me@host" \
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ me@host"; do
  new_sandbox
  echo "$key" >"$HOME/key.pub"
  run_case --cloud azure --ref main --ssh-key "$HOME/key.pub" --no-wait
  expect "--ssh-key with a ${key%% *} public key: accepted as is" test "$rc $(tfvar ssh_public_key)" = "0 $key"
done
new_sandbox
run_case --cloud gcp --ref main --spot --no-wait
expect "gcp apply: project from gcloud config, spot, default region" \
  test "$rc $(tfvar project) $(tfvar spot) $(tfvar region)" = "0 gan-test-project true us-central1"
expect "gcp apply: every value written is a variable of infra/gcp" all_declared gcp
expect "gcp apply: checks the gcloud login and the application-default credentials first" \
  in_order '^gcloud auth list' '^gcloud auth application-default print-access-token' '^terraform gcp init'

# ---- arguments ----
new_sandbox
run_case --cloud aws --ref main --bogus
expect "unknown argument: refused with a pointer to --help" fails_saying "unknown argument '--bogus' (see infra/run --help)"
run_case --cloud digitalocean
expect "unknown cloud: refused" fails_saying "aws, azure or gcp"
run_case -c
expect "-c without a value: refused" fails_saying "-c needs a value"
run_case -c $'./gan --train\nrm -rf /' --ref main --allowed-cidr 198.51.100.1/32
expect "a command with a newline: refused before anything runs" \
  all fails_saying "must be one line" -- test ! -s "$FAKE_LOG"
for opt in --region --ref --repo --allowed-cidr --project --instance-type; do
  run_case --cloud aws "$opt" $'x\ny'
  expect "$opt with a newline: the error names $opt, nothing runs" \
    all fails_saying "infra/run: $opt must be one line" -- test ! -s "$FAKE_LOG"
done
run_case --help
expect "--help: usage, exit 0" all succeeds -- out_has "Usage: infra/run"

exit $((failed > 0))
