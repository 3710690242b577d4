# Start-up checks of the login methods, as concourse web makes them (hand-written from concourse/concourse and
# concourse/dex; inlined by sim/concourse/stand-in-auth-checks.ts, which fills in the main team's variables).
#
# - skymarshal/skycmd/{ldap,oidc,oauth,github}_flags.go Validate: a connector missing one of its required flags is
#   not an error; dexserver.go NewDexServerConfig skips it (`if c, err := connector.Serialize(...); err == nil`), so
#   the login method silently does not exist. The stand-in says which connectors it opened, for tests to check.
# - dex server.NewServer opens every connector and fails to start on the first error ("server: Failed to open
#   connector <id>: ..."): ldap needs host, userSearch.baseDN and userSearch.username and a CA file holding certs
#   (connector/ldap/ldap.go openConnector); github refuses a host with a slash and a CA without a host
#   (connector/github/github.go Open); oidc fetches <issuer>/.well-known/openid-configuration with its CAs (or
#   without verification) and refuses a non-200 answer, a body that is not JSON, or an issuer that differs from the
#   configured one (connector/oidc/oidc.go getProvider, go-oidc NewProvider).
# - atc/atccmd/command.go: a configured credential manager (Vault: CONCOURSE_VAULT_URL set) that fails its Validate
#   is "credential manager 'vault' misconfigured: ..." (atc/creds/vault/manager.go: an http(s) URL with a host, a
#   non-empty path prefix, and a client token, a token path or an auth backend).
# - atc/atccmd/command.go configureAuthForDefaultTeam: a main team with neither users nor groups is
#   "default team auth not configured" (skycmd/flags.go formatFromFlags, atc.ErrAuthConfigInvalid).

auth_error() {
  echo "error: $*" >&2
  exit 1
}

all_set() {
  for name in "$@"; do
    eval "value=\"\$$name\""
    [ -n "$value" ] || return 1
  done
  return 0
}

open_error() {
  auth_error "server: Failed to open connector $1: $2"
}

open_ldap() {
  [ -n "$CONCOURSE_LDAP_USER_SEARCH_BASE_DN" ] || open_error ldap 'ldap: missing required field "userSearch.baseDN"'
  [ -n "$CONCOURSE_LDAP_USER_SEARCH_USERNAME" ] || open_error ldap 'ldap: missing required field "userSearch.username"'
  if [ -n "$CONCOURSE_LDAP_CA_CERT" ]; then
    grep -q -- '-----BEGIN CERTIFICATE-----' "$CONCOURSE_LDAP_CA_CERT" || open_error ldap 'ldap: no certs found in ca file'
  fi
}

open_github() {
  case "$CONCOURSE_GITHUB_HOST" in
    */*) open_error github 'invalid hostname: hostname cannot contain `/`' ;;
  esac
  if [ -n "$CONCOURSE_GITHUB_CA_CERT" ] && [ -z "$CONCOURSE_GITHUB_HOST" ]; then
    open_error github 'invalid connector config: Host name field required for a root certificate file'
  fi
}

open_oidc() {
  command -v curl >/dev/null 2>&1 || auth_error 'the stand-in needs curl to fetch the OIDC discovery document'
  well_known="$(printf '%s' "$CONCOURSE_OIDC_ISSUER" | sed 's#/*$##')/.well-known/openid-configuration"
  tmp=$(mktemp -d)
  set -- -sS --max-time 30 -o "$tmp/body" -w '%{http_code}'
  case "$CONCOURSE_OIDC_SKIP_SSL_VALIDATION" in
    1|t|T|TRUE|true|True) set -- "$@" -k ;;
  esac
  if [ -n "$CONCOURSE_OIDC_CA_CERT" ]; then
    old_ifs=$IFS
    IFS=,
    for ca in $CONCOURSE_OIDC_CA_CERT; do cat "$ca" >> "$tmp/ca.pem"; done
    IFS=$old_ifs
    set -- "$@" --cacert "$tmp/ca.pem"
  fi
  code=$(curl "$@" "$well_known" 2>"$tmp/err") || {
    reason=$(tr '\n' ' ' < "$tmp/err")
    rm -rf "$tmp"
    open_error oidc "failed to get provider: Get \"$well_known\": $reason"
  }
  body=$(tr '\n' ' ' < "$tmp/body")
  rm -rf "$tmp"
  [ "$code" = 200 ] || open_error oidc "failed to get provider: $code: $body"
  case "$body" in
    *'{'*) ;;
    *) open_error oidc 'failed to get provider: oidc: failed to decode provider discovery object' ;;
  esac
  got=$(printf '%s' "$body" | sed -n 's/.*"issuer"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
  [ "$got" = "$CONCOURSE_OIDC_ISSUER" ] ||
    open_error oidc "failed to get provider: oidc: issuer did not match the issuer returned by provider, expected \"$CONCOURSE_OIDC_ISSUER\" got \"$got\""
}

vault_error() {
  auth_error "credential manager 'vault' misconfigured: $*"
}

check_vault() {
  [ -n "$CONCOURSE_VAULT_URL" ] || return 0
  case "$CONCOURSE_VAULT_URL" in
    http://?*|https://?*) ;;
    *) vault_error "invalid scheme: must be http or https" ;;
  esac
  # go-flags' default applies only when the variable is unset; set to empty, the prefix is empty.
  if [ -n "${CONCOURSE_VAULT_PATH_PREFIX+x}" ] && [ -z "$CONCOURSE_VAULT_PATH_PREFIX" ]; then
    vault_error 'path prefix must be a non-empty string'
  fi
  [ -n "$CONCOURSE_VAULT_CLIENT_TOKEN$CONCOURSE_VAULT_CLIENT_TOKEN_PATH$CONCOURSE_VAULT_AUTH_BACKEND" ] ||
    vault_error 'must configure client token or auth backend'
}

check_web_auth() {
  check_vault
  connectors=''
  [ -n "$CONCOURSE_ADD_LOCAL_USER" ] && connectors="$connectors local"
  if all_set CONCOURSE_LDAP_HOST CONCOURSE_LDAP_BIND_DN CONCOURSE_LDAP_BIND_PW; then
    open_ldap
    connectors="$connectors ldap"
  fi
  if all_set CONCOURSE_OIDC_ISSUER CONCOURSE_OIDC_CLIENT_ID CONCOURSE_OIDC_CLIENT_SECRET; then
    open_oidc
    connectors="$connectors oidc"
  fi
  if all_set CONCOURSE_OAUTH_AUTH_URL CONCOURSE_OAUTH_TOKEN_URL CONCOURSE_OAUTH_USERINFO_URL \
    CONCOURSE_OAUTH_CLIENT_ID CONCOURSE_OAUTH_CLIENT_SECRET; then
    connectors="$connectors oauth"
  fi
  if all_set CONCOURSE_GITHUB_CLIENT_ID CONCOURSE_GITHUB_CLIENT_SECRET; then
    open_github
    connectors="$connectors github"
  fi
  if [ -z "$CONCOURSE_MAIN_TEAM_CONFIG" ]; then
    members=''
    for name in $MAIN_TEAM_VARIABLES; do
      eval "members=\"\$members\$$name\""
    done
    [ -n "$(printf '%s' "$members" | tr -d ', ')" ] ||
      auth_error 'default team auth not configured: auth config for the team does not have users and groups configured'
  fi
  echo "connectors:$connectors"
}
