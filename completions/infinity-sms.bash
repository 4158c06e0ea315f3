# bash completion for infinity-sms
_infinity_sms() {
  local cur prev words cword
  _init_completion || return
  # The global options go before or after the command.
  local globals="--config --env-file --log-level --log-format --log-unredacted"
  local commands="serve config token send-sms sign-webhook simulate-inbound outbox optout status doctor"
  local keys="twilio.account.sid twilio.account.authToken twilio.account.previousAuthToken twilio.apiKey.sid twilio.apiKey.secret twilio.isMockMode twilio.apiBaseUrl twilio.validateSignature avaya.host avaya.accountId avaya.clientId avaya.clientSecret avaya.connectorId avaya.webhookSecret avaya.previousWebhookSecret avaya.isMockMode avaya.sendMessagePath avaya.allowUnsignedWebhooks server.host server.port server.adminHost server.adminPort server.tls.cert server.tls.key server.publicUrl server.trustProxy server.adminToken server.dataDir server.threads server.maxConnections server.backlog server.maxBodyBytes server.maxHeaderBytes server.readTimeout server.writeTimeout server.idleTimeout store.url store.poolSize store.leaseTimeout store.retention relay.concurrency relay.upstreamTimeout relay.retryInitial relay.retryMax relay.probeInterval relay.pacing.unit relay.pacing.longCode relay.pacing.tollFree relay.pacing.shortCode relay.pacing.numbers relay.inboundMedia relay.maxMediaBytes relay.inboundMaxAge relay.outboundMaxAge compliance.enforceOptOut compliance.notifyAgent compliance.noticeTemplate compliance.mediaNoticeTemplate "
  case "$prev" in
    --config|--env-file|--body-file) _filedir; return ;;
    --data-dir) _filedir -d; return ;;
    --log-level) COMPREPLY=($(compgen -W "trace debug info warn error off" -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --event) COMPREPLY=($(compgen -W "messages health_check" -- "$cur")); return ;;
    --state) COMPREPLY=($(compgen -W "queued sending sent delivered failed dead expired" -- "$cur")); return ;;
    --sender) COMPREPLY=($(compgen -W "agent bot system customer" -- "$cur")); return ;;
  esac
  local cmd="" sub="" i
  for ((i = 1; i < cword; i++)); do
    case "${words[i]}" in
      --config|--env-file|--log-level|--log-format) ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
    esac
  done
  local opts
  case "$cmd" in
    "") COMPREPLY=($(compgen -W "$commands $globals --version --help" -- "$cur")); return ;;
    serve) opts="--host --port --admin-host --admin-port --data-dir --help" ;;
    config)
      case "$sub" in
        "") COMPREPLY=($(compgen -W "show set --help" -- "$cur")); return ;;
        show) opts="--json --reveal --help" ;;
        set) COMPREPLY=($(compgen -W "$keys" -- "$cur")); return ;;
      esac ;;
    token) opts="--json --tenant --help" ;;
    send-sms) opts="--from --to --body --media-url --status-callback --json --tenant --help" ;;
    sign-webhook)
      case "$sub" in
        "") COMPREPLY=($(compgen -W "infinity twilio --help" -- "$cur")); return ;;
        infinity) opts="--secret --body-file --event --from --to --text --sender --connector-id --send --tenant --help" ;;
        twilio) opts="--auth-token --url --send --tenant --help" ;;
      esac ;;
    outbox)
      case "$sub" in
        "") COMPREPLY=($(compgen -W "list show retry purge --help" -- "$cur")); return ;;
        list) opts="--state --limit --json --data-dir --help" ;;
        show) opts="--data-dir --help" ;;
        retry) opts="--dead --data-dir --help" ;;
        purge) opts="--older-than --data-dir --help" ;;
      esac ;;
    optout)
      case "$sub" in
        "") COMPREPLY=($(compgen -W "list add remove import export --help" -- "$cur")); return ;;
        list) opts="--json --data-dir --help" ;;
        add|remove|export) opts="--data-dir --help" ;;
        import)
          if [[ $cur != -* ]]; then _filedir csv; return; fi
          opts="--data-dir --help" ;;
      esac ;;
    simulate-inbound) opts="--from --to --body --media-url --url --account-sid --tenant --help" ;;
    status) opts="--url --json --help" ;;
    doctor) opts="--help" ;;
  esac
  COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
}
complete -F _infinity_sms infinity-sms
