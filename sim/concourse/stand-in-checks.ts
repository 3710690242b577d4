// Simulation: the start-up checks of the `concourse` stand-in, as POSIX sh generated from the flag tables in
// reference/concourse/ when a test tarball is built, so the stand-in refuses an environment the real binary refuses.
//
// What the real binary does (reference/concourse/README.md, release-layout.md sections 3, 2 and 6):
// - go-flags reads every CONCOURSE_* flag from the environment and refuses a value of the wrong type or outside its
//   choices, and a required flag left unset; flag.File and *flag.PrivateKey must name an existing file.
// - CONCOURSE_VERSION set: go-flags calls the `--version` func with a value and every command panics.
// - worker with the containerd runtime: a CONCOURSE_GARDEN_* that is not a flag (TT unset the flags already) fails
//   with "cannot use CONCOURSE_GARDEN_ environment variables with Containerd"; guardian likewise for CONTAINERD_*.
// - worker: every entry of the resource-types directory needs a readable resource_metadata.json.
// Only the command's own flags are checked (the real binary also parses other subcommands' flags from the env).

import { fileURLToPath } from 'node:url';
import { kindOf, readDetails } from '../../scripts/gen-flag-table.mjs';
import { standInAuthChecks } from './stand-in-auth-checks';

const REFERENCE = fileURLToPath(new URL('../../reference/concourse/', import.meta.url));
const KNOWN = ['7.14.3', '8.2.5'];

/** The table a stand-in of `version` checks against: the known release of the same major (7.14.3 below 8). */
export function standInTableRelease(version: string): string {
  const major = Number.parseInt(version, 10) || 0;
  return major >= 8 ? '8.2.5' : '7.14.3';
}

