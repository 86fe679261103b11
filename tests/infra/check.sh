#!/usr/bin/env bash
# The infra tests (TEST_SCRIPTS in infra/module.mk; fixtures from infra/ci-deps). No cloud, no
# network, no Terraform providers: the .tf files are parsed with HashiCorp's HCL parser
# (@cdktf/hcl2json) and their safety properties asserted on the result; the shared cloud-init
# template is rendered for each cloud and role and validated by Debian's cloud-init and
# systemd-analyze; the scripts it installs are run against fakes; infra/run is driven against a
# fake terraform and fake cloud CLIs; the infra/run commands of docs/cloud.md and of the README's
# "Train in the cloud" section are run too. Where Terraform is installed (optional), it evaluates the
# variables' rules, validates and applies infra/modules/deployment (no provider needed) and plans
# the moved blocks against stand-ins.
# Every sub-check prints "ok - ...", "not ok - ..." or "skip - ... (reason)"; the last line counts them.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results=$tmp/results
: >"$results"

say() { echo "$1" | tee -a "$results"; }
ok() { say "ok - $*"; }
not_ok() { say "not ok - $*"; }
skip() { say "skip - $*"; }
# sub PROGRAM...: runs a helper that prints ok/not ok lines itself; a crash without lines fails.
sub() {
  local out rc
  out=$("$@" 2>&1); rc=$?
  echo "$out" | grep -E '^(ok|not ok|skip) - ' >>"$results"
  echo "$out"
  if ((rc != 0)) && ! grep -q '^not ok - ' <<<"$out"; then not_ok "$* exited $rc without reporting why"; fi
}
have() { command -v "$1" >/dev/null 2>&1; }
PY=/usr/bin/python3
deps_hint="run infra/ci-deps"

# ---- 1. every .tf parses; the safety properties hold on the parsed configuration ----
mkdir -p "$tmp/json" "$tmp/render"
if have node && [[ -d $here/node_modules/@cdktf/hcl2json ]]; then
  sub node "$here/parse_tf.js" "$root/infra" "$tmp/json"
else
  skip "Terraform files parse: node or @cdktf/hcl2json missing ($deps_hint)"
fi
have_json=0
[[ -f $tmp/json/aws.json && -f $tmp/json/azure.json && -f $tmp/json/gcp.json ]] && have_json=1
if ((have_json)) && $PY -c 'import yaml' 2>/dev/null; then
  sub "$PY" "$here/safety.py" "$tmp/json"
  sub "$PY" "$here/render.py" "$tmp/json" "$root/infra/cloud-init/gan.yaml.tftpl" "$tmp/render"
else
  skip "safety properties and cloud-init rendering: no parsed configuration or no PyYAML for $PY ($deps_hint)"
fi
if have terraform && ((have_json)); then
  sub "$PY" "$here/validations.py" "$tmp/json"
  sub "$PY" "$here/zone_kept.py" "$tmp/json"
  sub "$PY" "$here/moved_test.py" "$tmp/json"
else
  skip "variable validation rules evaluated by terraform console: terraform not installed (optional)"
  skip "GCP zone kept across applies, applied by terraform: terraform not installed (optional; safety.py checks the wiring)"
  skip "moved blocks planned by terraform: terraform not installed (optional; safety.py checks where they land)"
fi
if have terraform; then
  if fmt=$(terraform fmt -check -recursive -list=true "$root/infra" 2>/dev/null); then
    ok "terraform fmt: infra/ is formatted"
  else
    not_ok "terraform fmt: not formatted: $fmt (run terraform fmt -recursive infra)"
  fi
else
  skip "terraform fmt: terraform not installed (optional: nothing else here needs it)"
fi

