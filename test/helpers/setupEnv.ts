// Short connect/greeting time-outs so that the time-out tests do not wait 15 s each (see transports/tls.ts).
process.env.BACKOFFICE_CONNECT_TIMEOUT_MS ??= '4000';