/** Shell functions `check_web_env` and `check_worker_env`, plus the CONCOURSE_VERSION panic, for one release. */
export function standInChecks(version: string): string {
  const release = standInTableRelease(version);
  if (!KNOWN.includes(release)) throw new Error(`no flag table for ${release}`);
  const details = `${REFERENCE}flags-${release}-details.tsv`;
  const rows = readDetails(details);
  const long = new Map(
    rows.map((r) => [
      `${r.command} ${r.env}`,
      r.env
        .replace(/^CONCOURSE_/, '')
        .toLowerCase()
        .replaceAll('_', '-'),
    ]),
  );
  const table = (command: string) =>
    rows
      .filter((r) => r.command === command && r.env.startsWith('CONCOURSE_'))
      .map((r) =>
        [r.env, long.get(`${command} ${r.env}`), kindOf(r.type), r.required ? 'yes' : 'no', r.choices || '-'].join(' '),
      )
      .join('\n');
  const known = (prefix: string) =>
    rows
      .filter((r) => r.command === 'worker' && r.env.startsWith(prefix))
      .map((r) => r.env)
      .join(' ');
  const defaultRuntime = release === '7.14.3' ? 'guardian' : 'containerd';
  return `# Start-up checks generated from reference/concourse/flags-${release}-details.tsv (sim/concourse/stand-in-checks.ts).
if [ -n "\${CONCOURSE_VERSION+x}" ]; then
  echo 'panic: reflect: Call with too many input arguments' >&2
  echo '' >&2
  echo 'goroutine 1 [running]:' >&2
  exit 2
fi

flag_error() {
  echo "error: $*" >&2
  exit 1
}

matches() {
  printf '%s\\n' "$1" | grep -Eq "$2"
}

check_value() {
  # name long kind choices value
  case "$3" in
    int) matches "$5" '^[-+]?[0-9]+$' || bad_value "$2" int "$5" ;;
    uint) matches "$5" '^[0-9]+$' || bad_value "$2" uint "$5" ;;
    uint16) { matches "$5" '^[0-9]{1,5}$' && [ "$5" -le 65535 ]; } || bad_value "$2" uint16 "$5" ;;
    float) matches "$5" '^[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?$' || bad_value "$2" float64 "$5" ;;
    bool) case "$5" in 1|t|T|TRUE|true|True|0|f|F|FALSE|false|False) ;; *) bad_value "$2" bool "$5" ;; esac ;;
    duration) matches "$5" '^[-+]?(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$' || bad_value "$2" time.Duration "$5" ;;
    ip) matches "$5" '^([0-9]{1,3}[.]){3}[0-9]{1,3}$|^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$' || bad_value "$2" IP "$5" ;;
    url) matches "$5" '^[A-Za-z][A-Za-z0-9+.-]*://' || bad_value "$2" URL "$5" ;;
    file) [ -f "$5" ] || flag_error "invalid argument for flag \\\`--$2' (expected flag.File): path '$5' does not exist" ;;
    private-key)
      [ -f "$5" ] || flag_error "invalid argument for flag \\\`--$2' (expected *flag.PrivateKey): open $5: no such file or directory"
      grep -q 'PRIVATE KEY' "$5" || flag_error "invalid argument for flag \\\`--$2' (expected *flag.PrivateKey): Invalid Key: Key must be a PEM encoded PKCS1 or PKCS8 key" ;;
    dir) [ ! -e "$5" ] || [ -d "$5" ] || flag_error "invalid argument for flag \\\`--$2' (expected flag.Dir): path '$5' is not a directory" ;;
  esac
  [ "$4" = - ] && return 0
  old_ifs=$IFS
  IFS=,
  for item in $5; do
    case "|$4|" in
      *"|$item|"*) ;;
      *) IFS=$old_ifs; flag_error "Invalid value \\\`$item' for option \\\`--$2'. Allowed values are: $(echo "$4" | tr '|' ' ')" ;;
    esac
  done
  IFS=$old_ifs
}

bad_value() {
  flag_error "invalid argument for flag \\\`--$1' (expected $2): strconv: parsing \\"$3\\": invalid syntax"
}

check_table() {
  while read -r name long kind required choices; do
    eval "isset=\\\${$name+x}; value=\\\${$name-}"
    if [ -z "$isset" ] || [ -z "$value" ]; then
      [ "$required" = yes ] && flag_error "the required flag \\\`--$long' was not specified"
      continue
    fi
    check_value "$name" "$long" "$kind" "$choices" "$value"
  done
}

check_web_env() {
  check_table <<'FLAGS'
${table('web')}
FLAGS
  check_web_auth
}

${standInAuthChecks(details)}

check_worker_env() {
  check_table <<'FLAGS'
${table('worker')}
FLAGS
  runtime=\${CONCOURSE_RUNTIME:-${defaultRuntime}}
  case "$runtime" in
    containerd) leftover_prefix=CONCOURSE_GARDEN_; known=' ${known('CONCOURSE_GARDEN_')} ' ;;
    guardian) leftover_prefix=CONCOURSE_CONTAINERD_; known=' ${known('CONCOURSE_CONTAINERD_')} ' ;;
    *) leftover_prefix=''; known='' ;;
  esac
  if [ -n "$leftover_prefix" ]; then
    for name in $(env | sed -n "s/^\\($leftover_prefix[A-Z0-9_]*\\)=.*/\\1/p"); do
      case "$known" in
        *" $name "*) ;;
        *) flag_error "cannot use \${leftover_prefix} environment variables with $(echo "$runtime" | sed 's/^c/C/; s/^g/G/')" ;;
      esac
    done
  fi
  types_dir=\${CONCOURSE_RESOURCE_TYPES:-\${0%/bin/*}/resource-types}
  if [ -d "$types_dir" ]; then
    for entry in "$types_dir"/*; do
      [ -e "$entry" ] || continue
      [ -r "$entry/resource_metadata.json" ] || flag_error "failed-to-read-resource-type-metadata: open $entry/resource_metadata.json: no such file or directory"
      head -c 1 "$entry/resource_metadata.json" | grep -q '{' || flag_error "failed-to-unmarshal-resource-type-metadata: $entry"
    done
  fi
}
`;
}
