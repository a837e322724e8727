// Short connect/greeting time-outs so that the time-out tests do not wait 15 s each (see transports/tls.ts).
process.env.BACKOFFICE_CONNECT_TIMEOUT_MS ??= '4000';
// A connection on which nothing arrives for 20 s counts as lost (120 s in production), so that a test that cuts a
// session fails within seconds instead of waiting for the server's side to notice.
process.env.BACKOFFICE_SOCKET_TIMEOUT_MS ??= '20000';
