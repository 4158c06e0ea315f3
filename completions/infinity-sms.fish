# fish completion for infinity-sms
set -l commands serve config token send-sms sign-webhook simulate-inbound outbox optout status doctor
complete -c infinity-sms -f
complete -c infinity-sms -n "not __fish_seen_subcommand_from $commands" -a "serve config token send-sms sign-webhook simulate-inbound outbox optout status doctor"
# The global options, before or after the command (no condition).
complete -c infinity-sms -l config -r -F -d 'configuration file'
complete -c infinity-sms -l env-file -r -F -d 'dotenv file'
complete -c infinity-sms -l log-level -x -a 'trace debug info warn error off' -d 'log level'
complete -c infinity-sms -l log-format -x -a 'text json' -d 'log line format'
complete -c infinity-sms -l log-unredacted -d 'log numbers and text in full'
complete -c infinity-sms -l version -d 'print the version'
complete -c infinity-sms -s h -l help -d 'show help'
complete -c infinity-sms -n '__fish_seen_subcommand_from serve' -l host -x -d 'listen address'
complete -c infinity-sms -n '__fish_seen_subcommand_from serve' -l port -x -d 'listen port'
complete -c infinity-sms -n '__fish_seen_subcommand_from serve' -l admin-host -x -d 'admin API listen address'
complete -c infinity-sms -n '__fish_seen_subcommand_from serve' -l admin-port -x -d 'admin API listen port'
complete -c infinity-sms -n '__fish_seen_subcommand_from serve' -l data-dir -r -a '(__fish_complete_directories)' -d 'outbox directory'
complete -c infinity-sms -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from show set' -a 'show set'
complete -c infinity-sms -n '__fish_seen_subcommand_from show' -l json -d 'print JSON'
complete -c infinity-sms -n '__fish_seen_subcommand_from show' -l reveal -d 'print secrets unmasked'
complete -c infinity-sms -n '__fish_seen_subcommand_from set' -a 'twilio.account.sid twilio.account.authToken twilio.account.previousAuthToken twilio.apiKey.sid twilio.apiKey.secret twilio.isMockMode twilio.apiBaseUrl twilio.validateSignature avaya.host avaya.accountId avaya.clientId avaya.clientSecret avaya.connectorId avaya.webhookSecret avaya.previousWebhookSecret avaya.isMockMode avaya.sendMessagePath avaya.allowUnsignedWebhooks server.host server.port server.adminHost server.adminPort server.tls.cert server.tls.key server.publicUrl server.trustProxy server.adminToken server.dataDir server.threads server.maxConnections server.backlog server.maxBodyBytes server.maxHeaderBytes server.readTimeout server.writeTimeout server.idleTimeout store.url store.poolSize store.leaseTimeout store.retention relay.concurrency relay.upstreamTimeout relay.retryInitial relay.retryMax relay.probeInterval relay.pacing.unit relay.pacing.longCode relay.pacing.tollFree relay.pacing.shortCode relay.pacing.numbers relay.inboundMedia relay.maxMediaBytes relay.inboundMaxAge relay.outboundMaxAge compliance.enforceOptOut compliance.notifyAgent compliance.noticeTemplate compliance.mediaNoticeTemplate '
complete -c infinity-sms -n '__fish_seen_subcommand_from token' -l json -d 'print JSON'
complete -c infinity-sms -n '__fish_seen_subcommand_from token send-sms sign-webhook simulate-inbound' -l tenant -x -d 'tenant name'
complete -c infinity-sms -n '__fish_seen_subcommand_from send-sms' -l from -x
complete -c infinity-sms -n '__fish_seen_subcommand_from send-sms' -l to -x
complete -c infinity-sms -n '__fish_seen_subcommand_from send-sms' -l body -x
complete -c infinity-sms -n '__fish_seen_subcommand_from send-sms' -l media-url -x
complete -c infinity-sms -n '__fish_seen_subcommand_from send-sms' -l status-callback -x
complete -c infinity-sms -n '__fish_seen_subcommand_from send-sms' -l json -d 'print JSON'
complete -c infinity-sms -n '__fish_seen_subcommand_from sign-webhook; and not __fish_seen_subcommand_from infinity twilio' -a 'infinity twilio'
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l secret -x
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l from -x
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l to -x
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l text -x
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l connector-id -x
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l send -x
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l body-file -r -F
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l event -x -a 'messages health_check'
complete -c infinity-sms -n '__fish_seen_subcommand_from infinity' -l sender -x -a 'agent bot system customer'
complete -c infinity-sms -n '__fish_seen_subcommand_from twilio' -l auth-token -x
complete -c infinity-sms -n '__fish_seen_subcommand_from twilio' -l url -x
complete -c infinity-sms -n '__fish_seen_subcommand_from twilio' -l send -d 'post the form'
complete -c infinity-sms -n '__fish_seen_subcommand_from simulate-inbound' -l from -x
complete -c infinity-sms -n '__fish_seen_subcommand_from simulate-inbound' -l to -x
complete -c infinity-sms -n '__fish_seen_subcommand_from simulate-inbound' -l body -x
complete -c infinity-sms -n '__fish_seen_subcommand_from simulate-inbound' -l media-url -x
complete -c infinity-sms -n '__fish_seen_subcommand_from simulate-inbound' -l url -x
complete -c infinity-sms -n '__fish_seen_subcommand_from simulate-inbound' -l account-sid -x
complete -c infinity-sms -n '__fish_seen_subcommand_from status' -l url -x -d 'admin listener URL'
complete -c infinity-sms -n '__fish_seen_subcommand_from status' -l json -d 'print JSON'
complete -c infinity-sms -n '__fish_seen_subcommand_from outbox; and not __fish_seen_subcommand_from list show retry purge' -a 'list show retry purge'
complete -c infinity-sms -n '__fish_seen_subcommand_from outbox; and __fish_seen_subcommand_from list' -l state -x -a 'queued sending sent delivered failed dead expired'
complete -c infinity-sms -n '__fish_seen_subcommand_from outbox; and __fish_seen_subcommand_from list' -l limit -x
complete -c infinity-sms -n '__fish_seen_subcommand_from outbox; and __fish_seen_subcommand_from list' -l json -d 'print JSON'
complete -c infinity-sms -n '__fish_seen_subcommand_from retry' -l dead -d 'every dead message'
complete -c infinity-sms -n '__fish_seen_subcommand_from purge' -l older-than -x
complete -c infinity-sms -n '__fish_seen_subcommand_from outbox' -l data-dir -r -a '(__fish_complete_directories)'
complete -c infinity-sms -n '__fish_seen_subcommand_from optout; and not __fish_seen_subcommand_from list add remove import export' -a 'list add remove import export'
complete -c infinity-sms -n '__fish_seen_subcommand_from optout; and __fish_seen_subcommand_from list' -l json -d 'print JSON'
complete -c infinity-sms -n '__fish_seen_subcommand_from optout; and __fish_seen_subcommand_from import' -F -d 'CSV file, or - for standard input'
complete -c infinity-sms -n '__fish_seen_subcommand_from optout' -l data-dir -r -a '(__fish_complete_directories)'