rendered=("$tmp"/render/*.yaml)
[[ -e ${rendered[0]} ]] || rendered=()

# Where Terraform is installed, its own templatefile() (terraform console needs no provider) must
# render exactly what render.py rendered, and the run id format must be the storage layout's.
if have terraform && ((${#rendered[@]})); then
  mkdir -p "$tmp/console"
  for f in "${rendered[@]}"; do
    name=$(basename "$f" .yaml)
    expr="templatefile(\"$root/infra/cloud-init/gan.yaml.tftpl\", jsondecode(file(\"$tmp/render/$name.values.json\")))"
    if (cd "$tmp/console" && echo "$expr" | terraform console >"$tmp/console/$name.out" 2>"$tmp/console/$name.err"); then
      # The console prints a multi-line string as a heredoc, <<EOT ... EOT, whose last line break
      # is the heredoc's own: a string ending in a newline shows one empty line before EOT.
      sed -e '1{/^<<EOT$/d}' -e '${/^EOT$/d}' "$tmp/console/$name.out" | sed -e '${/^$/d}' >"$tmp/console/$name.yaml"
      if diff -q "$tmp/console/$name.yaml" "$f" >/dev/null; then ok "terraform templatefile() renders $name exactly as render.py does"
      else not_ok "terraform templatefile() renders $name differently: $(diff "$tmp/console/$name.yaml" "$f" | head -n 6 | paste -sd' ')"; fi
    else
      not_ok "terraform console could not render $name: $(head -n 3 "$tmp/console/$name.err" | paste -sd' ')"
    fi
  done
  fmt_expr="formatdate(\"YYYYMMDD'T'hhmmss'Z'\", \"2026-11-26T10:30:05Z\")"
  got=$(cd "$tmp/console" && echo "$fmt_expr" | terraform console 2>/dev/null)
  if [[ $got == '"20261126T103005Z"' ]]; then ok "run id format is %Y%m%dT%H%M%SZ (terraform formatdate)"
  else not_ok "run id format: formatdate gave $got, want \"20261126T103005Z\""; fi
  grep -qF "formatdate(\"YYYYMMDD'T'hhmmss'Z'\", timestamp())" "$root"/infra/modules/deployment/main.tf ||
    not_ok "the clouds' run id (infra/modules/deployment) no longer uses the checked formatdate pattern"
  # The shared module needs no provider: Terraform validates it (a copy: init writes .terraform/) and
  # applies it here.
  mkdir -p "$tmp/infra-copy/modules" && cp -r "$root/infra/modules/deployment" "$tmp/infra-copy/modules/" &&
    cp -r "$root/infra/cloud-init" "$tmp/infra-copy/"
  d=$tmp/infra-copy/modules/deployment
  if terraform -chdir="$d" init -backend=false -input=false -no-color >"$tmp/console/validate.out" 2>&1 &&
    terraform -chdir="$d" validate -no-color >>"$tmp/console/validate.out" 2>&1; then ok "terraform validate: infra/modules/deployment"
  else not_ok "terraform validate: infra/modules/deployment: $(grep -v -e terraformrc -e 'CLI configuration' "$tmp/console/validate.out" | tail -n 6 | paste -sd' ')"; fi
  sub "$PY" "$here/module_test.py" "$tmp/render" "$root/infra/modules/deployment"
else
  skip "Terraform's own templatefile(): terraform not installed (optional; render.py covers the rendering)"
fi

# ---- 2. the rendered cloud-init validates with Debian's cloud-init ----
if have cloud-init; then
  for f in "${rendered[@]}"; do
    if msg=$(cloud-init schema --config-file "$f" 2>&1); then ok "cloud-init schema: $(basename "$f")"
    else not_ok "cloud-init schema: $(basename "$f"): $msg"; fi
  done
  printf '#cloud-config\npackages: 3\n' >"$tmp/broken.yaml"
  if cloud-init schema --config-file "$tmp/broken.yaml" >/dev/null 2>&1; then
    not_ok "cloud-init schema rejects a broken config (packages: 3): it accepted it, so its passes above mean nothing"
  else ok "cloud-init schema rejects a broken config (packages: 3)"; fi
else
  skip "cloud-init schema: cloud-init not installed ($deps_hint)"
fi

# ---- 3. the systemd units verify ----
verify_unit() { # verify_unit FILE: systemd-analyze verify with no complaint at all
  local d; d=$(mktemp -d -p "$tmp")
  cp "$1" "$d/"
  SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$d/$(basename "$1")" 2>&1
}
if have systemd-analyze; then
  printf '[Unit]\nDescription=probe\n[Service]\nExecStart=/bin/true\n' >"$tmp/probe.service"
  if probe=$(verify_unit "$tmp/probe.service") && [[ -z $probe ]]; then
    for f in "$tmp"/render/*/etc/systemd/system/*.service; do
      [[ -e $f ]] || continue
      name=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$f")")")")")/$(basename "$f")
      if msg=$(verify_unit "$f") && [[ -z $msg ]]; then ok "systemd-analyze verify: $name"
      else not_ok "systemd-analyze verify: $name: $msg"; fi
    done
    f=$tmp/render/aws-train/etc/systemd/system/gan-train.service
    if [[ -f $f ]]; then
      sed 's/^Restart=/Restrt=/' "$f" >"$tmp/gan-broken.service"
      if msg=$(verify_unit "$tmp/gan-broken.service") && [[ -z $msg ]]; then
        not_ok "systemd-analyze verify catches a misspelt key (Restrt=): it did not"
      else ok "systemd-analyze verify catches a misspelt key (Restrt=)"; fi
      if grep -q '^Restart=on-failure$' "$f" && grep -q '^WantedBy=multi-user.target$' "$f"; then
        ok "training unit restarts on failure and starts at boot"
      else not_ok "training unit lacks Restart=on-failure or WantedBy=multi-user.target"; fi
    fi
  else
    skip "systemd-analyze verify: it cannot run in this container (a trivial unit gave: ${probe:-exit status})"
  fi
else
  skip "systemd-analyze verify: systemd not installed ($deps_hint)"
fi

# ---- 4. shellcheck on every script, the ones cloud-init installs included ----
scripts=("$root/infra/run" "$root/infra/ci-deps" "$here/check.sh" "$here/run_test.sh" "$here"/fakes/*)
for r in aws-train aws-monitor; do
  for s in usr/local/bin/gan-service usr/local/sbin/gan-stopped usr/local/sbin/gan-setup; do
    [[ -f $tmp/render/$r/$s ]] && scripts+=("$tmp/render/$r/$s")
  done
done
if have shellcheck; then
  for s in "${scripts[@]}"; do
    label=${s#"$root"/}; label=${label#"$tmp"/render/}
    if msg=$(shellcheck -s bash -f gcc "$s" 2>&1); then ok "shellcheck: $label"
    else not_ok "shellcheck: $label: ${msg//$'\n'/; }"; fi
  done
else
  skip "shellcheck: not installed ($deps_hint)"
fi

# ---- 5. the installed scripts do what the unit relies on ----
# The test's own substitution: /opt/gan and /var/lib/gan become folders under $tmp.
svc_test() {
  local role=$1 src=$tmp/render/aws-$1
  [[ -f $src/usr/local/bin/gan-service ]] || { not_ok "gan-service ($role): not rendered"; return; }
  local app=$tmp/app-$role state=$tmp/state-$role
  mkdir -p "$app" "$state"
  # A fake ./gan that writes one argument per line.
  cat >"$app/gan" <<EOF
#!/bin/bash
for a in "\$@"; do printf '%s\n' "\$a"; done >"$app/args"
EOF
  chmod +x "$app/gan"
  sed -e "s#/opt/gan#$app#g" -e "s#/var/lib/gan#$state#g" -e "s#/etc/gan/command#$src/etc/gan/command#g" \
    "$src/usr/local/bin/gan-service" >"$tmp/gan-service-$role"
  sed -e "s#/var/lib/gan#$state#g" "$src/usr/local/sbin/gan-stopped" >"$tmp/gan-stopped-$role"
  # The unit's EnvironmentFile, as systemd would pass it.
  env_args=()
  while IFS= read -r line; do [[ $line == *=* ]] && env_args+=("$line"); done <"$src/etc/gan/gan.env"
  env -i PATH="$PATH" "${env_args[@]}" bash "$tmp/gan-service-$role"
}
if [[ ! -f $tmp/render/aws-train/usr/local/bin/gan-service ]]; then
  skip "gan-service and gan-stopped behaviour: the template was not rendered (see above; $deps_hint)"
else
# svc_args ROLE WANT WHAT: runs ROLE's gan-service; passes WHAT when ./gan got exactly the
# arguments WANT ('|' between them); fails when ./gan did not run at all.
svc_args() {
  local got
  svc_test "$1"
  [[ -f $tmp/app-$1/args ]] || { not_ok "gan-service ($1): ./gan was not run"; return 1; }
  got=$(paste -sd'|' "$tmp/app-$1/args")
  if [[ $got == "$2" ]]; then ok "gan-service ($1): $3"
  else not_ok "gan-service ($1): ran ./gan with $got, want $2"; fi
}
# shellcheck disable=SC2016 # the $( is the literal word the command must keep
if svc_args train '--train|--epochs|2|--dataset-dir|data/my images|--note|$(touch|pwned)|;|touch|pwned2|--storage|s3://gan-training-storage-test/runs|--run-id|20261126T103000Z|--resume-if-exists|--monitor-port|8080|--monitor-bind|0.0.0.0|--monitor-token-file|/etc/gan/monitor-token' \
  "the user's command, quotes intact, then --storage --run-id --resume-if-exists and the monitor's bind and token file"; then
  if [[ ! -e $tmp/state-train/pwned && ! -e $tmp/state-train/pwned2 && ! -e $tmp/app-train/pwned ]]; then
    ok "gan-service (train): \$(...) and ';' in the command are words, never run"
  else not_ok "gan-service (train): the command's \$(touch pwned) or '; touch pwned2' ran"; fi
  # A training command that exited 0 finished the run: ExecStopPost marks it; the next start does nothing.
  mkdir -p "$tmp/bin" && printf '#!/bin/bash\necho "$@" >"%s/shutdown-args"\n' "$tmp" >"$tmp/bin/shutdown" && chmod +x "$tmp/bin/shutdown"
  env -i PATH="$tmp/bin:$PATH" GAN_ROLE=train GAN_RUN_ID=20261126T103000Z GAN_POWEROFF_WHEN_DONE=1 EXIT_CODE=exited EXIT_STATUS=0 \
    bash "$tmp/gan-stopped-train"
  if [[ -e $tmp/state-train-state/finished-20261126T103000Z && -f $tmp/shutdown-args ]]; then
    ok "gan-stopped: a run that exited 0 is marked finished and the VM powers off (GAN_POWEROFF_WHEN_DONE=1)"
  else not_ok "gan-stopped: no finished marker or no shutdown after a clean exit"; fi
  rm -f "$tmp/app-train/args"
  svc_test train >/dev/null
  if [[ ! -e $tmp/app-train/args ]]; then ok "gan-service (train): a finished run is not started again after a reboot"
  else not_ok "gan-service (train): started a finished run again"; fi
  rm -f "$tmp/state-train-state/finished-20261126T103000Z" "$tmp/shutdown-args"
  env -i PATH="$tmp/bin:$PATH" GAN_ROLE=train GAN_RUN_ID=20261126T103000Z GAN_POWEROFF_WHEN_DONE=1 EXIT_CODE=killed EXIT_STATUS=TERM \
    bash "$tmp/gan-stopped-train"
  if [[ ! -e $tmp/state-train-state/finished-20261126T103000Z && ! -e $tmp/shutdown-args ]]; then
    ok "gan-stopped: a run stopped by a signal (reboot, spot notice) stays unfinished, no power-off"
  else not_ok "gan-stopped: marked a killed run finished or powered off"; fi
fi
svc_args monitor '--monitor|--storage|s3://gan-training-storage-test/runs|--monitor-port|8080|--monitor-bind|0.0.0.0|--monitor-token-file|/etc/gan/monitor-token' \
  "./gan --monitor --storage <bucket> on port 8080"
fi

# ---- 5b. what root and the service may do ----
unit=$tmp/render/aws-train/etc/systemd/system/gan-train.service
setup=$tmp/render/aws-train/usr/local/sbin/gan-setup
if [[ -f $unit && -f $setup ]]; then
  missing=()
  for kv in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/gan ProtectHome=yes PrivateTmp=yes \
    ProtectKernelTunables=yes ProtectKernelModules=yes ProtectControlGroups=yes RestrictSUIDSGID=yes \
    CapabilityBoundingSet= User=gan WorkingDirectory=/var/lib/gan; do
    grep -qx "$kv" "$unit" || missing+=("$kv")
  done
  if ((${#missing[@]} == 0)); then ok "training unit is sandboxed (no new privileges, read-only system but /var/lib/gan, no home, private /tmp, no capabilities)"
  else not_ok "training unit lacks: ${missing[*]}"; fi
  if have systemd-analyze && exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p') && [[ -n $exposure ]]; then
    if awk -v e="$exposure" 'BEGIN { exit !(e <= 5.0) }'; then ok "systemd-analyze security: exposure $exposure (at most 5.0)"
    else not_ok "systemd-analyze security: exposure $exposure, want at most 5.0"; fi
  else
    skip "systemd-analyze security --offline: not available here"
  fi
  # Root never changes the ownership of the build, nor recurses into the service user's folder.
  if grep -Eq 'chown[^|;]*(-R|--recursive)|chown[^|;]*/opt/gan' "$setup"; then
    not_ok "gan-setup hands /opt/gan or a tree to the service user: $(grep -E 'chown' "$setup" | paste -sd' ')"
  else ok "gan-setup leaves /opt/gan to root and makes /var/lib/gan without recursing"; fi
  if grep -q 'safe.directory' "$setup"; then not_ok "gan-setup still trusts a repository owned by another user (safe.directory)"
  else ok "gan-setup needs no safe.directory (the clone is root's)"; fi
  # A ref beginning with '-' stops gan-setup before git sees it.
  printf 'GAN_ROLE=train\nGAN_GIT_REF=--upload-pack=/bin/false\nGAN_REPO_URL=https://git.example.com/gan.git\n' >"$tmp/ref.env"
  mkdir -p "$tmp/refbin" && printf '#!/bin/bash\necho "$@" >>"%s/refbin/calls"\n' "$tmp" >"$tmp/refbin/git" && chmod +x "$tmp/refbin/git"
  for t in swapon fallocate mkswap make nvidia-smi systemctl install chown mv od; do ln -sf "$tmp/refbin/git" "$tmp/refbin/$t"; done
  sed -e "s#/etc/gan/gan.env#$tmp/ref.env#g" -e "s#/opt/gan#$tmp/ref-opt#g" "$setup" >"$tmp/gan-setup-ref"
  msg=$(env -i PATH="$tmp/refbin:$PATH" bash "$tmp/gan-setup-ref" 2>&1); rc=$?
  if ((rc != 0)) && [[ ! -e $tmp/refbin/calls ]] && grep -q "must not begin with '-'" <<<"$msg"; then
    ok "gan-setup refuses a git ref beginning with '-' before running git"
  else not_ok "gan-setup with GAN_GIT_REF=--upload-pack=...: exit $rc, calls: $(paste -sd' ' "$tmp/refbin/calls" 2>/dev/null), said: $msg"; fi
  # The monitor's token is made on the VM, from /dev/urandom, readable by the service user alone.
  if grep -q '/dev/urandom' "$setup" && grep -q 'umask 077' "$setup" && grep -q 'chown gan:gan /etc/gan/monitor-token' "$setup"; then
    ok "gan-setup makes the monitor token on the VM (/dev/urandom, mode 0600, owned by gan)"
  else not_ok "gan-setup does not make the monitor token on the VM as it should"; fi
else
  skip "unit sandbox and gan-setup checks: the template was not rendered ($deps_hint)"
fi
# The token never travels through Terraform: no monitor token variable, output or template value.
tf_files=("$root"/infra/*/*.tf "$root"/infra/modules/*/*.tf)
if grep -qiE 'monitor[_-]token' "${tf_files[@]}" 2>/dev/null &&
  grep -hiE 'monitor[_-]token' "${tf_files[@]}" | grep -vqE 'token_command|/etc/gan/monitor-token'; then
  not_ok "a monitor token appears in the Terraform configuration: $(grep -niE 'monitor[_-]token' "${tf_files[@]}" | head -n 3 | paste -sd' ')"
else ok "no monitor token in the Terraform configuration (it is made on the VM)"; fi

# ---- 6. infra/run against fakes ----
sub bash "$here/run_test.sh"

# ---- 7. the documented commands are ones infra/run accepts ----
# doc_commands: lines of fenced code blocks, and of indented ones, that start with infra/run (a
# trailing backslash joins the next line), without their comments.
doc_commands() {
  awk '/^```/ {code = !code; next} code || /^    / {print}' | sed -e :a -e '/\\$/N; s/\\\n *//; ta' |
    sed -n 's/^ *\(infra\/run\b.*\)$/\1/p' | sed 's/ *#.*$//'
}
doc=$root/docs/cloud.md
if [[ -f $doc ]]; then
  doc_commands <"$doc" >"$tmp/doc-commands"
  count=$(grep -c . "$tmp/doc-commands")
  if ((count >= 6)); then ok "docs/cloud.md shows infra/run commands ($count)"
  else not_ok "docs/cloud.md shows only $count infra/run commands (want apply and destroy for each cloud)"; fi
  for c in aws azure gcp; do
    if grep -Eq "^infra/run .*--cloud $c( .*)? --destroy" "$tmp/doc-commands"; then ok "docs/cloud.md gives the $c teardown command"
    else not_ok "docs/cloud.md has no 'infra/run --cloud $c ... --destroy'"; fi
  done
  # Prices: none quoted without a source (they differ by region and change); each cloud's section
  # points at its provider's pricing page instead. And no first person in the prose.
  prose=$(awk '/^```/ {code = !code; next} !code && !/^    / {print NR": "$0}' "$doc")
  if price=$(grep -E '[$€£] ?[0-9]|[0-9] ?(USD|EUR)\b' <<<"$prose"); then not_ok "docs/cloud.md quotes a price: ${price//$'\n'/; }"
  else ok "docs/cloud.md quotes no price"; fi
  for url in https://aws.amazon.com/ec2/pricing/ https://azure.microsoft.com/pricing/details/virtual-machines/linux/ \
    https://cloud.google.com/compute/vm-instance-pricing; do
    if grep -qF "($url" "$doc"; then ok "docs/cloud.md links the pricing page $url"
    else not_ok "docs/cloud.md does not link the pricing page $url"; fi
  done
  if first=$(grep -E "\b(I|I'm|I've|we|We|our|Our)\b" <<<"$prose"); then not_ok "docs/cloud.md speaks in the first person: ${first//$'\n'/; }"
  else ok "docs/cloud.md has no first-person wording"; fi
  RUN_DOC_COMMANDS=$tmp/doc-commands sub bash "$here/run_test.sh"
else
  not_ok "docs/cloud.md is missing"
fi
# The README's "Train in the cloud" section shows the same commands in short.
readme=$root/README.md
awk '/^## / {in_section = ($0 == "## Train in the cloud")} in_section' "$readme" | doc_commands >"$tmp/readme-commands"
count=$(grep -c . "$tmp/readme-commands")
if ((count >= 2)) && grep -Eq '^infra/run .*--destroy' "$tmp/readme-commands"; then
  ok "README.md's Train in the cloud section shows infra/run commands ($count), a teardown among them"
else
  not_ok "README.md's Train in the cloud section shows $count infra/run commands, want a create and a --destroy"
fi
RUN_DOC_COMMANDS=$tmp/readme-commands DOC_NAME=README.md sub bash "$here/run_test.sh"

p=$(grep -c '^ok - ' "$results"); f=$(grep -c '^not ok - ' "$results"); s=$(grep -c '^skip - ' "$results")
echo
grep '^not ok - ' "$results" | sed 's/^/FAILED: /'
echo "$p passed, $f failed, $s skipped"
((f == 0))
